"""The Agent end to end on the restaurant bot: interruption, correction, cancel, fallback."""

import asyncio
import json
import threading

import pytest

from dialogkit.framework import Agent
from dialogkit.framework.errors import DomainError
from dialogkit.framework.runtime.tracker import FlowInterrupted, FlowResumed, Tracker


@pytest.fixture(scope="module")
def agent(restaurant_model):
    return Agent.load(restaurant_model)


def names(messages):
    return [m.get("response") for m in messages]


def test_parse_shape(agent):
    result = agent.parse("book a table for 4 at 7pm")
    assert result["intent"]["name"] == "book_table"
    assert 0 < result["intent"]["confidence"] <= 1
    assert len(result["intent_ranking"]) <= 10
    ents = {e["entity"]: e for e in result["entities"]}
    assert ents["party_size"]["value"] == "4"
    assert result["text"][ents["time"]["start"]:ents["time"]["end"]] == "7pm"


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "x" * 20000, "Здравствуйте", "你好吗"])
def test_odd_input_gets_a_reply_and_leaves_the_conversation_usable(agent, text):
    result = agent.parse(text)
    assert result["intent"]["name"] in {*agent.domain.intents, "nlu_fallback"}
    assert 0 <= result["intent"]["confidence"] <= 1
    cid = f"odd-{len(text)}-{text[:3]}"
    replies = agent.handle(text, cid)
    assert replies and all(isinstance(m.get("text"), str) and m["text"].strip() for m in replies)
    assert names(agent.handle("I'd like to book a table", cid))[-1] == "utter_ask_cuisine"


def test_interrupt_and_resume_is_recorded(agent):
    cid = "interrupt"
    assert names(agent.handle("I'd like to book a table", cid)) == ["utter_ask_cuisine"]
    assert names(agent.handle("when are you open", cid)) == [
        "utter_opening_hours",
        "utter_continue_book_table",
        "utter_ask_cuisine",
    ]
    events = agent.tracker(cid).events
    assert any(isinstance(e, FlowInterrupted) and e.flow == "book_table" for e in events)
    assert any(isinstance(e, FlowResumed) and e.flow == "book_table" for e in events)
    assert agent.tracker(cid).active_flow == "book_table"


def test_tracker_replays_to_the_same_state(agent):
    cid = "replay"
    for text in ["book a table for 2", "thai", "north"]:
        agent.handle(text, cid)
    tracker = agent.tracker(cid)
    data = json.loads(json.dumps(tracker.to_json()))
    again = Tracker.from_json(data)
    assert again.slots == tracker.slots and again.slots["cuisine"] == "thai"
    assert [f.__dict__ for f in again.stack] == [f.__dict__ for f in tracker.stack]


def test_payload_bypasses_nlu(agent):
    out = agent.handle('/inform{"cuisine": "french"}', "payload")
    assert agent.tracker("payload").slots["cuisine"] == "french"
    assert names(out) == ["utter_default"]  # no flow is active: the bot says it cannot help with that alone


def test_restart_clears_state(agent):
    cid = "restart"
    agent.handle("book a table for 2", cid)
    agent.handle("/restart", cid)
    t = agent.tracker(cid)
    assert t.slots["party_size"] is None and t.stack == []


def test_custom_action_failure_is_reported_and_conversation_goes_on(restaurant_model, monkeypatch):
    agent = Agent.load(restaurant_model)
    def boom(tracker, dispatcher):
        raise RuntimeError("booking system down")

    monkeypatch.setitem(agent.executor.local._cache, "actions:book_table", boom)
    cid = "boom"
    out = agent.handle('/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "8pm"}', cid)
    assert names(out) == ["utter_confirm_booking"]
    out = agent.handle("yes", cid)
    assert "utter_error" in names(out)
    failed = [e for e in agent.tracker(cid).events if e.event == "action_failed"]
    assert failed and "booking system down" in failed[0].error
    assert names(agent.handle("hello", cid)) == ["utter_greet"]


def test_slot_values_with_braces_are_printed_literally(agent):
    cid = "inject"
    agent.handle(
        '/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "{cuisine} {{x}} {0.__class__}"}', cid
    )
    text = agent.tracker(cid).events[-1].text
    assert "{cuisine} {{x}} {0.__class__}" in text


def test_runaway_loop_is_stopped(write_bot, tmp_path):
    from dialogkit.framework.build.training import train

    bot = write_bot({"domain.yml": """
        version: "1"
        intents:
          go: {examples: [go, go now, start]}
        slots:
          n: {type: int, initial: 0}
        responses:
          utter_tick: ["tick"]
          utter_error: ["loop stopped"]
        flows:
          spin:
            when: {intent: go}
            steps:
              - id: top
                say: utter_tick
              - if: n is set
                then: [{goto: top}]
    """})
    out = tmp_path / "spin"
    with pytest.raises(DomainError):  # validation refuses the loop before the first turn ...
        train(bot, out)
    # ... and the runtime stops one even if a model was built from an unchecked domain
    from dialogkit.components.dm.flow_policy import FlowPolicy
    from dialogkit.components.nlg.templates import TemplateNLG
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.runtime.agent import Agent as A
    from dialogkit.framework.runtime.pipeline import resolve_config

    domain = load_domain(bot).domain
    agent = A(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {"max_actions_per_turn": 10}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    out_msgs = agent.handle("/go", "spin")
    assert out_msgs[-1]["text"] == "loop stopped"
    assert agent.tracker("spin").stack == []


def test_concurrent_conversations(agent):
    errors = []

    def talk(i):
        try:
            for text in ["book a table for 2", "thai", "north", "8pm"]:
                agent.handle(text, f"c{i}")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(8):
        assert agent.tracker(f"c{i}").slots["time"] == "8pm"


def test_async_api(agent):
    out = asyncio.run(agent.handle_async("hello", "async"))
    assert names(out) == ["utter_greet"]
    assert asyncio.run(agent.parse_async("hello"))["intent"]["name"] == "greet"


def test_parse_batch_matches_single_parses(agent):
    texts = ["book a table for 4 at 7pm", "hello", '/inform{"cuisine": "thai"}', ""]
    batch = agent.parse_batch(texts)
    for text, result in zip(texts, batch):
        single = agent.parse(text)
        assert result["intent"]["name"] == single["intent"]["name"]
        assert [(e["entity"], e["value"], e["start"]) for e in result["entities"]] == [
            (e["entity"], e["value"], e["start"]) for e in single["entities"]
        ]
    assert batch[2]["intent"]["name"] == "inform" and batch[2]["entities"][0]["value"] == "thai"
