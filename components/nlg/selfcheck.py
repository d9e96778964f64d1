"""Does the generator earn its place on this bot? Scoring it the way the user meets it.

Shared by training (the gate) and ``dialogkit test nlg``:

* :func:`build_cases` turns training targets into the requests the bot makes at run time
  (example slot values, a condition's variation asked with values for which it holds), one
  case per generator input with the filled reference texts;
* :func:`score` generates every case and picks the reply as the running bot does (the first
  candidate the guard passes, else the template), keeping the guard's verdicts;
* :func:`decide` is the gate: after training, ``t5_nlg`` is kept off for the responses it
  cannot write (its vocabulary cannot spell their texts) or fails on its own inputs (every
  candidate refused), and off for the whole bot when it is refused on too many responses,
  when its replies to held-out variations score under the templates' (BLEU), or when no
  response has a second way to say it (it could only copy the templates).

The result (:class:`GateReport`) is saved with the model, printed by ``train``, shown by
``shell --debug`` and ``/version``.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from dialogkit.framework.domain.schema import Domain, FromEntity

from .guard import Verdict
from .templates import fill, record_template

__all__ = [
    "Case",
    "decide_records",
    "report",
    "GateReport",
    "Outcome",
    "build_cases",
    "decide",
    "example_values",
    "hold_out",
    "problem_counts",
    "score",
    "too_few",
]


def example_values(domain: Domain, examples: list[Any]) -> dict[str, Any]:
    """One plausible value per slot: a categorical value, an entity value from the examples, a number."""
    seen: dict[str, str] = {}
    for ex in examples:
        for ent in ex.entities:
            seen.setdefault(ent.entity, ex.text[ent.start : ent.end])
    out: dict[str, Any] = {}
    for name, slot in domain.slots.items():
        t = slot.type.value
        entity = next((m.entity for m in slot.mappings if isinstance(m, FromEntity)), None)
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


def satisfy(condition: str, values: dict[str, Any], domain: Domain) -> dict[str, Any] | None:
    """Example values for which ``condition`` holds (tries each slot's other known values), or None."""
    from .plans import holds

    if holds(condition, values):
        return values
    for name, slot in domain.slots.items():
        tries = (
            list(slot.values or [])
            + ([slot.max, (slot.max or 20) // 2 + 1, 99, 0, 1] if slot.type.value in ("int", "float") else [])
            + [True, False]
        )
        for v in tries:
            if v is None:
                continue
            trial = {**values, name: v}
            if holds(condition, trial):
                return trial
    return None


def hold_out(targets: list[Any], seed: int) -> tuple[list[Any], list[Any]]:
    """Hold out one target of every generator input that has two or more."""
    rng = random.Random(seed)
    by_input: dict[str, list[Any]] = {}
    for t in targets:
        by_input.setdefault(t.input, []).append(t)
    kept: list[Any] = []
    held: list[Any] = []
    for group in by_input.values():
        group = group[:]
        if len(group) >= 2:
            rng.shuffle(group)
            held.append(group.pop(0))
        kept += group
    return kept, held


@dataclass
class Case:
    """One request the bot makes: a response with slot values, and what it may say."""

    response: str
    input: str
    slots: dict[str, Any]
    present: list[str]
    values: dict[str, Any]
    references: list[str] = field(default_factory=list)  # filled texts it should read like
    templates: list[str] = field(default_factory=list)  # texts the templates would say instead (held out: the others)

    def template_reply(self) -> str:
        """What the templates say here, filled (held out: a text other than the references)."""
        return fill(self.templates[0], self.slots, "") if self.templates else ""


def build_cases(gen: Any, targets: list[Any], values: dict[str, Any], kept: list[Any] | None = None) -> list[Case]:
    """One case per generator input of ``targets``; ``kept`` (the targets trained on) gives
    each held-out case the texts a template would say in its place."""
    domain = gen.domain
    cases: dict[str, Case] = {}
    case_of: dict[str, str] = {}  # training input -> the case's run-time input
    for t in targets:
        slots = dict(t.values) if t.record else {**values, **t.values}  # a record response's slots: the record
        if t.condition:
            slots = satisfy(t.condition, slots, domain) or slots
        x, present, vals = gen.request(t.response, slots)
        case = cases.setdefault(x, Case(t.response, x, slots, present, vals))
        if t.record and not case.templates:  # what the floor says in its place: the fields' phrases joined
            case.templates.append(record_template(domain.responses[t.response].record, slots, domain.language))
        case.references.append(fill(t.text, slots, ""))
        case_of.setdefault(t.input, x)
    for t in kept or []:
        if t.input in case_of:
            case = cases[case_of[t.input]]
            case.templates.append(t.text)
    return list(cases.values())


@dataclass
class Outcome:
    case: Case
    best: str  # the top candidate, filled
    best_verdict: Verdict
    reply: str  # what the user reads: a passing candidate or the template, filled
    verdict: Verdict  # the guard's verdict on the reply
    generated: bool


def score(gen: Any, cases: list[Case]) -> list[Outcome]:
    """Generate every case and choose the reply as the running bot does (``pick: best``)."""
    out = []
    for case, options in zip(cases, gen.generate([c.input for c in cases]), strict=True):
        passing, verdicts = gen.choose(case.response, options, case.slots, case.present, case.values, pick="best")
        best, best_v = verdicts[0] if verdicts else ("", Verdict(style=["no candidate"]))
        if passing is None:  # the template is said: judged the same way
            text = case.templates[0] if case.templates else gen.floor.choose(case.response, case.slots).text or ""
            out.append(Outcome(case, fill(best, case.slots, ""), best_v, fill(text, case.slots, ""),
                               gen.judge(case.response, text, case.slots, case.present, case.values), False))
        else:
            out.append(
                Outcome(case, fill(best, case.slots, ""), best_v, fill(passing[0], case.slots, ""), passing[1], True)
            )
    return out


def problem_counts(outcomes: list[Outcome]) -> dict[str, int]:
    """How many top candidates the guard refused, by kind (repetition, language, length, missing, wrong, extra)."""
    counts = {k: 0 for k in ("repetition", "language", "length", "missing", "wrong", "extra")}
    for o in outcomes:
        v = o.best_verdict
        kinds = {p.split(":", 1)[0] for p in v.style} | {k for k in ("missing", "wrong", "extra") if getattr(v, k)}
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
    return counts


def bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    import sacrebleu

    width = max(len(r) for r in references)
    streams = [[r[i] if i < len(r) else None for r in references] for i in range(width)]
    tokenize = "zh" if any("\u3400" <= ch <= "\u9fff" for r in references for t in r for ch in t) else "13a"
    return float(sacrebleu.corpus_bleu(hypotheses, streams, tokenize=tokenize).score)  # type: ignore[arg-type]  # None: no reference in that stream


@dataclass
class GateReport:
    """What the generator's check after training found, and where replies are generated."""

    on: bool = True
    reason: str = ""  # why it is off for the whole bot
    off: dict[str, str] = field(default_factory=dict)  # response -> why it keeps its templates
    responses: int = 0
    inputs: int = 0  # own inputs checked
    refused: int = 0  # of them, with every candidate refused
    held_out: int = 0
    bleu_generator: float | None = None  # on the held-out variations, after the guard
    bleu_templates: float | None = None  # the templates' texts against the same references
    problems: dict[str, int] = field(default_factory=dict)
    forced: bool = False  # `gate: false`: generated everywhere whatever the check found
    records: list[str] = field(default_factory=list)  # record responses generated (checked on unseen combinations)
    record_checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # their figures

    def generates(self, response: str) -> bool:
        return self.forced or response in self.records or (self.on and response not in self.off)

    def summary(self) -> str:
        if self.forced:
            return f"generated for all {self.responses} responses (gate: false; the check would have {self._verdict()})"
        return self._verdict()

    def _verdict(self) -> str:
        said = "; ".join(
            f"{n} generated (on {c['held_out']} field combinations it did not see: refused on "
            f"{c['refused']}, BLEU {c['bleu_generator']:.1f} vs the phrases' {c['bleu_templates']:.1f})"
            for n, c in sorted(self.record_checks.items()) if n in self.records
        )
        if not self.on:
            return f"templates only: {self.reason}" + (f"; records: {said}" if said else "")
        if said:
            return (self._plain_verdict() + "; " if self.responses else "") + f"records: {said}"
        return self._plain_verdict()

    def _plain_verdict(self) -> str:
        if not self.responses:  # a bot of record responses only
            off = "; ".join(f"{name} ({why})" for name, why in sorted(self.off.items()))
            return f"templates for {off}" if off else "no response to generate"
        if self.off:
            return (f"generated for {self.responses - len(self.off)} of {self.responses} responses; templates for "
                    + "; ".join(f"{name} ({why})" for name, why in sorted(self.off.items())))
        return f"generated for all {self.responses} responses"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateReport:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


MIN_HELD_OUT = 3  # inputs with a second way to say them, for the held-out comparison to mean something


def too_few(held: int, records: bool = False) -> str:
    return (f"only {held} of its inputs can be said two ways ({MIN_HELD_OUT} are needed to check it "
            "against the templates), so it could only copy them"
            + ("; and no record response's examples show 3 field combinations" if records else ""))


def decide(gen: Any, own: list[Outcome], held: list[Outcome], max_off: float, bleu_margin: float,
           held_records: list[Outcome] | None = None) -> GateReport:
    """The gate: see the module docstring (record responses: :func:`decide_records`)."""
    from .codec import unwritable

    plain = [o for o in own if not gen.plans[o.case.response].record]
    report = GateReport(responses=sum(not p.record for p in gen.plans.values()), inputs=len(plain),
                        refused=sum(not o.generated for o in plain), held_out=len(held), problems=problem_counts(plain))
    for name, plan in gen.plans.items():
        text = unwritable(gen.codec, plan.texts)
        if text is not None:
            report.off[name] = f"its vocabulary cannot write {text!r}"
    for o in plain:
        if not o.generated and o.case.response not in report.off:
            report.off[o.case.response] = o.best_verdict.reason
    decide_records(gen, report, own, held_records or [], max_off, bleu_margin)
    if held:
        report.bleu_generator = bleu([o.reply for o in held], [o.case.references for o in held])
        report.bleu_templates = bleu(
            [o.case.template_reply() or o.reply for o in held], [o.case.references for o in held]
        )
    plain_off = [n for n in report.off if not gen.plans[n].record]
    if not report.responses:  # records only: each was decided on its own
        pass
    elif len(plain_off) > max_off * report.responses:
        report.on, report.reason = (
            False,
            f"refused on {len(plain_off)} of {report.responses} responses (more than {max_off:.0%})",
        )
    elif len(held) < MIN_HELD_OUT:
        report.on, report.reason = False, too_few(len(held))
    elif (
        report.bleu_generator is not None
        and report.bleu_templates is not None
        and report.bleu_generator < report.bleu_templates - bleu_margin
    ):
        report.on, report.reason = (
            False,
            (
                f"on held-out variations its replies score BLEU {report.bleu_generator:.1f}, "
                f"under the templates' {report.bleu_templates:.1f}"
            ),
        )
    return report


def decide_records(gen: Any, report: GateReport, own: list[Outcome], held: list[Outcome], max_off: float,
                   bleu_margin: float) -> None:
    """Each record response is generated when, on the field combinations held out at training, the guard
    refuses at most ``max_off`` of its replies and they score no less BLEU (within ``bleu_margin``) than the
    floor's sentences; and it is refused on at most ``max_off`` of the combinations it learnt."""
    from .records import MIN_COMBINATIONS

    for name, plan in gen.plans.items():
        if not plan.record or name in report.off:
            continue
        mine = [o for o in held if o.case.response == name]
        learnt = [o for o in own if o.case.response == name]
        if not mine:
            report.off[name] = (f"its examples show fewer than {MIN_COMBINATIONS} field combinations, so it cannot be "
                                "checked on one it did not see")
            continue
        check = {"held_out": len(mine), "refused": sum(not o.generated for o in mine),
                 "learnt": len(learnt), "refused_learnt": sum(not o.generated for o in learnt),
                 "bleu_generator": bleu([o.reply for o in mine], [o.case.references for o in mine]),
                 "bleu_templates": bleu([o.case.template_reply() for o in mine], [o.case.references for o in mine])}
        report.record_checks[name] = check
        if check["refused"] > max_off * len(mine) or check["refused_learnt"] > max_off * max(1, len(learnt)):
            worst = next(o for o in [*mine, *learnt] if not o.generated)
            report.off[name] = (f"refused on {check['refused']} of {len(mine)} field combinations it "
                                f"did not see and {check['refused_learnt']} of {len(learnt)} it learnt "
                                f"({worst.best_verdict.reason})")
        elif check["bleu_generator"] < check["bleu_templates"] - bleu_margin:
            report.off[name] = (f"on field combinations it did not see its replies score BLEU "
                                f"{check['bleu_generator']:.1f}, under the phrases' {check['bleu_templates']:.1f}")
        else:
            report.records.append(name)


def report(gen: Any, context: Any, say: Any) -> None:
    """One progress line, and a warning with the fix where the check keeps templates."""
    gate = gen.gate
    assert gate is not None
    say(f"{gen.name}: {gate.summary()}")
    if gate.forced:
        return
    from dialogkit.framework.errors import message

    where = context.loaded.where("pipeline") if hasattr(context.loaded, "where") else None
    if not gate.on:
        which = "this bot" if not gate.records else "this bot's responses but " + ", ".join(gate.records)
        context.warnings.append(message("DK607", where, "warning", which=which, reason=gate.reason))
    off = gate.off if gate.on else {k: v for k, v in gate.off.items() if gen.plans.get(k) and gen.plans[k].record}
    if off:
        context.warnings.append(message("DK608", where, "warning", n=len(off), total=len(gen.plans),
                                        which="; ".join(f"{k} ({v})" for k, v in sorted(off.items()))))
