"""The example Rasa projects end to end, with the real encoder: imported, trained, their own
test stories passed through `dialogkit test`, their custom actions served by rasa-sdk, and a
round trip in the shell as a new user would try it."""

import io
import json

import pytest

from dialogkit.framework.cli.main import main
from dialogkit.framework.cli.shell import run_shell
from dialogkit.framework.runtime.agent import Agent

from .conftest import EXAMPLES, PROJECTS

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_passes_all_its_test_stories(rasa_models, action_server, tmp_path, capsys, name):
    model = rasa_models(name)
    code = main(
        [
            "test",
            str(PROJECTS / name),
            "--model",
            str(model),
            "--endpoints",
            str(action_server),
            "--stories-out",
            str(tmp_path / "results"),
            "--e2e",
        ]
    )
    out = capsys.readouterr().out
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert code == 0, out
    assert results["conversation_accuracy"] == 1.0 and results["stories"] >= 7
    report = json.loads((tmp_path / "results" / "story_report.json").read_text())
    assert report["accuracy"] == 1.0 and report["utter_greet"]["support"] > 0
    assert (tmp_path / "results" / "failed_test_stories.yml").read_text().strip().endswith("stories: []")
    assert str(PROJECTS / name / "tests" / "test_stories.yml") in out


CUSTOM = {
    # what each example's own stories do with its custom actions and forms, said the way a user would
    "01-actions": [("hello", ["Hey! How are you?"]), ("what time is it", [r"\d{4}-\d\d-\d\d \d\d:\d\d.*"])],
    "02-slots": [
        ("hi", ["Hey! How are you?"]),
        ("what's my shirt size?", ["I don't know your shirt size."]),
        ("ask me anything", ["What is your shirt size?"]),
        ("i want a large shirt", ["Thanks. I'll remember that."]),
        ("what's my shirt size?", ["Your shirt size is large!"]),
    ],
    "03-conditions": [
        ("ask me anything", ["What is your shirt size?"]),
        ("medium", ["Thanks. I'll remember that."]),
        ("hi", ["Hey! How are you?"]),
        ("i'm sad", ["Here is something to cheer you up:", "Did that help you?"]),
        ("yes", ["Great, carry on!"]),
        ("what's my shirt size?", ["Your shirt size is medium!"]),
    ],
    "04-from-text": [
        ("can i give you my name?", ["What is your first name?"]),
        ("Vincent", ["So Vincent, what is your last name?"]),
        ("McVincent", ["Ok. Thanks!", "I will remember that your name is Vincent McVincent!"]),
    ],
    "05-validation": [
        ("i want to give you my name", ["What is your first name?"]),
        ("Vincent99", ["What is your last name?"]),
        ("!!", ["That must've been a typo.", "What is your last name?"]),
        ("Mc-Vincent", ["Ok. Thanks!", "I will remember that your name is Vincent McVincent!"]),
    ],
}


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_custom_actions_and_forms_in_conversation_and_shell(rasa_models, action_server, tmp_path, name):
    import re

    agent = Agent.load(rasa_models(name))
    agent.use_endpoints(action_server)
    for text, expected in CUSTOM[name]:
        got = [m.get("text") for m in agent.handle(text, f"user-{name}")]
        assert len(got) == len(expected) and all(re.fullmatch(e, g) or e == g for e, g in zip(expected, got)), (
            text,
            got,
        )
    # the same conversation typed into the shell
    script = tmp_path / "chat.txt"
    script.write_text("".join(f"{text}\n" for text, _ in CUSTOM[name]), encoding="utf-8")
    buf = io.StringIO()
    assert run_shell(str(rasa_models(name)), script=str(script), stdout=buf, endpoints=str(action_server)) == 0
    for _, expected in CUSTOM[name]:
        for e in expected:
            assert re.search(e if e.startswith("\\d") else re.escape(e), buf.getvalue()), (e, buf.getvalue())


