"""Typos of the bot's own words, corrected before the NLU model reads a message.

The model learned "order" and "pizza" from the bot's examples; "ordr a piza" reaches it as
word pieces it never saw together. :class:`Speller` knows the words of the bot's examples
(with how often each occurs) and, for an English bot, the packaged encoder's whole words.
A word of the message it knows neither way (letters only, 3 or more) is replaced, for the
model only, by the closest word within one edit (two for words of 8 or more letters; an edit
is a dropped, added or changed letter or two neighbours swapped, rapidfuzz's ``OSA``; a word
of 3 letters only by one a letter longer: "mch" → much, never "the" → "tho"): the bot's own
words first, else the English words. Among words as close, one with the same letters (a swap,
the commonest slip: "wnat" → want, not what) comes first, then the more frequent (in the
bot's examples; for English words, the encoder's vocabulary order); two of the bot's words as
close and as frequent change nothing. Entity values keep what the user typed (the offsets do not move):
the rule extractor's fuzzy matching and the synonyms read those.

Languages written without spaces (Chinese, Japanese, Thai) are left alone: their typos are
other characters, not other letters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["UNSPACED", "Speller"]

UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})


class Speller:
    def __init__(self, counts: dict[str, int], known: Iterable[str] = ()):
        self.counts = counts
        words = list(known)  # the language's words, the more common first
        self._rank = {w: i for i, w in enumerate(words)}
        self._known = frozenset(words) | frozenset(counts)
        self._own = _by_length(counts)  # the bot's words by length (a typo is within two letters of its word)
        self._words = _by_length(words)  # the language's, by length
        self._cache: dict[str, str] = {}

    @classmethod
    def fit(cls, word_lists: Iterable[Iterable[str]], language: str) -> Speller:
        counts = Counter(w.lower() for words in word_lists for w in words if w.isalpha())
        return cls(dict(counts), _known(language))

    def correct(self, word: str) -> str:
        """``word`` as the bot's examples spell it, or unchanged (see the module docstring)."""
        lower = word.lower()
        if len(lower) < 3 or not lower.isalpha() or lower in self._known:
            return word
        if lower not in self._cache:
            self._cache[lower] = self._closest(lower) or lower
            if len(self._cache) > 50_000:
                self._cache.clear()
        fixed = self._cache[lower]
        return word if fixed == lower else fixed

    def _closest(self, lower: str) -> str | None:
        most = 2 if len(lower) >= 8 else 1
        # 3 letters: one was dropped
        lengths = [4] if len(lower) == 3 else range(len(lower) - most, len(lower) + most + 1)
        own = [w for n in lengths for w in self._own.get(n, [])]
        hits = process.extract(lower, own, scorer=OSA.distance, score_cutoff=most, limit=None)
        if hits:
            best = min(d for _, d, _ in hits)
            ranked = sorted(((_swapped(lower, w), self.counts[w], w) for w, d, _ in hits if d == best), reverse=True)
            if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
                return None  # as close and as frequent: no guess
            return ranked[0][2]
        near = [w for n in lengths for w in self._words.get(n, [])]
        found = process.extract(lower, near, scorer=OSA.distance, score_cutoff=most, limit=None)
        if not found:
            return None
        best = min(d for _, d, _ in found)
        return min((w for w, d, _ in found if d == best), key=lambda w: (not _swapped(lower, w), self._rank[w]))

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any], language: str) -> Speller:
        return cls(data["counts"], _known(language))


def _by_length(words: Iterable[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for w in words:
        out.setdefault(len(w), []).append(w)
    return out


def _swapped(typed: str, word: str) -> bool:
    """``typed`` has ``word``'s letters (a swap, the commonest slip, rather than another letter)."""
    return sorted(typed) == sorted(word)


def _known(language: str) -> tuple[str, ...]:
    """Words that are never typos besides the bot's own, the more common first: the packaged
    encoder's whole words, for English."""
    from .fuzzy import english_words_by_rank

    return english_words_by_rank() if language == "en" else ()
