"""The first minutes: `dialogkit init` to the bot's first reply, as a new user runs it.

Runs ``dialogkit init mybot`` in an empty temporary folder (writes the starter bot,
trains it with the default pipeline, opens the shell) with "hi" piped in, and measures
the wall time until the shell has answered, the training time `init` reports, and the
time of the starter bot's conversation tests. Target: the starter bot trains in <= 60 s
on 2 cores. Usage: ``make bench-init``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    from bench.report import write

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "dialogkit", "init", "mybot"], cwd=tmp, input="hi\n", text=True,
                             capture_output=True, env=env, timeout=900)
        first_reply = time.perf_counter() - t0
        if run.returncode != 0 or "bot>" not in run.stdout:
            sys.exit(f"init failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        trained = float(re.search(r"trained \S+ in ([\d.]+)s", run.stdout).group(1))
        t1 = time.perf_counter()
        test = subprocess.run(
            [sys.executable, "-m", "dialogkit", "test", "mybot", "--model", "models/mybot"],
            cwd=tmp,
            text=True,
            capture_output=True,
            env=env,
            timeout=600,
        )
        test_seconds = time.perf_counter() - t1
        passed = re.search(r"(\d+)/(\d+) conversations passed", test.stdout)
    reply = next((line for line in run.stdout.splitlines() if line.startswith("bot>")), "")
    results = {"first_reply_seconds": first_reply, "train_seconds": trained, "first_reply": reply,
               "test_seconds": test_seconds, "tests_passed": passed.group(0) if passed else test.stdout[-500:]}
    rows = [
        (
            '`dialogkit init mybot` to the first reply (write, train, open the shell, answer "hi")',
            f"{first_reply:.1f} s",
            "-",
        ),
        (
            "training the starter bot (default pipeline)",
            f"{trained:.1f} s ({'met' if trained <= 60 else 'missed'})",
            "<= 60 s",
        ),
        (
            "its conversation tests (`dialogkit test mybot --model models/mybot`)",
            f"{results['tests_passed']} in {test_seconds:.1f} s",
            "all pass",
        ),
    ]
    for m, v, t in rows:
        print(f"{m}: {v} (target {t})")
    if not args.no_write:
        write("init", "The first minutes: `dialogkit init` to a first reply", "make bench-init", rows, results,
              notes=f"First reply: {reply!r}. Each command is a fresh process (imports and model loading included).")


if __name__ == "__main__":
    main()