def test_train_a_rasa_project_directly_and_talk_in_the_shell(rasa_models, tmp_path):
    """`dialogkit train <rasa project>` imports on the fly; the shell talks to the result."""
    out = rasa_models("moodbot")  # trained by `dialogkit train tests/rasa/projects/moodbot --out DIR/moodbot`
    printed, said_on_stderr = rasa_models.printed("moodbot")
    assert "is a Rasa project: imported it" in said_on_stderr and "import report:" in printed
    assert out.with_name("moodbot.rasa_import.md").is_file()
    assert f"trained {out} in" in printed
    script = tmp_path / "chat.txt"
    script.write_text("hello\nI am sad\nno\nare you a bot?\n", encoding="utf-8")
    buf = io.StringIO()
    assert run_shell(str(out), script=str(script), stdout=buf) == 0
    said = buf.getvalue()
    for line in [
        "Hey! How are you?",
        "Here is something to cheer you up:",
        "https://i.imgur.com/nGF1K8f.jpg",
        "Did that help you?",
        "Bye",
        "I am a bot, powered by Rasa.",
    ]:
        assert line in said, said


FORM_STORIES = """
stories:
- story: names, with a typo the validation action cleans
  steps:
  - user: |
      i want to give you my name
    intent: request_names
  - action: name_form
  - active_loop: name_form
  - slot_was_set:
    - requested_slot: first_name
  - user: |
      Vincent99
  - action: name_form
  - slot_was_set:
    - first_name: Vincent
  - slot_was_set:
    - requested_slot: last_name
  - user: |
      McVincent
  - action: name_form
  - slot_was_set:
    - last_name: McVincent
  - slot_was_set:
    - requested_slot: null
  - active_loop: null
  - action: utter_submit
  - action: utter_slots_values
- story: greeted, then the form
  steps:
  - user: |
      hi
    intent: greet
  - action: utter_greet
  - user: |
      can i give you my name?
    intent: request_names
  - action: name_form
  - active_loop: name_form
  - user: |
      Ann
  - action: name_form
  - slot_was_set:
    - first_name: Ann
  - user: |
      Lee
  - action: name_form
  - active_loop: null
  - action: utter_submit
  - action: utter_slots_values
"""


def test_form_test_stories_with_the_validation_action(rasa_models, action_server, tmp_path, capsys):
    """Rasa test stories that run a form: form turns, slot_was_set, active_loop. (A question in
    the middle of this form fills the name, as in Rasa: from_text takes any text.)"""
    import shutil

    project = tmp_path / "05-validation"
    shutil.copytree(PROJECTS / "05-validation", project)
    (project / "tests" / "form_stories.yml").write_text(FORM_STORIES, encoding="utf-8")
    code = main(
        [
            "test",
            str(project),
            "--model",
            str(rasa_models("05-validation")),
            "--endpoints",
            str(action_server),
            "--stories-out",
            str(tmp_path / "out"),
            "--e2e",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "9/9 test stories passed" in out
    report = json.loads((tmp_path / "out" / "story_report.json").read_text())
    assert report["name_form"]["support"] == 6 and report["name_form"]["recall"] == 1.0


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_passes_all_its_test_stories_replayed_without_an_action_server(rasa_models, tmp_path, capsys, name):
    """`dialogkit test` on Rasa test stories gives `rasa test`'s verdict by default: the stories'
    intents, entities and action outcomes are replayed, so no action server is needed."""
    code = main(
        ["test", str(PROJECTS / name), "--model", str(rasa_models(name)), "--stories-out", str(tmp_path / "results")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "replayed as `rasa test` does" in out
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["conversation_accuracy"] == 1.0 and results["stories"] >= 7


def test_form_test_stories_replayed(rasa_models, tmp_path, capsys):
    import shutil

    project = tmp_path / "05-validation"
    shutil.copytree(PROJECTS / "05-validation", project)
    (project / "tests" / "form_stories.yml").write_text(FORM_STORIES, encoding="utf-8")
    code = main(
        ["test", str(project), "--model", str(rasa_models("05-validation")), "--stories-out", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "9/9 test stories passed" in out


def test_a_rasa_projects_test_stories_count_toward_coverage(rasa_models, tmp_path):
    """A project nobody wrote flows for: its test stories, replayed, are the conversations measured."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "dialogkit", "test", str(PROJECTS / "moodbot"), "--model", str(rasa_models("moodbot")),
         "--coverage", "--coverage-out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stories = sum(1 for line in done.stdout.splitlines() if line.startswith("PASS  story "))
    assert stories == 7
    assert f"Flow coverage from {stories} conversation test(s)" in done.stdout
    data = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    assert data["conversations"] == 7
    assert data["flows"]["on_greet"]["repairs"]["started"] == 5
    # the imported flows' lines are in a temporary import: the untested branches are named by flow
    assert "  on_affirm: start" in done.stdout.splitlines()
