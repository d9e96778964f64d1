"""The example bots: valid, with enough varied NLU data, and their conversation tests pass."""

import pytest

from framework import Agent
from framework.conversation_tests import load_conversation_tests, run_conversations
from framework.domain.loader import load_domain
from framework.training import train
from framework.training_data import collect_examples
from tests.conftest import DOMAINS

BOTS = ["restaurant", "banking"]


@pytest.mark.parametrize("bot", BOTS)
def test_enough_varied_annotated_examples(bot):
    examples = collect_examples(load_domain(DOMAINS / bot))
    assert len(examples) >= 200
    assert len({e.text.lower() for e in examples}) == len(examples), "duplicate examples"
    assert sum(len(e.entities) for e in examples) >= 50


@pytest.mark.parametrize("bot", BOTS)
def test_conversation_tests_pass(bot, tmp_path):
    train(DOMAINS / bot, tmp_path / bot)
    results = run_conversations(Agent.load(tmp_path / bot), load_conversation_tests(DOMAINS / bot))
    assert len(results) >= 5
    failures = [f"{r.name}: {r.failure}" for r in results if not r.passed]
    assert not failures, failures


def test_restaurant_tests_cover_the_dialogue_behaviours():
    names = " ".join(conv.name for _, conv, _ in load_conversation_tests(DOMAINS / "restaurant")).lower()
    for behaviour in ("interrupt", "correct", "cancel", "fallback", "invalid"):
        assert behaviour in names
