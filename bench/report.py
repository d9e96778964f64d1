"""Write a benchmark's results: JSON under bench/results/ and its section of BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1]
        )
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def commit() -> str:
    """The commit measured, marked when the code differs from it (uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "framework",
                "components",
                "dialogkit",
                "bench/*.py",
                "pyproject.toml",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if changed else head


def write(
    name: str, title: str, command: str, rows: list[tuple[str, str, str]], results: dict[str, Any], notes: str = ""
) -> None:
    """Save ``results`` as JSON and replace the ``name`` section of BENCHMARKS.md.

    ``rows`` are (metric, measured value, target or note) for the table.
    """
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": command,
        "commit": commit(),
    }
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n", encoding="utf-8")
    table = ["| metric | measured | target |", "|---|---|---|", *[f"| {m} | {v} | {t} |" for m, v, t in rows]]
    section = "\n".join([
        f"<!-- {name}:start -->",
        f"## {title}",
        "",
        f"Measured {meta['date']} on {meta['machine']} at commit {meta['commit']} with `{command}`.",
        "",
        *table,
        "",
        *([notes, ""] if notes else []),
        f"Raw results: `bench/results/{name}.json`.",
        f"<!-- {name}:end -->",
    ])
    md = ROOT / "BENCHMARKS.md"
    text = (
        md.read_text(encoding="utf-8")
        if md.exists()
        else "# Benchmarks\n\nEvery figure here is written by a script in `bench/`; do not edit the tables by hand.\n"
    )
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    md.write_text(text, encoding="utf-8")


def _owner(key: str, names: Iterable[str]) -> str | None:
    """The name of ``names`` a results key or a row's metric belongs to: "banking" of "banking (en, 231 ...)"."""
    return next((n for n in names if key == n or key.startswith(n + " (")), None)


def carry_over(name: str, rows: list[tuple[str, str, str]], results: dict[str, Any], run: Iterable[str]) -> None:
    """Add to ``rows`` and ``results`` what the ``name`` section measured before for the bots this run left out
    (``make bench-typos`` run for some bots only), each marked with the commit it was measured at, so a run of
    some bots replaces their rows only. ``run``: the bots measured now; results are keyed by bot ("banking") or
    start with it ("banking (its defaults)"), and so do the rows' metrics."""
    out = ROOT / "bench" / "results" / f"{name}.json"
    md = ROOT / "BENCHMARKS.md"
    if not out.exists() or not md.exists():
        return
    before = json.loads(out.read_text(encoding="utf-8"))
    text = md.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = text[text.index(start):text.index(end)] if start in text and end in text else ""
    run = list(run)
    kept = [key for key in before.get("results", {}) if _owner(key, run) is None]
    at: dict[str, str] = {}  # each bot left out: the commit it was measured at
    for key in kept:
        data = before["results"][key]
        results[key] = {**data, "measured_at_commit": data.get("measured_at_commit", before.get("commit", "?"))}
        at[key.split(" (")[0]] = results[key]["measured_at_commit"]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")] if line.startswith("| ") else []
        bot = _owner(cells[0], at) if len(cells) == 3 else None
        if bot is None:
            continue
        metric = cells[0]
        if "not re-run" not in metric:
            metric = f"{bot} (at {at[bot]}, not re-run; " + metric[len(bot) + 2:]
        rows.append((metric, cells[1], cells[2]))
