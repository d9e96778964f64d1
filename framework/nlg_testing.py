"""`dialogkit test nlg`: score a bot's response generator on held-out responses.

By default one target (variation or paraphrase) of every generator input that has two or
more is held out, the pipeline's NLG component is trained on the rest, and each held-out
input is generated with example slot values. With ``--model``, the trained archive's
generator is scored on all its own targets instead (a fit check, not generalisation).

Reported, before and after the faithfulness guard: BLEU (sacrebleu, against the held-out
targets of each input, filled with the same values), slot error rate ((missing + wrong
or extra) values over required values, from the guard's checks), and the guard's fallback rate,
with examples of failures. Reports go to ``--out`` (results.json, report.md).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from framework.domain.loader import load_domain
from framework.errors import ConfigError, message
from framework.validation import check

__all__ = ["example_values", "run_nlg_test"]


def example_values(domain: Any, examples: list[Any]) -> dict[str, Any]:
    """One plausible value per slot: a categorical value, an entity value from the examples, a number."""
    seen: dict[str, str] = {}
    for ex in examples:
        for ent in ex.entities:
            seen.setdefault(ent.entity, ex.text[ent.start : ent.end])
    out: dict[str, Any] = {}
    for name, slot in domain.slots.items():
        t = slot.type.value
        entity = next((m.entity for m in slot.mappings if getattr(m, "entity", None)), None)
        if slot.values:
            out[name] = slot.values[0]
        elif t == "bool":
            out[name] = True
        elif t in ("int", "float"):
            out[name] = slot.min if slot.min is not None and slot.min > 1 else 3
        elif entity and entity in seen:
            out[name] = seen[entity]
        else:
            out[name] = f"{name.replace('_', ' ')} X1"
    return out


def _split(targets: list[Any], seed: int) -> tuple[list[Any], list[Any]]:
    """Hold out one target of every input that has two or more."""
    rng = random.Random(seed)
    by_input: dict[str, list[Any]] = {}
    for t in targets:
        by_input.setdefault(t.input, []).append(t)
    train: list[Any] = []
    test: list[Any] = []
    for group in by_input.values():
        group = group[:]
        if len(group) >= 2:
            rng.shuffle(group)
            test.append(group.pop(0))
        train += group
    return train, test


def run_nlg_test(bot_dir: str, model: str | None = None, out: str = "results/nlg", seed: int = 42, progress: Any = None) -> dict[str, Any]:
    import sacrebleu

    from components.nlg.generator import T5NLG, training_targets
    from components.nlg.templates import fill
    from framework.components import TrainingContext
    from framework.training import build_pipeline
    from framework.training_data import collect_examples

    loaded = load_domain(bot_dir)
    check(loaded)
    domain = loaded.domain
    if model is not None:
        from framework.agent import Agent

        gen = next((c for c in Agent.load(model).components if isinstance(c, T5NLG)), None)
    else:
        gen = next((c for _, c in build_pipeline(loaded) if isinstance(c, T5NLG)), None)
    if gen is None:
        raise ConfigError(message("DK603", name="test nlg", problem=f"the pipeline of {model or bot_dir} has no response generator",
                                  fix="add `- name: t5_nlg` to the pipeline (templates stay its floor)"))
    targets = training_targets(domain, gen.plans)
    if model is None:
        train, test = _split(targets, seed)
        if not test:
            raise ConfigError(message("DK603", name="test nlg", problem="no response has two or more ways to say it, so nothing can be held out",
                                      fix="add variations or `paraphrases:` to some responses, or pass --model to score a trained generator"))
        if progress:
            progress(f"training the generator on {len(train)} targets, holding out {len(test)}")
        gen.train_pairs([(t.input, t.text) for t in train], TrainingContext(loaded, [], seed, progress=progress))
    else:
        test = targets

    values = example_values(domain, collect_examples(loaded))
    # each held-out target is asked for the way the bot asks at run time: from slot values
    cases: dict[str, dict[str, Any]] = {}
    for t in test:
        slots = {**values, **t.values}
        if t.condition:
            slots = _satisfy(t.condition, slots, domain) or slots
        x, present, vals = gen.request(t.response, slots)
        case = cases.setdefault(x, {"response": t.response, "slots": slots, "present": present, "values": vals, "references": []})
        case["references"].append(fill(t.text, slots, ""))
    inputs = list(cases)
    rows = []
    required = errors_before = errors_after = fallbacks = 0
    for x, options in zip(inputs, gen.generate(inputs), strict=True):
        c = cases[x]
        name, slots = c["response"], c["slots"]
        verdicts = [(cand, gen.judge(name, cand, slots, c["present"], c["values"])) for cand, _ in options]
        best, best_v = verdicts[0]
        passing = next(((cand, v) for cand, v in verdicts if v.ok), None)
        if passing is None:  # the reply is the template's: judge it the same way
            variation = gen.floor.choose(name, slots)
            after_v = gen.judge(name, variation.text or "", slots, c["present"], c["values"])
            reply = fill(variation.text or "", slots, "")
            fallbacks += 1
        else:
            after_v, reply = passing[1], fill(passing[0], slots, "")
        required += len(c["present"]) + len(c["values"])
        errors_before += len(best_v.missing) + len(best_v.wrong) + len(best_v.extra)
        errors_after += len(after_v.missing) + len(after_v.wrong) + len(after_v.extra)
        rows.append({"response": name, "input": x, "references": c["references"], "generated": fill(best, slots, ""),
                     "guard": best_v.reason, "reply": reply, "fell_back": passing is None})
    width = max(len(r["references"]) for r in rows)
    streams = [[r["references"][i] if i < len(r["references"]) else None for r in rows] for i in range(width)]
    report = {
        "title": f"NLG of {model or bot_dir}: " + ("trained model on its own targets" if model else f"{len(test)} held-out targets"),
        "inputs": len(rows),
        "bleu_before_guard": sacrebleu.corpus_bleu([r["generated"] for r in rows], streams).score,
        "bleu_after_guard": sacrebleu.corpus_bleu([r["reply"] for r in rows], streams).score,
        "ser_before_guard": errors_before / max(1, required),
        "ser_after_guard": errors_after / max(1, required),
        "required_values": required,
        "fallback_rate": fallbacks / max(1, len(rows)),
        "failures": [r for r in rows if r["guard"] != "ok"][:20],
        "rows": rows,
    }
    _write(report, Path(out))
    return report


def _satisfy(condition: str, values: dict[str, Any], domain: Any) -> dict[str, Any] | None:
    """Example values for which ``condition`` holds (tries each slot's other known values), or None."""
    from components.nlg.generator import _holds

    if _holds(condition, values):
        return values
    for name, slot in domain.slots.items():
        tries = list(slot.values or []) + ([slot.max, (slot.max or 20) // 2 + 1, 99, 0, 1] if slot.type.value in ("int", "float") else []) + [True, False]
        for v in tries:
            if v is None:
                continue
            trial = {**values, name: v}
            if _holds(condition, trial):
                return trial
    return None


def _write(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    lines = [f"# {report['title']}", "", "| metric | before guard | after guard |", "|---|---|---|",
             f"| BLEU | {report['bleu_before_guard']:.2f} | {report['bleu_after_guard']:.2f} |",
             f"| slot error rate | {report['ser_before_guard'] * 100:.2f}% | {report['ser_after_guard'] * 100:.2f}% |",
             f"| guard fallback rate | | {report['fallback_rate'] * 100:.2f}% |", "", "## Failures (first 20)", ""]
    for f in report["failures"]:
        lines.append(f"- `{f['response']}`: {f['generated']!r} — {f['guard']}")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def print_summary(report: dict[str, Any], out: str) -> None:
    print(report["title"])
    print(f"  inputs              {report['inputs']} ({report['required_values']} required values)")
    print(f"  BLEU                {report['bleu_before_guard']:.2f} before guard, {report['bleu_after_guard']:.2f} after")
    print(f"  slot error rate     {report['ser_before_guard'] * 100:.2f}% before guard, {report['ser_after_guard'] * 100:.2f}% after")
    print(f"  guard fallback rate {report['fallback_rate'] * 100:.2f}%")
    for f in report["failures"][:5]:
        print(f"  failure: {f['response']}: {f['generated']!r} ({f['guard']})")
    print(f"  reports in {Path(out)}/ (results.json, report.md)")
