"""Two-stage fallback from a Rasa project (issue 18, item 4), on a project written for this
test (tests/rasa/projects/fallback): the rule running action_two_stage_fallback switches on
flow_policy's two-stage fallback. The project passes its test stories replayed and end to end,
and an unsure message gets "Did you mean ...?" from the trained bot."""

from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.runtime.agent import Agent

from .conftest import PROJECTS, passes_both_ways

FALLBACK = PROJECTS / "fallback"


def test_the_two_stage_rule_switches_on_the_policys_two_stage_fallback(tmp_path):
    report = import_rasa_project(FALLBACK, tmp_path / "bot")
    assert report.dropped == []
    d = load_domain(tmp_path / "bot").domain
    assert next(c for c in d.pipeline if c.name == "flow_policy").model_dump().get("two_stage_fallback") is True
    assert "nlu_fallback" not in {i for f in d.flows.values() if f.when for i in f.when.intents()}
    assert (
        "action_two_stage_fallback → flow_policy `two_stage_fallback: true`"
        in (tmp_path / "bot" / "rasa_import.md").read_text()
    )


def test_the_fallback_project_passes_its_test_stories_and_asks_did_you_mean(rasa_models, tmp_path, capsys):
    model = rasa_models("fallback")
    passes_both_ways(FALLBACK, model, tmp_path, capsys, stories=2)
    agent = Agent.load(model)
    [asked] = agent.handle("banana purple sky", "u")
    assert asked["text"].startswith("Did you mean '") and [b["title"] for b in asked["buttons"]] == ["Yes", "No"]
    guess = asked["buttons"][0]["payload"].lstrip("/")
    expected = {"greet": "Hello! Ask me when or where we are open.", "ask_hours": "We are open 9 to 5.",
                "ask_location": "We are at 12 Market Street.", "deny": "Sorry, I can't help with that."}[guess]
    assert [m["text"] for m in agent.handle(asked["buttons"][0]["payload"], "u")] == [expected]
    agent.handle("banana purple sky", "v")
    # the project's own text
    assert [m["text"] for m in agent.handle("/out_of_scope", "v")] == ["Sorry, could you say that differently?"]
