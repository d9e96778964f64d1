"""Rasa's DIET on the example bots by 5-fold cross-validation: the reference for bench-nlu-bots.

    python bench/bench_rasa_nlu.py [BOT ...] [--folds 5] [--no-write]

Each bot's examples, entities, lookups, synonyms and regexes are written as a Rasa 3 NLU file
and ``rasa test nlu --cross-validation`` (Rasa 3.6.21 in its own virtualenv, ``make
rasa-oracle-env``) scores Rasa's default pipeline on them: WhitespaceTokenizer (JiebaTokenizer
for Chinese), RegexFeaturizer (lookups and regexes), LexicalSyntacticFeaturizer, word and
character (char_wb 1-4) CountVectorsFeaturizer, DIETClassifier (100 epochs), EntitySynonymMapper,
and a FallbackClassifier at the bot's own ``threshold`` without its ambiguity rule (a fallback
counts as an error, as in bench-nlu-bots). Rasa draws its own stratified folds. Reported: intent accuracy, DIET's entity
F1 (micro average over entity types, Rasa's token-level report) and the time for all folds.
Not a target: it says how far each bot's data lets a mature framework go.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402

RASA_VENV = ROOT / ".cache" / "rasa-3.6.21"


def annotated(text: str, spans: Any) -> str:
    """An example in Rasa's markup: ``[text](entity)`` or with ``{"entity", "value", "role"}``."""
    out, at = "", 0
    for s in sorted(spans, key=lambda s: s.start):
        meta: dict[str, str] = {"entity": s.entity}
        if s.value is not None and s.value != s.text:
            meta["value"] = s.value
        if s.role:
            meta["role"] = s.role
        mark = f"({s.entity})" if len(meta) == 1 else json.dumps(meta, ensure_ascii=False)
        out += text[at : s.start] + f"[{text[s.start:s.end]}]" + mark
        at = s.end
    return out + text[at:]


def rasa_nlu(loaded: Any, examples: list[Any]) -> dict[str, Any]:
    """The bot's NLU data as a Rasa 3 ``nlu.yml`` document."""
    by_intent: dict[str, list[str]] = {}
    for ex in examples:
        by_intent.setdefault(str(ex.intent), []).append(annotated(ex.text, ex.entities))
    nlu: list[dict[str, Any]] = [
        {"intent": name, "examples": "".join(f"- {e}\n" for e in items)} for name, items in by_intent.items()
    ]
    for name, ent in loaded.domain.entities.items():
        if ent.lookup:
            nlu.append({"lookup": name, "examples": "".join(f"- {v}\n" for v in ent.lookup)})
        for i, pattern in enumerate(ent.regex):
            nlu.append({"regex": f"{name}" if i == 0 else f"{name}_{i}", "examples": f"- {pattern}\n"})
        for canonical, variants in ent.synonyms.items():
            nlu.append({"synonym": str(canonical), "examples": "".join(f"- {v}\n" for v in variants)})
    return {"version": "3.1", "nlu": nlu}


def rasa_config(language: str, threshold: float) -> dict[str, Any]:
    tokenizer = {"name": "JiebaTokenizer"} if language.startswith("zh") else {"name": "WhitespaceTokenizer"}
    return {
        "recipe": "default.v1",
        "language": language,
        "assistant_id": "bench",
        "pipeline": [
            tokenizer,
            {"name": "RegexFeaturizer", "use_lookup_tables": True, "use_regexes": True},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": 100, "random_seed": 42},
            {"name": "EntitySynonymMapper"},
            # the bot's threshold, and no ambiguity rule (bert_nlu has none)
            {"name": "FallbackClassifier", "threshold": threshold, "ambiguity_threshold": 0.0},
        ],
        "policies": [],
    }


def bot_threshold(loaded: Any) -> float:
    for step in loaded.domain.pipeline or []:
        if step.name == "bert_nlu":
            return float(step.config().get("threshold", 0.4))
    return 0.4


def run_rasa(project: Path, folds: int, log: Path) -> None:
    with log.open("ab") as f:
        subprocess.run(
            [str(RASA_VENV / "bin" / "rasa"), "test", "nlu", "--nlu", "data/nlu.yml", "--config", "config.yml",
             "--cross-validation", "--folds", str(folds), "--out", "results", "--no-plot", "--successes"],
            cwd=project, stdout=f, stderr=subprocess.STDOUT, check=True, timeout=3 * 3600,
            env={"PATH": "/usr/bin:/bin", "HOME": str(project), "TF_CPP_MIN_LOG_LEVEL": "3",
                 "RASA_TELEMETRY_ENABLED": "false", "OMP_NUM_THREADS": "2"},
        )


