"""`dialogkit shell`: talk to a trained bot in the terminal, or play a script through it.

Commands: /restart, /tracker, /slots, /help, /exit. Reads piped input without a
prompt (``echo hi | dialogkit shell``). ``--debug`` prints per turn the intent with
its runner-up, entities with spans, slots changed, the flow stack and step,
whether each reply was generated or a template, and per-stage timings.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from ..runtime.decisions import Policy

__all__ = ["run_shell"]

HELP = "commands: /restart  /tracker  /slots  /help  /exit"


def _format_message(msg: Mapping[str, Any]) -> str:
    out = msg.get("text") or ""
    if msg.get("buttons"):
        out += "\n      " + "  ".join(f"[{b['title']}]" for b in msg["buttons"])
    if msg.get("image"):
        out += f"\n      (image: {msg['image']})"
    return out


def _debug_view(agent: Any, conversation_id: str, turn: Any, before: dict[str, Any], elapsed: float) -> str:
    lines = []
    intent = turn.intent or {}
    ranking = turn.intent_ranking
    runner = f", runner-up {ranking[1]['name']} {ranking[1]['confidence']:.2f}" if len(ranking) > 1 else ""
    lines.append(f"  intent: {intent.get('name')} {intent.get('confidence', 0):.2f}{runner}")
    if turn.corrections:  # what bert_nlu's spelling read otherwise
        read = (f"{turn.text[c['start']:c['end']]}→{c['read']}" for c in turn.corrections)
        lines.append("  read:   " + ", ".join(read))
    for e in turn.entities:
        span = f"[{e['start']}:{e['end']}]" if e.get("start") is not None else ""
        role = f" role={e['role']}" if e.get("role") else ""
        lines.append(f"  entity: {e['entity']}={e['value']!r} {span}{role} ({e.get('extractor', '?')})")
    after = turn.slots
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        lines.append("  slots:  " + ", ".join(f"{k}={v!r}" for k, v in changed.items()))
    # values the DM did not take, and why (a correction past a slot's max is otherwise invisible)
    for r in turn.refused:
        lines.append(
            f"  refused: {r['slot']}={r['value']!r} "
            f"({r['why']}{'' if r.get('asked') else '; not asked, so nothing was said'})"
        )
    tracker = agent.tracker(conversation_id)
    stack = tracker.stack
    if stack:
        policy = next((c for c in agent.components if isinstance(c, Policy)), None)
        step = (policy.flow_position(tracker) if policy is not None else None) or stack[-1].node
        lines.append(f"  flows:  {' > '.join(f.flow for f in stack)} (at: {step})")
    for m in turn.messages:
        how = (
            "generated"
            if m.get("generated")
            else f"template, fallback: {m['fallback']}"
            if m.get("fallback")
            else "template"
        )
        lines.append(f"  reply:  {m.get('response', '-')} ({how})")
    timings = ", ".join(f"{k} {v * 1000:.1f}ms" for k, v in turn.timings.items())
    lines.append(f"  time:   {elapsed * 1000:.1f}ms ({timings})")
    return "\n".join(lines)


def run_shell(model: str, debug: bool = False, script: str | None = None, conversation_id: str = "shell",
              stdin: TextIO | None = None, stdout: TextIO | None = None, endpoints: str | None = None) -> int:
    """Run the REPL (or a script) against ``model``; returns the exit code."""
    from ..runtime.agent import Agent

    out = stdout or sys.stdout
    stdin = stdin or sys.stdin
    t0 = time.perf_counter()
    agent = Agent.load(model)
    if endpoints:
        agent.use_endpoints(endpoints)
    interactive = script is None and stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401 - line editing and history for input()

            hist = Path.home() / ".dialogkit_history"
            if hist.exists():
                readline.read_history_file(str(hist))
        except (ImportError, OSError):
            pass
        print(
            f"dialogkit shell: {agent.manifest.get('domain_name') or model} loaded in "
            f"{time.perf_counter() - t0:.2f}s. {HELP}",
            file=out,
        )
    if interactive or debug:
        for name, info in agent.describe().items():
            print(
                f"{name}: " + ", ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in info.items()),
                file=out,
            )
    lines = _script_lines(script) if script else None
    for text in _inputs(lines, interactive, stdin):
        if lines is not None or not interactive:
            print(f"you> {text}", file=out)
        if not text.strip() and lines is None:
            continue
        command = text.strip()
        if command in ("/exit", "/quit"):
            break
        if command in _COMMANDS:
            print(_COMMANDS[command](agent, conversation_id), file=out)
            continue
        before = dict(agent.tracker(conversation_id).slots)
        started = time.perf_counter()
        turn = agent.handle_turn("/restart" if command == "/restart" else text, conversation_id, "cmdline")
        elapsed = time.perf_counter() - started
        if debug:
            print(_debug_view(agent, conversation_id, turn, before, elapsed), file=out)
        if command == "/restart":
            print("bot> (conversation restarted)", file=out)
        for msg in turn.messages:
            print(f"bot> {_format_message(msg)}", file=out)
    if interactive:
        try:
            import readline

            readline.write_history_file(str(Path.home() / ".dialogkit_history"))
        except (ImportError, OSError):
            pass
    return 0


# Shell commands that only show something: command -> what it prints.
_COMMANDS: dict[str, Any] = {
    "/help": lambda agent, cid: HELP,
    "/slots": lambda agent, cid: json.dumps(agent.tracker(cid).slots, indent=2, ensure_ascii=False),
    "/tracker": lambda agent, cid: json.dumps(agent.tracker(cid).to_json(), indent=2, ensure_ascii=False),
}


def _inputs(lines: list[str] | None, interactive: bool, stdin: TextIO) -> Iterator[str]:
    """The user's messages: a script's lines, the terminal's (with a prompt), or piped input."""
    while True:
        if lines is not None:
            if not lines:
                return
            yield lines.pop(0)
        elif interactive:
            try:
                yield input("you> ")
            except EOFError:
                return
        else:
            raw = stdin.readline()
            if not raw:
                return
            yield raw.rstrip("\n")


def _script_lines(path: str) -> list[str]:
    from ..yamlio import read_text_file

    return [ln.strip() for ln in read_text_file(path).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
