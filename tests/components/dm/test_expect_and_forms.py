"""`expect` steps (branch on the next intent), a flow's `validate` action and `form: true`."""

from dialogkit.components.dm.flow_policy import FlowPolicy
from dialogkit.components.nlg.templates import TemplateNLG
from dialogkit.framework.domain.flowgraph import compile_flows
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.pipeline import resolve_config
from dialogkit.framework.runtime.tracker import ActionExecuted, FlowCompleted

DOMAIN = {
    "intents": {k: {} for k in ["greet", "good", "bad", "yes", "no", "names", "nicks", "bye", "inform"]},
    "entities": {"name": {}},
    "slots": {
        "first": {
            "type": "text",
            "mappings": [
                {"type": "from_entity", "entity": "name"},
                {"type": "from_text", "conditions": [{"active_flow": "nick_form", "requested_slot": "first"}]},
                {"type": "from_text", "conditions": [{"active_flow": "name_form", "requested_slot": "first"}]},
            ],
        },
        "last": {
            "type": "text",
            "mappings": [
                {"type": "from_text", "conditions": [{"active_flow": "name_form", "requested_slot": "last"}]},
                {"type": "from_text", "conditions": [{"active_flow": "nick_form", "requested_slot": "last"}]},
            ],
        },
        "nick": {"type": "text", "mappings": [{"type": "from_text", "conditions": [{"requested_slot": "nick"}]}]},
    },
    "responses": {
        n: [n]
        for n in [
            "utter_greet",
            "utter_happy",
            "utter_cheer",
            "utter_help",
            "utter_glad",
            "utter_sorry",
            "utter_bye",
            "utter_ask_first",
            "utter_ask_last",
            "utter_ask_nick",
            "utter_done",
            "utter_default",
            "utter_error",
        ]
    },
    "actions": {"validate_name_form": "tests.components.dm.test_expect_and_forms:validate_names"},
    "flows": {
        "on_greet": {
            "when": {"intent": "greet"},
            "steps": [
                {"say": "utter_greet"},
                {
                    "expect": {
                        "good": [{"say": "utter_happy"}],
                        "bad": [
                            {"say": "utter_cheer"},
                            {"say": "utter_help"},
                            {"expect": {"yes": [{"say": "utter_glad"}], "no": [{"say": "utter_sorry"}]}},
                        ],
                        "names": [{"call": "name_form"}],
                    }
                },
            ],
        },
        "on_bye": {"when": {"intent": "bye"}, "steps": [{"say": "utter_bye"}]},
        "on_names": {"when": {"intent": "names"}, "steps": [{"call": "name_form"}]},
        "name_form": {
            "form": True,
            "validate": "validate_name_form",
            "steps": [{"collect": "first"}, {"collect": "last"}, {"say": "utter_done"}],
        },
        "nick_form": {
            "when": {"intent": "nicks"},
            "form": True,
            "validate": "validate_name_form",
            "steps": [
                {"collect": "first"},
                {"if": 'first == "Zed"', "then": [{"collect": "nick"}]},
                {"collect": "last"},
                {"say": "utter_done"},
            ],
        },
    },
}


def validate_names(tracker, dispatcher):
    events = []
    for slot in ("first", "last"):
        value = tracker.get_slot(slot)
        if value is not None and not value.isalpha():
            dispatcher.utter(text=f"bad {slot}")
            events.append({"event": "slot", "name": slot, "value": None})
    if tracker.get_slot("last") == "Reset":
        events += [{"event": "slot", "name": "first", "value": None}, {"event": "slot", "name": "last", "value": None}]
    return events


def make_agent():
    domain = Domain.model_validate(DOMAIN)
    return Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )


def said(agent, cid, text):
    turn = agent.handle_turn(text, cid)
    return [m.get("response") or m.get("text") for m in turn.messages], turn.actions


def test_expect_branches_on_the_next_intent_and_nests():
    a = make_agent()
    assert said(a, "c", "/greet") == (["utter_greet"], ["utter_greet"])
    assert said(a, "c", "/bad") == (["utter_cheer", "utter_help"], ["utter_cheer", "utter_help"])
    assert said(a, "c", "/no")[0] == ["utter_sorry"]
    assert a.tracker("c").stack == []


def test_an_intent_without_a_branch_ends_the_flow_and_is_handled_as_usual():
    a = make_agent()
    said(a, "c", "/greet")
    assert said(a, "c", "/bye")[0] == ["utter_bye"]          # starts its own flow
    assert a.tracker("c").stack == []
    assert [e.flow for e in a.tracker("c").events if isinstance(e, FlowCompleted)] == ["on_greet", "on_bye"]
    said(a, "c", "/greet")
    assert said(a, "c", "/yes")[0] == ["utter_default"]      # nothing handles it: fallback, flow ended


def test_expect_in_the_graph_waits():
    g = compile_flows(Domain.model_validate(DOMAIN))
    node = next(n for n, d in g.nodes(data=True) if d["kind"] == "expect" and d["flow"] == "on_greet")
    assert set(g.nodes[node]["branches"]) == {"good", "bad", "names"}
    assert any(d["kind"] == "else" for _, _, d in g.out_edges(node, data=True))


def test_form_validate_action_clears_and_reasks_and_counts_as_the_form():
    a = make_agent()
    assert said(a, "f", "/names") == (["utter_ask_first"], ["name_form"])   # the question is part of the form
    assert said(a, "f", "Ann") == (["utter_ask_last"], ["name_form"])
    assert said(a, "f", "L33") == (["bad last", "utter_ask_last"], ["name_form"])
    assert a.tracker("f").slots["last"] is None
    assert said(a, "f", "Lee") == (["utter_done"], ["name_form", "utter_done"])
    assert any(isinstance(e, ActionExecuted) and e.name == "validate_name_form" for e in a.tracker("f").events)
    # a validator clearing an earlier slot sends the form back to it
    said(a, "g", "/names")
    said(a, "g", "Ann")
    assert said(a, "g", "Reset")[0] == ["utter_ask_first"]
    assert a.tracker("g").slots["first"] is None


def test_a_form_goes_on_when_the_message_answers_its_question():
    a = make_agent()
    said(a, "h", "/names")
    # a payload is not free text: from_text leaves it alone, and `bye` interrupts the form
    assert said(a, "h", "/bye")[0] == ["utter_bye", "utter_ask_first"]
    assert a.tracker("h").slots["first"] is None
    # `bye` would start on_bye, but this message also answers the form's question: the form goes on
    assert said(a, "h", '/bye{"name": "Bob"}')[0] == ["utter_ask_last"]
    assert a.tracker("h").slots["first"] == "Bob"


def test_only_slots_the_validator_cleared_send_the_form_back():
    """A collect on a branch the form did not take stays skipped when the validator rejects a later slot."""
    a = make_agent()
    assert said(a, "n", "/nicks")[0] == ["utter_ask_first"]
    assert said(a, "n", "Ann")[0] == ["utter_ask_last"]          # not Zed: no nickname asked
    assert said(a, "n", "L33")[0] == ["bad last", "utter_ask_last"]
    assert said(a, "n", "Lee")[0] == ["utter_done"]
