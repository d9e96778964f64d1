"""Write a benchmark's results: JSON under bench/results/ and its section of BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
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
