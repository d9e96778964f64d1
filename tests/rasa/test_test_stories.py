"""Rasa test stories through `dialogkit test`: reports like `rasa test`, divergences marked."""

import json

import yaml

from dialogkit.framework.cli.main import main
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.rasa.test_stories import classification_report

from .conftest import PROJECTS

STAND_IN = [
    {"name": "rule_entity_extractor", "learn_from_examples": True},
    {"name": "keyword_intent_classifier"},
    {"name": "flow_policy"},
    {"name": "template_nlg"},
]

STORIES = """
stories:
- story: passes
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
- story: wrong action
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
  - user: |
      not good
    intent: mood_unhappy
  - action: utter_happy
- story: wrong intent and entity
  steps:
  - user: |
      I want a [large](shirt_size) shirt
    intent: greet
  - action: utter_greet
"""


def test_failed_stories_are_written_back_with_the_divergence_marked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `test DIR` trains the bot's model into models/<bot name> here
    bot = tmp_path / "bot"
    import_rasa_project(PROJECTS / "02-slots", bot)
    domain = yaml.safe_load((bot / "domain.yml").read_text())
    domain["pipeline"] = STAND_IN  # the light classifier: this test is about the runner, not the NLU
    (bot / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")
    (bot / "tests" / "test_stories.yml").write_text(STORIES, encoding="utf-8")
    out = tmp_path / "results"
    assert main(["test", str(bot), "--stories-out", str(out), "--e2e"]) == 1
    printed = capsys.readouterr().out
    assert (
        "PASS  story passes" in printed
        and "FAIL  story wrong action" in printed
        and "1/3 test stories passed" in printed
    )
    failed = (out / "failed_test_stories.yml").read_text()
    assert "- action: utter_happy  # predicted: utter_cheer_up" in failed
    assert "intent: greet  # predicted: give_shirt_size: I want a large shirt" in failed
    assert "# predicted entities: [('shirt_size', 'large')]" not in failed  # the annotation matched
    parsed = yaml.safe_load(failed)  # still valid YAML: the marks are comments
    assert [s["story"] for s in parsed["stories"]] == ["wrong action", "wrong intent and entity"]
    assert "passes" in (out / "successful_test_stories.yml").read_text()
    report = json.loads((out / "story_report.json").read_text())
    assert report["utter_happy"]["precision"] == 1.0 and report["utter_happy"]["recall"] == 0.5
    assert report["utter_cheer_up"]["support"] == 0 and report["action_listen"]["support"] > 0
    results = json.loads((out / "results.json").read_text())
    assert results["conversation_accuracy"] == 1 / 3 and len(results["failed"]) == 2
    assert "test_stories.yml" in results["failed"][0]["where"]


def test_classification_report_matches_sklearn_layout():
    r = classification_report([("a", "a"), ("a", "b"), ("b", "b"), ("c", "None")])
    assert r["a"] == {"precision": 1.0, "recall": 0.5, "f1-score": 2 / 3, "support": 2}
    assert r["b"]["precision"] == 0.5 and r["None"]["support"] == 0
    assert r["accuracy"] == 0.5 and r["macro avg"]["support"] == 4
    assert abs(r["weighted avg"]["recall"] - (0.5 * 2 + 1 * 1 + 0 * 1) / 4) < 1e-9


TIME_STORIES = """
stories:
- story: the time, from the action server
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
  - user: |
      what time is it
    intent: give_time
  - action: action_show_time
  - slot_was_set:
    - shown: true
"""


def test_replay_needs_no_action_server_and_e2e_fails_a_story_whose_action_could_not_run(tmp_path, capsys, monkeypatch):
    """Replay (the default) gives `rasa test`'s verdict: custom actions are not run, their outcome
    is what the story says. --e2e runs them, and an action server that cannot be reached fails the
    story (DK701 logged is not enough)."""
    monkeypatch.chdir(tmp_path)
    bot = tmp_path / "bot"
    import_rasa_project(PROJECTS / "01-actions", bot)
    domain = yaml.safe_load((bot / "domain.yml").read_text())
    domain["pipeline"] = STAND_IN
    domain["slots"]["shown"] = {"type": "bool"}  # set by the action: replay takes the story's word for it
    (bot / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")
    # nothing listens there
    (bot / "endpoints.yml").write_text("action_endpoint:\n  url: http://127.0.0.1:9/webhook\n", encoding="utf-8")
    (bot / "tests" / "test_stories.yml").write_text(TIME_STORIES, encoding="utf-8")
    for f in (bot / "tests").glob("*.yml"):
        if f.name != "test_stories.yml":
            f.unlink()
    assert main(["test", str(bot), "--stories-out", str(tmp_path / "replay")]) == 0
    assert "1/1 test stories passed (replayed as `rasa test` does" in capsys.readouterr().out
    assert main(["test", str(bot), "--stories-out", str(tmp_path / "e2e"), "--e2e"]) == 1
    printed = capsys.readouterr().out
    assert "FAIL  story the time, from the action server" in printed
    assert "action action_show_time failed" in printed and "0/1 test stories passed (end to end" in printed


NLU_TESTS = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello there
    - hi
- intent: give_shirt_size
  examples: |
    - my shirt size is [large](shirt_size)
- synonym: large
  examples: |
    - L
"""


def test_a_projects_nlu_test_file_is_evaluated_not_refused(tmp_path, capsys, monkeypatch):
    """Rasa's tests/test_nlu.yml (`version:` and `nlu:`) runs as NLU tests next to the stories."""
    monkeypatch.chdir(tmp_path)
    bot = tmp_path / "bot"
    import_rasa_project(PROJECTS / "02-slots", bot)
    domain = yaml.safe_load((bot / "domain.yml").read_text())
    domain["pipeline"] = STAND_IN
    (bot / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")
    (bot / "tests" / "test_nlu.yml").write_text(NLU_TESTS, encoding="utf-8")
    out = tmp_path / "results"
    assert main(["test", str(bot), "--stories-out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "NLU test files: test_nlu.yml" in printed and "intent accuracy" in printed
    report = json.loads((out / "nlu" / "results.json").read_text())
    assert report["examples"] == 3
