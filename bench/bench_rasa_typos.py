"""Typo'd entity values in public Rasa projects: the rule extractor on bots not written for it.

Each project under ../shared/rasa-examples (and rasa2/) is imported as `dialogkit import rasa`
does; its examples are split into five stratified folds (seed 42); for each held-out example,
each single-word value of an entity with lookups or synonyms (and no regex) is typed with one
slip (components/nlu/noise.py's letter slips, seed 28) and the message parsed by
rule_entity_extractor trained on the other folds: read (the entity on those characters with its
value), another value, or missed. Once with the extractor as it is, once with the context rule off
(no entity's neighbours learnt), so the rule's share is the difference. No torch: a few seconds.
Usage: ``make bench-rasa-typos`` (``RASA_EXAMPLES=<dir>``; ``--no-write`` prints only).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT = ROOT.parent / "shared" / "rasa-examples"


def projects(root: Path) -> list[Path]:
    """Every Rasa project (a folder with domain.yml and data/) under ``root``."""
    return sorted(p.parent for p in root.rglob("domain.yml") if (p.parent / "data").is_dir())


def score(bot: Path, contexts: bool, seed: int = 28) -> dict[str, int]:
    from dialogkit.components.nlu.noise import LETTER_SLIPS, slip
    from dialogkit.components.nlu.rule_entities import RuleEntityExtractor
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.evaluation.nlu_testing import stratified_folds
    from dialogkit.framework.runtime.pipeline import TrainingContext, Turn, resolve_config

    loaded = load_domain(bot)
    examples = collect_examples(loaded)
    declared = {n for n, e in loaded.domain.entities.items() if (e.lookup or e.synonyms) and not e.regex}
    rng = random.Random(seed)
    out = {"values": 0, "read": 0, "other value": 0, "missed": 0}
    for held in stratified_folds(examples, 5, 42):
        kept = set(held)
        rules = RuleEntityExtractor(resolve_config("rule_entity_extractor", {}), loaded.domain)
        rules.train(TrainingContext(loaded, [ex for i, ex in enumerate(examples) if i not in kept]))
        if not contexts:
            rules.fuzzy["contexts"] = {}
        for i in held:
            for span in examples[i].entities:
                if span.entity not in declared or len(span.text) < 3 or not span.text.isalpha():
                    continue
                typed, _, delta = slip(span.text, rng, LETTER_SLIPS)
                text = examples[i].text[:span.start] + typed + examples[i].text[span.end:]
                turn = Turn(text)
                rules.process(turn)
                got = [e for e in turn.entities if e["entity"] == span.entity and e.get("start") == span.start]
                want = str(span.value if span.value is not None else span.text).lower()
                out["values"] += 1
                kind = "missed" if not got else "read" if str(got[0]["value"]).lower() == want else "other value"
                out[kind] += 1
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rasa-examples", default=str(DEFAULT), help="folder of Rasa projects (default: %(default)s)")
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    from bench.report import write
    from dialogkit.framework.rasa.importer import import_rasa_project

    results: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, src in enumerate(projects(Path(args.rasa_examples))):
            dest = Path(tmp) / f"bot{n}"
            try:
                import_rasa_project(src, dest)
            except Exception as e:  # noqa: BLE001 - a project the importer refuses is reported, not scored
                results[src.name] = {"import_error": str(e)[:200]}
                continue
            on, off = score(dest, True), score(dest, False)
            if not on["values"]:
                continue
            results[src.name] = {"with the context rule": on, "without": off}
            rows.append((f"{src.name} ({on['values']} slipped values): read / another value / missed, with the "
                         "context rule (without)",
                         f"{on['read'] / on['values'] * 100:.1f} % ({off['read'] / off['values'] * 100:.1f} %) / "
                         f"{on['other value']} ({off['other value']}) / {on['missed']} ({off['missed']})", "-"))
    for metric, value, _ in rows:
        print(f"{metric}: {value}")
    if not args.no_write:
        write("rasa_typos", "Typo'd entity values in public Rasa projects (rule extractor, 5 folds)",
              "make bench-rasa-typos", rows, results,
              notes="Each public Rasa project of ../shared/rasa-examples with entities that have lookups or "
              "synonyms, imported; each held-out single-word value typed with one letter slip (seed 28) and "
              "parsed by rule_entity_extractor trained on the other four folds; in brackets without the context "
              "rule (a short or known word one slip from one value, between the neighbours an example gives that "
              "entity). Projects the bot authors wrote, not dialogkit: held out from the rule's design.")


if __name__ == "__main__":
    main()
