"""A failed action never confirms: the flow's next steps do not run after it.

Regression tests for "Done! Your table is booked. Reference: (unknown)." said after the
booking action raised (issue: hardening)."""

import asyncio
import time

import pytest

from dialogkit.components.dm.flow_policy import FlowPolicy
from dialogkit.components.nlg.templates import TemplateNLG
from dialogkit.framework.domain.schema import RUNTIME_RESPONSES, Domain
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.pipeline import resolve_config
from dialogkit.framework.runtime.tracker import ActionFailed, FlowCancelled


def ok_action(tracker, dispatcher):
    return [{"event": "slot", "name": "ref", "value": "R-1"}]


def raising_action(tracker, dispatcher):
    raise RuntimeError("booking system down")


def unstorable_action(tracker, dispatcher):
    return [{"event": "slot", "name": "ref", "value": object()}]  # an event no store can save


def raising_validator(value, tracker):
    raise ConnectionError("lookup service down")


def responses(extra=()):
    names = ["utter_ask_size", "utter_ask_confirm", "utter_booked", "utter_sorry_try_later", "utter_hi", "utter_after"]
    return {n: [n] for n in [*names, *extra]}


def make_agent(action_ref, on_error=None, validator=None, with_error_response=True):
    book = {"action": "action_book"}
    if on_error is not None:
        book["on_error"] = on_error
    slots = {
        "size": {"type": "int", "mappings": [{"type": "from_entity", "entity": "size"}]},
        "ref": {"type": "text"},
    }
    if validator:
        slots["size"]["validator"] = validator
    d = {
        "intents": {k: {} for k in ["book", "inform", "greet", "outer"]},
        "entities": {"size": {}},
        "slots": slots,
        "responses": responses(["utter_error"] if with_error_response else []),
        "actions": {"action_book": action_ref},
        "flows": {
            "book": {"when": {"intent": "book"}, "steps": [{"collect": "size"}, book, {"say": "utter_booked"}]},
            "outer": {"when": {"intent": "outer"}, "steps": [{"call": "book"}, {"say": "utter_after"}]},
            "greet": {"when": {"intent": "greet"}, "steps": [{"say": "utter_hi"}]},
        },
    }
    domain = Domain.model_validate(d)
    return Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )


HERE = "tests.components.dm.test_action_failures"


def said(agent, cid, text):
    return [m.get("response") or m.get("text") for m in agent.handle(text, cid)]


def test_a_working_action_confirms():
    agent = make_agent(f"{HERE}:ok_action")
    assert said(agent, "a", '/book{"size": 2}') == ["utter_booked"]


@pytest.mark.parametrize("ref, error", [
    (f"{HERE}:raising_action", "booking system down"),
    (f"{HERE}:no_such_function", "no_such_function"),
    ("no_such_module_anywhere:book", "no_such_module_anywhere"),
    (f"{HERE}:unstorable_action", "object"),
])
def test_a_failed_action_never_confirms(ref, error):
    agent = make_agent(ref)
    assert said(agent, "f", '/book{"size": 2}') == ["utter_error"]  # never "utter_booked"
    t = agent.tracker("f")
    failed = [e for e in t.events if isinstance(e, ActionFailed)]
    assert failed and failed[0].name == "action_book" and error in failed[0].error
    assert t.active_flow is None and any(isinstance(e, FlowCancelled) for e in t.events)
    assert "ref" not in {k for k, v in t.slots.items() if v is not None}
    assert said(agent, "f", "/greet") == ["utter_hi"]  # the conversation goes on


def test_on_error_branch_runs_instead_of_the_rest_of_the_flow():
    agent = make_agent(f"{HERE}:raising_action", on_error=[{"say": "utter_sorry_try_later"}])
    assert said(agent, "e", '/book{"size": 2}') == ["utter_sorry_try_later"]
    assert agent.tracker("e").active_flow is None


def test_a_failed_action_in_a_called_flow_ends_its_caller_too():
    agent = make_agent(f"{HERE}:raising_action")
    assert said(agent, "c", "/outer") == ["utter_ask_size"]
    assert said(agent, "c", '/inform{"size": 3}') == ["utter_error"]  # not "utter_after"
    assert agent.tracker("c").stack == []


def test_a_failing_slot_validator_stops_the_flow_instead_of_asking_forever():
    agent = make_agent(f"{HERE}:ok_action", validator=f"{HERE}:raising_validator")
    assert said(agent, "v", "/book") == ["utter_ask_size"]
    assert said(agent, "v", '/inform{"size": 3}') == ["utter_error"]
    t = agent.tracker("v")
    assert (
        t.active_flow is None
        and "lookup service down" in [e for e in t.events if isinstance(e, ActionFailed)][-1].error
    )


def test_missing_slot_validator_is_a_failure_not_a_rejection():
    agent = make_agent(f"{HERE}:ok_action", validator=f"{HERE}:no_such_validator")
    said(agent, "m", "/book")
    assert said(agent, "m", '/inform{"size": 3}') == ["utter_error"]


def test_utter_error_has_a_built_in_text_when_the_domain_has_none():
    agent = make_agent(f"{HERE}:raising_action", with_error_response=False)
    [msg] = agent.handle('/book{"size": 2}', "d")
    assert msg["text"] == RUNTIME_RESPONSES["utter_error"]


def test_async_action_failure_is_handled_the_same(monkeypatch):
    agent = make_agent(f"{HERE}:ok_action")

    async def slow_fail(tracker, dispatcher):
        await asyncio.sleep(0)
        raise TimeoutError("took too long")

    monkeypatch.setitem(agent.executor.local._cache, f"{HERE}:ok_action", slow_fail)
    t0 = time.perf_counter()
    assert said(agent, "t", '/book{"size": 2}') == ["utter_error"]
    assert time.perf_counter() - t0 < 5


def hanging_action(tracker, dispatcher):
    time.sleep(5)
    return [{"event": "slot", "name": "ref", "value": "late"}]


def test_an_action_that_hangs_times_out_and_never_confirms():
    domain_agent = make_agent(f"{HERE}:hanging_action")
    policy = domain_agent.components[0]
    policy.runtime.action_timeout = 0.3
    t0 = time.perf_counter()
    assert said(domain_agent, "h", '/book{"size": 2}') == ["utter_error"]
    assert time.perf_counter() - t0 < 3
    t = domain_agent.tracker("h")
    assert "did not finish within 0.3 s" in [e for e in t.events if isinstance(e, ActionFailed)][-1].error
    assert t.slots["ref"] is None  # what it returns later is ignored
