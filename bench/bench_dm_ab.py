"""The dialogue manager before and after a change, measured in turns on this machine.

    python bench/bench_dm_ab.py [--base REF] [--rounds 8] [--reps 20] [--pipeline bot|light]

Trains the restaurant bot (its own NLU with templates answering, or ``--pipeline light``: rule
entities + keyword classifier) once in a checkout of ``--base`` (a git worktree in a temporary
folder) and once in this one, replays the bot's conversation tests ``--reps`` times in each, and reads the time
the dialogue manager took per turn from the agent's own timings (``FlowPolicy.process``
before issue 26; after it, the decide → execute → apply loop; both include running the actions). The two run in turns,
``--rounds`` times each (A B A B ...); the verdict is the median of the rounds' this/base
ratios, so a machine that slows down mid-run slows both sides of a ratio.
Target (issue 12): the restructured DM is no slower (p50 within noise of the base).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import ROOT, write  # noqa: E402

MEASURE = r"""
import json, shutil, sys, tempfile, pathlib
import yaml
try:
    from dialogkit.framework.runtime.agent import Agent
    from dialogkit.framework.build.training import train
except ImportError:  # a checkout from before framework/ had sub-packages (issue 26)
    from dialogkit.framework.agent import Agent
    from dialogkit.framework.training import train

root, reps, model = pathlib.Path(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])
light = sys.argv[4] == "light"
bot = model.parent / "bot"
if not model.exists():  # trained once per checkout; later rounds reuse it
    shutil.copytree(root / "domains" / "restaurant", bot)
    d = yaml.safe_load((bot / "domain.yml").read_text())
    if light:
        names = ["rule_entity_extractor", "keyword_intent_classifier", "flow_policy", "template_nlg"]
        d["pipeline"] = [{"name": n} for n in names]
    else:  # the bot's own NLU; templates answer (the DM does not depend on the generator)
        d["pipeline"] = [{"name": "template_nlg"} if c["name"] == "t5_nlg" else c for c in d["pipeline"]]
    (bot / "domain.yml").write_text(yaml.safe_dump(d, sort_keys=False))
    train(bot, model)
agent = Agent.load(model)
convs = [[s["user"] for s in c["steps"] if "user" in s] for f in sorted((bot / "tests").glob("*.yml"))
         for c in yaml.safe_load(f.read_text()).get("conversations") or []]
times = [
    agent.handle_turn(t, f"c{r}-{i}").timings["flow_policy"] * 1000
    for r in range(reps)
    for i, c in enumerate(convs)
    for t in c
]
print(json.dumps(times))
"""


def measure(tree: Path, reps: int, model: Path, pipeline: str) -> list[float]:
    # no bytecode cache: checkouts before 3d231f1 wrote one into the archive and refused it on the next load
    env = {"PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tree), str(reps), str(model), pipeline],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    if out.returncode != 0:
        sys.exit(f"measuring in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="HEAD~1", help="the git revision to compare with (default: HEAD~1)")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument(
        "--pipeline",
        choices=["bot", "light"],
        default="bot",
        help="bot: the bot's own NLU (templates answer); light: rule entities + keyword classifier (no encoder)",
    )
    args = p.parse_args()
    base_rev = subprocess.run(
        ["git", "rev-parse", "--short", args.base], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), base_rev], cwd=ROOT, check=True, capture_output=True
        )
        try:
            runs: dict[str, list[list[float]]] = {"base": [], "this": []}
            for r in range(args.rounds):
                for label, tree in (("base", base), ("this", ROOT)):
                    runs[label].append(measure(tree, args.reps, Path(tmp) / f"{label}-model" / "model", args.pipeline))
                    print(f"round {r + 1} {label}: p50 {statistics.median(runs[label][-1]):.4f} ms", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False, capture_output=True
            )
    results = {
        label: {
            "p50_ms_per_round": [round(statistics.median(t), 4) for t in rounds],
            "p99_ms_per_round": [round(pct(t, 0.99), 4) for t in rounds],
            "p50_ms": round(statistics.median([x for t in rounds for x in t]), 4),
            "p99_ms": round(pct([x for t in rounds for x in t], 0.99), 4),
            "turns": sum(len(t) for t in rounds),
        }
        for label, rounds in runs.items()
    }
    results["base_revision"] = base_rev
    # each round's this/base: neighbours in time, so a machine that drifts cancels out
    paired = [
        t / b for t, b in zip(results["this"]["p50_ms_per_round"], results["base"]["p50_ms_per_round"], strict=True)
    ]
    results["paired_ratios"] = [round(r, 3) for r in paired]
    ratio = statistics.median(paired)
    rows = [
        (
            f"DM time per turn p50, base {base_rev}",
            f"{results['base']['p50_ms']:.4f} ms (rounds: "
            f"{', '.join(f'{x:.4f}' for x in results['base']['p50_ms_per_round'])})",
            "-",
        ),
        (
            "DM time per turn p50, this checkout",
            f"{results['this']['p50_ms']:.4f} ms (rounds: "
            f"{', '.join(f'{x:.4f}' for x in results['this']['p50_ms_per_round'])})",
            "-",
        ),
        ("p99, base / this", f"{results['base']['p99_ms']:.3f} / {results['this']['p99_ms']:.3f} ms", "-"),
        (
            "p50 this / base, median of the rounds' ratios",
            f"{ratio:.2f} (rounds: {', '.join(f'{r:.2f}' for r in paired)}) ({'met' if ratio <= 1.05 else 'missed'})",
            "no slower (<= 1.05)",
        ),
    ]
    nlu = (
        "its own NLU (rule entities + bert_nlu), templates answering"
        if args.pipeline == "bot"
        else "a light NLU (rule entities + keyword classifier)"
    )
    write(
        "dm_ab",
        "Dialogue manager before and after (A/B, same run)",
        f"python bench/bench_dm_ab.py --base {args.base} --pipeline {args.pipeline}",
        rows,
        results,
        notes=f"Restaurant bot with {nlu}, trained once per checkout; its {results['this']['turns'] // args.rounds} "
        f"conversation-test turns per round; the base and this checkout alternate, {args.rounds} rounds each; DM "
        "time is the agent's own timing of the DM with the actions it runs (`FlowPolicy.process` before issue 26, "
        "the decide → execute → apply loop after it).",
    )


if __name__ == "__main__":
    main()
