"""The example bots: valid, with enough varied NLU data, and their conversation tests pass."""

import pytest

from dialogkit.framework import Agent
from dialogkit.framework.build.training import train
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.evaluation.conversation_tests import (
    load_conversation_tests,
    run_conversations,
)
from tests.conftest import DOMAINS

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)

BOTS = ["restaurant", "banking", "tickets_zh"]


@pytest.mark.parametrize("bot", BOTS)
def test_enough_varied_annotated_examples(bot):
    examples = collect_examples(load_domain(DOMAINS / bot))
    assert len(examples) >= 200
    assert len({e.text.lower() for e in examples}) == len(examples), "duplicate examples"
    assert sum(len(e.entities) for e in examples) >= 50


@pytest.mark.parametrize("bot", BOTS)
def test_conversation_tests_pass(bot, tmp_path, request):
    if bot == "restaurant":  # trained once for the whole session
        model = request.getfixturevalue("restaurant_model")
    else:
        model = tmp_path / bot
        train(DOMAINS / bot, model)
    results = run_conversations(Agent.load(model), load_conversation_tests(DOMAINS / bot))
    assert len(results) >= 5
    failures = [f"{r.name}: {r.failure}" for r in results if not r.passed]
    assert not failures, failures


def test_restaurant_tests_cover_the_dialogue_behaviours():
    names = " ".join(conv.name for _, conv, _ in load_conversation_tests(DOMAINS / "restaurant")).lower()
    for behaviour in ("interrupt", "correct", "cancel", "fallback", "invalid"):
        assert behaviour in names


def test_the_chinese_bot_tests_an_interruption_and_corrections_in_chinese():
    convs = [conv for _, conv, _ in load_conversation_tests(DOMAINS / "tickets_zh")]
    names = " ".join(c.name for c in convs).lower()
    assert "interrupt" in names and "correct" in names
    users = [s.user for c in convs for s in c.steps if s.user and not s.user.startswith("/")]
    assert users and all(any("\u4e00" <= ch <= "\u9fff" for ch in u) for u in users)
