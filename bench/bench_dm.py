"""Dialogue-manager benchmark: time spent in the DM per turn (NLU and NLG excluded).

    python bench/bench_dm.py [--bot domains/restaurant] [--repeat 30]

Plays the bot's conversation tests (with the trained pipeline) `--repeat` times and
reports the flow policy's per-turn time (target, issue 4: p50 under 1 ms) and the full turn
with the bot's templates answering (target, issue 19: p50 <= 5 ms), next to the turn as trained.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bots import with_templates  # noqa: E402
from bench.report import ROOT, write  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bot", default=str(ROOT / "domains" / "restaurant"))
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()

    from dialogkit.framework.build.training import train
    from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests
    from dialogkit.framework.runtime.agent import Agent

    tests = load_conversation_tests(args.bot)
    results: dict = {"bot": Path(args.bot).name}
    with tempfile.TemporaryDirectory() as tmp:
        # the bot as it is, and the same bot answering with its templates (generator replaced)
        templates_bot = with_templates(args.bot, Path(tmp) / "templates-bot")
        for key, bot in (("as_trained", Path(args.bot)), ("templates", templates_bot)):
            train(bot, Path(tmp) / key)
            agent = Agent.load(Path(tmp) / key)
            policy = next(c for c in agent.components if c.stage == "dm").name
            dm, nlu, total = [], [], []
            for r in range(args.repeat):
                for n, (_, conv, _) in enumerate(tests):
                    cid = f"bench-{r}-{n}"
                    for step in conv.steps:
                        text = step.message()
                        if text is None:
                            continue
                        turn = agent.handle_turn(text, cid)
                        dm.append(turn.timings[policy])
                        nlu.append(
                            sum(
                                v
                                for k, v in turn.timings.items()
                                if any(c.name == k and c.stage == "nlu" for c in agent.components)
                            )
                        )
                        total.append(sum(turn.timings.values()))
            results[key] = {
                "pipeline": [c.name for c in agent.components],
                "turns": len(dm),
                "nlu_runtime": agent.describe().get("bert_nlu", {}).get("runtime"),
                "dm_ms_p50": statistics.median(dm) * 1000,
                "dm_ms_p99": percentile(dm, 0.99) * 1000,
                "dm_ms_mean": statistics.fmean(dm) * 1000,
                "nlu_ms_p50": statistics.median(nlu) * 1000,
                "pipeline_ms_p50": statistics.median(total) * 1000,
                "pipeline_ms_p99": percentile(total, 0.99) * 1000,
            }
    a, t = results["as_trained"], results["templates"]
    turns = a["turns"]
    rows = [
        (f"DM time per turn, p50 ({results['bot']}, {turns} turns)", f"{a['dm_ms_p50']:.3f} ms", "< 1 ms"),
        ("DM time per turn, p99", f"{a['dm_ms_p99']:.3f} ms", "-"),
        (
            f"full turn p50 / p99: NLU ({t['nlu_runtime']}) + DM + templates",
            f"{t['pipeline_ms_p50']:.2f} / {t['pipeline_ms_p99']:.2f} ms "
            f"({'met' if t['pipeline_ms_p50'] <= 5 else 'missed'})",
            "p50 <= 5 ms",
        ),
        ("  of which NLU, p50", f"{t['nlu_ms_p50']:.2f} ms", "-"),
        (
            f"full turn p50 / p99 as trained ({' + '.join(a['pipeline'])})",
            f"{a['pipeline_ms_p50']:.2f} / {a['pipeline_ms_p99']:.2f} ms",
            "-",
        ),
    ]
    write(
        "dm",
        "Dialogue manager: time per turn",
        "make bench-dm",
        rows,
        results,
        notes="Turns are the bot's conversation tests replayed, one user; DM time is `FlowPolicy.process` alone; a "
        "full turn is the sum of "
        "the components' times. The templates row trains the same bot with `t5_nlg` replaced by `template_nlg`.",
    )
    for m, v, t in rows:
        print(f"{m}: {v} (target {t})")


if __name__ == "__main__":
    main()
