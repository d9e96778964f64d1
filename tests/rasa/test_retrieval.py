"""Retrieval intents and ResponseSelector (issue 18, item 4), on a project written for this
test (tests/rasa/projects/faq): `faq/ask_hours`-style sub-intents with `utter_faq/...`
responses, rules on `faq` saying `utter_faq`. Each sub-intent becomes an intent of its own and
says its own response; the project passes its test stories replayed and end to end."""

from dialogkit.framework.build.validation import check
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.rasa.retrieval import action_matches, expand_steps, intent_matches
from dialogkit.framework.runtime.agent import Agent

from .conftest import PROJECTS, passes_both_ways

FAQ = PROJECTS / "faq"


def test_retrieval_intents_import_as_intents_that_say_their_own_response(tmp_path):
    report = import_rasa_project(FAQ, tmp_path / "bot")
    assert report.dropped == []
    loaded = load_domain(tmp_path / "bot")
    assert [i.render() for i in check(loaded) if i.severity == "error"] == []
    d = loaded.domain
    assert set(d.intents) == {
        "greet",
        "faq.ask_hours",
        "faq.ask_location",
        "faq.ask_returns",
        "chitchat.ask_name",
        "chitchat.ask_weather",
    }
    assert d.responses["utter_faq.ask_hours"].variations[0].text == "We are open 9 to 5, Monday to Saturday."
    said = {f.when.intents()[0]: [s.say for s in f.steps] for f in d.flows.values() if f.when}
    assert said["faq.ask_returns"] == ["utter_faq.ask_returns"] and said["chitchat.ask_name"] == [
        "utter_chitchat.ask_name"
    ]
    md = (tmp_path / "bot" / "rasa_import.md").read_text()
    assert (
        "retrieval intent `faq` (ResponseSelector) → 3 intents `faq.ask_hours`…" in md
        and "(3 of 3 have a response)" in md
    )


def test_a_sub_intent_without_a_response_is_reported(tmp_path):
    import shutil

    project = tmp_path / "project"
    shutil.copytree(FAQ, project)
    domain = project / "domain.yml"
    domain.write_text(
        domain.read_text().replace(
            '  utter_faq/ask_returns:\n    - text: "You can return anything within 30 days."\n', ""
        )
    )
    report = import_rasa_project(project, tmp_path / "bot")
    assert [n.what for n in report.dropped] == [
        "retrieval intent `faq/ask_returns` has no response `utter_faq/ask_returns`"
    ]


def test_story_steps_expand_per_sub_intent():
    subs = {"faq": ["faq.a", "faq.b"]}
    steps = [
        {"intent": "greet"},
        {"action": "utter_greet"},
        {"intent": "faq"},
        {"action": "utter_faq"},
        {"intent": "faq/b"},
        {"action": "utter_faq"},
    ]
    paths = expand_steps(steps, subs, ["utter_greet", "utter_faq.a", "utter_faq.b"])
    assert [[s.get("intent") or s.get("action") for s in p] for p in paths] == [
        ["greet", "utter_greet", "faq.a", "utter_faq.a", "faq.b", "utter_faq.b"],
        ["greet", "utter_greet", "faq.b", "utter_faq.b", "faq.b", "utter_faq.b"]]
    ors = expand_steps(
        [{"or": [{"intent": "faq"}, {"intent": "greet"}]}, {"action": "utter_faq"}],
        subs,
        ["utter_faq.a", "utter_faq.b"],
    )
    assert [[s.get("intent") or s.get("action") for s in p] for p in ors] == [
        ["faq.a", "utter_faq.a"],
        ["faq.b", "utter_faq.b"],
        ["greet", "utter_faq"],
    ]
    # how test stories are compared
    intents = ["greet", "faq.a", "faq.b"]
    assert (
        intent_matches("faq", "faq.b", intents)
        and intent_matches("faq/a", "faq.a", intents)
        and not intent_matches("faq/a", "faq.b", intents)
    )
    assert action_matches("utter_faq", "utter_faq.a", ["utter_faq.a"]) and not action_matches(
        "utter_greet", "utter_greeting", ["utter_greet"]
    )


def test_the_faq_project_passes_its_test_stories_replayed_and_end_to_end(rasa_models, tmp_path, capsys):
    model = rasa_models("faq")
    passes_both_ways(FAQ, model, tmp_path, capsys, stories=2)
    agent = Agent.load(model)
    assert [m["text"] for m in agent.handle("how do returns work", "u")] == ["You can return anything within 30 days."]
