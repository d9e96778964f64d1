"""`dialogkit test --coverage`: which steps, branches and asks of each flow the conversation tests
ran, as a summary with the untested branches at file:line, coverage.json and a coloured flow page;
`--coverage-min` fails the run under a threshold."""

import json
import shutil
import subprocess
import sys

import pytest

from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.evaluation.flow_coverage import measure
from dialogkit.framework.runtime.events import FlowAdvanced, FlowCompleted, FlowStarted
from tests.framework.test_conversation_assertions import write_assertions_bot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    return write_assertions_bot(tmp_path_factory.mktemp("coverage") / "bot")


@pytest.fixture(scope="module")
def covered(bot, tmp_path_factory):
    """`dialogkit test BOT --coverage` run once: (its output, the coverage folder)."""
    out = tmp_path_factory.mktemp("coverage-out")
    done = subprocess.run(
        [sys.executable, "-m", "dialogkit", "test", str(bot), "--coverage", "--coverage-out", str(out)],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, out


def _line_of(bot, text):
    lines = (bot / "domain.yml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_the_summary_gives_each_flow_and_the_untested_branch_at_its_line(bot, covered):
    stdout, _ = covered
    assert "3/3 conversations passed" in stdout
    # greet: start, then, else (vip true in one test, unset in another); book: start, the action's
    # success and on_error paths, `if available` then; never its else
    assert "Flow coverage from 3 conversation test(s): branches 7/8 88%, steps 9/10 90%, asks 1/1 100%" in stdout
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in stdout.splitlines() if line.startswith("  ")}
    assert rows["greet"] == "3/3 100% 3/3 100% - started 2, completed 2"
    assert rows["book"] == "4/5 80% 6/7 86% 1/1 100% started 3, completed 2, cancelled 1, interrupted 1, resumed 1"
    assert "Untested branches (1):" in stdout
    line = _line_of(bot, "- say: utter_full")
    assert f"{bot / 'domain.yml'}:{line}:13: book: if available: else" in stdout


def test_the_json_file_lists_flows_branches_and_repairs(bot, covered):
    _, out = covered
    data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    assert data["conversations"] == 3
    assert data["branch_coverage"] == 87.5
    assert data["totals"]["branches"] == {"covered": 7, "total": 8, "percent": 87.5}
    book = data["flows"]["book"]
    assert book["repairs"] == {"started": 3, "completed": 2, "cancelled": 1, "interrupted": 1, "resumed": 1}
    assert [b["label"] for b in book["untested_branches"]] == ["if available: else"]
    assert book["untested_branches"][0]["kind"] == "else"
    assert book["untested_branches"][0]["at"].endswith(f"domain.yml:{_line_of(bot, '- say: utter_full')}:13")
    assert [s["label"] for s in book["untested_steps"]] == ["say utter_full"]
    assert book["unasked"] == []


def test_coverage_min_fails_the_run_under_the_threshold(bot, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dialogkit", "test", str(bot), "--coverage-min", "90", "--coverage-out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3/3 conversations passed" in done.stdout  # the conversations pass; the coverage does not
    assert "FAIL  branch coverage 87.5% is under --coverage-min 90%" in done.stdout
    passing = subprocess.run(
        [sys.executable, "-m", "dialogkit", "test", str(bot), "--coverage-min", "85", "--coverage-out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_branches_of_every_kind_are_named_as_the_reader_wrote_them(write_bot):
    bot = write_bot(
        {
            "domain.yml": """
            version: "1"
            intents:
              start: {examples: "- go"}
              yes: {examples: "- yes"}
              no: {examples: "- no"}
            responses:
              utter_ok: ["ok"]
              utter_again: ["again"]
            flows:
              loop:
                when: {intent: start}
                steps:
                  - id: top
                    say: utter_ok
                  - expect:
                      yes:
                        - goto: top
                      no:
                        - say: utter_again
            """
        }
    )
    loaded = load_domain(bot)
    report = measure(loaded.domain, [], loaded.where)
    labels = [b.label for _, b in report.uncovered()]
    assert labels == [
        "start",
        "expect yes | no: on yes",
        "expect yes | no: on no",
        "expect yes | no: any other intent (the flow ends)",
        "goto top -> say utter_ok",
    ]
    # one conversation: started, said ok, the user said yes, back to the top, then no
    nodes = {b.label: b for _, b in report.uncovered()}
    events = [
        FlowStarted(flow="loop"),
        FlowAdvanced(flow="loop", node=nodes["start"].target),
        FlowAdvanced(flow="loop", node=nodes["expect yes | no: on yes"].source),
        FlowAdvanced(flow="loop", node=nodes["expect yes | no: on yes"].target),
        FlowAdvanced(flow="loop", node=nodes["goto top -> say utter_ok"].target),
        FlowAdvanced(flow="loop", node=nodes["expect yes | no: on yes"].source),
        FlowAdvanced(flow="loop", node=nodes["expect yes | no: on no"].target),
        FlowCompleted(flow="loop"),
    ]
    ran = measure(loaded.domain, [events], loaded.where)
    assert [b.label for _, b in ran.uncovered()] == ["expect yes | no: any other intent (the flow ends)"]
    assert ran.branch_percent() == 80.0


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (make browser installs Debian's chromium)")
def test_the_coverage_page_marks_the_untested_branch_in_chromium(covered, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    _, out = covered
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto((out / "coverage.html").as_uri())
        assert page.locator("h1").inner_text() == "bot: flow coverage, 88% of branches"
        data = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
        branch = data["flows"]["book"]["untested_branches"][0]
        # the else branch, and the way on from the step in it, never ran
        assert page.locator("path.edge[data-covered=false]").count() == 2
        untested = page.locator(f'path.edge[data-edge="{branch["from"]}->{branch["to"]}"]')
        assert untested.get_attribute("data-covered") == "false"
        assert untested.evaluate("e => getComputedStyle(e).stroke") == "rgb(198, 40, 40)"  # red
        ran = page.locator("path.edge[data-covered=true]")
        assert ran.count() >= 7
        assert ran.first.evaluate("e => getComputedStyle(e).stroke") == "rgb(46, 125, 50)"  # green
        never = page.locator("g.node[data-covered=false]")
        assert never.count() == 1 and "utter_full" in never.first.text_content()
        assert "if available: else" in page.locator("table.untested").inner_text()
        page.screenshot(path=str(tmp_path / "coverage.png"), full_page=True)
        browser.close()
