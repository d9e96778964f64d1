"""The flow runtime, driven with intents and entities directly (no NLU models)."""

import time

import pytest

from dialogkit.components.dm.flow_policy import FlowPolicy
from dialogkit.components.nlg.templates import TemplateNLG
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.decisions import ConversationView
from dialogkit.framework.runtime.pipeline import resolve_config
from dialogkit.framework.runtime.tracker import (
    ActionExecuted,
    FlowAdvanced,
    FlowCompleted,
    FlowInterrupted,
    FlowResumed,
    FlowStarted,
    SessionStarted,
    SlotSet,
    Tracker,
    UserUttered,
)
from dialogkit.framework.runtime.turn import Parse

DOMAIN = {
    "intents": {k: {} for k in ["order", "inform", "faq", "help", "affirm", "deny", "loop", "jump", "greet"]},
    "entities": {"size": {}, "drink": {}, "topic": {}},
    "slots": {
        "size": {
            "type": "categorical",
            "values": ["small", "large"],
            "invalid_response": "utter_bad_size",
            "mappings": [{"type": "from_entity", "entity": "size"}],
        },
        "drink": {"type": "text", "mappings": [{"type": "from_entity", "entity": "drink"}]},
        "topic": {"type": "text", "mappings": [{"type": "from_entity", "entity": "topic"}]},
        "ok": {
            "type": "bool",
            "mappings": [
                {"type": "from_intent", "intent": "affirm", "value": True, "conditions": [{"requested_slot": "ok"}]},
                {"type": "from_intent", "intent": "deny", "value": False, "conditions": [{"requested_slot": "ok"}]},
            ],
        },
        "count": {"type": "int", "initial": 0},
        "note": {"type": "text"},
    },
    "responses": {
        n: [n]
        for n in [
            "utter_ask_size",
            "utter_ask_drink",
            "utter_ask_topic",
            "utter_ask_ok",
            "utter_bad_size",
            "utter_summary",
            "utter_yes",
            "utter_no",
            "utter_faq",
            "utter_help_done",
            "utter_tick",
            "utter_linked",
            "utter_called",
            "utter_after_call",
            "utter_default",
            "utter_flow_cancelled",
            "utter_error",
            "utter_hi",
        ]
    },
    "actions": {"action_note": "tests.components.dm.test_flow_policy:note_action"},
    "flows": {
        "order": {
            "when": {"intent": "order"},
            "steps": [
                {"collect": "size"},
                {"collect": "drink"},
                {"say": "utter_summary"},
                {"collect": "ok", "ask_before_filling": True},
                {"if": "ok", "then": [{"action": "action_note"}, {"say": "utter_yes"}], "else": [{"say": "utter_no"}]},
            ],
        },
        "help": {"when": {"intent": "help"}, "steps": [{"collect": "topic"}, {"say": "utter_help_done"}]},
        "faq": {"when": {"intent": "faq"}, "steps": [{"say": "utter_faq"}]},
        "loop": {
            "when": {"intent": "loop"},
            "steps": [
                {"id": "top", "set": {"count": 1}},
                {"say": "utter_tick"},
                {"if": "count < 1", "then": [{"goto": "top"}]},
                {"end": True},
                {"say": "utter_tick"},
            ],
        },
        "jump": {
            "when": {"intent": "jump"},
            "steps": [{"call": "called"}, {"say": "utter_after_call"}, {"link": "linked"}],
        },
        "called": {"steps": [{"say": "utter_called"}]},
        "linked": {"steps": [{"say": "utter_linked"}]},
        "greet": {"when": {"intent": "greet"}, "steps": [{"say": "utter_hi"}]},
    },
}


def note_action(tracker, dispatcher):
    dispatcher.utter(text=f"noted {tracker.get_slot('size')} {tracker.get_slot('drink')}")
    return [{"event": "slot", "name": "note", "value": "done"}]


def make_agent(**session):
    d = dict(DOMAIN, session=session) if session else DOMAIN
    domain = Domain.model_validate(d)
    return Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )


def say(agent, cid, intent, **entities):
    import json

    text = f"/{intent}" + (json.dumps(entities) if entities else "")
    return [m.get("response") or m.get("text") for m in agent.handle(text, cid)]


