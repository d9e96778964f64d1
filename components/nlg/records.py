"""Record responses (``record:`` with ``examples:``) for the generator: data-to-text.

A record response says a record an action found (a branch, a restaurant, an order) in one
sentence. Its examples (record -> text) are the generator's training data: each text with its
values as ``{field}`` placeholders (filled back after generation, so values are copied, never
spelt by the model), and each field whose phrase has no placeholder (``atm: "has an ATM"``)
given as ``atm = yes`` when true (or, when every example says it with the same words, those words
as an ``{atm}`` placeholder: :func:`markers`). The input names the fields the record has; for the
combinations no example shows, the floor's sentence is learnt (:func:`gaps`), so the generator can
start and end any combination; decoding is constrained to place exactly those
placeholders (``t5_runtime.Placement``) and the guard checks the words for the true/false
fields through their markers (:func:`record_lexicon`).

Its check at training (:func:`hold_out`) trains without every example of some field
combinations and compares its replies on those combinations with the template floor's
sentence (the fields' phrases joined); the generator is kept on for the response only when it
is not refused on them and reads at least as close to the examples (BLEU).
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from dialogkit.framework.domain.responses import said
from dialogkit.framework.domain.syntax import find_words, put_placeholder, spaceless

from .guard import Lexicon, normalize
from .plans import ResponsePlan, Target, linearize
from .templates import fill, record_template, records_of, say_record

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

__all__ = ["MIN_COMBINATIONS", "example_template", "fill_values", "gaps", "hold_out", "markers",
           "plans", "record_lexicon", "render", "request", "targets"]

MIN_COMBINATIONS = 3  # field combinations among the examples, for one to be held out and the rest learnt


def plans(domain: Domain) -> dict[str, ResponsePlan]:
    """A plan for each record response with examples: its placeholder fields (a true/false field with a marker
    too: :func:`markers`), the fields it says in words (the other true/false ones)."""
    out = {}
    for name, resp in domain.responses.items():
        spec = resp.record
        if spec is None or not spec.examples:
            continue
        marked = markers(spec)
        texts = [t for ex in spec.examples if (t := example_template(spec, ex, marked)) is not None]
        out[name] = ResponsePlan(name, [f for f in spec.order if f not in spec.lexical or f in marked],
                                 [f for f in spec.lexical if f not in marked], [], " ".join(texts), texts,
                                 record=True, fills=marked)
    return out


def markers(spec: Any) -> dict[str, str]:
    """For each true/false field, the words that say it in every example with it and in none without it
    (the longest such run of its phrase's words, as the first example writes it: "an ATM"), when there is one:
    the generator then places it as a ``{field}`` placeholder filled with those words."""
    out = {}
    for field in spec.lexical:
        common, _ = _field_words(spec, field)
        if len(common) != 1:
            continue
        first = next(ex.text for ex in spec.examples if said(ex.record.get(field)))
        m = find_words(common[0], first)
        if m is not None:
            out[field] = m.group(0)
    return out


def example_template(spec: Any, ex: Any, marked: dict[str, str]) -> str | None:
    """An example's text as the generator learns it: values and markers as placeholders."""
    text = ex.template(spec.lexical)
    for field in marked:
        if text is not None and said(ex.record.get(field)):
            text = put_placeholder(text, _words(marked[field]), field)
    return text


def fill_values(plan: ResponsePlan, record: dict[str, Any]) -> dict[str, Any]:
    """What a reply's placeholders are filled with: the record's values, the markers of its true fields."""
    return {**record, **{f: words for f, words in plan.fills.items() if said(record.get(f))}}


def request(plan: ResponsePlan, record: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """The generator input for one record, the placeholders it must place and the fields it must say in words."""
    present = [f for f in plan.placeholders if said(record.get(f))]
    values = {f: True for f in plan.lexical if said(record.get(f))}
    return linearize(plan.name, present, values, []), present, values


def targets(domain: Domain, record_plans: dict[str, ResponsePlan]) -> list[Target]:
    """One training target per example of the record plans among ``record_plans`` (``record`` set: its values
    are the placeholders' fillings)."""
    out = []
    for name, plan in record_plans.items():
        if not plan.record:
            continue
        spec = domain.responses[name].record
        assert spec is not None
        for ex in spec.examples:
            text = example_template(spec, ex, plan.fills)
            if text is not None:
                out.append(Target(name, request(plan, ex.record)[0], text, fill_values(plan, ex.record), None,
                                  record=True))
    return out


MAX_GAPS = 64  # field combinations filled in from the phrases, per response


def gaps(domain: Domain, record_plans: dict[str, ResponsePlan], covered: set[str]) -> list[Target]:
    """Training targets for the field combinations no example in ``covered`` (their inputs) shows: the floor's
    sentence, its values (and the markers of true fields) as placeholders. They teach the generator how each
    combination starts and ends, so a record it has no example for reads at least as well as the phrases
    (combinations with the subject, at most :data:`MAX_GAPS`, chosen by a fixed seed beyond that)."""
    out = []
    for name, plan in record_plans.items():
        spec = domain.responses[name].record
        if not plan.record or spec is None:
            continue
        subject = spec.subject or spec.order[0]
        rest = [f for f in spec.order if f != subject]
        combos = [[subject, *(f for i, f in enumerate(rest) if mask >> i & 1)]
                  for mask in range(2 ** min(len(rest), 12))]
        if len(combos) > MAX_GAPS:
            combos = random.Random(0).sample(combos, MAX_GAPS)
        for fields in combos:
            record = {f: True for f in fields}
            x = request(plan, record)[0]
            if x in covered:
                continue
            text: str | None = record_template(spec, {f: ("{" + f + "}" if f in plan.placeholders else True)
                                                      for f in fields}, domain.language)
            for f in (f for f in plan.fills if f in fields):  # a true field's words as its placeholder
                text = put_placeholder(text, _words(plan.fills[f]), f) if text else None
            if text:
                out.append(Target(name, x, text, {}, None, record=True))
    return out


def hold_out(record_targets: list[Target], seed: int) -> tuple[list[Target], list[Target]]:
    """Every example of about a quarter of each response's field combinations held out (one at least), when it
    has :data:`MIN_COMBINATIONS`; the check scores the generator on combinations it never saw."""
    rng = random.Random(seed)
    kept: list[Target] = []
    held: list[Target] = []
    for name in dict.fromkeys(t.response for t in record_targets):
        mine = [t for t in record_targets if t.response == name]
        combos = sorted({t.input for t in mine})
        if len(combos) < MIN_COMBINATIONS:
            kept += mine
            continue
        rng.shuffle(combos)
        out = set(combos[: max(1, len(combos) // 4)])
        kept += [t for t in mine if t.input not in out]
        held += [t for t in mine if t.input in out]
    return kept, held


def record_lexicon(domain: Domain, plan: ResponsePlan) -> Lexicon:
    """How the guard finds the true/false fields in a reply: the longest runs (up to six words) of the field's
    phrase that every example with the field says and no example without it, nor another field's phrase, does
    ("an atm" of "has an ATM", said in "has an ATM" and "with an ATM"); failing that, those some example with it
    says; failing that, the whole phrase. Said when not given, the reply is refused."""
    spec = domain.responses[plan.name].record
    assert spec is not None
    forms = {}
    for field in spec.lexical:
        common, some = _field_words(spec, field)
        forms[field] = {"yes": [_written(g) for g in common or some or [_words(spec.fields[field])]]}
    return Lexicon(forms, {f: ["yes"] for f in spec.lexical})


def _field_words(spec: Any, field: str) -> tuple[list[str], list[str]]:
    """The longest runs of words of ``field``'s phrase said by every example with it / by some, and by no
    example without it nor another field's phrase."""
    words = _words(spec.fields[field]).split()
    grams = {" ".join(words[i : i + n]) for n in range(1, 7) for i in range(len(words) - n + 1)}
    with_it = [f" {_words(ex.text)} " for ex in spec.examples if said(ex.record.get(field))]
    others = [f" {_words(ex.text)} " for ex in spec.examples if not said(ex.record.get(field))]
    others += [f" {_words(p)} " for f, p in spec.fields.items() if f != field]
    distinct = {g for g in grams if not any(f" {g} " in o for o in others)}
    common = {g for g in distinct if with_it and all(f" {g} " in t for t in with_it)}
    some = {g for g in distinct if any(f" {g} " in t for t in with_it)}

    def longest(pick: set[str]) -> list[str]:
        return sorted(g for g in pick if not any(g != h and f" {g} " in f" {h} " for h in pick))

    return longest(common), longest(some)


def _words(text: str) -> str:
    """The words of ``text`` as the guard reads them (:func:`~.guard.normalize`), punctuation dropped, each
    character of a script written without spaces a word of its own ("有 自 动 取 款 机"), space-separated."""
    out: list[str] = []
    for run in re.findall(r"\w+", normalize(text)):
        word = ""
        for ch in run:
            if spaceless(ch):
                out += [word, ch] if word else [ch]
                word = ""
            else:
                word += ch
        if word:
            out.append(word)
    return " ".join(out)


def _written(words: str) -> str:
    """:func:`_words` as written: no space next to a character of a script written without spaces."""
    out = ""
    for w in words.split():
        out += (" " if out and not (spaceless(out[-1]) or spaceless(w[0])) else "") + w
    return out


def render(gen: Any, name: str, slots: dict[str, Any], msg: dict[str, Any]) -> None:
    """A record response's message, generated one record (line) at a time; a line the guard refuses every
    candidate for is the floor's (``fallback`` says why)."""
    domain = gen.domain
    spec = domain.responses[name].record
    recs = [r for r in records_of(spec, slots) if record_template(spec, r, domain.language)]
    if not recs:  # nothing to say but `none`: the floor's text
        return
    plan = gen.plans[name]
    reqs = [request(plan, r) for r in recs]
    lines, reason = [], None
    for r, (_, present, values), options in zip(recs, reqs, gen.generate([x for x, _, _ in reqs]), strict=True):
        chosen, verdicts = gen.choose(name, options, r, present, values)
        if chosen is None:
            reason = reason or (verdicts[0][1].reason if verdicts else "no candidate")
            lines.append(say_record(spec, r, domain.language))
        else:
            text = fill(chosen[0], fill_values(plan, r), gen.config.missing_slot_text)
            lines.append(text[:1].upper() + text[1:])
    msg["template"] = msg["text"]
    msg["text"] = "\n".join(lines)
    msg["generated"] = reason is None
    if reason is not None:
        msg["fallback"] = reason

