"""The public surface: what `from dialogkit import ...` offers."""

import subprocess
import sys

import dialogkit
import dialogkit.framework
from dialogkit.framework import errors


def test_dialogkit_all():
    assert sorted(dialogkit.__all__) == [
        "ActionRejected",
        "Agent",
        "DialogkitError",
        "__version__",
        "load_domain",
        "train",
        "validate",
    ]
    for name in dialogkit.__all__:
        assert getattr(dialogkit, name) is not None
    assert dialogkit.Agent is dialogkit.framework.Agent
    assert dialogkit.ActionRejected.__module__ == "dialogkit.framework.runtime.action_code"


def test_framework_all():
    assert sorted(dialogkit.framework.__all__) == [
        "Agent",
        "DialogkitError",
        "__version__",
        "load_domain",
        "train",
        "validate",
    ]
    for name in dialogkit.framework.__all__:
        assert getattr(dialogkit.framework, name) is not None


def test_import_dialogkit_is_light_and_python_m_runs_the_cli():
    code = "import sys, dialogkit; print(sorted(m for m in ('torch', 'transformers', 'spacy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    done = subprocess.run([sys.executable, "-m", "dialogkit", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("dialogkit "), done.stderr


def test_one_except_clause_catches_every_failure_of_the_public_api(tmp_path, write_bot):
    # what an app embedding dialogkit writes: `except dialogkit.DialogkitError`, then shows the message
    import dialogkit

    bad_domain = write_bot({"domain.yml": "version: '1'\nintents: [greet]\nflowz: {}\n"})
    failures = {
        "a folder with no domain": lambda: dialogkit.load_domain(tmp_path / "nothing-here"),
        "an unknown key": lambda: dialogkit.validate(bad_domain),
        "a folder that is no model": lambda: dialogkit.Agent.load(tmp_path),
    }
    for what, call in failures.items():
        try:
            call()
        except dialogkit.DialogkitError as e:
            text = str(e)
            assert "DK" in text and str(tmp_path) in text, (what, text)  # a catalogue code and the place
        else:
            raise AssertionError(f"{what}: no error")


def test_every_catalogue_message_renders():
    import string

    for code, (text, fix) in errors.MESSAGES.items():
        fields = {f for part in (text, fix) for _, f, _, _ in string.Formatter().parse(part) if f}
        issue = errors.message(code, **{f: "x" for f in fields})
        assert issue.code == code and issue.text and issue.fix
