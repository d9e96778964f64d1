"""``train --finetune`` against a full training, on the example bots.

For each bot: its examples split by intent (stratified, seed 42) into a base (70 %), added
examples (10 %) and a test set (20 %). The bot's own NLU pipeline is trained on the base
(what a bot had), then on base + added twice: from scratch (a full training) and continued
from the base model with ``epoch_fraction`` 0.25 (``train --finetune``). Reported: training
time of each and intent accuracy / entity F1 on the test set. Target (issue 28): the
fine-tuned model in a fraction of the full training time, as accurate within noise.
Usage: ``make bench-finetune``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bots", nargs="*", default=["restaurant", "banking", "tickets_zh"])
    p.add_argument("--epoch-fraction", type=float, default=0.25)
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    import torch

    from bench.bots import example_bot
    from bench.report import write
    from dialogkit.framework.build.training import build_pipeline
    from dialogkit.framework.domain.tokenization import tokenize
    from dialogkit.framework.evaluation.nlu_metrics import evaluate_parses
    from dialogkit.framework.evaluation.nlu_testing import stratified_folds
    from dialogkit.framework.runtime.agent import Agent
    from dialogkit.framework.runtime.pipeline import TrainingContext

    torch.set_num_threads(2)

    def trained(loaded: Any, examples: list[Any], previous: Path | None = None) -> tuple[Any, float, list[Any]]:
        components = [c for _, c in build_pipeline(loaded) if c.stage == "nlu"]
        context = TrainingContext(loaded, examples, 42, previous=previous, epoch_fraction=args.epoch_fraction)
        t0 = time.perf_counter()
        for c in components:
            if c.trainable:
                c.train(context)
        return Agent(loaded.domain, components, {}), time.perf_counter() - t0, components

    results: dict[str, Any] = {}
    rows = []
    for bot in args.bots:
        loaded, name, lang, examples = example_bot(bot)
        folds = stratified_folds(examples, 10, 42)  # tenths: 2 test, 1 added, 7 base
        test = [examples[i] for f in folds[:2] for i in f]
        added = [examples[i] for i in folds[2]]
        base = [examples[i] for f in folds[3:] for i in f]
        scores = {}
        with tempfile.TemporaryDirectory() as tmp:
            _, base_s, components = trained(loaded, base)
            bert = next(c for c in components if c.name == "bert_nlu")
            saved = Path(tmp) / "bert_nlu"
            saved.mkdir()
            bert.save(saved)
            for label, previous in (
                ("full training", None),
                (f"--finetune (epoch fraction {args.epoch_fraction})", saved),
            ):
                agent, seconds, _ = trained(loaded, base + added, previous)
                parses = [agent.parse(ex.text) for ex in test]
                report = evaluate_parses(test, parses, lambda text, lang=lang: tokenize(text, lang))
                scores[label] = {
                    "seconds": seconds,
                    "intent_accuracy": report["intent"]["accuracy"],
                    "entity_f1": report["slots"]["f1"],
                }
                print(
                    f"{name}: {label}: {seconds:.0f}s, intent {report['intent']['accuracy'] * 100:.2f}, entity F1 "
                    f"{report['slots']['f1'] * 100:.2f}",
                    flush=True,
                )
        full, tuned = scores["full training"], scores[f"--finetune (epoch fraction {args.epoch_fraction})"]
        results[name] = {
            "language": lang,
            "base": len(base),
            "added": len(added),
            "test": len(test),
            "base_seconds": base_s,
            **scores,
        }
        share = tuned["seconds"] / full["seconds"]
        rows.append(
            (
                f"{name} ({len(base)} + {len(added)} examples, {len(test)} tested): training time, full / --finetune",
                f"{full['seconds']:.0f} s / {tuned['seconds']:.0f} s ({share * 100:.0f} %)",
                "a fraction",
            )
        )
        rows.append(
            (
                f"{name}: intent accuracy / entity F1, full / --finetune",
                f"{full['intent_accuracy'] * 100:.2f} / {full['entity_f1'] * 100:.2f} vs "
                f"{tuned['intent_accuracy'] * 100:.2f} / {tuned['entity_f1'] * 100:.2f}",
                "within noise",
            )
        )
    if not args.no_write:
        write(
            "nlu_finetune",
            "NLU: train --finetune against a full training (the example bots)",
            "make bench-finetune",
            rows,
            results,
            notes="Each bot's examples split by intent into base (70 %), added (10 %) and test (20 %); the NLU "
            "pipeline trained on the base, then on base + added from scratch and continued from the base model "
            "(bert_nlu's weights; the rule extractor retrains). Small test sets: one message is 2-3 points.",
        )


if __name__ == "__main__":
    main()