def test_collect_say_if_action_and_ask_before_filling():
    a = make_agent()
    assert say(a, "c", "order") == ["utter_ask_size"]
    assert say(a, "c", "inform", size="large") == ["utter_ask_drink"]
    assert say(a, "c", "inform", drink="tea") == ["utter_summary", "utter_ask_ok"]
    assert say(a, "c", "affirm") == ["noted large tea", "utter_yes"]
    t = a.tracker("c")
    assert t.slots["note"] == "done" and t.stack == []
    assert any(isinstance(e, ActionExecuted) and e.name == "action_note" for e in t.events)
    # ask_before_filling: a second order asks `ok` again although it is set
    assert say(a, "c", "order") == ["utter_summary", "utter_ask_ok"]
    assert say(a, "c", "deny") == ["utter_no"]


def test_invalid_value_gets_the_slot_error_and_is_asked_again():
    a = make_agent()
    say(a, "c", "order")
    assert say(a, "c", "inform", size="medium") == ["utter_bad_size", "utter_ask_size"]
    assert a.tracker("c").slots["size"] is None


def test_set_goto_end_and_unreachable_tail():
    a = make_agent()
    assert say(a, "c", "loop") == ["utter_tick"]
    assert a.tracker("c").slots["count"] == 1 and a.tracker("c").stack == []


def test_call_returns_and_link_hands_over():
    a = make_agent()
    assert say(a, "c", "jump") == ["utter_called", "utter_after_call", "utter_linked"]
    started = [e.flow for e in a.tracker("c").events if isinstance(e, FlowStarted)]
    assert started == ["jump", "called", "linked"]
    completed = [e.flow for e in a.tracker("c").events if isinstance(e, FlowCompleted)]
    assert completed == ["called", "jump", "linked"]


def test_interruption_and_resume_at_depth_two():
    a = make_agent()
    assert say(a, "c", "order") == ["utter_ask_size"]
    assert say(a, "c", "help") == ["utter_ask_topic"]           # order interrupted
    assert say(a, "c", "faq") == ["utter_faq", "utter_ask_topic"]  # help interrupted, faq ends, help resumes
    assert [f.flow for f in a.tracker("c").stack] == ["order", "help"]
    assert say(a, "c", "inform", topic="fees") == ["utter_help_done", "utter_ask_size"]  # order resumes and re-asks
    events = a.tracker("c").events
    assert [e.flow for e in events if isinstance(e, FlowInterrupted)] == ["order", "help"]
    assert [e.flow for e in events if isinstance(e, FlowResumed)] == ["help", "order"]


def test_correction_reruns_dependent_steps():
    a = make_agent()
    say(a, "c", "order", size="small", drink="tea")
    assert a.tracker("c").slots["ok"] is None
    assert say(a, "c", "inform", size="large") == ["utter_summary", "utter_ask_ok"]
    assert a.tracker("c").slots["size"] == "large"


def test_cancel_and_fallback_keep_state():
    a = make_agent()
    say(a, "c", "order", size="small")
    assert say(a, "c", "nlu_fallback") == ["utter_default", "utter_ask_drink"]
    assert a.tracker("c").slots["size"] == "small" and a.tracker("c").active_flow == "order"
    assert say(a, "c", "cancel") == ["utter_flow_cancelled"]
    assert a.tracker("c").stack == []


def test_decisions_from_an_event_list():
    """A conversation built from events continues exactly where it stands."""
    domain = Domain.model_validate(DOMAIN)
    policy = FlowPolicy(resolve_config("flow_policy", {}), domain)
    tracker = Tracker("t", {n: s.initial for n, s in domain.slots.items()}, [
        SessionStarted(), UserUttered(text="order"), FlowStarted(flow="order"),
        FlowAdvanced(flow="order", node="order:0"), SlotSet(name="size", value="small"),
        FlowAdvanced(flow="order", node="order:1"),
    ])
    parse = Parse(
        "tea",
        {"name": "inform", "confidence": 1.0},
        entities=({"entity": "drink", "value": "tea", "start": 0, "end": 3},),
    )
    before = list(tracker.events)
    decisions = policy.decide(ConversationView(tracker), parse)
    with pytest.raises(StopIteration) as done:  # no action to run: the first decision is the last
        next(decisions)
    decision = done.value.value
    assert decision.request is None
    assert [r.name for r in decision.responses] == ["utter_summary", "utter_ask_ok"]
    assert tracker.events == before  # the DM only decides: the tracker is the agent's to change
    for event in decision.events:
        tracker.add(event)
    assert tracker.slots["drink"] == "tea" and tracker.stack[-1].node == "order:3"


