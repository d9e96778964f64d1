"""The faithfulness guard: a generated reply may state exactly the values it was given.

A candidate is the generator's output as a template (slot values still ``{slot}``
placeholders). It passes when

* every required placeholder is there and no other placeholder is (values filled into
  placeholders are copied, so they are right by construction);
* every required *lexical* value (a value the model had to put into words, such as
  ``familyFriendly: no`` -> "not family-friendly") is found through its surface forms;
* no other known value is found: not another value of a slot the reply uses (wrong),
  nor a value of a slot the reply may use but was not given (hallucinated), nor the
  value of any other filled slot unless the response's own wording contains it (extra).

Surface forms are found longest first without overlap, so "not family friendly" is read
as the ``no`` value and its inner "family friendly" does not also count as ``yes``.

The guard also reads the whole reply against the response's own texts (:func:`style_problems`):
it is refused when it repeats a word or phrase they do not repeat (``repetition``), when it
lacks the script they are written in or has no words at all (``language``), when its
length is far outside theirs (``length``), or when it drops a number written in all of them
or writes one none of them has (``numbers``: "8 days", "5% to 20%" are facts, not wording).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dialogkit.framework.domain.schema import Domain, FromEntity
from dialogkit.framework.domain.syntax import PLACEHOLDER_RE, placeholders, spaceless, value_text


def normalize(text: str) -> str:
    """Lower case, hyphens/underscores and runs of spaces as one space (for matching only)."""
    return " ".join(re.sub(r"[-_]", " ", text.lower()).split())




@dataclass
class Verdict:
    missing: list[str] = field(default_factory=list)  # "slot" or "slot=value"
    wrong: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)  # "repetition: ...", "language: ...", "length: ..."

    @property
    def ok(self) -> bool:
        return not (self.missing or self.wrong or self.extra or self.style)

    @property
    def reason(self) -> str:
        parts = [
            f"{k}: {', '.join(v)}"
            for k, v in (("missing", self.missing), ("wrong", self.wrong), ("extra", self.extra))
            if v
        ]
        return "; ".join(self.style + parts) or "ok"


# --- the whole reply against the response's own texts ------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)?")  # a number written in digits (not a placeholder's)
_SPACELESS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


@lru_cache(maxsize=16384)
def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else None


def _units(text: str) -> list[str]:
    """Words of ``text`` without placeholders, lower case; characters one by one in scripts
    written without spaces (Chinese, Japanese, Thai...)."""
    out: list[str] = []
    for word in _WORD.findall(PLACEHOLDER_RE.sub(" ", text).lower()):
        if any(_script(c) in _SPACELESS for c in word):
            out.extend(c for c in word if c.isalnum())
        else:
            out.append(word)
    return out


def _ngram_counts(units: list[str], n: int) -> dict[tuple[str, ...], int]:
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(units) - n + 1):
        key = tuple(units[i : i + n])
        counts[key] = counts.get(key, 0) + 1
    return counts


@dataclass(frozen=True)
class _Wording:
    """What a response's own texts do, computed once per response (every reply is judged against it)."""

    own: tuple[tuple[str, ...], ...]  # each text's units
    needed: frozenset[str]  # scripts every text is written in
    doubled: frozenset[tuple[str, str]]  # words a text itself says twice in a row
    allowed: tuple[dict[tuple[str, ...], int], ...]  # per n (1, 2, 3): the most times any text says each n-gram
    lengths: tuple[int, ...]
    numbers: frozenset[str] = frozenset()  # numbers every text writes
    any_numbers: frozenset[str] = frozenset()  # numbers some text writes


@lru_cache(maxsize=4096)
def _wording(texts: tuple[str, ...]) -> _Wording:
    own = [_units(t) for t in texts]
    own_scripts = [{s for c in PLACEHOLDER_RE.sub(" ", t) if (s := _script(c))} for t in texts]
    allowed = []
    for n in (1, 2, 3):
        most: dict[tuple[str, ...], int] = {}
        for units in own:
            for key, c in _ngram_counts(units, n).items():
                most[key] = max(most.get(key, 0), c)
        allowed.append(most)
    return _Wording(
        tuple(tuple(u) for u in own),
        frozenset(set.intersection(*own_scripts)),
        frozenset((a, b) for u in own for a, b in zip(u, u[1:]) if a == b),
        tuple(allowed),
        tuple(len(u) for u in own if u),
        frozenset(set.intersection(*(_numbers(t) for t in texts))),
        frozenset(set().union(*(_numbers(t) for t in texts))),
    )


