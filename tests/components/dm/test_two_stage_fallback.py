"""flow_policy's two-stage fallback (Rasa's action_two_stage_fallback): an unsure message is
answered with "Did you mean ...?", then a request to rephrase, then the fallback response,
while the active flow waits."""

from dialogkit.components.dm.flow_policy import FlowPolicy
from dialogkit.components.nlg.templates import TemplateNLG
from dialogkit.framework.domain.schema import RUNTIME_RESPONSES, Domain
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.pipeline import resolve_config


def make_agent(two_stage=True):
    domain = Domain.model_validate(
        {
            "intents": {"book": {"description": "Book a table"}, "hours": {}, "deny": {}},
            "entities": {"size": {}},
            "slots": {"size": {"type": "int", "mappings": [{"type": "from_entity", "entity": "size"}]}},
            "responses": {
                "utter_ask_size": ["How many?"],
                "utter_booked": ["Booked for {size}."],
                "utter_hours": ["9 to 5."],
            },
            "flows": {
                "book": {"when": {"intent": "book"}, "steps": [{"collect": "size"}, {"say": "utter_booked"}]},
                "hours": {"when": {"intent": "hours"}, "steps": [{"say": "utter_hours"}]},
            },
        }
    )
    policy = FlowPolicy(resolve_config("flow_policy", {"two_stage_fallback": two_stage}), domain)
    return Agent(domain, [policy, TemplateNLG(resolve_config("template_nlg", {}), domain)], {})


def unsure(guess="book", entities=()):
    return {"intent": {"name": "nlu_fallback", "confidence": 0.4},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}, {"name": guess, "confidence": 0.35}],
            "entities": [{"entity": e, "value": v} for e, v in entities]}


def sure(intent, entities=()):
    return {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [{"entity": e, "value": v} for e, v in entities],
    }


def test_did_you_mean_with_buttons_and_yes_goes_on_with_the_proposed_intent():
    agent = make_agent()
    turn = agent.handle_turn("book 4 plz???", "c", parse=unsure("book", [("size", 4)]))
    assert turn.actions == ["action_two_stage_fallback"]
    [msg] = turn.messages
    assert msg["text"] == "Did you mean 'Book a table'?"  # the intent's description
    assert msg["buttons"] == [
        {"title": "Yes", "payload": '/book{"size": 4}'},
        {"title": "No", "payload": "/out_of_scope"},
    ]
    yes = agent.handle_turn(msg["buttons"][0]["payload"], "c")  # the button, as a channel sends it
    assert yes.actions[0] == "action_two_stage_fallback" and [m["text"] for m in yes.messages] == ["Booked for 4."]


def test_no_asks_to_rephrase_and_a_second_no_gives_the_fallback_response():
    agent = make_agent()
    agent.handle_turn("???", "c", parse=unsure())
    no = agent.handle_turn("/out_of_scope", "c")
    assert no.actions == ["action_two_stage_fallback"] and [m["text"] for m in no.messages] == [
        RUNTIME_RESPONSES["utter_ask_rephrase"]
    ]
    again = agent.handle_turn("still ???", "c", parse=unsure("hours"))
    assert [m["text"] for m in again.messages] == ["Did you mean 'hours'?"]
    last = agent.handle_turn("no", "c", parse=sure("deny"))
    assert [m["text"] for m in last.messages] == [RUNTIME_RESPONSES["utter_default"]]
    # and the next clear message is handled as usual, with no trace of the rounds
    assert [m["text"] for m in agent.handle_turn("hours?", "c", parse=sure("hours")).messages] == ["9 to 5."]


def test_the_active_flow_waits_while_the_fallback_asks_and_resumes_after():
    agent = make_agent()
    assert [m["text"] for m in agent.handle_turn("book", "c", parse=sure("book")).messages] == ["How many?"]
    asked = agent.handle_turn("hmm", "c", parse=unsure("hours"))
    assert [m["text"] for m in asked.messages] == ["Did you mean 'hours'?"]  # the flow's question is not repeated yet
    rephrase = agent.handle_turn("/out_of_scope", "c")
    assert [m["text"] for m in rephrase.messages] == [RUNTIME_RESPONSES["utter_ask_rephrase"]]
    answer = agent.handle_turn("4", "c", parse=sure("book", [("size", 4)]))
    assert [m["text"] for m in answer.messages] == ["Booked for 4."]


def test_nothing_to_propose_asks_to_rephrase_at_once_and_off_by_default_it_is_the_fallback():
    agent = make_agent()
    turn = agent.handle_turn("/nlu_fallback", "c")  # no ranking: nothing to propose
    assert [m["text"] for m in turn.messages] == [RUNTIME_RESPONSES["utter_ask_rephrase"]]
    plain = make_agent(two_stage=False)
    assert [m["text"] for m in plain.handle_turn("???", "c", parse=unsure()).messages] == [
        RUNTIME_RESPONSES["utter_default"]
    ]
