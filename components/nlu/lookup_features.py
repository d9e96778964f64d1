"""Which words of a message are in one of the bot's lookups: a feature the joint model reads.

As Rasa's ``RegexFeaturizer`` (``use_lookup_tables``, ``use_regexes``), every word inside a match
of an entity's declared lookup value, synonym (canonical or variant) or regex gets the feature
``@entity`` in its bag of sparse features (:mod:`dialogkit.components.nlu.sparse_features`). The
tag head then learns that an entity is where a lookup matched, and that the bot's other words
are not one: without it, a small bot's tagger learns the values' characters and contexts alone,
and tags words that only look like them (one character of 天气 as a city, 回 as a seat on the
English encoder). Values the lookups do not list are still learned from the annotated examples,
as before; a bot whose annotated values are all in its lookups leans on the lookups more.

Words are compared as the model reads them (after spelling correction, lower case); a phrase
matches a run of whole words, so "new york" marks both words of "to New York" and "york" alone
in "yorkshire" is not marked. Regexes run over the message's words spaced as in the message; a
word is marked when the match covers it whole. Synonyms' canonical values are not phrases here
(the tickets bot's "1" is what its slot gets for 一张, not a word that means tickets), and a
synonym declared under several entities marks none of them (a Rasa project's synonyms belong
to no entity, and its import declares them under each).
"""

from __future__ import annotations

import re
from typing import Any

from .features import Word

__all__ = ["LookupMarks"]

MARK = "@"  # feature names: "@city"; no n-gram or word feature starts with it ("w:", "s:", "<", letters)


class LookupMarks:
    """Phrases (as word tuples) and regexes per entity; :meth:`of_words` marks a message's words."""

    def __init__(self, phrases: dict[str, list[list[str]]], patterns: list[tuple[str, str]]):
        self.phrases = phrases
        self.patterns = patterns
        self._compiled = [(entity, re.compile(p)) for entity, p in patterns]
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for entity, items in phrases.items():
            for words in items:
                if words:
                    self._by_first.setdefault(words[0], []).append((tuple(words), entity))

    @classmethod
    def from_domain(cls, domain: Any, lang: str) -> LookupMarks:
        """The lookups, synonyms and regexes declared under the domain's ``entities:``."""
        from .features import words_of

        phrases: dict[str, list[list[str]]] = {}
        patterns: list[tuple[str, str]] = []
        # a synonym several entities declare (a Rasa project's synonyms are imported under every entity) says
        # nothing about which entity a word is
        owners: dict[str, set[str]] = {}
        for name, ent in domain.entities.items():
            for variants in ent.synonyms.values():
                for v in variants:
                    owners.setdefault(str(v).lower(), set()).add(name)
        for name, ent in domain.entities.items():
            # a synonym's canonical value is what slots get ("1" for "一张"), not always words users type
            own = [v for variants in ent.synonyms.values() for v in variants if owners[str(v).lower()] == {name}]
            declared = [*ent.lookup, *own]
            seen: set[tuple[str, ...]] = set()
            for phrase in declared:
                words = tuple(w.lower() for w, _, _ in words_of(str(phrase), lang))
                if words and words not in seen:
                    seen.add(words)
                    phrases.setdefault(name, []).append(list(words))
            patterns += [(name, p) for p in ent.regex]
        return cls(phrases, patterns)

    def features(self) -> list[str]:
        """Every feature this table can give (one per entity with a lookup or regex)."""
        return sorted({MARK + e for e in self.phrases} | {MARK + e for e, _ in self.patterns})

    def of_words(self, words: list[Word]) -> list[set[str]]:
        """The features of each word of a message (its words in order, with their offsets)."""
        low = [w.lower() for w, _, _ in words]
        marks: list[set[str]] = [set() for _ in words]
        for i, w in enumerate(low):
            for phrase, entity in self._by_first.get(w, ()):
                if tuple(low[i : i + len(phrase)]) == phrase:
                    for j in range(i, i + len(phrase)):
                        marks[j].add(MARK + entity)
        if self._compiled and words:
            text, starts, end = "", [], words[0][1]
            for w, s, e in words:  # the words as the message spaces them (the speller may change a word)
                text += " " if s > end else ""
                starts.append(len(text))
                text += w
                end = e
            for entity, pattern in self._compiled:
                for m in pattern.finditer(text):
                    for j, (s, (w, _, _)) in enumerate(zip(starts, words)):
                        if m.start() <= s and s + len(w) <= m.end() and m.end() > m.start():
                            marks[j].add(MARK + entity)
        return marks

    def to_json(self) -> dict[str, Any]:
        return {"phrases": self.phrases, "patterns": [list(p) for p in self.patterns]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LookupMarks:
        return cls({k: [list(w) for w in v] for k, v in data["phrases"].items()},
                   [(str(e), str(p)) for e, p in data["patterns"]])