def test_replay_gives_the_same_state_and_next_decision():
    a = make_agent()
    for intent, ents in [("order", {}), ("inform", {"size": "large"}), ("help", {}), ("faq", {})]:
        say(a, "c", intent, **ents)
    original = a.tracker("c")
    copy = Tracker.from_json(original.to_json())
    assert copy.slots == original.slots and [f.__dict__ for f in copy.stack] == [f.__dict__ for f in original.stack]
    b = make_agent()
    b.store.save(copy)
    assert say(b, "c", "inform", topic="x") == say(a, "c", "inform", topic="x")


@pytest.mark.parametrize("carry", [True, False])
def test_session_expiry_and_carry_over(carry):
    a = make_agent(expiry_minutes=1, carry_over_slots=carry)
    say(a, "c", "order", size="small")
    for e in a.tracker("c").events:
        e.timestamp = time.time() - 3600
    assert say(a, "c", "greet") == ["utter_hi"]
    t = a.tracker("c")
    assert sum(isinstance(e, SessionStarted) for e in t.events) == 2
    assert t.slots["size"] == ("small" if carry else None)
    assert t.stack == []


def test_action_limit_stops_a_runaway_turn():
    domain = Domain.model_validate(DOMAIN)
    a = Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {"max_actions_per_turn": 3}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    assert say(a, "c", "order", size="small", drink="tea")[-1] == "utter_error"
    assert any(e.event == "action_failed" and "runaway" in e.error for e in a.tracker("c").events)
    assert a.tracker("c").stack == []


FORM_DOMAIN = {
    "intents": {k: {} for k in ["check_status", "inform", "stop"]},
    "entities": {"ticket": {}},
    "slots": {"ticket": {"type": "text", "mappings": [{"type": "from_entity", "entity": "ticket"}]}},
    "responses": {n: [n] for n in ["utter_ask_ticket", "utter_status", "utter_stopped"]},
    "flows": {
        # a Rasa rule written the common way: end any loop, then start the form
        "on_check_status": {
            "when": {"intent": "check_status"},
            "steps": [{"action": "action_deactivate_loop"}, {"call": "status_form"}, {"say": "utter_status"}],
        },
        "status_form": {"form": True, "steps": [{"collect": "ticket"}]},
        "on_stop": {
            "when": {"intent": "stop"},
            "steps": [{"action": "action_deactivate_loop"}, {"say": "utter_stopped"}],
        },
    },
}


def test_action_deactivate_loop_with_no_form_active_does_nothing_as_in_rasa():
    domain = Domain.model_validate(FORM_DOMAIN)
    a = Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    assert say(a, "c", "check_status") == ["utter_ask_ticket"]  # the form starts: nothing was active to end
    assert [f.flow for f in a.tracker("c").stack] == ["on_check_status", "status_form"]
    # with a form active, it ends that form, also from a flow that interrupted it
    assert say(a, "c", "stop")[0] == "utter_stopped"
    assert "status_form" not in [f.flow for f in a.tracker("c").stack] and a.tracker("c").slots["ticket"] is None
    assert say(a, "c", "check_status") == ["utter_ask_ticket"]
    assert say(a, "c", "inform", ticket="T-1") == ["utter_status"]


def test_every_builtin_action_has_a_runner_and_validates_in_any_domain():
    from dialogkit.components.dm.flow_runtime import BUILTIN_RUNNERS
    from dialogkit.framework.domain.builtins import BUILTIN_ACTIONS

    assert set(BUILTIN_RUNNERS) == BUILTIN_ACTIONS


def _form_agent(flows):
    domain = Domain.model_validate(
        {
            **FORM_DOMAIN,
            "intents": {k: {} for k in ["check_status", "inform", "stop", "help", "affirm"]},
            "responses": {
                n: [n]
                for n in [
                    "utter_ask_ticket",
                    "utter_status",
                    "utter_stopped",
                    "utter_help",
                    "utter_help_in_form",
                    "utter_ok",
                ]
            },
            "flows": {**FORM_DOMAIN["flows"], **flows},
        }
    )
    return Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )


