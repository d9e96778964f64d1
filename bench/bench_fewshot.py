"""ATIS in the few-shot regime: how many epochs of pair training a small bot gets.

A hand-written bot has a dozen or two examples per intent; ATIS has hundreds. Drawing ``k``
examples per intent from ATIS train (two draws, fixed seeds) makes a small bot from public
data that none of our settings were written for, scored on ATIS dev (the test split stays
untouched) restricted to the intents drawn. bert_nlu (defaults, the bot's own features off as
on ATIS) is trained with ``contrastive_epochs`` 0 (off), 20 and 40; the default for
``auto`` (``AUTO_PAIR_EPOCHS``) is chosen here, not on the example bots it is then measured on
(``make bench-nlu-bots``). Reports intent accuracy of the ranking's first intent, the share
answered right at the fallback threshold 0.4 (the example bots' setting), the mean of the
per-intent accuracies, and the training time. Usage: ``make bench-fewshot``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
THRESHOLD = 0.4


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--atis", default=str(ROOT.parent / "shared" / "data" / "atis"), help="the ATIS folder (BIO)")
    p.add_argument("--per-intent", type=int, default=12, help="examples drawn per intent")
    p.add_argument("--epochs", type=int, nargs="+", default=[0, 20, 40], help="contrastive_epochs to compare")
    p.add_argument("--draws", type=int, default=2)
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    import torch

    from bench.report import write
    from dialogkit.components.nlu.bert_nlu import BertNLU
    from dialogkit.components.nlu.bert_nlu_config import AUTO_PAIR_EPOCHS
    from dialogkit.framework.domain.schema import Domain
    from dialogkit.framework.domain.training_data import read_bio
    from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

    torch.set_num_threads(2)
    atis = Path(args.atis)
    train, dev = read_bio(atis / "train"), read_bio(atis / "dev")
    domain = Domain.model_validate(
        {
            "name": "atis-few",
            "intents": {i: {} for i in sorted({ex.intent for ex in train + dev})},
            "entities": dict.fromkeys(sorted({s.entity for ex in train + dev for s in ex.entities})),
        }
    )
    by_intent: dict[str, list] = {}
    for ex in train:
        by_intent.setdefault(ex.intent, []).append(ex)
    results: dict[str, dict] = {}
    for epochs in args.epochs:
        runs = []
        for draw in range(args.draws):
            rng = random.Random(draw)
            sample = []
            for _intent, group in sorted(by_intent.items()):
                group = group[:]
                rng.shuffle(group)
                sample += group[: args.per_intent]
            seen = {ex.intent for ex in sample}
            held = [ex for ex in dev if ex.intent in seen]
            config = resolve_config(
                "bert_nlu", {"char_features": False, "sentence_classifier": False, "contrastive_epochs": epochs}
            )
            component = BertNLU(config, domain)
            t0 = time.perf_counter()
            component.train(TrainingContext(None, sample))
            seconds = time.perf_counter() - t0
            right = answered = 0
            per_intent: dict[str, list[bool]] = {}
            for i in range(0, len(held), 64):
                chunk = held[i : i + 64]
                for ex, parse in zip(chunk, component.parse_batch([ex.text for ex in chunk])):
                    first = parse["intent_ranking"][0]
                    ok = first["name"] == ex.intent
                    right += ok
                    answered += ok and first["confidence"] >= THRESHOLD
                    per_intent.setdefault(ex.intent, []).append(ok)
            runs.append(
                {
                    "draw": draw,
                    "examples": len(sample),
                    "held_out": len(held),
                    "accuracy": right / len(held),
                    "at_threshold": answered / len(held),
                    "per_intent_mean": statistics.mean(sum(v) / len(v) for v in per_intent.values()),
                    "seconds": seconds,
                }
            )
            print(f"contrastive_epochs {epochs}, draw {draw}: {runs[-1]}", flush=True)
        results[str(epochs)] = {
            "runs": runs,
            **{
                k: statistics.mean(r[k] for r in runs)
                for k in ("accuracy", "at_threshold", "per_intent_mean", "seconds")
            },
        }
    rows = []
    for epochs, r in results.items():
        mark = " (the auto default)" if int(epochs) == AUTO_PAIR_EPOCHS else ""
        rows.append(
            (
                f"contrastive_epochs {epochs}{mark}: intent accuracy / right at threshold {THRESHOLD} / "
                "per-intent mean / training time",
                f"{r['accuracy'] * 100:.2f} / {r['at_threshold'] * 100:.2f} / {r['per_intent_mean'] * 100:.2f} / "
                f"{r['seconds']:.0f} s",
                "-",
            )
        )
    if not args.no_write:
        write(
            "nlu_fewshot",
            f"NLU: ATIS as a small bot ({args.per_intent} examples per intent), pair training",
            "make bench-fewshot",
            rows,
            results,
            notes=f"{args.per_intent} examples per intent drawn from ATIS train ({args.draws} draws, seeds 0..; "
            "intents with fewer keep all theirs), scored on ATIS dev restricted to the intents drawn (the test split "
            "untouched); means over the draws. bert_nlu defaults with the bot's own features off; only "
            "`contrastive_epochs` changes. This is where `contrastive_epochs: auto`'s number of epochs is chosen.",
        )


if __name__ == "__main__":
    main()
