"""A training run's wall-clock budget (`max_training_minutes`): the epochs that fit it, the learning
rate's decay ending where the budget does, for the NLU and the generator alike."""

from __future__ import annotations

import json

import pytest
import torch

from dialogkit.components.training.schedule import TimeBudget, warmup_linear_decay
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.errors import ConfigError
from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

BOT = """
version: "1"
intents:
  greet:
    examples: [hi, hello there, good morning, hey]
  book:
    examples:
      - book a table for [4](n)
      - a table for [two](n) please
      - reserve for [6](n)
entities:
  n: {}
"""


def test_the_epochs_that_fit_come_from_the_steps_and_checks_timed_so_far():
    budget = TimeBudget(1.0, planned=100, steps_per_epoch=10, started=0.0)
    assert budget.replan() == 100  # nothing timed yet: as planned
    budget.first_step = 5.0  # 5 s of loading and pair training before the first step
    for _ in range(10):
        budget.timed("step", 0.5)
    budget.timed("check", 1.0)
    # an epoch is 10 steps of 0.5 s and a 1 s check: (60 - 5) / 6 = 9 epochs fit
    assert budget.replan() == 9
    assert budget.news() == "time budget 1 min: about 9 of 100 epochs fit"
    assert budget.replan() == 9 and budget.news() is None  # said once, until it falls
    assert budget.minutes == 1.0
    # figures agreed over processes (here: doubled) decide, and never more than planned or fewer than one
    assert budget.replan(agree=lambda x: 2 * x) == 4
    assert budget.news() == "time budget 1 min: about 4 of 100 epochs fit"
    assert budget.replan() == 9 and budget.news() is None  # a rise as the timings settle is not news
    budget.timed("step", 1000.0)
    assert budget.replan() == 1
    assert TimeBudget(1000.0, planned=3, steps_per_epoch=10, started=0.0).replan() == 3
    unbounded = TimeBudget(None, planned=7, steps_per_epoch=10)
    unbounded.timed("step", 100.0)
    assert unbounded.replan() == 7
    assert unbounded.minutes is None
    assert unbounded.news() is None


def test_the_first_estimate_comes_after_the_probe_steps_and_the_last_epoch_is_said():
    budget = TimeBudget(1.0, planned=100, steps_per_epoch=40, started=0.0)
    budget.first_step = 0.0
    said = [budget.after_step(0.25, epoch=1, step=n) for n in range(1, 21)]
    assert said[:19] == [None] * 19 and said[19] == "time budget 1 min: about 6 of 100 epochs fit"  # 10 s an epoch
    budget.timed("check", 20.0)  # a slow held-out check: 30 s an epoch, so the second is the last
    assert budget.after_epoch(1) == (False, "time budget 1 min: about 2 of 100 epochs fit")
    assert budget.after_epoch(2) == (True, None)
    # an estimate that falls below the epochs already run stops at once, recording those run
    late = TimeBudget(1.0, planned=100, steps_per_epoch=40, started=0.0)
    late.first_step = 0.0
    said = [late.after_step(0.25, epoch=1, step=n) for n in range(1, 41)]
    assert said[19] == "time budget 1 min: about 6 of 100 epochs fit" and late.after_epoch(1) == (False, None)
    late.timed("step", 400.0)  # a step that took minutes: now one epoch would not fit
    assert late.after_epoch(3) == (True, "time budget 1 min: about 3 of 100 epochs fit")
    assert late.epochs == 3


def test_the_learning_rate_decays_to_zero_where_the_budget_ends():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    budget = TimeBudget(1.0, planned=10, steps_per_epoch=10, started=0.0)
    scheduler = warmup_linear_decay(optimizer, warmup_steps=10, total_steps=100, budget=budget)
    budget.epochs = 4  # four of the ten planned epochs fit: 40 steps, 4 of them warmup
    rates = []
    for _ in range(40):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates[3] == pytest.approx(1.0)  # the end of the shortened warmup
    assert rates[20] == pytest.approx((40 - 21) / 36)
    assert rates[-1] == 0.0
    plain = torch.optim.SGD([param], lr=1.0)
    without = warmup_linear_decay(plain, warmup_steps=10, total_steps=100)
    for _ in range(40):
        plain.step()
        without.step()
    assert without.get_last_lr()[0] == pytest.approx(60 / 90)  # unchanged without a budget


def test_a_budget_must_be_positive():
    for name in ("bert_nlu", "t5_nlg"):
        with pytest.raises(ConfigError, match="max_training_minutes"):
            resolve_config(name, {"max_training_minutes": -1})
        assert resolve_config(name, {"max_training_minutes": 2.5}).max_training_minutes == 2.5


def test_the_nlu_trains_the_epochs_that_fit_its_budget_and_says_so(write_bot, tiny_encoder, tmp_path):
    from dialogkit.components.nlu.bert_nlu import BertNLU
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    loaded = load_domain(write_bot({"domain.yml": BOT}))
    minutes = 0.05
    config = resolve_config(
        "bert_nlu",
        {"encoder": str(tiny_encoder), "epochs": 100000, "contrastive_epochs": 100000, "converged_tolerance": 0,
         "max_training_minutes": minutes},
    )
    said: list[str] = []
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded), progress=said.append))
    result = c.fit_result
    assert 1 <= result.epochs_run == result.budget_epochs < 100000
    # stopped by the budget (100000 epochs would take hours), at the epoch the estimate allowed
    assert result.seconds < 60
    fit_said = f"time budget {minutes:g} min: about "
    assert any(m.startswith(fit_said) and m.endswith(" of 100000 epochs fit") for m in said)
    # pair training (here 100000 epochs asked) stops at half the budget: the heads get the rest
    assert 1 <= result.pair_epochs < 100000
    assert f"time budget {minutes:g} min: pair training stopped after {result.pair_epochs} of 100000" in said
    c.save(tmp_path)
    recorded = json.loads((tmp_path / "training.json").read_text())
    assert recorded["budget_minutes"] == pytest.approx(minutes)
    assert recorded["budget_epochs"] == result.epochs_run


def test_the_generator_trains_the_epochs_that_fit_its_budget():
    from dialogkit.components.nlg.generator import T5NLG

    minutes = 0.05
    tiny = {"d_model": 32, "d_ff": 64, "d_kv": 8, "num_heads": 4, "num_layers": 1, "num_decoder_layers": 1,
            "init_embeddings": False, "gate": False}
    config = resolve_config("t5_nlg", {**tiny, "epochs": 100000, "min_steps": 0, "patience": 100000,
                                       "max_training_minutes": minutes})
    domain = Domain.model_validate({"slots": {"n": {"type": "int"}}, "responses": {
        "utter_greet": {"variations": ["Hello there!", "Hi!"]},
        "utter_confirm": {"variations": ["A table for {n}. OK?", "So {n} people?"]}}})
    g = T5NLG(config, domain)
    g.train(TrainingContext(None, []))
    result = g.fit_result
    assert 1 <= result.epochs_run == result.budget_epochs < 100000
    assert result.seconds < 60