def scores(results: Path) -> dict[str, float]:
    intent = json.loads((results / "intent_report.json").read_text(encoding="utf-8"))
    out = {"intent_accuracy": float(intent["accuracy"])}
    errors = results / "intent_errors.json"
    if errors.is_file():  # what the FallbackClassifier turned into nlu_fallback, beside wrong intents
        wrong = json.loads(errors.read_text(encoding="utf-8"))
        out["intent_errors"] = len(wrong)
        out["fallback_errors"] = sum((e.get("intent_prediction") or {}).get("name") == "nlu_fallback" for e in wrong)
    diet = results / "DIETClassifier_report.json"
    if diet.is_file():
        report = json.loads(diet.read_text(encoding="utf-8"))
        avg = report.get("micro avg") or report.get("weighted avg") or {}
        out["entity_f1"] = float(avg.get("f1-score", 0.0))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bots", nargs="*", default=["restaurant", "banking", "tickets_zh"])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()
    if not (RASA_VENV / "bin" / "rasa").is_file():
        sys.exit(f"no Rasa at {RASA_VENV}: run `make rasa-oracle-env` first")

    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    results: dict[str, Any] = {}
    rows = []
    for bot in args.bots:
        path = Path(bot) if Path(bot).is_dir() else ROOT / "domains" / bot
        loaded = load_domain(path)
        examples = collect_examples(loaded)
        name = loaded.domain.name or path.name
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp)
            (project / "data").mkdir()
            (project / "data" / "nlu.yml").write_text(
                yaml.safe_dump(rasa_nlu(loaded, examples), allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            config = rasa_config(loaded.domain.language, bot_threshold(loaded))
            (project / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            log = ROOT / ".cache" / f"rasa_nlu_{name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("", encoding="utf-8")
            t0 = time.perf_counter()
            try:
                run_rasa(project, args.folds, log)
            except subprocess.CalledProcessError:
                tail = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
                sys.exit(f"{name}: rasa test nlu failed ({log}): {tail[-1] if tail else 'no output'}")
            seconds = time.perf_counter() - t0
            got = scores(project / "results")
            kept = ROOT / ".cache" / f"rasa_nlu_{name}"  # Rasa's reports, to read its errors
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(project / "results", kept)
        results[name] = {"language": loaded.domain.language, "examples": len(examples), "folds": args.folds,
                         "seconds": seconds, "fallback_threshold": config["pipeline"][-1]["threshold"], **got}
        f1 = f"{got['entity_f1'] * 100:.2f}" if "entity_f1" in got else "-"
        rows.append((f"{name} ({loaded.domain.language}, {len(examples)} examples): Rasa 3.6.21 DIET intent accuracy "
                     "/ entity F1", f"{got['intent_accuracy'] * 100:.2f} / {f1}", "- (reference)"))
        if "fallback_errors" in got:
            rows.append((f"{name}: Rasa's intent errors / of them under the fallback threshold",
                         f"{got['intent_errors']:.0f} / {got['fallback_errors']:.0f}", "-"))
        rows.append((f"{name}: time for {args.folds} folds (Rasa)", f"{seconds / 60:.1f} min", "-"))
        print(f"{name}: Rasa intent {got['intent_accuracy'] * 100:.2f}, entity F1 {f1} in {seconds:.0f}s", flush=True)
    if not args.no_write:
        write("rasa_nlu", f"NLU reference: Rasa's DIET on the example bots, {args.folds}-fold cross-validation",
              "make bench-rasa-nlu", rows, results,
              notes="Rasa 3.6.21's default pipeline on each bot's own data (its lookups and regexes as "
              "RegexFeaturizer features, its synonyms mapped), a FallbackClassifier at the bot's threshold; "
              "JiebaTokenizer for Chinese. Rasa's folds are its own (stratified); entity F1 is DIET's micro "
              "average from Rasa's report. Compare with bench-nlu-bots (dialogkit's defaults, same data).")


if __name__ == "__main__":
    main()
