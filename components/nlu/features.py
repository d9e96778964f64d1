"""Words, BIO tags and sub-word alignment for the BERT NLU (shared by training and inference).

Words come from spaCy's tokenizer for the domain language, with character offsets into
the original text, so entity spans map back exactly whatever the whitespace, punctuation
or script. Each word is represented by its first sub-word piece; words the tokenizer
drops (or truncation cuts) are left out of the tag sequence and tagged O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dialogkit.framework.domain.tokenization import tokenize

__all__ = ["ROLE_SEP", "Batch", "Word", "bio_tags", "encode", "spans_from_tags", "words_of"]

ROLE_SEP = "|"  # tag label "city|from": entity city, role from ('|' cannot occur in names)
Word = tuple[str, int, int]


def words_of(text: str, lang: str) -> list[Word]:
    return tokenize(text, lang)


def bio_tags(words: list[Word], spans: list[tuple[int, int, str]]) -> list[str]:
    """BIO tag per word: a word inside a span gets B- (first word) or I-; others O."""
    tags = ["O"] * len(words)
    for start, end, label in spans:
        first = True
        for i, (_, ws, we) in enumerate(words):
            if ws < end and we > start:  # overlaps the span
                tags[i] = ("B-" if first else "I-") + label
                first = False
    return tags


def spans_from_tags(tags: list[str], words: list[Word]) -> list[tuple[int, int, str, list[int]]]:
    """(start, end, label, word indexes) for each B/I run; a stray I- starts a span."""
    spans: list[tuple[int, int, str, list[int]]] = []
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, label = tag[0], tag[2:]
        if prefix == "I" and spans and spans[-1][2] == label and spans[-1][3][-1] == i - 1:
            start, _, _, idx = spans[-1]
            spans[-1] = (start, words[i][2], label, [*idx, i])
        else:
            spans.append((words[i][1], words[i][2], label, [i]))
    return spans


@dataclass
class Batch:
    """Torch tensors, or numpy arrays for the ONNX Runtime path (``encode(..., tensors="np")``)."""

    input_ids: Any  # (B, T)
    attention_mask: Any  # (B, T)
    word_index: Any  # (B, W) position of each kept word's first piece
    word_mask: Any  # (B, W) bool, True for kept words (left-aligned)
    kept: list[list[int]]  # per example: indexes (into its word list) of the kept words
    sparse: Any = None  # the bot's own features (SparseBatch), when the model reads them

    def to(self, device: Any) -> Batch:
        return Batch(
            self.input_ids.to(device),
            self.attention_mask.to(device),
            self.word_index.to(device),
            self.word_mask.to(device),
            self.kept,
            self.sparse.to(device) if self.sparse is not None else None,
        )


def encode(
    tokenizer: Any, word_lists: list[list[Word]], max_length: int, featurizer: Any = None, tensors: str = "pt"
) -> Batch:
    """Tokenize pre-split words and align each word to its first sub-word piece; with a
    ``featurizer`` (:class:`~dialogkit.components.nlu.sparse_features.CharNgramFeaturizer`) add
    the feature bags of the same words. ``tensors``: "pt" (torch) or "np" (numpy, no torch)."""
    texts = [[w for w, _, _ in words] or [""] for words in word_lists]
    enc = tokenizer(
        texts, is_split_into_words=True, truncation=True, max_length=max_length, padding=True, return_tensors=tensors
    )
    kept: list[list[int]] = []
    firsts: list[list[int]] = []
    for b, words in enumerate(word_lists):
        seen: dict[int, int] = {}
        for pos, wid in enumerate(enc.word_ids(b)):
            if wid is not None and wid not in seen and wid < len(words):
                seen[wid] = pos
        order = sorted(seen)
        kept.append(order)
        firsts.append([seen[w] for w in order])
    width = max(1, max(len(f) for f in firsts))
    word_index = np.zeros((len(word_lists), width), dtype=np.int64)
    word_mask = np.zeros((len(word_lists), width), dtype=bool)
    for b, f in enumerate(firsts):
        word_index[b, : len(f)] = f
        word_mask[b, : len(f)] = True
        word_mask[b, 0] = True  # the CRF needs a first step; a message with no words tags position 0 (CLS), ignored
    sparse = (
        featurizer.batch(word_lists, kept, width, tensors)
        if featurizer is not None
        else None
    )
    if tensors == "pt":
        import torch

        return Batch(
            enc["input_ids"],
            enc["attention_mask"],
            torch.from_numpy(word_index),
            torch.from_numpy(word_mask),
            kept,
            sparse,
        )
    return Batch(
        np.asarray(enc["input_ids"], dtype=np.int64),
        np.asarray(enc["attention_mask"], dtype=np.int64),
        word_index,
        word_mask,
        kept,
        sparse,
    )
