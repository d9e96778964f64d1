"""Rasa-compatibility benchmark: each example Rasa project imported, trained and tested.

    python bench/bench_rasa.py [--root ../shared/rasa-examples]

For every project under ``--root`` (moodbot and form-examples/*): the time of
``import_rasa_project``, the time to train the imported bot (the pipeline the importer
chooses: rule entities + bert_nlu with the packaged encoder + flow_policy + templates),
and the share of the project's own ``tests/test_stories.yml`` that pass, with action
accuracy, as ``dialogkit test`` reports them: replayed as ``rasa test`` does (the default:
the stories' intents and action outcomes given) and end to end (``--e2e``: the NLU on the
texts, custom actions run on a rasa-sdk action server (``make rasa-sdk-env``) serving
tests/rasa/action_server/actions.py).
Target (issue 7): every project imports with nothing unexplained and passes 100%.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402


def start_action_server() -> tuple[subprocess.Popen, str]:
    python = Path(os.environ.get("DIALOGKIT_RASA_SDK_PYTHON", ROOT / ".venv-rasa-sdk" / "bin" / "python"))
    if not python.exists():
        sys.exit(f"no rasa-sdk environment at {python}: run `make rasa-sdk-env`")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    here = ROOT / "tests" / "rasa" / "action_server"
    proc = subprocess.Popen(
        [str(python), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=here,
        env=dict(os.environ, SANIC_HOST="127.0.0.1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # its own process group: stop_server ends its workers too
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}/webhook"
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("the rasa-sdk action server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    """End a server started in its own process group, with every process it started."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--root",
        default=str(ROOT.parent / "shared" / "rasa-examples"),
        help="folder of Rasa projects (default: ../shared/rasa-examples)",
    )
    args = p.parse_args()

    from dialogkit.framework.build.training import train
    from dialogkit.framework.rasa.importer import import_rasa_project, is_rasa_project
    from dialogkit.framework.rasa.test_stories import load_test_stories, run_test_stories, summary
    from dialogkit.framework.runtime.agent import Agent

    root = Path(args.root)
    projects = sorted({d for d in root.rglob("*") if d.is_dir() and is_rasa_project(d)})
    if not projects:
        sys.exit(f"no Rasa projects under {root}")
    proc, url = start_action_server()
    results: dict = {}
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            endpoints = Path(tmp) / "endpoints.yml"
            endpoints.write_text(f"action_endpoint:\n  url: {url}\n", encoding="utf-8")
            for project in projects:
                name = str(project.relative_to(root))
                bot, model = Path(tmp) / name / "bot", Path(tmp) / name / "model"
                t0 = time.perf_counter()
                report = import_rasa_project(project, bot)
                import_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                train(bot, model)
                train_s = time.perf_counter() - t0
                agent = Agent.load(model)
                agent.use_endpoints(endpoints)
                stories = load_test_stories(bot)
                s = summary(run_test_stories(agent, stories, "replay"))  # `rasa test`'s verdict: the default
                # `dialogkit test --e2e`: NLU and the action server for real
                e = summary(run_test_stories(agent, stories, "e2e"))
                results[name] = {
                    "import_seconds": round(import_s, 3),
                    "train_seconds": round(train_s, 1),
                    "test_stories": s["stories"],
                    "passed": s["passed"],
                    "pass_rate": s["conversation_accuracy"],
                    "action_accuracy": s["action_accuracy"],
                    "failed": s["failed"],
                    "e2e_passed": e["passed"],
                    "e2e_pass_rate": e["conversation_accuracy"],
                    "e2e_action_accuracy": e["action_accuracy"],
                    "e2e_failed": e["failed"],
                    "not_represented": [n.render() for n in report.dropped],
                    "mapped_approximately": sum(1 for n in report.notes if n.kind == "mapped"),
                    "counts": report.counts,
                }
                print(
                    f"{name}: import {import_s * 1000:.0f} ms, train {train_s:.1f} s, stories replayed "
                    f"{s['passed']}/{s['stories']}, end to end {e['passed']}/{e['stories']}",
                    flush=True,
                )
                rows.append(
                    (
                        f"{name}: import / train / test stories passed replayed (rasa test) / end to end (--e2e)",
                        f"{import_s * 1000:.0f} ms / {train_s:.1f} s / {s['passed']}/{s['stories']} "
                        f"({s['conversation_accuracy']:.0%}) / {e['passed']}/{e['stories']} "
                        f"({e['conversation_accuracy']:.0%}), action acc {s['action_accuracy']:.3f} / "
                        f"{e['action_accuracy']:.3f}, {len(report.dropped)} not represented",
                        "100% of test stories",
                    )
                )
    finally:
        stop_server(proc)
    all_pass = all(r["pass_rate"] == 1.0 and r["e2e_pass_rate"] == 1.0 for r in results.values())
    rows.append(
        (
            "all projects pass 100% of their test stories, replayed and end to end",
            "yes" if all_pass else "no",
            "met" if all_pass else "missed",
        )
    )
    write("rasa", "Rasa compatibility (import, train, test stories)", "make bench-rasa", rows, results,
          notes="Training uses the packaged MiniLM encoder on CPU; each project's NLU has 68-100 examples.")


if __name__ == "__main__":
    main()
