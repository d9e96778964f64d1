"""NLU evaluation: intent accuracy and macro-F1, entity-level slot P/R/F1 (seqeval
conventions, per entity), whole-frame sentence accuracy, the errors, a confusion matrix.

Gold and predicted entities are compared as BIO sequences over the same words: the
domain language's spaCy tokens, or any tokenizer given (ATIS uses its own tokens).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..domain.builtins import NLU_FALLBACK
from ..domain.training_data import Example

__all__ = ["evaluate_parses", "write_report"]

Tokens = list[tuple[str, int, int]]


def _tags(tokens: Tokens, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * len(tokens)
    for start, end, label in sorted(spans):
        first = True
        for i, (_, ts, te) in enumerate(tokens):
            if ts < end and te > start and tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + label
                first = False
    return tags


def evaluate_parses(
    examples: list[Example], parses: list[dict[str, Any]], tokenize: Callable[[str], Tokens]
) -> dict[str, Any]:
    """Score ``parses`` (Agent.parse results) against ``examples``. builtin_entities' finds
    (dates, numbers...) count only for entity names the examples annotate."""
    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    gold_intents = [ex.intent or "" for ex in examples]
    pred_intents = [(p.get("intent") or {}).get("name", "") for p in parses]
    gold_tags, pred_tags, errors = [], [], []
    frame_ok = 0
    annotated = {s.entity for ex in examples for s in ex.entities}
    for ex, parse, pi in zip(examples, parses, pred_intents):
        tokens = tokenize(ex.text)
        g = _tags(tokens, [(s.start, s.end, s.entity) for s in ex.entities])
        p = _tags(
            tokens,
            [
                (e["start"], e["end"], e["entity"])
                for e in parse.get("entities", [])
                if e.get("start") is not None
                # dates, numbers... nobody annotates
                and (e["entity"] in annotated or e.get("extractor") != "builtin_entities")
            ],
        )
        gold_tags.append(g)
        pred_tags.append(p)
        ok = pi == ex.intent and g == p
        frame_ok += ok
        if not ok:
            errors.append(
                {
                    "text": ex.text,
                    "intent": ex.intent,
                    "predicted_intent": pi,
                    "confidence": round((parse.get("intent") or {}).get("confidence", 0.0), 4),
                    # under the fallback threshold: what the classifier put first
                    **({"ranked_first": ranking[0].get("name")}
                       if pi == NLU_FALLBACK and (ranking := parse.get("intent_ranking") or []) else {}),
                    "entities": [{"entity": s.entity, "text": s.text} for s in ex.entities],
                    "predicted_entities": [
                        {"entity": e["entity"], "text": ex.text[e["start"] : e["end"]]}
                        for e in parse.get("entities", [])
                        if e.get("start") is not None
                    ],
                }
            )
    labels = sorted(set(gold_intents) | set(pred_intents))
    per_intent = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold_intents, pred_intents))
        fp = sum(g != label and p == label for g, p in zip(gold_intents, pred_intents))
        fn = sum(g == label and p != label for g, p in zip(gold_intents, pred_intents))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_intent[label] = {
            "precision": prec,
            "recall": rec,
            "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
            "support": tp + fn,
        }
    gold_labels = [label for label in labels if per_intent[label]["support"]]
    n = max(len(examples), 1)
    has_entities = any(t != "O" for seq in gold_tags + pred_tags for t in seq)
    slot_report = (
        classification_report(gold_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
        if has_entities
        else {}
    )
    return {
        "examples": len(examples),
        "intent": {
            "accuracy": sum(g == p for g, p in zip(gold_intents, pred_intents)) / n,
            "macro_f1": sum(per_intent[label]["f1"] for label in gold_labels) / max(len(gold_labels), 1),
            "per_intent": per_intent,
            "confusion": {
                "labels": labels,
                "matrix": [
                    [sum(g == a and p == b for g, p in zip(gold_intents, pred_intents)) for b in labels] for a in labels
                ],
            },
        },
        "slots": {
            "precision": float(precision_score(gold_tags, pred_tags, mode="strict", scheme=IOB2, zero_division=0))
            if has_entities
            else 1.0,
            "recall": float(recall_score(gold_tags, pred_tags, mode="strict", scheme=IOB2, zero_division=0))
            if has_entities
            else 1.0,
            "f1": float(f1_score(gold_tags, pred_tags, mode="strict", scheme=IOB2, zero_division=0))
            if has_entities
            else 1.0,
            "token_accuracy": float(accuracy_score(gold_tags, pred_tags)) if gold_tags else 1.0,
            "per_entity": {
                k: {
                    "precision": float(v["precision"]),
                    "recall": float(v["recall"]),
                    "f1": float(v["f1-score"]),
                    "support": int(v["support"]),
                }
                for k, v in slot_report.items()
                if k not in ("micro avg", "macro avg", "weighted avg")
            },
        },
        "sentence_accuracy": frame_ok / n,
        "errors": errors,
    }


def write_report(report: dict[str, Any], out: str | Path, title: str = "NLU evaluation") -> list[Path]:
    """results.json, report.md and confusion_matrix.png in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    i, s = report["intent"], report["slots"]
    lines = [
        f"# {title}",
        "",
        f"{report['examples']} examples.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| intent accuracy | {i['accuracy'] * 100:.2f} |",
        f"| intent macro-F1 | {i['macro_f1'] * 100:.2f} |",
        f"| slot precision | {s['precision'] * 100:.2f} |",
        f"| slot recall | {s['recall'] * 100:.2f} |",
        f"| slot F1 | {s['f1'] * 100:.2f} |",
        f"| sentence accuracy | {report['sentence_accuracy'] * 100:.2f} |",
        "",
        "## Intents",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            for k, v in i["per_intent"].items()
        ],
        "",
        "## Entities",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            for k, v in s["per_entity"].items()
        ],
        "",
        f"## Errors ({len(report['errors'])})",
        "",
        *[
            f"- `{e['text']}`: intent {e['intent']} -> {e['predicted_intent']} ({e['confidence']}); entities "
            f"{[(x['entity'], x['text']) for x in e['entities']]} -> "
            f"{[(x['entity'], x['text']) for x in e['predicted_entities']]}"
            for e in report["errors"][:200]
        ],
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = [out / "results.json", out / "report.md"]
    paths.append(_confusion_png(i["confusion"], out / "confusion_matrix.png"))
    return paths


def _confusion_png(confusion: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], confusion["matrix"]
    size = max(4.0, 0.35 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for a, row in enumerate(matrix):
        for b, v in enumerate(row):
            if v:
                ax.text(b, a, str(v), ha="center", va="center", fontsize=6, color="black" if a != b else "white")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
