"""Entities from lookup lists, synonyms, annotated example values and regexes.

Lookup phrases are matched by spaCy's PhraseMatcher on whole tokens of the domain's
language (so Chinese and other unspaced scripts work), case-insensitively (the LOWER
attribute) unless ``case_sensitive``; regexes are Python ``re`` patterns over the text.
Overlapping matches keep the longer (then the earlier) one. Synonyms map a match to its
canonical value. With ``fuzzy`` (on by default), declared lookup and synonym phrases also
match with typos (:mod:`dialogkit.components.nlu.fuzzy`: extractor ``fuzzy``, the similarity
as confidence) where no exact match is. With ``learn_from_examples``, values seen annotated in training
examples become extra lookup entries (useful with the keyword classifier; the BERT
pipeline leaves it off and lets the CRF tagger find such values in context).

A model's entities (bert_nlu) are merged with these by :func:`merge_entities`: **exact (and
fuzzy) matches win**. An entity matched exactly by a declared lookup,
synonym or regex is never cut or overridden by a model span that overlaps it, whatever
their lengths (the model's role is kept when it tagged the same entity there); model
spans that overlap no exact match are kept, their values mapped through the synonyms.
Values learned from annotated examples (``learn_from_examples``, extractor ``examples``)
are not exact: a model span overlapping one wins, except that on the same span and
entity the learned canonical value is kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from dialogkit.framework.domain.tokenization import blank_pipeline, normalize_phrase, tokenize
from dialogkit.framework.runtime.pipeline import Component, ComponentConfig, TrainingContext, Turn
from dialogkit.framework.runtime.turn import Entity
from dialogkit.framework.runtime.turn import entity as make_entity

from .fuzzy import EDGE, FuzzyIndex, packaged_english_words
from .spelling import AsRead, ReadingSpeller, Speller, corrections, speller_for, speller_from_json

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain
    from dialogkit.framework.domain.training_data import Example


class RuleEntityConfig(ComponentConfig):
    learn_from_examples: bool = True
    case_sensitive: bool = False
    fuzzy: bool = True  # typos of lookup and synonym values (see components/nlu/fuzzy.py)
    # "auto": within one edit for 4+ letters, two for 8+ (as bert_nlu's spelling); or a similarity
    # 0-100 a typo needs; an entity's own `fuzzy: N` overrides it
    fuzzy_threshold: float | Literal["auto"] = "auto"

    @field_validator("fuzzy_threshold")
    @classmethod
    def _in_range(cls, value: Any) -> Any:
        if value != "auto" and not 50 <= float(value) <= 100:
            raise ValueError("fuzzy_threshold is `auto` or a similarity between 50 and 100")
        return value
    fuzzy_min_length: int = Field(4, ge=1)  # shorter spans are never read as typos
    # regexes also match the message as read with typos of the bot's words corrected (components/nlu/spelling.py,
    # as bert_nlu's spelling): "tonigh" matches `tonight`
    spelling: bool = True


class RuleEntityExtractor(Component):
    name = "rule_entity_extractor"
    stage = "nlu"
    Config = RuleEntityConfig
    config: RuleEntityConfig
    trainable = True
    requires = ("text",)
    assigns = ("entities",)

    def __init__(self, config: RuleEntityConfig, domain: Domain):
        super().__init__(config, domain)
        self.lexicon: dict[str, list[dict[str, Any]]] = {}  # phrase -> [{entity, value, role, learned?}]
        self.patterns: list[tuple[str, str]] = []
        self._compiled: list[tuple[str, re.Pattern[str]]] | None = None
        self._nlp: Any = None
        self._matcher: Any = None
        self._synonym_map: dict[tuple[str, str], str] = {}
        self.fuzzy: dict[str, Any] = {"keys": {}, "meanings": {}, "phrases": {}, "known": []}
        self._fuzzy: FuzzyIndex | None = None
        self.spelling: dict[str, Any] | None = None  # the speller the regexes read through (its JSON)
        self._speller: Speller | ReadingSpeller | None = None

    def _key(self, text: str) -> str:
        text = " ".join(text.split())
        return text if self.config.case_sensitive else text.lower()

    def _add(self, phrase: str, entity: str, value: str | None, role: str | None = None, learned: bool = False) -> None:
        entries = self.lexicon.setdefault(self._key(phrase.strip()), [])
        entry: dict[str, Any] = {"entity": entity, "value": value, "role": role}
        if any({k: v for k, v in e.items() if k != "learned"} == entry for e in entries):
            return  # declared beats learned: the first one added (declared lookups come first) stays
        if learned:
            entry["learned"] = True
        entries.append(entry)

    def train(self, context: TrainingContext) -> None:
        domain = context.loaded.domain
        self.lexicon, self.patterns = {}, []
        for name, ent in domain.entities.items():
            for item in ent.lookup:
                self._add(item, name, None)
            for canonical, variants in ent.synonyms.items():
                self._add(canonical, name, canonical)
                for v in variants:
                    self._add(v, name, canonical)
            self.patterns.extend((name, p) for p in ent.regex)
        self.fuzzy = (
            self._fuzzy_data(domain, context)
            if self.config.fuzzy
            else {"keys": {}, "meanings": {}, "phrases": {}, "known": []}
        )
        self.spelling = None
        if self.patterns and self.config.spelling:
            lang = domain.language
            speller = speller_for([[w for w, _, _ in tokenize(ex.text, lang)] for ex in context.examples], lang)
            self.spelling = speller.to_json() if speller is not None else None
        if self.config.learn_from_examples:
            for ex in context.examples:
                for s in ex.entities:
                    self._add(s.text, s.entity, s.value, s.role, learned=True)

    def _fuzzy_data(self, domain: Domain, context: TrainingContext) -> dict[str, Any]:
        """The declared phrases typos may stand for (with their entity's threshold) and the
        known words that are never typos: the examples' words outside annotations, and for an
        English bot the packaged encoder's whole words."""
        keys: dict[str, float | None] = {}  # None: the `auto` rule
        meanings: dict[str, str] = {}
        phrases: dict[str, str] = {}
        clash: set[str] = set()  # a phrase of two entities (or values): a typo of it would be a guess
        for name, ent in domain.entities.items():
            if ent.fuzzy is False:
                continue
            default = None if self.config.fuzzy_threshold == "auto" else float(self.config.fuzzy_threshold)
            threshold = default if ent.fuzzy in (None, True) else float(ent.fuzzy)
            declared = [(item, item) for item in ent.lookup]
            declared += [(v, canonical) for canonical, variants in ent.synonyms.items() for v in [canonical, *variants]]
            for phrase, value in declared:
                key, meaning = self._key(phrase.strip()), f"{name}\0{self._key(value)}"
                if meanings.setdefault(key, meaning) != meaning:
                    clash.add(key)
                keys.setdefault(key, threshold)
                phrases.setdefault(key, phrase.strip())
        for key in clash:
            del keys[key]
        known: set[str] = set()
        for ex in context.examples:
            text = ex.text
            for span in ex.entities:
                text = text[:span.start] + " " * (span.end - span.start) + text[span.end:]
            known.update(
                w.lower() for w, _, _ in tokenize(text, domain.language) if len(w) >= self.config.fuzzy_min_length
            )
        if domain.language == "en":
            known |= packaged_english_words(self.config.fuzzy_min_length)
        known -= set(keys)
        return {"keys": keys, "meanings": {k: meanings[k] for k in keys}, "phrases": phrases, "known": sorted(known),
                "contexts": _contexts(context.examples, domain.language)}

    def _build(self) -> None:
        from spacy.matcher import PhraseMatcher

        flags = 0 if self.config.case_sensitive else re.IGNORECASE
        self._compiled = [(e, re.compile(p, flags)) for e, p in self.patterns]
        self._nlp = blank_pipeline(self.domain.language)
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="ORTH" if self.config.case_sensitive else "LOWER")
        for key in self.lexicon:
            self._matcher.add(key, [self._nlp.make_doc(key)])
        self._synonym_map = self.domain.synonym_map()
        lang = self.domain.language
        self._speller = speller_from_json(self.spelling, lang) if self.spelling and self.config.spelling else None
        self._fuzzy = (
            FuzzyIndex(
                self.fuzzy["keys"],
                self.fuzzy["meanings"],
                self.fuzzy["known"],
                self.config.fuzzy_min_length,
                lambda text: tokenize(text, lang),
                homophones=lang == "zh",
                contexts=self.fuzzy.get("contexts"),  # archives from before: no context rule
            )
            if self.fuzzy["keys"] and self.config.fuzzy
            else None
        )

    def _lookup(self, doc: Any) -> list[tuple[int, int, str]]:
        """(start, end, lexicon key) for every token span the PhraseMatcher finds in ``doc``."""
        found = []
        text = doc.text
        for match_id, start, end in self._matcher(doc):
            span = doc[start:end]
            a, b = span.start_char, span.end_char
            if (text[a].isdigit() and a > 0 and text[a - 1].isdigit()) or (
                    text[b - 1].isdigit() and b < len(text) and text[b].isdigit()):
                continue  # a digit phrase is no part of a longer number ("1" in "G123", split digit by digit)
            found.append((a, b, self._nlp.vocab.strings[match_id]))
        return found

    def process(self, turn: Turn) -> None:
        if self._compiled is None:
            self._build()
        synonyms = self._synonym_map
        found: list[Entity] = []
        doc = self._nlp.make_doc(turn.text)  # tokenized once: the lookups and the typo matching read it
        for start, end, key in self._lookup(doc):
            for entry in self.lexicon[key]:
                value = entry["value"] or synonyms.get((entry["entity"], normalize_phrase(key)), turn.text[start:end])
                found.append(
                    make_entity(
                        entry["entity"],
                        value,
                        "examples" if entry.get("learned") else "lookup",
                        start,
                        end,
                        role=entry["role"],
                    )
                )
        for entity, pattern in self._compiled or []:
            for m in pattern.finditer(turn.text):
                if m.end() > m.start():
                    found.append(make_entity(entity, m.group(), "regex", m.start(), m.end()))
        words = [(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
        found = _resolve_overlaps(found + self._regex_as_read(turn.text, words, found))
        if self._fuzzy is not None:
            typos = self._typos(words, [_span(e) for e in found])
            # an exact match a (Chinese) typo'd phrase holds is part of that phrase
            found = [e for e in found if not any(_inside(_span(e), _span(t)) for t in typos)] + typos
        turn.entities.extend(sorted(found, key=lambda e: _span(e)[0]))

    def _regex_as_read(self, text: str, words: list[tuple[str, int, int]], found: list[Entity]) -> list[Entity]:
        """Regex matches in the message as the speller reads it that take in a word read otherwise and
        overlap nothing found as typed: on the words typed, the value as read (``read_as``)."""
        if self._speller is None or not self._compiled:
            return []
        fixes = corrections(words, self._speller.correct_words([w for w, _, _ in words]))
        if not fixes:
            return []
        read = AsRead(text, fixes)
        out: list[Entity] = []
        for entity, pattern in self._compiled:
            for m in pattern.finditer(read.text):
                if m.end() <= m.start() or (span := read.typed(m.start(), m.end())) is None:
                    continue  # empty, or no word read otherwise in it: matched as typed, or not at all
                start, end = span
                if any(start < e_end and e_start < end for e_start, e_end in map(_span, found)):
                    continue
                e = make_entity(entity, m.group(), "regex", start, end)
                e["additional_info"] = {"read_as": m.group()}
                out.append(e)
        return out

    def _typos(self, words: list[tuple[str, int, int]], taken: list[tuple[int, int]]) -> list[Entity]:
        """Entities for the fuzzy matches of declared values among ``words`` outside ``taken``."""
        assert self._fuzzy is not None
        out: list[Entity] = []
        for m in self._fuzzy.matches(words, taken):
            seen = set()
            for entry in self.lexicon.get(m.key, []):
                phrase = self.fuzzy["phrases"].get(m.key, m.key)
                value = entry["value"] or self._synonym_map.get((entry["entity"], normalize_phrase(phrase)), phrase)
                if entry.get("learned") or (entry["entity"], value, entry["role"]) in seen:
                    continue
                seen.add((entry["entity"], value, entry["role"]))
                out.append(
                    make_entity(
                        entry["entity"], value, "fuzzy", m.start, m.end, confidence=m.score / 100, role=entry["role"]
                    )
                )
        return out

    def save(self, path: Path) -> None:
        data = {"lexicon": self.lexicon, "patterns": self.patterns, "fuzzy": self.fuzzy, "spelling": self.spelling}
        (path / "entities.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: RuleEntityConfig, domain: Domain) -> RuleEntityExtractor:
        self = cls(config, domain)
        data = json.loads((path / "entities.json").read_text(encoding="utf-8"))
        self.lexicon = data["lexicon"]
        self.patterns = [tuple(p) for p in data["patterns"]]
        self.fuzzy = data.get("fuzzy") or self.fuzzy  # archives from before fuzzy matching: none
        self.spelling = data.get("spelling")  # archives from before: regexes read as typed only
        return self




def _contexts(examples: list[Example], language: str) -> dict[str, list[str]]:
    """Each entity's neighbours in the annotated examples: "left\0right", the words either side of a
    value (lower case; the message's edge as ``EDGE``), what the fuzzy matching's context rule reads."""
    out: dict[str, set[str]] = {}
    for ex in examples:
        tokens = tokenize(ex.text, language)
        words, spans = [w.lower() for w, _, _ in tokens], [(s, e) for _, s, e in tokens]
        for span in ex.entities:
            inside = [j for j, (s, e) in enumerate(spans) if span.start <= s and e <= span.end]
            if inside:
                left = words[inside[0] - 1] if inside[0] else EDGE
                right = words[inside[-1] + 1] if inside[-1] + 1 < len(words) else EDGE
                out.setdefault(span.entity, set()).add(f"{left}\0{right}")
    return {entity: sorted(pairs) for entity, pairs in sorted(out.items())}


def _span(e: Entity) -> tuple[int, int]:
    """Where an entity found in the text is (a rule's always are: offsets are ints)."""
    return e.get("start") or 0, e.get("end") or 0


def _inside(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Span ``a`` lies within the longer span ``b``."""
    return b[0] <= a[0] and a[1] <= b[1] and a[1] - a[0] < b[1] - b[0]


def _resolve_overlaps(found: list[Entity]) -> list[Entity]:
    """Keep the longest, then earliest, match among overlapping ones. Matches of other entities
    on exactly the same words are kept too (a phrase in two lookups): slot filling reads the one
    the question asked for (components/dm/slot_filling.py), else the first."""
    kept: list[Entity] = []
    for e in sorted(found, key=lambda e: (_span(e)[0] - _span(e)[1], _span(e)[0])):
        same = [k for k in kept if _span(k) == _span(e)]
        if same and all(k["entity"] != e["entity"] for k in same) or \
                all(_span(e)[1] <= _span(k)[0] or _span(e)[0] >= _span(k)[1] for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: _span(e)[0])


def declared_values(domain: Domain) -> dict[str, list[str]]:
    """Each entity's declared values: its lookup, its synonyms' canonical values and their variants."""
    return {name: [*ent.lookup, *ent.synonyms, *(v for vs in ent.synonyms.values() for v in vs)]
            for name, ent in domain.entities.items()}


def near_value(said: str, values: list[str]) -> str | None:
    """The one declared value a model span is one slip from ("italia" tagged as a cuisine is italian): a
    letter dropped, added, changed or two swapped (3+ letters), or in Chinese two characters swapped, one
    doubled or one of three or more dropped; None when it is a value itself, near none, or near two."""
    from rapidfuzz.distance import OSA

    from dialogkit.framework.domain.slot_types import one_slip

    typed = said.strip().lower()
    lowered = {v.lower(): v for v in values}
    if not typed or typed in lowered or any(c.isdigit() for c in typed):
        return None
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff]", typed):  # written without spaces: a character is a word
        near = {v for v in lowered if one_slip(typed, v)}
    else:
        near = {v for v in lowered if max(len(v), len(typed)) >= 4 and OSA.distance(typed, v) <= 1}
    return lowered[near.pop()] if len(near) == 1 else None


def merge_entities(rule: list[Entity], model: list[Entity], synonyms: dict[tuple[str, str], str],
                   values: dict[str, list[str]] | None = None) -> list[Entity]:
    """Merge rule and model entities by the rule in the module docstring (exact matches win); a model span one
    slip from one declared value of its entity (``values``) gets that value, the typed text in
    ``additional_info.typed``."""

    def overlaps(a: Entity, b: Entity) -> bool:
        return (
            a.get("start") is not None
            and b.get("start") is not None
            and _span(a)[0] < _span(b)[1]
            and _span(b)[0] < _span(a)[1]
        )

    exact = [Entity(**r) for r in rule if r.get("extractor") != "examples"]
    learned = [r for r in rule if r.get("extractor") == "examples"]
    merged = list(exact)
    for found in model:
        beaten = [r for r in exact if overlaps(r, found)]
        if beaten:  # an exact match is never cut or overridden; it keeps the role the model saw there
            for r in beaten:
                if r["entity"] == found["entity"] and not r.get("role") and found.get("role"):
                    r["role"] = found["role"]
            continue
        m = Entity(**found)
        m["value"] = synonyms.get((m["entity"], normalize_phrase(m["value"])), m["value"])
        near = near_value(m["value"], values.get(m["entity"], [])) if values and isinstance(m["value"], str) else None
        if near is not None:
            m["additional_info"] = {**(m.get("additional_info") or {}), "typed": m["value"]}
            m["value"] = synonyms.get((m["entity"], normalize_phrase(near)), near)
        same = next(
            (
                r
                for r in learned
                if r.get("start") == m.get("start") and r.get("end") == m.get("end") and r["entity"] == m["entity"]
            ),
            None,
        )
        if same is not None:
            m["value"] = same["value"]
        merged.append(m)
    merged += [r for r in learned if r.get("start") is None or not any(overlaps(r, m) for m in model)]
    return sorted(merged, key=lambda e: (e.get("start") is None, e.get("start") or 0))
