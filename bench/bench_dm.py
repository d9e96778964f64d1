"""Dialogue-manager benchmark: time spent in the DM per turn (NLU and NLG excluded).

    python bench/bench_dm.py [--bot domains/restaurant] [--repeat 30]

Plays the bot's conversation tests (with the trained pipeline) `--repeat` times and
reports the flow policy's per-turn time. Target (issue 4): p50 under 1 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bot", default=str(ROOT / "domains" / "restaurant"))
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()

    from dialogkit.framework.agent import Agent
    from dialogkit.framework.conversation_tests import load_conversation_tests
    from dialogkit.framework.training import train

    tests = load_conversation_tests(args.bot)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        train(args.bot, Path(tmp) / "m")
        agent = Agent.load(Path(tmp) / "m")
        policy = next(c for c in agent.components if c.stage == "dm").name
        dm, total, turns = [], [], 0
        for r in range(args.repeat):
            for n, (_, conv, _) in enumerate(tests):
                cid = f"bench-{r}-{n}"
                for step in conv.steps:
                    text = step.message()
                    if text is None:
                        continue
                    turn = agent.handle_turn(text, cid)
                    dm.append(turn.timings[policy])
                    total.append(sum(turn.timings.values()))
                    turns += 1
    results = {
        "bot": Path(args.bot).name,
        "turns": turns,
        "dm_ms_p50": statistics.median(dm) * 1000,
        "dm_ms_p99": percentile(dm, 0.99) * 1000,
        "dm_ms_mean": statistics.fmean(dm) * 1000,
        "pipeline_ms_p50": statistics.median(total) * 1000,
    }
    rows = [
        (f"DM time per turn, p50 ({results['bot']}, {turns} turns)", f"{results['dm_ms_p50']:.3f} ms", "< 1 ms"),
        ("DM time per turn, p99", f"{results['dm_ms_p99']:.3f} ms", "-"),
        ("whole pipeline per turn, p50 (bert_nlu + templates)", f"{results['pipeline_ms_p50']:.3f} ms", "-"),
    ]
    write("dm", "Dialogue manager: time per turn", "make bench-dm", rows, results,
          notes="Turns are the bot's conversation tests replayed; DM time is `FlowPolicy.process` alone.")
    for m, v, t in rows:
        print(f"{m}: {v} (target {t})")


if __name__ == "__main__":
    main()
