"""Entities from lookup lists, synonyms, annotated example values and regexes.

Lookup phrases match whole tokens of the domain's language (spaCy's tokenizer, so
Chinese and other unspaced scripts work), case-insensitively, with whitespace inside a
phrase normalised; overlapping matches keep the longer (then the earlier) one. Synonyms map a match to its canonical
value. Values seen annotated in training examples are learned as extra lookup
entries, so a stand-in NLU can fill slots before the BERT-CRF tagger lands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from framework.components import Component, ComponentConfig, TrainingContext, Turn
from framework.text import tokenize


class RuleEntityConfig(ComponentConfig):
    learn_from_examples: bool = True
    case_sensitive: bool = False


class RuleEntityExtractor(Component):
    name = "rule_entity_extractor"
    stage = "nlu"
    Config = RuleEntityConfig
    trainable = True

    def __init__(self, config: RuleEntityConfig, domain: Any):
        super().__init__(config, domain)
        self.lexicon: dict[str, list[dict[str, Any]]] = {}  # phrase -> [{entity, value, role}]
        self.patterns: list[tuple[str, str]] = []
        self._compiled: list[tuple[str, re.Pattern[str]]] | None = None
        self._max_tokens = 0
        self._synonym_map: dict[tuple[str, str], str] = {}

    def _key(self, text: str) -> str:
        text = " ".join(text.split())
        return text if self.config.case_sensitive else text.lower()

    def _add(self, phrase: str, entity: str, value: str | None, role: str | None = None) -> None:
        entries = self.lexicon.setdefault(self._key(phrase.strip()), [])
        entry = {"entity": entity, "value": value, "role": role}
        if entry not in entries:
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
        if self.config.learn_from_examples:
            for ex in context.examples:
                for s in ex.entities:
                    self._add(s.text, s.entity, s.value, s.role)

    def _build(self) -> None:
        flags = 0 if self.config.case_sensitive else re.IGNORECASE
        self._compiled = [(e, re.compile(p, flags)) for e, p in self.patterns]
        lang = self.domain.language
        self._max_tokens = max((len(tokenize(p, lang)) for p in self.lexicon), default=0)
        self._synonym_map = self._synonyms()

    def _lookup(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, phrase key) for every token span whose text is in the lexicon."""
        tokens = tokenize(text, self.domain.language)
        found = []
        for i, (_, start, _) in enumerate(tokens):
            for j in range(i, min(i + self._max_tokens, len(tokens))):
                end = tokens[j][2]
                key = self._key(text[start:end])
                if key in self.lexicon:
                    found.append((start, end, key))
        return found

    def process(self, turn: Turn) -> None:
        if self._compiled is None:
            self._build()
        synonyms = self._synonym_map
        found: list[dict[str, Any]] = []
        for start, end, key in self._lookup(turn.text):
            for entry in self.lexicon[key]:
                value = entry["value"] or synonyms.get((entry["entity"], key), turn.text[start:end])
                found.append(_entity(entry["entity"], value, start, end, entry["role"], "lookup"))
        for entity, pattern in self._compiled or []:
            for m in pattern.finditer(turn.text):
                if m.end() > m.start():
                    found.append(_entity(entity, m.group(), m.start(), m.end(), None, "regex"))
        turn.entities.extend(_resolve_overlaps(found))

    def _synonyms(self) -> dict[tuple[str, str], str]:
        out = {}
        for name, ent in self.domain.entities.items():
            for canonical, variants in ent.synonyms.items():
                for v in variants:
                    out[(name, self._key(v))] = canonical
        return out

    def save(self, path: Path) -> None:
        (path / "entities.json").write_text(json.dumps({"lexicon": self.lexicon, "patterns": self.patterns}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: RuleEntityConfig, domain: Any) -> RuleEntityExtractor:
        self = cls(config, domain)
        data = json.loads((path / "entities.json").read_text(encoding="utf-8"))
        self.lexicon = data["lexicon"]
        self.patterns = [tuple(p) for p in data["patterns"]]
        return self


def _entity(entity: str, value: str, start: int, end: int, role: str | None, extractor: str) -> dict[str, Any]:
    return {"entity": entity, "value": value, "start": start, "end": end, "confidence": 1.0, "role": role, "extractor": extractor}


def _resolve_overlaps(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the longest, then earliest, match among overlapping ones; one entity type per span."""
    kept: list[dict[str, Any]] = []
    for e in sorted(found, key=lambda e: (-(e["end"] - e["start"]), e["start"])):
        if all(e["end"] <= k["start"] or e["start"] >= k["end"] for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e["start"])
