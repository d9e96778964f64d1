"""What the generator costs a small bot: `t5_nlg` training time and its check's verdict.

Trains the `t5_nlg` component alone, with the bot's own config (defaults otherwise),
on each example bot under domains/ (the ~20-response bots the target speaks of),
and records the wall time of training *including* the check after training, and where the check left the generator on.
Target: a bot of ~20 responses
trains its generator in <= 60 s on 2 cores. Usage: ``make bench-nlg-small``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "bots", nargs="*", default=[str(ROOT / "domains" / b) for b in ("restaurant", "banking", "tickets_zh")]
    )
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    import torch

    from bench.report import write
    from dialogkit.components.nlg.generator import T5NLG
    from dialogkit.components.nlg.plans import training_pairs
    from dialogkit.framework.build.training import build_pipeline
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.runtime.pipeline import TrainingContext

    torch.set_num_threads(2)
    results, rows = {}, []
    for bot in args.bots:
        loaded = load_domain(bot)
        gen = next((c for _, c in build_pipeline(loaded) if isinstance(c, T5NLG)), None)
        if gen is None:
            continue
        pairs = training_pairs(loaded.domain, gen.plans)
        context = TrainingContext(loaded, collect_examples(loaded), 42)
        t0 = time.perf_counter()
        gen.train(context)
        seconds = time.perf_counter() - t0
        name = loaded.domain.name or Path(bot).name
        results[name] = {
            "responses": len(gen.plans),
            "pairs": len(pairs),
            "seconds": seconds,
            "gate": gen.gate.to_json() if gen.gate else None,
            "summary": gen.gate.summary() if gen.gate else None,
        }
        ok = seconds <= 60
        rows.append(
            (
                f"{name}: {len(gen.plans)} responses, {len(pairs)} training pairs",
                f"{seconds:.1f} s ({'met' if ok else 'missed'})",
                "<= 60 s",
            )
        )
        rows.append((f"{name}: check after training", gen.gate.summary() if gen.gate else "-", "-"))
        print(f"{name}: {seconds:.1f}s; {results[name]['summary']}", flush=True)
    if not args.no_write:
        write(
            "nlg_small",
            "NLG: the generator on a small bot (training time incl. its check)",
            "make bench-nlg-small",
            rows,
            results,
            notes="Time of `t5_nlg` training alone (the NLU is not included): with the gate on, a first run with one "
            "text of each input held out, scoring against the templates, a third as many steps on all texts, and "
            "generating every input the bot will ask for; a bot the gate would switch off for too few second texts "
            "is not trained at all.",
        )


if __name__ == "__main__":
    main()