def _numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(PLACEHOLDER_RE.sub(" ", text)))


def style_problems(template: str, texts: list[str]) -> list[str]:
    """Why ``template`` reads worse than the response's own ``texts`` (empty: it does not)."""
    if not texts:
        return []
    units = _units(template)
    wording = _wording(tuple(texts))
    if not units and any(wording.own):
        return ["language: no words, only punctuation or placeholders"]
    have = {s for c in PLACEHOLDER_RE.sub(" ", template) if (s := _script(c))}
    if wording.needed - have:
        return [
            f"language: no {', '.join(sorted(wording.needed - have))} characters, though the response is written in "
            "them"
        ]
    problems: list[str] = []
    # a word said twice in a row, which none of the response's texts does ("hawaiian, hawaiian")
    for a, b in zip(units, units[1:]):
        if a == b and (a, b) not in wording.doubled:
            problems.append(f"repetition: '{a}' twice in a row")
            break
    # a word or phrase said more often than any of the response's texts says it (single
    # characters of unspaced scripts are letters of words, not words: only their runs count)
    for n in (3, 2, 1):
        if problems:
            break
        allowed = wording.allowed[n - 1]
        for key, c in _ngram_counts(units, n).items():
            if n == 1 and any(_script(ch) in _SPACELESS for ch in key[0]):
                continue
            short = n == 1 and len(key[0]) < 4
            if c > max(1, allowed.get(key, 0)) and not (short and c <= allowed.get(key, 0) + 1):
                problems.append(f"repetition: '{' '.join(key)}' x{c}")
                break
    numbers = _numbers(template)
    if wording.numbers - numbers:
        problems.append(f"numbers: {', '.join(sorted(wording.numbers - numbers))} missing")
    elif numbers - wording.any_numbers:
        problems.append(f"numbers: {', '.join(sorted(numbers - wording.any_numbers))} not in the response")
    if wording.lengths and units:
        low, high = min(wording.lengths), max(wording.lengths)
        if len(units) < low // 2 or len(units) > high * 2 + 3:
            problems.append(f"length: {len(units)} words where the response has {low}-{high}")
    return problems


class Lexicon:
    """Surface forms of slot values: the value itself plus the synonyms of the entities the slot is filled from."""

    def __init__(
        self, forms: dict[str, dict[str, list[str]]] | None = None, values: dict[str, list[str]] | None = None
    ):
        self.forms = forms or {}  # slot -> canonical value -> forms
        self.values = values or {}  # slot -> every known value (categorical values, synonym canonicals)

    @classmethod
    def from_domain(cls, domain: Domain) -> Lexicon:
        forms: dict[str, dict[str, list[str]]] = {}
        values: dict[str, list[str]] = {}
        for name, slot in domain.slots.items():
            known = [value_text(v) for v in (slot.values or [])]
            entities = {m.entity for m in slot.mappings if isinstance(m, FromEntity)}
            per_value: dict[str, list[str]] = {}
            for ent in entities:
                if ent in domain.entities:
                    for canonical, variants in domain.entities[ent].synonyms.items():
                        per_value.setdefault(canonical, []).extend(variants)
                        if canonical not in known:
                            known.append(canonical)
            forms[name] = per_value
            values[name] = known
        return cls(forms, values)

    def surface(self, slot: str, value: Any) -> list[str]:
        text = value_text(value)
        return sorted(
            {normalize(f) for f in [text, *self.forms.get(slot, {}).get(text, [])] if normalize(f)},
            key=len,
            reverse=True,
        )

    def alternatives(self, slot: str, value: Any) -> list[str]:
        text = value_text(value)
        return [v for v in self.values.get(slot, []) if v != text]




def _static_text(template: str) -> str:
    """The template with placeholders blanked and literal braces restored."""
    return PLACEHOLDER_RE.sub(lambda m: " \x00 " if m.group(1) else m.group(0)[0], template)