def test_a_flow_during_a_form_starts_only_while_that_form_runs():
    a = _form_agent(
        {
            "on_help": {"when": {"intent": "help"}, "steps": [{"say": "utter_help"}]},
            "on_help_in_form": {
                "when": {"intent": "help", "during": "status_form"},
                "steps": [{"say": "utter_help_in_form"}],
            },
        }
    )
    assert say(a, "c", "help") == ["utter_help"]
    assert say(a, "c", "check_status") == ["utter_ask_ticket"]
    assert say(a, "c", "help") == ["utter_help_in_form", "utter_ask_ticket"]  # the form asks again after it


def test_a_flow_that_yields_to_form_does_not_wait_at_expect_inside_a_form():
    help_flow = {
        "when": {"intent": "help"},
        "steps": [{"say": "utter_help"}, {"expect": {"affirm": [{"say": "utter_ok"}]}}],
    }
    waits = _form_agent({"on_help": help_flow})
    assert say(waits, "c", "check_status") == ["utter_ask_ticket"]
    assert say(waits, "c", "help") == ["utter_help"]  # waits for the answer to its own question
    yields = _form_agent({"on_help": {**help_flow, "yield_to_form": True}})
    assert say(yields, "c", "check_status") == ["utter_ask_ticket"]
    assert say(yields, "c", "help") == ["utter_help", "utter_ask_ticket"]  # the form takes over again
    # outside a form it waits
    assert say(yields, "d", "help") == ["utter_help"] and say(yields, "d", "affirm") == ["utter_ok"]


def test_state_set_from_events_the_dm_did_not_decide():
    """Policy.align maps what happened (an active form, done; an action that ran) to the flow stack;
    Policy.resume predicts from there, as a replayed Rasa story needs."""
    from dialogkit.framework.runtime.decisions import ActiveLoop

    domain = Domain.model_validate(FORM_DOMAIN)
    policy = FlowPolicy(resolve_config("flow_policy", {}), domain)
    tracker = Tracker(
        "t",
        {"ticket": None},
        [SessionStarted(), UserUttered(text="status", parse={"intent": {"name": "check_status"}})],
    )
    view = ConversationView(tracker)
    for happened in (
        ActionExecuted(name="action_deactivate_loop"),
        ActionExecuted(name="status_form"),
        ActiveLoop("status_form"),
    ):
        for event in policy.align(view, happened):
            tracker.add(event)
    assert [f.flow for f in tracker.stack] == ["on_check_status", "status_form"]  # started from the flow that calls it
    for event in policy.align(view, ActiveLoop(None)):  # the story says the form is done, though it has no ticket
        tracker.add(event)
    assert [f.flow for f in tracker.stack] == ["on_check_status"]
    with pytest.raises(StopIteration) as done:
        next(policy.resume(view))
    assert [r.name for r in done.value.value.responses] == ["utter_status"]


def test_back_takes_back_the_previous_answer_and_asks_again():
    a = make_agent()
    say(a, "c", "order")
    assert say(a, "c", "inform", size="large") == ["utter_ask_drink"]
    assert say(a, "c", "back") == ["utter_ask_size"]  # the answer is taken back: the question it answered again
    t = a.tracker("c")
    assert t.slots["size"] is None and t.active_flow == "order" and t.latest_message.text == "/order"
    assert any(e.event == "user" and "large" in e.text for e in t.events)  # taken back, not deleted: the store keeps it
    assert say(a, "c", "inform", size="small") == ["utter_ask_drink"]
    assert a.tracker("c").slots["size"] == "small"
    # going back past the flow's start: no flow runs, and nothing is asked
    b = make_agent()
    say(b, "d", "faq")
    assert say(b, "d", "order") == ["utter_ask_size"]
    assert say(b, "d", "back") == [] and b.tracker("d").stack == []


def test_back_says_utter_back_when_the_bot_has_it_and_a_bots_own_back_flow_wins():
    with_back = dict(DOMAIN, responses={**DOMAIN["responses"], "utter_back": ["Going back."]})
    domain = Domain.model_validate(with_back)
    a = Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    say(a, "c", "order")
    say(a, "c", "inform", size="large")
    assert say(a, "c", "back") == ["utter_back", "utter_ask_size"]
    own = dict(DOMAIN, intents={**DOMAIN["intents"], "back": {}},
               flows={**DOMAIN["flows"], "menu": {"when": {"intent": "back"}, "steps": [{"say": "utter_hi"}]}})
    domain = Domain.model_validate(own)
    b = Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    say(b, "c", "order", size="large")
    assert say(b, "c", "back")[0] == "utter_hi" and b.tracker("c").slots["size"] == "large"
