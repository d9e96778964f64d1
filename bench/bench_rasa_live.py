"""End to end, live: ``dialogkit test --e2e`` against Rasa itself running the same stories.

    python bench/bench_rasa_live.py [--corpus ../rasa-corpus] [--only NAME] [--no-write]

For every corpus project (as ``bench_rasa_oracle.py`` finds them) with custom actions and an
action server to run them (its own ``actions`` code, served by
``rasa run actions`` from the Rasa virtualenv; for ../shared/rasa-examples, whose actions are
described in its README, the stand-in in tests/rasa/action_server on rasa-sdk):

- **Rasa 3.6.21 live**: the project (migrated as the oracle bench does) trained in full
  (``rasa train``: NLU and dialogue), served by ``rasa run --enable-api`` on 127.0.0.1 with the
  action server; every test story's user steps are sent to its REST channel as a user would
  (the ``user:`` text, or ``/intent{...}`` when the story gives only the intent), and what Rasa
  did after each message is read from its tracker (``GET /conversations/<id>/tracker``).
- **dialogkit**: the project imported unedited, trained with the pipeline the import chose,
  the same action server, ``dialogkit test --e2e``.

Both are judged by one judge (framework/rasa/live_stories.py): the intent and entities read,
the actions run after each message, the slots and active form the story states. Rasa's
verdicts are cached under ``.cache/oracle/`` by the project's content. Target (issue 27):
dialogkit passes at least as many stories as Rasa does live, project by project.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

# after PYTHONPATH: an older checkout given there is the one measured
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.bench_rasa import start_action_server as start_stand_in  # noqa: E402
from bench.bench_rasa import stop_server  # noqa: E402
from bench.bench_rasa_oracle import (  # noqa: E402
    CACHE,
    RASA_VENV,
    SHARED,
    content_hash,
    corpus_cli,
    last_error,
    project_name,
    rasa,
    rasa_copy,
)
from bench.report import write  # noqa: E402

RECIPE = "live/1"  # change it with what the Rasa side does: cached verdicts are redone
BUILT_IN = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_deactivate_loop",
    "action_default_fallback",
    "action_two_stage_fallback",
    "action_back",
    "action_unlikely_intent",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_extract_slots",
}


def custom_actions(project: Path) -> list[str]:
    """The custom actions the project's domain lists (not responses, not Rasa's defaults, not forms)."""
    domain = (
        yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8"))
        if (project / "domain.yml").is_file()
        else {}
    )
    domain = domain if isinstance(domain, dict) else {}
    forms = set(domain.get("forms") or [])
    names = [a if isinstance(a, str) else next(iter(a), "") for a in domain.get("actions") or []]
    return sorted(n for n in names if n and not n.startswith("utter_") and n not in BUILT_IN and n not in forms)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float, ready: Any = None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            r = httpx.get(url, timeout=2)
            if r.status_code == 200 and (ready is None or ready(r)):
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return False


def own_code(project: Path) -> bool:
    return (project / "actions").is_dir() or (project / "actions.py").is_file()


_STAND_IN: list[str] = []


def stand_in_actions() -> list[str]:
    """The actions the stand-in server (tests/rasa/action_server) has, as it lists them."""
    if not _STAND_IN:
        proc, url = start_stand_in()
        try:
            _STAND_IN.extend(a["name"] for a in httpx.get(url.replace("/webhook", "/actions"), timeout=10).json())
        finally:
            stop_server(proc)
    return _STAND_IN


class ActionServer:
    """The project's action server: its own code under ``rasa run actions`` (the Rasa
    virtualenv's rasa-sdk), else the stand-in (for ../shared/rasa-examples, whose actions
    its README describes)."""

    def __init__(self, project: Path, work: Path, log: Path):
        self.proc: subprocess.Popen[bytes] | None = None
        self.url, self.error = "", ""
        if not own_code(project):
            self.proc, self.url = start_stand_in()
            return
        port = free_port()
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(RASA_VENV / "bin" / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
                cwd=work,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={
                    "PATH": "/usr/bin:/bin",
                    "HOME": str(work),
                    "SANIC_HOST": "127.0.0.1",
                    "RASA_TELEMETRY_ENABLED": "false",
                },
            )
        if wait_for(f"http://127.0.0.1:{port}/health", self.proc, 120):
            self.url = f"http://127.0.0.1:{port}/webhook"
        else:
            self.error = "its action server does not start here: " + last_error(log)
            self.close()

    def close(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)


class RasaBot:
    """Rasa served over HTTP as a :class:`~dialogkit.framework.rasa.live_stories.LiveBot`."""

    def __init__(self, base: str):
        self.base = base
        self.client = httpx.Client(timeout=120)

    def send(self, text: str, conversation_id: str) -> Any:
        from dialogkit.framework.rasa.live_stories import LiveTurn
        from dialogkit.framework.rasa.retrieval import dialogkit_name

        if text.startswith("/") and "." in text.split("{", 1)[0]:
            text = text.replace(".", "/", 1)  # a retrieval sub-intent's payload, in Rasa's name: `/faq/ask_hours`
        r = self.client.post(f"{self.base}/webhooks/rest/webhook", json={"sender": conversation_id, "message": text})
        failed = [] if r.status_code == 200 else [("(message)", f"HTTP {r.status_code}")]
        tracker = self.client.get(f"{self.base}/conversations/{conversation_id}/tracker").json()
        events = tracker.get("events") or []
        last = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        user = events[last] if last >= 0 else {}
        parse = user.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        chosen = ((parse.get("response_selector") or {}).get(intent or "") or {}).get("response") or {}
        if chosen.get("intent_response_key"):
            intent = chosen["intent_response_key"]  # a retrieval intent's answer: `faq/ask_hours`
        said = user.get("text") or text
        entities = [
            (e["entity"], said[e["start"] : e["end"]] if e.get("start") is not None else str(e.get("value")))
            for e in parse.get("entities") or []
        ]
        actions = [
            e["name"]
            for e in events[last + 1 :]
            if e.get("event") == "action" and e.get("name") not in ("action_listen", "action_session_start")
        ]
        return LiveTurn(dialogkit_name(intent) if intent else None, entities, actions, dict(tracker.get("slots") or {}),
                        (tracker.get("active_loop") or {}).get("name"), failed)


def rasa_live(project: Path, stories: list[Any], domain: Any) -> dict[str, Any]:
    """Train ``project`` with Rasa, serve it with its action server and judge its test stories live (cached by
    content)."""
    from dialogkit.framework.rasa.live_stories import run_live_story

    cached = CACHE / f"live-{project.name}-{content_hash(project)}-{RECIPE.replace('/', '_')}.json"
    if cached.is_file():
        return dict(json.loads(cached.read_text(encoding="utf-8")))
    result: dict[str, Any] = {"trains": False}
    with tempfile.TemporaryDirectory() as tmp:
        work, log = Path(tmp) / "project", Path(tmp) / "rasa.log"
        result.update(rasa_copy(project, work, log))
        t0 = time.perf_counter()
        trained = rasa(["train", "--fixed-model-name", "full", "--out", "models"], work, log, 7200)
        result["train_seconds"] = round(time.perf_counter() - t0, 1)
        model = work / "models" / "full.tar.gz"
        if trained.returncode != 0 or not model.is_file():
            result["error"] = "rasa train: " + last_error(log)
            return result  # not cached: a machine problem is not a verdict
        result["trains"] = True
        server = ActionServer(project, work, log)
        if server.error:
            result["error"] = server.error
        else:
            (work / "endpoints_live.yml").write_text(f"action_endpoint:\n  url: {server.url}\n", encoding="utf-8")
            (work / "credentials_live.yml").write_text("rest:\n", encoding="utf-8")
            port = free_port()
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    [
                        str(RASA_VENV / "bin" / "rasa"),
                        "run",
                        "--enable-api",
                        "-m",
                        str(model),
                        "--endpoints",
                        "endpoints_live.yml",
                        "--credentials",
                        "credentials_live.yml",
                        "-i",
                        "127.0.0.1",
                        "-p",
                        str(port),
                    ],
                    cwd=work,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={
                        "PATH": "/usr/bin:/bin",
                        "HOME": str(work),
                        "TF_CPP_MIN_LOG_LEVEL": "3",
                        "RASA_TELEMETRY_ENABLED": "false",
                    },
                )
            try:
                base = f"http://127.0.0.1:{port}"
                if not wait_for(f"{base}/status", proc, 600, ready=lambda r: bool(r.json().get("model_file"))):
                    result["error"] = "rasa run: " + last_error(log)
                else:
                    bot = RasaBot(base)
                    verdicts = [run_live_story(bot, domain, f"live-{n}", s) for n, s in enumerate(stories)]
                    result["stories"] = [
                        {"story": v.story.name, "passed": v.passed, "failure": v.failure} for v in verdicts
                    ]
            finally:
                stop_server(proc)
        server.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def dialogkit_live(project: Path, bot: Path, tmp: Path) -> dict[str, Any]:
    """The imported project trained with its imported pipeline and run with ``--e2e`` against its action server."""
    from dialogkit.framework.build.training import train
    from dialogkit.framework.rasa.test_stories import load_test_stories, run_test_stories
    from dialogkit.framework.runtime.agent import Agent

    t0 = time.perf_counter()
    train(bot, tmp / "model")
    out: dict[str, Any] = {"train_seconds": round(time.perf_counter() - t0, 1)}
    work = tmp / "project"  # the action server runs in a copy: its files (a database) start as the project's
    shutil.copytree(project, work)
    server = ActionServer(project, work, tmp / "actions.log")
    if server.error:
        return {**out, "error": server.error}
    try:
        endpoints = tmp / "endpoints.yml"
        endpoints.write_text(f"action_endpoint:\n  url: {server.url}\n", encoding="utf-8")
        agent = Agent.load(tmp / "model")
        agent.use_endpoints(endpoints)
        verdicts = run_test_stories(agent, load_test_stories(bot), "e2e")
        out["stories"] = [{"story": v.story.name, "passed": v.passed, "failure": v.failure} for v in verdicts]
    finally:
        server.close()
    return out


def main() -> None:
    args, found = corpus_cli(__doc__)
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.rasa.importer import import_rasa_project
    from dialogkit.framework.rasa.test_stories import load_test_stories

    results: dict[str, Any] = {}
    for n, project in enumerate(found):
        name = project_name(project)
        custom = custom_actions(project)
        has_code = own_code(project) or (SHARED in project.parents and set(custom) <= set(stand_in_actions()))
        if not custom or not has_code:
            results[name] = {"skipped": "no custom actions" if not custom else "no action server code in the project"}
            continue
        with tempfile.TemporaryDirectory() as tmp:
            bot = Path(tmp) / "bot"
            import_rasa_project(project, bot)
            stories, domain = load_test_stories(bot), load_domain(bot).domain
            rasa_side = rasa_live(project, stories, domain)
            try:
                dk = dialogkit_live(project, bot, Path(tmp))
            except Exception as e:  # a crash is a finding, not the end of the run
                dk = {"error": f"crashed: {type(e).__name__}: {e}"[:300]}
        entry = {"custom_actions": custom, "rasa": rasa_side, "dialogkit": dk}
        for side in (rasa_side, dk):
            side["passed"] = sum(s["passed"] for s in side.get("stories", []))
            side["total"] = len(side.get("stories", []))
        results[name] = entry
        print(
            f"[{n + 1}/{len(found)}] {name}: Rasa live {rasa_side['passed']}/{rasa_side['total']}"
            + (f" ({rasa_side['error']})" if rasa_side.get("error") else "")
            + f", dialogkit --e2e {dk['passed']}/{dk['total']}"
            + (f" ({dk['error']})" if dk.get("error") else ""),
            file=sys.stderr,
            flush=True,
        )
    if args.no_write:
        print(json.dumps(results, indent=1))
        return
    write_report(results, args)


def write_report(results: dict[str, Any], args: argparse.Namespace) -> None:
    rows, rasa_total, dk_total, stories, at_least = [], 0, 0, 0, 0
    measured = {name: e for name, e in results.items() if "skipped" not in e}
    for name, e in measured.items():
        r, d = e["rasa"], e["dialogkit"]
        both = r.get("stories") and d.get("stories")
        rasa_total += r["passed"] if both else 0
        dk_total += d["passed"] if both else 0
        stories += r["total"] if both else 0
        at_least += bool(both) and d["passed"] >= r["passed"]
        cell = lambda side: f"{side['passed']}/{side['total']}" + (f" ({side['error']})" if side.get("error") else "")  # noqa: E731
        rows.append((name, f"Rasa live {cell(r)}; dialogkit --e2e {cell(d)}", "dialogkit >= Rasa"))
    compared = sum(1 for e in measured.values() if e["rasa"].get("stories") and e["dialogkit"].get("stories"))
    rows.append(
        (
            "stories passed, projects both ran",
            f"Rasa live {rasa_total} of {stories}; dialogkit --e2e {dk_total} of {stories}",
            "dialogkit >= Rasa",
        )
    )
    rows.append(("projects where dialogkit passes at least as many as Rasa", f"{at_least} of {compared}", "all"))
    skipped = sorted(f"{name} ({e['skipped']})" for name, e in results.items() if "skipped" in e)
    write(
        "rasa_live",
        "End to end, live: `dialogkit test --e2e` against `rasa run` on the same stories and action server",
        f"python bench/bench_rasa_live.py --corpus {args.corpus}",
        rows,
        results,
        notes="Rasa 3.6.21 trained in full (`rasa train`) and served by `rasa run --enable-api`; each story's user "
        "steps sent to its REST channel and its tracker read after each one. dialogkit: the project imported "
        "unedited and trained with the imported pipeline (packaged MiniLM encoder), `dialogkit test --e2e`. One "
        "judge for both (framework/rasa/live_stories.py). Action servers: the project's own code under `rasa run "
        "actions`; the stand-in (tests/rasa/action_server) for ../shared/rasa-examples. Not measured: "
        + ("; ".join(skipped) or "none")
        + ".",
    )


if __name__ == "__main__":
    main()
