"""A light intent classifier: TF-IDF over words and character n-grams, nearest centroid.

A stand-in until the BERT classifier lands: it trains in well under a second, needs no
torch, and gives a ranking with softmax confidences. An intent's score mixes the cosine
similarity to its centroid with the similarity to its closest example (``nearest_weight``). Below ``threshold`` the
intent is
``nlu_fallback``. Entity values are masked (``italian`` -> ``__cuisine__``) in training
examples and, using the entities found by extractors earlier in the pipeline, at
prediction time, so the intent is judged by the sentence, not by the values in it.
Learned state is plain JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from dialogkit.framework.domain.builtins import NLU_FALLBACK
from dialogkit.framework.runtime.pipeline import Component, ComponentConfig, TrainingContext, Turn
from dialogkit.framework.runtime.turn import Intent

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

_WORD = re.compile(r"\w+", re.UNICODE)


class KeywordIntentConfig(ComponentConfig):
    threshold: float = 0.3
    char_ngrams: int = 3
    temperature: float = 12.0
    nearest_weight: float = 0.6
    ranking_size: int = 10


def features(text: str, n: int) -> Counter[str]:
    text = text.lower()
    words = _WORD.findall(text)
    feats: Counter[str] = Counter(f"w:{w}" for w in words)
    feats.update(f"b:{a}_{b}" for a, b in zip(words, words[1:]))
    for w in words:
        padded = f"<{w}>"
        feats.update(f"c:{padded[i:i + n]}" for i in range(max(1, len(padded) - n + 1)))
    return feats


def mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace each entity span with ``__<entity>__``."""
    out, pos = [], 0
    for start, end, entity in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(f" __{entity}__ ")
        pos = end
    out.append(text[pos:])
    return "".join(out)


class KeywordIntentClassifier(Component):
    name = "keyword_intent_classifier"
    stage = "nlu"
    Config = KeywordIntentConfig
    config: KeywordIntentConfig
    trainable = True
    requires = ("text",)
    assigns = ("intent", "intent_ranking")

    def __init__(self, config: KeywordIntentConfig, domain: Domain):
        super().__init__(config, domain)
        self.idf: dict[str, float] = {}
        self.centroids: dict[str, dict[str, float]] = {}
        self.examples: list[tuple[str, dict[str, float]]] = []

    def _vector(self, text: str) -> dict[str, float]:
        feats = features(text, self.config.char_ngrams)
        vec = {f: (1 + math.log(c)) * self.idf[f] for f, c in feats.items() if f in self.idf}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {f: v / norm for f, v in vec.items()}

    def train(self, context: TrainingContext) -> None:
        docs = [
            (
                ex.intent,
                features(mask(ex.text, [(s.start, s.end, s.entity) for s in ex.entities]), self.config.char_ngrams),
            )
            for ex in context.examples
            if ex.intent
        ]
        df: Counter[str] = Counter()
        for _, feats in docs:
            df.update(feats.keys())
        n = max(len(docs), 1)
        self.idf = {f: math.log((1 + n) / (1 + c)) + 1 for f, c in df.items()}
        sums: dict[str, Counter[str]] = {}
        self.examples = []
        for intent, feats in docs:
            vec = {f: (1 + math.log(c)) * self.idf[f] for f, c in feats.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            unit = {f: v / norm for f, v in vec.items()}
            self.examples.append((intent, unit))
            sums.setdefault(intent, Counter()).update(unit)
        self.centroids = {}
        for intent, total in sums.items():
            norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
            self.centroids[intent] = {f: v / norm for f, v in total.items()}

    def process(self, turn: Turn) -> None:
        spans = [
            (start, end, e["entity"])
            for e in turn.entities
            if (start := e.get("start")) is not None and (end := e.get("end")) is not None
        ]
        vec = self._vector(mask(turn.text, spans))
        scores = {i: sum(w * c.get(f, 0.0) for f, w in vec.items()) for i, c in self.centroids.items()}
        nearest: dict[str, float] = dict.fromkeys(scores, 0.0)
        for intent, ex in self.examples:
            nearest[intent] = max(nearest[intent], sum(w * ex.get(f, 0.0) for f, w in vec.items()))
        a = self.config.nearest_weight
        scores = {i: a * nearest[i] + (1 - a) * s for i, s in scores.items()}
        if not scores:
            turn.intent = {"name": NLU_FALLBACK, "confidence": 1.0}
            return
        top = max(scores.values())
        exp = {i: math.exp(self.config.temperature * (s - top)) for i, s in scores.items()}
        total = sum(exp.values())
        ranking = sorted((Intent(name=i, confidence=e / total) for i, e in exp.items()), key=lambda r: -r["confidence"])
        turn.intent_ranking = ranking[: self.config.ranking_size]
        best = ranking[0]
        if not vec or top <= 0 or best["confidence"] < self.config.threshold:
            turn.intent = Intent(name=NLU_FALLBACK, confidence=best["confidence"])
        else:
            turn.intent = Intent(**best)

    def save(self, path: Path) -> None:
        (path / "intent_model.json").write_text(
            json.dumps({"idf": self.idf, "centroids": self.centroids, "examples": self.examples}), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path, config: KeywordIntentConfig, domain: Domain) -> KeywordIntentClassifier:
        self = cls(config, domain)
        data = json.loads((path / "intent_model.json").read_text(encoding="utf-8"))
        self.idf, self.centroids = data["idf"], data["centroids"]
        self.examples = [(i, v) for i, v in data["examples"]]
        return self
