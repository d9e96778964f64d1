"""Forms started, interrupted and ended the ways Rasa projects do it (issue 18, item 4), on a
project written for this test (tests/rasa/projects/form_triggers): a from_trigger_intent slot
is filled by the message that starts the form; a story that interrupts the form (stop → ask →
affirm → action_deactivate_loop) becomes a path of the interrupting intent's flow and ends the
form from there, without appending its ending to every booking; the form's trigger said again
mid-form does not start a second copy; without TEDPolicy no catch-all flow is made for an
intent seen only inside stories; a story that starts with a bot action goes on from where a
flow says that action; a form an action starts (FollowupAction or ActiveLoop) runs once."""

from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.runtime.agent import Agent

from .conftest import PROJECTS, passes_both_ways

FORMS = PROJECTS / "form_triggers"


def steps(flow):
    return [s.model_dump(exclude_defaults=True, by_alias=True) for s in flow.steps]


def test_interruptions_and_trigger_mappings_import_as_rasa_runs_them(tmp_path):
    report = import_rasa_project(FORMS, tmp_path / "bot")
    assert report.dropped == []
    d = load_domain(tmp_path / "bot").domain
    assert [m.model_dump(exclude_defaults=True) for m in d.slots["vip"].mappings] == [
        {"type": "from_intent", "intent": "book_vip", "value": True}
    ]
    # the story's ending is not appended after every booking
    assert steps(d.flows["on_book"]) == [{"call": "booking_form"}]
    assert steps(d.flows["on_stop"]) == [
        {"say": "utter_ask_continue"},
        {"expect": {"affirm": [{"action": "action_deactivate_loop"}, {"say": "utter_stopped"}]}},
    ]
    assert "on_affirm" not in d.flows  # no TEDPolicy: no flow for `affirm` out of context
    # a story that starts with the bot's greeting goes on from where the greeting is said
    assert steps(d.flows["on_greet"]) == [{"say": "utter_greet"}, {"expect": {"affirm": [{"call": "booking_form"}]}}]
    md = (tmp_path / "bot" / "rasa_import.md").read_text()
    assert "`stop` interrupts form `booking_form` → a path of the `stop` flow" in md and "no TEDPolicy" in md
    assert (
        "story `a booking offered after the greeting`: starts with bot action `utter_greet` → goes on from the 1 "
        "place(s) where a flow says it" in md
    )


def test_the_form_triggers_project_passes_replayed_and_end_to_end(rasa_models, action_server, tmp_path, capsys):
    model = rasa_models("form_triggers")
    passes_both_ways(FORMS, model, tmp_path, capsys, endpoints=action_server, stories=5)
    agent = Agent.load(model)
    # the trigger intent again mid-form: the form goes on, one copy of it
    for _ in range(2):
        assert [m["text"] for m in agent.handle("book a table", "u")] == ["Is this a VIP booking?"]
    assert [f.flow for f in agent.tracker("u").stack] == ["on_book", "booking_form"]
    # stop → yes ends the form from the interrupting flow; nothing resumes it
    assert [m["text"] for m in agent.handle("stop", "u")] == ["Do you want to stop booking?"]
    assert [m["text"] for m in agent.handle("yes", "u")] == ["Okay, no booking then."]
    assert agent.tracker("u").stack == []
    # the VIP trigger fills its slot as it starts the form
    assert [m["text"] for m in agent.handle("I want the VIP room", "v")] == ["For how many guests?"]
    assert agent.tracker("v").slots["vip"] is True


def test_a_form_an_action_starts_runs_once_and_returns_to_the_flow_that_ran_it(rasa_models, action_server):
    """The action server starts the form (FollowupAction, or an ActiveLoop event) and the rule
    then lists the form, as Rasa stories do: the form runs once, says its ending once, and
    neither the action nor the form runs again after it."""
    agent = Agent.load(rasa_models("form_triggers"))
    agent.use_endpoints(action_server)
    for cid, text in (("followup", "set up a booking for me"), ("active_loop", "could you set up a booking")):
        first = agent.handle_turn(text, cid)
        assert [m["text"] for m in first.messages] == ["Let me set that up.", "Is this a VIP booking?"], cid
        assert first.actions == ["action_choose_booking", "booking_form"]
        assert [f.flow for f in agent.tracker(cid).stack] == ["on_book_helped", "booking_form"]
        agent.handle("/book_vip", cid)
        assert [m["text"] for m in agent.handle('/inform{"guests": 4}', cid)] == ["Booked for 4 (VIP: yes)."]
        assert agent.tracker(cid).stack == []
