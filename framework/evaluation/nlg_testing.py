"""`dialogkit test nlg`: score a bot's response generator on held-out responses.

By default one target (variation or paraphrase) of every generator input that has two or
more is held out, and every example of about a quarter of each record response's field
combinations (``components/nlg/records.py``); the pipeline's NLG component is trained on the rest, and each held-out
input is generated with example slot values. With ``--model``, the trained archive's
generator is scored on all its own targets instead (a fit check, not generalisation).

Reported, before and after the faithfulness guard: BLEU (sacrebleu, against the held-out
targets of each input, filled with the same values; held out, next to the templates' BLEU on
the same references), slot error rate ((missing + wrong or extra) values over required
values, from the guard's checks), the guard's fallback rate, how many top candidates it
refused for repetition, language/script, length and values, the check ``train`` made
(``--model``), and examples of failures. Reports go to ``--out`` (results.json, report.md).
Cases and reply choice are shared with the training-time check
(``components/nlg/selfcheck.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..build.validation import check
from ..domain.loader import load_domain
from ..errors import ConfigError, message

__all__ = ["print_summary", "run_nlg_test"]


def run_nlg_test(
    bot_dir: str, model: str | None = None, out: str = "results/nlg", seed: int = 42, progress: Any = None
) -> dict[str, Any]:
    from dialogkit.components.nlg import records, selfcheck
    from dialogkit.components.nlg.generator import T5NLG
    from dialogkit.components.nlg.plans import training_targets

    from ..build.training import build_pipeline
    from ..domain.training_data import collect_examples
    from ..runtime.pipeline import TrainingContext

    loaded = load_domain(bot_dir)
    check(loaded)
    domain = loaded.domain
    if model is not None:
        from ..runtime.agent import Agent

        gen = next((c for c in Agent.load(model).components if isinstance(c, T5NLG)), None)
    else:
        gen = next((c for _, c in build_pipeline(loaded) if isinstance(c, T5NLG)), None)
    if gen is None:
        raise ConfigError(
            message(
                "DK603",
                name="test nlg",
                problem=f"the pipeline of {model or bot_dir} has no response generator",
                fix="add `- name: t5_nlg` to the pipeline (templates stay its floor)",
            )
        )
    targets = training_targets(domain, gen.plans)
    examples = records.targets(domain, gen.plans)
    kept = None
    if model is None:
        kept, test = selfcheck.hold_out(targets, seed)
        kept_records, test_records = records.hold_out(examples, seed)
        kept, test = kept + kept_records, test + test_records
        if not test:
            raise ConfigError(
                message(
                    "DK603",
                    name="test nlg",
                    problem="no response has two or more ways to say it, so nothing can be held out",
                    fix="add variations or `paraphrases:` to some responses (a record response: `examples:` of 3 or "
                    "more field combinations), or pass --model to score a trained generator",
                )
            )
        if progress:
            progress(f"training the generator on {len(kept)} targets, holding out {len(test)}")
        learnt = kept + records.gaps(domain, gen.plans, {t.input for t in kept if t.record})
        every = targets + examples + records.gaps(domain, gen.plans, set())
        gen.train_pairs([(t.input, t.text) for t in learnt], TrainingContext(loaded, [], seed, progress=progress),
                        vocabulary=[(t.input, t.text) for t in every])
    else:
        test = targets + examples

    # each target is asked for the way the bot asks at run time: from slot values
    values = selfcheck.example_values(domain, collect_examples(loaded))
    outcomes = selfcheck.score(gen, selfcheck.build_cases(gen, test, values, kept))
    required = errors_before = errors_after = 0
    rows = []
    for o in outcomes:
        c = o.case
        required += len(c.present) + len(c.values)
        errors_before += len(o.best_verdict.missing) + len(o.best_verdict.wrong) + len(o.best_verdict.extra)
        errors_after += len(o.verdict.missing) + len(o.verdict.wrong) + len(o.verdict.extra)
        rows.append({"response": c.response, "input": c.input, "references": c.references, "generated": o.best,
                     "guard": o.best_verdict.reason, "reply": o.reply, "fell_back": not o.generated})
    references = [o.case.references for o in outcomes]
    report = {
        "title": f"NLG of {model or bot_dir}: "
        + ("trained model on its own targets" if model else f"{len(test)} held-out targets"),
        "inputs": len(rows),
        "bleu_before_guard": selfcheck.bleu([o.best for o in outcomes], references),
        "bleu_after_guard": selfcheck.bleu([o.reply for o in outcomes], references),
        "ser_before_guard": errors_before / max(1, required),
        "ser_after_guard": errors_after / max(1, required),
        "required_values": required,
        "fallback_rate": sum(not o.generated for o in outcomes) / max(1, len(rows)),
        "refused": selfcheck.problem_counts(outcomes),
        "gate": gen.gate.summary() if gen.gate is not None else None,
        "failures": [r for r in rows if r["guard"] != "ok"][:20],
        "rows": rows,
    }
    if kept is not None:
        report["bleu_templates"] = selfcheck.bleu([o.case.template_reply() or o.reply for o in outcomes], references)
    _write(report, Path(out))
    return report


def _write(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    lines = [f"# {report['title']}", "", "| metric | before guard | after guard |", "|---|---|---|",
             f"| BLEU | {report['bleu_before_guard']:.2f} | {report['bleu_after_guard']:.2f} |",
             f"| slot error rate | {report['ser_before_guard'] * 100:.2f}% | {report['ser_after_guard'] * 100:.2f}% |",
             f"| guard fallback rate | | {report['fallback_rate'] * 100:.2f}% |"]
    if "bleu_templates" in report:
        lines.append(f"| BLEU of the templates (same references) | | {report['bleu_templates']:.2f} |")
    lines += ["", "Top candidates refused: " + _refused(report["refused"]), ""]
    if report.get("gate"):
        lines += [f"Check at training: {report['gate']}", ""]
    lines += ["## Failures (first 20)", ""]
    for f in report["failures"]:
        lines.append(f"- `{f['response']}`: {f['generated']!r} — {f['guard']}")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def print_summary(report: dict[str, Any], out: str) -> None:
    print(report["title"])
    print(f"  inputs              {report['inputs']} ({report['required_values']} required values)")
    print(
        f"  BLEU                {report['bleu_before_guard']:.2f} before guard, {report['bleu_after_guard']:.2f} after"
    )
    print(
        f"  slot error rate     {report['ser_before_guard'] * 100:.2f}% before guard, "
        f"{report['ser_after_guard'] * 100:.2f}% after"
    )
    print(f"  guard fallback rate {report['fallback_rate'] * 100:.2f}%")
    if "bleu_templates" in report:
        print(f"  templates' BLEU     {report['bleu_templates']:.2f} on the same references")
    print(f"  refused candidates  {_refused(report['refused'])}")
    if report.get("gate"):
        print(f"  check at training   {report['gate']}")
    for f in report["failures"][:5]:
        print(f"  failure: {f['response']}: {f['generated']!r} ({f['guard']})")
    print(f"  reports in {Path(out)}/ (results.json, report.md)")


def _refused(counts: dict[str, int]) -> str:
    kinds = [
        ("repetition", "repetition"),
        ("language", "language/script"),
        ("length", "length"),
        ("missing", "missing value"),
        ("wrong", "wrong value"),
        ("extra", "extra value"),
    ]
    return ", ".join(f"{label} {counts.get(k, 0)}" for k, label in kinds)
