"""Where Rasa is lenient, the import is too (issue 18, item 1), on a project written for this
test (tests/rasa/projects/lenient): a form's name among a mapping's intents, a `text` slot an
action sets to a boolean (and a rule conditioned on it), global synonyms next to a categorical
slot, and an `utter_ask_` response nothing asks. It imports with notes, no errors, trains, and
passes its test stories replayed and end to end."""

from dialogkit.framework.build.validation import check
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.runtime.agent import Agent

from .conftest import PROJECTS, passes_both_ways

LENIENT = PROJECTS / "lenient"


def test_what_rasa_accepts_imports_with_notes_and_no_errors(tmp_path):
    report = import_rasa_project(LENIENT, tmp_path / "bot")
    loaded = load_domain(tmp_path / "bot")
    issues = check(loaded)
    assert [i.render() for i in issues if i.severity == "error"] == []
    d = loaded.domain
    # the form's name is left out of the mapping's intents; the mapping still fills the slot
    size, count = d.slots["size"].mappings[0], d.slots["count"].mappings[0]
    assert size.intent == ["inform", "order_shirt"] and getattr(count, "not_intent", None) in (None, [])
    # an unannotated global synonym goes to every entity but the one whose categorical slot cannot hold it
    assert "1" in d.entities["count"].synonyms and "1" not in d.entities["size"].synonyms
    assert d.entities["size"].synonyms == {"large": ["big"]} and d.entities["count"].synonyms["2"] == ["two", "second"]
    assert report.dropped == []
    md = (tmp_path / "bot" / "rasa_import.md").read_text()
    assert "`shirt_form` (a form) in a mapping's `intent` is not an intent (Rasa ignores it): left out (" in md
    assert "`shirt_form` (a form) in a mapping's `not_intent`" in md
    assert "not to size: a categorical slot filled from it has no value `1`" in md
    assert str(LENIENT / "domain.yml") in md
    # an ask nothing uses is a warning, as `rasa data validate` says of unused responses
    assert [i.code for i in issues if "utter_ask_colour" in i.text] == ["DK302"]


def test_a_form_name_alone_in_a_mapping_drops_that_mapping_with_a_note(tmp_path):
    project = tmp_path / "project"
    for f in LENIENT.rglob("*"):
        if f.is_file():
            (project / f.relative_to(LENIENT)).parent.mkdir(parents=True, exist_ok=True)
            (project / f.relative_to(LENIENT)).write_text(f.read_text())
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace("intent: [inform, order_shirt, shirt_form]", "intent: shirt_form"))
    report = import_rasa_project(project, tmp_path / "bot")
    assert [n.what for n in report.dropped if "slot `size`" in n.what] == [
        "slot `size`: a from_entity mapping whose `intent` names only `shirt_form` (a form), no intent of the "
        "domain: it never fills the slot in Rasa either"
    ]
    assert load_domain(tmp_path / "bot").domain.slots["size"].mappings == []


def test_the_lenient_project_passes_its_test_stories_replayed_and_end_to_end(
    rasa_models, action_server, tmp_path, capsys
):
    model = rasa_models("lenient")
    passes_both_ways(LENIENT, model, tmp_path, capsys, endpoints=action_server, stories=2)
    # the text slot holds the boolean the action set, and the rule conditioned on it wins
    agent = Agent.load(model)
    agent.use_endpoints(action_server)
    assert [m["text"] for m in agent.handle("subscribe me", "u")] == ["You are subscribed."]
    assert agent.tracker("u").slots["subscribed"] is True
    assert [m["text"] for m in agent.handle("sign me up for the newsletter", "u")] == ["You are already subscribed."]


def test_a_failed_action_in_a_bot_without_utter_error_says_the_built_in_text(rasa_models, tmp_path):
    """The project defines no `utter_error`: when its action server cannot be reached, the bot
    says dialogkit's default text for it, never the response's name."""
    import socket

    from dialogkit.framework.domain.schema import RUNTIME_RESPONSES

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{port}/webhook\n  timeout: 1\n")
    agent = Agent.load(rasa_models("lenient"))
    agent.use_endpoints(endpoints)
    assert "utter_error" not in agent.domain.responses
    replies = agent.handle("subscribe me", "u")
    assert [m["text"] for m in replies] == [RUNTIME_RESPONSES["utter_error"]]
