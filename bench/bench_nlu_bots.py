"""NLU of the example bots by 5-fold cross-validation, with their own (default) pipelines.

For each bot under domains/ (or the ones named), ``dialogkit test nlu BOT
--cross-validation 5`` in-process: every fold trains the bot's NLU components on four
fifths of its examples and parses the rest; once with the bot's defaults, then with
``char_features`` (the bot's own character n-gram features joined to the encoder's output)
and ``sentence_classifier`` (a second opinion on the intent from the message's n-grams) each
flipped. ``auto``, their default, turns them on where the encoder was not made for the bot's
language (the Chinese bot on the English encoder). Then with ``contrastive_epochs`` (pair
training of the encoder before the heads) flipped: ``auto`` runs it where a bot has few
examples per intent. Then with ``lookup_features`` (the words in a lookup's match carry the
entity's feature) off, ``typo_augmentation`` (training on typo'd copies of the examples)
on, and ``converged_tolerance`` 0 (every epoch run, not stopping once the training loss has
converged). The row of each bot's defaults carries the target.
Reports intent accuracy, entity (slot) F1 (seqeval over the bot's tokens) and sentence
accuracy, with the time per fold and the encoder used. Targets, each bot's default config:
intent accuracy >= 92 % for the English bots and >= 90 % for the Chinese one (issue 28),
entity F1 >= 95 % for the Chinese one (issue 14). Usage: ``make bench-nlu-bots``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (intent accuracy, entity F1) for each bot's default pipeline: issue 28's intent accuracy (the
# Chinese bot >= 90, the English ones >= 92) and issue 14's entity F1 for the Chinese bot
TARGETS: dict[str, tuple[float, float | None]] = {
    "tickets_zh": (0.90, 0.95), "restaurant": (0.92, None), "banking": (0.92, None),
}

SETTINGS = ("char_features", "sentence_classifier", "contrastive_epochs", "lookup_features", "typo_augmentation",
            "converged_tolerance")


OUT_OF_SCOPE = "out_of_scope"  # the example bots' intent for what they do not do (counted as not understood)


def out_of_domain(path: Path, language: str, intents: set[str]) -> dict[str, list[str]]:
    """The other example bots' messages a bot should not understand: in its language, those of intents it
    does not have (by name: another bot's `greet` is its greet too); in another language, all of them."""
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    out: dict[str, list[str]] = {"same language": [], "another language": []}
    for other in sorted(p for p in (ROOT / "domains").iterdir() if (p / "domain.yml").is_file()):
        if other.resolve() == path.resolve():
            continue
        loaded = load_domain(other)
        same = loaded.domain.language == language
        out["same language" if same else "another language"] += [
            ex.text for ex in collect_examples(loaded) if not (same and ex.intent in intents)
        ]
    return {kind: texts for kind, texts in out.items() if texts}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bots", nargs="*", default=["restaurant", "banking", "tickets_zh"])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    p.add_argument("--flip", default=",".join(SETTINGS),
                   help=f"the settings to flip, comma-separated (default: all of {', '.join(SETTINGS)}; '' for the "
                   "defaults alone)")
    args = p.parse_args()
    flips = [f for f in args.flip.split(",") if f]
    if unknown := sorted(set(flips) - set(SETTINGS)):
        p.error(f"--flip: unknown setting(s) {', '.join(unknown)}; choose from {', '.join(SETTINGS)}")

    import torch

    from bench.report import carry_over, write
    from dialogkit.components.nlu.bert_nlu_config import (
        AUTO_PAIR_EPOCHS,
        PAIR_TRAINING_BELOW,
        BertNLUConfig,
        pair_epochs,
    )
    from dialogkit.components.nlu.encoder_source import encoder_languages
    from dialogkit.framework.domain.builtins import NLU_FALLBACK
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.evaluation.nlu_testing import run_nlu_test
    from dialogkit.framework.runtime.pipeline import made_for_other_languages

    torch.set_num_threads(2)
    results, rows, measured = {}, [], []
    for bot in args.bots:
        path = Path(bot) if Path(bot).is_dir() else ROOT / "domains" / bot
        name = load_domain(path).domain.name or path.name
        measured.append(name)
        language = load_domain(path).domain.language
        languages = encoder_languages("default")
        by_language = made_for_other_languages(languages, language)  # what `char_features: auto` picks
        examples = collect_examples(load_domain(path))
        outside = out_of_domain(path, language, {ex.intent for ex in examples})
        # what `contrastive_epochs: auto` picks (on all the examples; a fold has 4/5 of them)
        pairs = pair_epochs("auto", [ex.intent for ex in examples])
        defaults = {"char_features": by_language, "sentence_classifier": by_language, "contrastive_epochs": pairs,
                    "lookup_features": True, "typo_augmentation": 0.0,
                    "converged_tolerance": BertNLUConfig().converged_tolerance}
        flipped = {"char_features": not by_language, "sentence_classifier": not by_language,
                   "contrastive_epochs": 0 if pairs else AUTO_PAIR_EPOCHS, "lookup_features": False,
                   "typo_augmentation": 1.0, "converged_tolerance": 0.0}
        # the bot's defaults (every setting `auto`), then each setting flipped from what auto picks
        variants = [defaults] + [{**defaults, key: value} for key, value in flipped.items() if key in flips]
        for settings in variants:
            said = ", ".join(f"{k}: {str(v).lower()}" for k, v in settings.items())
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / "bot"
                shutil.copytree(path, src)
                text = (src / "domain.yml").read_text(encoding="utf-8")
                # the settings under the component's `name:` key, at its indentation
                changed = re.sub(r"^(\s*- )(name: bert_nlu\b.*)$",
                                 lambda m, kv=settings: m.group(0) + "".join(
                                     f"\n{' ' * len(m.group(1))}{k}: {str(v).lower()}" for k, v in kv.items()),
                                 text, count=1, flags=re.M)
                if changed == text:
                    sys.exit(f"{path}: no `- name: bert_nlu` line in domain.yml to set its settings on")
                (src / "domain.yml").write_text(changed, encoding="utf-8")
                t0 = time.perf_counter()
                refused: dict[str, list[int]] = {kind: [0, 0] for kind in outside}  # not understood, parsed

                def parse_outside(agent, refused=refused, outside=outside):
                    for kind, texts in outside.items():
                        for text in texts:
                            refused[kind][0] += agent.parse(text)["intent"]["name"] in (NLU_FALLBACK, OUT_OF_SCOPE)
                        refused[kind][1] += len(texts)

                report = run_nlu_test(str(src), folds=args.folds, out=str(Path(tmp) / "out"),
                                      progress=lambda m: print(f"  {m}", flush=True) if m.startswith("fold") else None,
                                      each_fold=parse_outside)
                seconds = time.perf_counter() - t0
            intent, f1, sent = report["intent"]["accuracy"], report["slots"]["f1"], report["sentence_accuracy"]
            default = settings == defaults
            key = f"{name} ({said}{', its defaults' if default else ''})"
            results[key] = {
                "language": language,
                **settings,
                "examples": report["examples"],
                "folds": args.folds,
                "seconds": seconds,
                "intent_accuracy": intent,
                "intent_macro_f1": report["intent"]["macro_f1"],
                "slot_f1": f1,
                "slot_precision": report["slots"]["precision"],
                "slot_recall": report["slots"]["recall"],
                "sentence_accuracy": sent,
                "intent_errors": len(wrong := [e for e in report["errors"] if e["intent"] != e["predicted_intent"]]),
                "fallback_errors": len(fell := [e for e in wrong if e["predicted_intent"] == NLU_FALLBACK]),
                "fallback_right_first": sum(e.get("ranked_first") == e["intent"] for e in fell),
                "errors": report["errors"][:20],
                "out_of_domain": {kind: {"messages": len(outside[kind]), "not_understood": n / max(total, 1)}
                                  for kind, (n, total) in refused.items()},
            }
            target = TARGETS.get(name) if default else None
            verdict = ""
            if target:
                verdict = " (met)" if intent >= target[0] and f1 >= (target[1] or 0.0) else " (missed)"
            rows.append(
                (
                    f"{key} ({language}, {report['examples']} examples): intent accuracy / entity F1 / sentence "
                    "accuracy",
                    f"{intent * 100:.2f} / {f1 * 100:.2f} / {sent * 100:.2f}{verdict}",
                    (f">= {target[0] * 100:.0f} / " + (f">= {target[1] * 100:.0f}" if target[1] else "-"))
                    if target else "-",
                )
            )
            r = results[key]
            answered = r["intent_errors"] - r["fallback_errors"]
            rows.append((f"{key}: intent errors / of them under the fallback threshold / of those with the right "
                         "intent ranked first / a wrong intent answered", f"{r['intent_errors']} / "
                         f"{r['fallback_errors']} / {r['fallback_right_first']} (at most "
                         f"+{r['fallback_right_first'] / r['examples'] * 100:.1f} points from any threshold) / "
                         f"{answered} ({answered / r['examples'] * 100:.1f} %)", "-"))
            ood = r["out_of_domain"]
            kinds = " / ".join(f"{k} ({v['messages']})" for k, v in ood.items())
            rows.append((f"{key}: messages of the other example bots it has no intent for, not understood "
                         f"(nlu_fallback or its out_of_scope): {kinds}",
                         " / ".join(f"{v['not_understood'] * 100:.1f} %" for v in ood.values()), "-"))
            rows.append((f"{key}: time for {args.folds} folds", f"{seconds / 60:.1f} min", "-"))
            print(
                f"{key}: intent {intent * 100:.2f}, entity F1 {f1 * 100:.2f}, sentence {sent * 100:.2f} in "
                f"{seconds:.0f}s",
                flush=True,
            )
    if not args.no_write:
        carry_over("nlu_bots", rows, results, measured)  # a run of some bots keeps the others' rows
        write(
            "nlu_bots",
            f"NLU: the example bots, {args.folds}-fold cross-validation (default pipelines)",
            "make bench-nlu-bots",
            rows,
            results,
            notes="Each bot's own pipeline (rule_entity_extractor + bert_nlu on the packaged English MiniLM encoder), "
            "with its defaults, then with the bot's own character n-gram features (`char_features`) and the second "
            "opinion on the intent from a linear classifier over the message's n-grams (`sentence_classifier`) each "
            "flipped from what `auto` picks (on where the encoder was not made for the bot's language), and pair "
            f"training of the encoder before the heads (`contrastive_epochs`, SetFit's first step; `auto`: "
            f"{AUTO_PAIR_EPOCHS} epochs where the bot has fewer than {PAIR_TRAINING_BELOW} examples per intent) "
            "flipped likewise, and the lookup features of the tagger (`lookup_features`, on by default) off and "
            "training on typo'd copies of the examples (`typo_augmentation`, off by default) on, and the heads trained "
            "every epoch (`converged_tolerance: 0`) instead of stopping once the training loss falls less than 1 % in "
            "5 epochs; "
            "Chinese entity spans the model tags are kept to whole words (`word_boundaries`); folds "
            "stratified by intent. The Chinese bot "
            "runs on the English encoder (train warns DK606): its characters are in the encoder's vocabulary one by "
            "one, and its lookups and synonyms are matched exactly. Intent errors under the fallback threshold (0.4 "
            "in each bot's config) with the right intent ranked first are what a lower or learnt threshold could "
            "recover at most. Out of domain: each fold's model also parses the other example bots' messages (in the "
            "bot's language, those of intents it has no intent of that name for; in another language, all), counted "
            "not understood when read as nlu_fallback or as the bot's own out_of_scope. "
            "Errors (first 20 per bot, with `ranked_first` under the threshold): the JSON. "
            f"Flipped in this run: {', '.join(flips) or 'none'}"
            + ("" if set(flips) == set(SETTINGS) else " (`--flip`; the other settings' rows are in this section's "
               "earlier versions, in git)") + ".",
        )


if __name__ == "__main__":
    main()
