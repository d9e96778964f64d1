"""`dialogkit init`: a small working bot in a new folder, trained and answering in the shell."""

from __future__ import annotations

import io
import sys

import pytest

from dialogkit.framework.build.validation import check
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.loader import load_domain

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)

FILES = ["README.md", "actions.py", "data/nlu.yml", "domain.yml", "tests/conversations.yml"]


def test_init_writes_a_valid_bot_and_never_overwrites(tmp_path, capsys):
    bot = tmp_path / "mybot"
    assert main(["init", str(bot), "--no-train"]) == 0
    out = capsys.readouterr().out
    assert f"wrote a starter bot to {bot}/" in out and "next: dialogkit train" in out
    assert sorted(str(f.relative_to(bot)) for f in bot.rglob("*") if f.is_file()) == FILES
    loaded = load_domain(bot)
    assert [w for w in check(loaded) if w.severity == "warning"] == []
    domain = loaded.domain
    asked = [f for f in domain.flows.values() if any(getattr(s, "ask", None) for s in f.steps)]
    assert len(asked) == 2  # two flows with questions and a confirmation
    assert domain.actions  # and a custom action
    (bot / "domain.yml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(bot), "--no-train"]) == 2
    err = capsys.readouterr().err
    assert "DK114" in err and "is not empty" in err
    assert (bot / "domain.yml").read_text(encoding="utf-8") == "# mine\n"  # nothing overwritten
    (tmp_path / "empty").mkdir()
    assert main(["init", str(tmp_path / "empty"), "--no-train"]) == 0  # an empty folder is fine


def test_init_trains_opens_the_shell_and_its_tests_pass(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("hi\nI'd like a large latte\n"))
    assert main(["init", "mybot"]) == 0
    out = capsys.readouterr().out
    assert "trained models/mybot in" in out
    replies = [line for line in out.splitlines() if line.startswith("bot>")]
    assert len(replies) == 2 and "didn't get that" not in replies[0]  # greeted
    assert "large" in replies[1] and "latte" in replies[1]  # the order confirmed back: both values were understood
    assert main(["test", "mybot", "--model", "models/mybot"]) == 0
    assert "3/3 conversations passed" in capsys.readouterr().out