def find_spans(text: str, candidates: list[tuple[str, str, str]]) -> list[set[tuple[str, str]]]:
    """The ``(slot, value)`` keys read at each matched span of ``text``, longest form first, no overlaps (whole
    words; a form in a script written without spaces is found inside a run of its characters).

    ``candidates`` are ``(slot, value, form)``; a form shared by several values (E2E's
    "high price" for both ``high`` and ``more than £30``) reads as all of them at once.
    """
    norm = f" {normalize(text)} "
    by_span: dict[tuple[int, int], set[tuple[str, str]]] = {}
    for slot, value, form in candidates:
        before = "" if spaceless(form[0]) else r"(?<=[^\w])"  # Chinese, Japanese...: words touch
        after = "" if spaceless(form[-1]) else r"(?=[^\w])"
        for m in re.finditer(before + re.escape(form) + after, norm):
            by_span.setdefault((m.start(), m.end()), set()).add((slot, value))
    taken: list[tuple[int, int]] = []
    out: list[set[tuple[str, str]]] = []
    for (start, end), keys in sorted(by_span.items(), key=lambda kv: (-(kv[0][1] - kv[0][0]), kv[0][0])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        out.append(keys)
    return out


def find_values(text: str, candidates: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """Which ``(slot, value)`` of ``candidates`` ``(slot, value, form)`` occur in ``text``."""
    return {k for keys in find_spans(text, candidates) for k in keys}


def check(
    template: str,
    *,
    required_placeholders: Iterable[str],
    required_values: dict[str, Any],
    response_slots: Iterable[str],
    filled: dict[str, Any],
    lexicon: Lexicon,
    own_wording: str = "",
    own_texts: list[str] | None = None,
) -> Verdict:
    """Judge one candidate ``template`` for a reply.

    ``required_placeholders``: slots given to the generator as placeholders;
    ``required_values``: slots given as values to put into words;
    ``response_slots``: every slot this response can mention;
    ``filled``: every filled slot of the conversation;
    ``own_wording``: the response's own variations, whose literal words are never "extra";
    ``own_texts``: its variations and paraphrases one by one, for :func:`style_problems`.
    """
    verdict = Verdict(style=style_problems(template, own_texts or []))
    required = set(required_placeholders)
    present = placeholders(template)
    verdict.missing += [s for s in sorted(required) if s not in present]
    verdict.extra += sorted({f"{{{s}}}" for s in present if s not in required})

    used = set(response_slots)
    candidates: list[tuple[str, str, str]] = []
    tags: dict[tuple[str, str], str] = {}

    def add(slot: str, value: Any, tag: str) -> None:
        key = (slot, value_text(value))
        if key in tags:
            return
        tags[key] = tag
        candidates.extend((slot, key[1], f) for f in lexicon.surface(slot, value))

    for slot, value in required_values.items():
        add(slot, value, "required")
    for slot in sorted(used):
        current = filled.get(slot)
        if slot in required_values or slot in required:
            for alt in lexicon.alternatives(slot, current):
                add(slot, alt, "wrong")
        else:
            for v in lexicon.values.get(slot, []):
                add(slot, v, "hallucinated")
    for slot, value in filled.items():
        if value is not None and slot not in used and not isinstance(value, (list, dict)):
            forms = [(slot, value_text(value), f) for f in lexicon.surface(slot, value)]
            if not find_values(own_wording, forms):  # the response's own words may name it
                add(slot, value, "extra")

    found: set[tuple[str, str]] = set()
    for keys in find_spans(_static_text(template), candidates):
        required_here = {k for k in keys if tags.get(k) == "required"}
        found |= required_here or keys  # a span that states a required value is not also a wrong one
    for (slot, value), tag in tags.items():
        if tag == "required" and (slot, value) not in found:
            verdict.missing.append(f"{slot}={value}")
        elif tag == "wrong" and (slot, value) in found:
            verdict.wrong.append(f"{slot}={value}")
        elif tag in ("hallucinated", "extra") and (slot, value) in found:
            verdict.extra.append(f"{slot}={value}")
    return verdict
