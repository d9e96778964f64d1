"""Count features of the bot's own data, for what the encoder does not know.

A pretrained encoder only knows its vocabulary: rare words, typos, product codes and
scripts it was not trained on (Chinese on an English encoder) come out as pieces it never
learned, with embeddings that training keeps frozen. As Rasa's DIET does with its
count-vector featurizers, the joint model therefore also reads sparse features learned
from the bot's examples, fused with the encoder's output:

* per word: its character n-grams inside word boundaries (``<ab``, ``abc``, ``c>``; ``n_min``
  to ``n_max`` characters, lower case) and the word itself;
* per message: the character n-grams of the whole message (across words, so that in
  scripts tokenized one character per word, as Chinese is, "你好" still counts as "你好")
  and its words, averaged.

The vocabulary is the features seen in training (most frequent first, at most
``max_features``); unseen ones are dropped. It is saved with the model as JSON
(``sparse.json``). :class:`SparseBatch` carries the flat feature ids and bag offsets that
``torch.nn.EmbeddingBag`` reads.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")

__all__ = ["CharNgramFeaturizer", "SparseBatch"]


@dataclass
class SparseBatch:
    """Torch tensors for ``EmbeddingBag``, or numpy arrays for the ONNX Runtime path."""

    word_ids: Any  # flat feature ids of every (message, word slot) bag
    word_offsets: Any  # (B * W,) start of each word's bag in word_ids
    sentence_ids: Any
    sentence_offsets: Any  # (B,)
    words_per_row: int  # W

    def to(self, device: Any) -> SparseBatch:
        return SparseBatch(self.word_ids.to(device), self.word_offsets.to(device), self.sentence_ids.to(device),
                           self.sentence_offsets.to(device), self.words_per_row)


class CharNgramFeaturizer:
    """The bags of features of a message's words and of the message. With ``marks``
    (:class:`~dialogkit.components.nlu.lookup_features.LookupMarks`) a word's bag also says which
    entity's lookup it is in; with ``ngrams`` false, that is all the bags hold."""

    def __init__(self, features: list[str], n_min: int = 1, n_max: int = 4, marks: Any = None, ngrams: bool = True):
        self.features = features
        self.ids = {f: i for i, f in enumerate(features)}
        self.n_min, self.n_max = n_min, n_max
        self.marks = marks
        self.ngrams = ngrams

    def __len__(self) -> int:
        return len(self.features)

    def of_word(self, word: str) -> list[str]:
        if not self.ngrams:
            return []
        w = word.lower()
        padded = f"<{w}>"
        grams = [padded[i : i + n] for n in range(self.n_min, self.n_max + 1) for i in range(len(padded) - n + 1)]
        return [f"w:{w}", *(g for g in grams if g not in ("<", ">"))]

    def of_sentence(self, words: list[str]) -> list[str]:
        if not self.ngrams:
            return []
        text = ""
        for w in words:  # no space between characters of scripts written without spaces
            text += w.lower() if not text or (_UNSPACED.match(text[-1]) and _UNSPACED.match(w[:1])) else " " + w.lower()
        padded = f"<{text}>"
        grams = [padded[i : i + n] for n in range(self.n_min, self.n_max + 1) for i in range(len(padded) - n + 1)]
        return [*(f"w:{w.lower()}" for w in words), *(f"s:{g}" for g in grams if g not in ("<", ">"))]

    @classmethod
    def fit(
        cls, word_lists: list[list[str]], n_min: int = 1, n_max: int = 4, max_features: int = 20000,
        marks: Any = None, ngrams: bool = True,
    ) -> CharNgramFeaturizer:
        """The features seen in ``word_lists`` (most frequent first), after every lookup feature of ``marks``."""
        probe = cls([], n_min, n_max, ngrams=ngrams)
        counts = Counter(f for words in word_lists for w in words for f in probe.of_word(w))
        counts.update(f for words in word_lists for f in probe.of_sentence(words))
        fixed = marks.features() if marks is not None else []
        ranked = sorted(counts, key=lambda f: (-counts[f], f))[: max(0, max_features - len(fixed))]
        return cls(fixed + ranked, n_min, n_max, marks, ngrams)

    def batch(self, messages: list[list[Any]], kept: list[list[int]], width: int, tensors: str = "pt") -> SparseBatch:
        """Bags for the kept words of each message, left-aligned in ``width`` slots (as the tag sequence);
        ``messages``: each message's words as ``(word, start, end)``."""
        word_lists = [[w for w, _, _ in words] for words in messages]
        word_ids: list[int] = []
        word_offsets: list[int] = []
        sentence_ids: list[int] = []
        sentence_offsets: list[int] = []
        for words, keep, located in zip(word_lists, kept, messages, strict=True):
            sentence_offsets.append(len(sentence_ids))
            sentence_ids += [i for f in self.of_sentence(words) if (i := self.ids.get(f)) is not None]
            marks = self.marks.of_words(located) if self.marks is not None else None
            for slot in range(width):
                word_offsets.append(len(word_ids))
                if slot < len(keep):
                    feats = self.of_word(words[keep[slot]]) + (sorted(marks[keep[slot]]) if marks else [])
                    word_ids += [i for f in feats if (i := self.ids.get(f)) is not None]
        arrays: list[Any] = [
            np.array(a, dtype=np.int64) for a in (word_ids, word_offsets, sentence_ids, sentence_offsets)
        ]
        if tensors == "pt":
            import torch

            arrays = [torch.from_numpy(a) for a in arrays]
        words, word_starts, sentences, sentence_starts = arrays
        return SparseBatch(words, word_starts, sentences, sentence_starts, width)

    def to_json(self) -> dict[str, Any]:
        data = {"kind": "char_ngrams", "n_min": self.n_min, "n_max": self.n_max, "features": self.features,
                "ngrams": self.ngrams}
        return data | ({"lookups": self.marks.to_json()} if self.marks is not None else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CharNgramFeaturizer:
        from .lookup_features import LookupMarks

        marks = LookupMarks.from_json(data["lookups"]) if data.get("lookups") else None
        return cls(list(data["features"]), int(data["n_min"]), int(data["n_max"]), marks,
                   bool(data.get("ngrams", True)))
