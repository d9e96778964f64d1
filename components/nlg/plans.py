"""What the generator reads and learns from: each response's plan (the slots it fills in as
placeholders, those it puts into words, its conditions), the linearized input, and the
training targets (every text variation and paraphrase with the input that should produce it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dialogkit.framework.domain.expressions import parse_expression
from dialogkit.framework.domain.syntax import placeholders, value_text

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

__all__ = [
    "ResponsePlan", "Target", "given", "holds", "linearize", "plan_responses", "training_pairs", "training_targets",
]


@dataclass
class ResponsePlan:
    """Which slots a response fills in (placeholders) and which it puts into words (values)."""

    name: str
    placeholders: list[str] = field(default_factory=list)
    lexical: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    wording: str = ""  # its own static text, for the guard's "extra value" check
    texts: list[str] = field(default_factory=list)  # its variations and paraphrases, for the guard's style checks
    record: bool = False  # a record response (``records.py``): its slots are a record's fields
    fills: dict[str, str] = field(default_factory=dict)  # a record's true/false fields placed as words (markers)

    @property
    def slots(self) -> list[str]:
        return sorted({*self.placeholders, *self.lexical})


def plan_responses(domain: Domain) -> dict[str, ResponsePlan]:
    plans = {}
    for name, resp in domain.responses.items():
        texts = [v.text for v in resp.variations if v.text] + [p.text for p in resp.paraphrases]
        if not any(v.text for v in resp.variations):
            continue
        ph = sorted({s for t in texts for s in placeholders(t)})
        lexical = sorted({s for p in resp.paraphrases for s in p.slots if s not in placeholders(p.text)} - set(ph))
        conds = sorted(
            {c for c in [*(v.condition for v in resp.variations), *(p.condition for p in resp.paraphrases)] if c}
        )
        plans[name] = ResponsePlan(name, ph, lexical, conds, " ".join(texts), texts)
    return plans


def linearize(name: str, present: list[str], values: dict[str, Any], conditions: list[str]) -> str:
    """The generator's input: ``name | {a} {b} | slot = value | if condition`` (:func:`given` reads the placeholders
    back)."""
    parts = [name.replace("_", " ")]
    if present:
        parts.append(" ".join("{" + s + "}" for s in sorted(present)))
    parts += [f"{s.replace('_', ' ')} = {value_text(values[s])}" for s in sorted(values)]
    parts += [f"if {c}" for c in conditions]
    return " | ".join(parts)


_GIVEN = re.compile(r"(?:\{\w+\} )*\{\w+\}")


def given(x: str) -> list[str]:
    """The placeholders a :func:`linearize` input gives (its second part; values and conditions come after)."""
    parts = x.split(" | ")
    return placeholders(parts[1]) if len(parts) > 1 and _GIVEN.fullmatch(parts[1]) else []


@dataclass
class Target:
    """One training target: the text, the response it says, the values it states, its condition."""

    response: str
    input: str
    text: str
    values: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    record: bool = False  # an example of a record response: ``values`` is the record


def training_targets(domain: Domain, plans: dict[str, ResponsePlan]) -> list[Target]:
    """Every text variation and paraphrase, with the generator input that should produce it."""
    out = []
    for name, plan in plans.items():
        if plan.record:  # its examples: records.targets
            continue
        resp = domain.responses[name]
        for v in resp.variations:
            if v.text:
                out.append(
                    Target(
                        name,
                        linearize(name, plan.placeholders, {}, [v.condition] if v.condition else []),
                        v.text,
                        {},
                        v.condition,
                    )
                )
        for p in resp.paraphrases:
            values = {s: p.slots[s] for s in plan.lexical if p.slots.get(s) is not None}
            given = (
                [s for s in plan.placeholders if s in placeholders(p.text) or s in p.slots]
                if p.slots
                else plan.placeholders
            )
            out.append(
                Target(
                    name,
                    linearize(name, given, values, [p.condition] if p.condition else []),
                    p.text,
                    dict(p.slots),
                    p.condition,
                )
            )
    return out


def training_pairs(domain: Domain, plans: dict[str, ResponsePlan]) -> list[tuple[str, str]]:
    """(input, target text) for every text variation and paraphrase."""
    return [(t.input, t.text) for t in training_targets(domain, plans)]


def holds(condition: str, slots: dict[str, Any]) -> bool:
    try:
        return bool(parse_expression(condition).evaluate(slots))
    except Exception:  # a condition on an unset slot, or of the wrong type: it does not hold
        return False
