"""`dialogkit test nlu` with --cross-validation, --data and --model, on the light pipeline (seconds)."""

import json

from dialogkit.framework.build.training import train
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.training_data import Example
from dialogkit.framework.evaluation.nlu_testing import stratified_folds

HELD_OUT = """
version: "1"
intents:
  greet: {examples: [hello there friend, hi]}
  book: {examples: ["book a table for [4](party_size) please"]}
entities:
  party_size: {}
"""


def test_stratified_folds_spread_every_intent():
    examples = [Example(f"t{i}", "a" if i < 6 else "b") for i in range(9)]
    folds = stratified_folds(examples, 3)
    assert sorted(i for f in folds for i in f) == list(range(9))
    for f in folds:
        assert sum(examples[i].intent == "a" for i in f) == 2 and sum(examples[i].intent == "b" for i in f) == 1


def test_cross_validation(minimal_bot, tmp_path, capsys):
    out = tmp_path / "cv"
    assert main(["test", "nlu", str(minimal_bot), "--cross-validation", "3", "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    assert report["examples"] == 6 and "3-fold cross-validation" in report["title"]
    assert {"accuracy", "macro_f1", "per_intent", "confusion"} <= set(report["intent"])
    assert "3-fold" in capsys.readouterr().out


def test_held_out_data_and_trained_model(minimal_bot, tmp_path, write_bot):
    data = write_bot({"domain.yml": HELD_OUT}, name="held") / "domain.yml"
    out = tmp_path / "held"
    assert main(["test", "nlu", str(minimal_bot), "--data", str(data), "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    assert report["examples"] == 3 and report["slots"]["per_entity"]["party_size"]["support"] == 1
    model = tmp_path / "model"
    train(minimal_bot, model)
    assert (
        main(
            ["test", "nlu", str(minimal_bot), "--model", str(model), "--data", str(data), "--out", str(tmp_path / "m")]
        )
        == 0
    )
    assert json.loads((tmp_path / "m" / "results.json").read_text())["examples"] == 3


def test_model_without_data_is_a_clear_error(minimal_bot, tmp_path, capsys):
    assert main(["test", "nlu", str(minimal_bot), "--model", str(tmp_path)]) == 2
    assert "--model needs --data" in capsys.readouterr().err


def test_nlu_options_need_the_nlu_target(minimal_bot, capsys):
    assert main(["test", str(minimal_bot), "--cross-validation", "3"]) == 2
    assert "dialogkit test nlu DIR" in capsys.readouterr().err


def test_an_error_under_the_fallback_threshold_says_what_the_classifier_ranked_first():
    from dialogkit.framework.evaluation.nlu_metrics import evaluate_parses

    gold = [Example("hello there", "greet"), Example("table for two", "book")]
    parses = [
        {"intent": {"name": "nlu_fallback", "confidence": 0.31},
         "intent_ranking": [{"name": "greet", "confidence": 0.31}, {"name": "book", "confidence": 0.2}]},
        {"intent": {"name": "greet", "confidence": 0.8}, "intent_ranking": [{"name": "greet", "confidence": 0.8}]},
    ]
    errors = evaluate_parses(gold, parses, lambda text: [(w, 0, 0) for w in text.split()])["errors"]
    assert [(e["predicted_intent"], e.get("ranked_first")) for e in errors] == [("nlu_fallback", "greet"),
                                                                               ("greet", None)]
