"""Typos people make, put into examples: the training data of a model that reads typed messages.

One slip per message, in a word picked at random (letters only: 4 or more in a spaced script,
a run of 2 or more characters in Chinese or Japanese): a letter dropped, two neighbouring letters
swapped, a letter doubled, or (``key``) a letter replaced by a neighbour on a QWERTY keyboard;
for Chinese (``homophone``) a character replaced by another common one read the same, the slip
of a pinyin input method. Entity annotations move with the text: a span the slip falls in keeps
its canonical value (``value``, what the user meant) and its typed text changes.

:func:`noisy_copies` makes the copies bert_nlu can train on beside the clean examples
(``typo_augmentation``, off by default); bench/typos.py makes its held-out test messages with
the same slips (its own seed, its own choice of slips, messages the model never trained on);
:func:`is_slip` tells the speller which of two words as close the typed one is a slip of.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from functools import cache

from dialogkit.framework.domain.training_data import EntitySpan, Example

__all__ = ["LETTER_SLIPS", "READING_SLIPS", "homophone", "is_slip", "noisy_copies", "slip", "slip_at", "slip_spots"]

LETTER_SLIPS = ("drop", "swap", "double", "key")
READING_SLIPS = ("drop", "swap", "double", "homophone")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_LETTERS = re.compile(r"[^\W\d_]{4,}")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def slip_spots(text: str, language: str, entities: tuple[EntitySpan, ...] = ()) -> list[tuple[int, int]]:
    """Where a slip can fall: (start, end) of each word that is long enough, cut where an entity
    begins or ends (a run of Chinese characters holds values and other words: a swap across the
    edge would leave the annotation half in the value)."""
    han = language.split("-")[0].lower() in ("zh", "ja")
    pattern, least = (_HAN_RUN, 2) if han else (_LETTERS, 4)
    edges = sorted({e for span in entities for e in (span.start, span.end)})
    spots = []
    for m in pattern.finditer(text):
        cuts = [m.start(), *(e for e in edges if m.start() < e < m.end()), m.end()]
        spots += [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b - a >= least]
    return spots


def slip(word: str, rng: random.Random, kinds: tuple[str, ...]) -> tuple[str, int, int]:
    """``word`` with one slip of one of ``kinds``: (new word, where in it, change of length)."""
    kind = rng.choice(kinds)
    if kind == "homophone":
        return homophone(word, rng)
    if kind == "key":
        spots = [i for i, c in enumerate(word) if _neighbours(c.lower())]
        if spots:
            i = rng.choice(spots)
            new = rng.choice(_neighbours(word[i].lower()))
            return word[:i] + (new.upper() if word[i].isupper() else new) + word[i + 1 :], i, 0
        kind = "double"
    if kind == "swap":
        options = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
        if options:
            i = rng.choice(options)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :], i, 0
        kind = "double"
    i = rng.randrange(1, len(word)) if kind == "drop" and len(word) > 2 else rng.randrange(len(word))
    if kind == "drop":
        return word[:i] + word[i + 1 :], i, -1
    return word[: i + 1] + word[i] + word[i + 1 :], i, 1


def slip_at(example: Example, start: int, end: int, slipped: tuple[str, int, int]) -> Example:
    """``example`` with its word ``text[start:end]`` typed as ``slipped`` (from :func:`slip`); its
    entity spans moved."""
    new, i, delta = slipped
    text = example.text[:start] + new + example.text[end:]
    at = start + i
    return replace(example, text=text, entities=tuple(_shift(s, at, delta, text) for s in example.entities))


def noisy_copies(examples: list[Example], language: str, copies: float, seed: int) -> list[Example]:
    """``copies`` copies of each example with one slip each (a fraction: that share of the examples,
    drawn at random); an example with no word long enough gets none. The same seed, the same copies."""
    kinds = READING_SLIPS if language.lower().startswith("zh") else LETTER_SLIPS
    rng = random.Random(seed)
    whole, part = int(copies), copies - int(copies)
    out = []
    for ex in examples:
        spots = slip_spots(ex.text, language, ex.entities)
        if not spots:
            continue
        for _ in range(whole + (rng.random() < part)):
            start, end = rng.choice(spots)
            slipped = slip(ex.text[start:end], rng, kinds)
            if slipped[0] != ex.text[start:end]:
                out.append(slip_at(ex, start, end, slipped))
    return out


def is_slip(typed: str, word: str) -> bool:
    """``typed`` is ``word`` with one slip of :data:`LETTER_SLIPS` (a letter dropped or doubled, two
    neighbours swapped, a neighbouring key), not another one-letter edit ("latop" is laptop with a
    letter dropped, not atop with one added)."""
    n, m = len(typed), len(word)
    if n == m - 1:
        return any(word[:i] + word[i + 1 :] == typed for i in range(m))
    if n == m + 1:
        return any(typed == word[: i + 1] + word[i] + word[i + 1 :] for i in range(m))
    if n != m:
        return False
    diff = [i for i in range(n) if typed[i] != word[i]]
    if len(diff) == 1:
        return typed[diff[0]] in _neighbours(word[diff[0]])
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i = diff[0]
    return typed[i] == word[i + 1] and typed[i + 1] == word[i]


def _shift(span: EntitySpan, at: int, delta: int, text: str) -> EntitySpan:
    start = span.start + delta if span.start > at else span.start
    end = span.end + delta if span.end > at else span.end
    return replace(span, start=start, end=end, text=text[start:end], value=span.canonical)


@cache
def _neighbours(c: str) -> str:
    """The keys beside ``c`` on its row of a QWERTY keyboard (none for other characters)."""
    for row in _ROWS:
        i = row.find(c)
        if i >= 0:
            return row[max(0, i - 1) : i] + row[i + 1 : i + 2]
    return ""


@cache
def _by_sound() -> dict[str, list[str]]:
    """Common Chinese characters (those of pypinyin's phrases) by their pinyin without tones."""
    from pypinyin import lazy_pinyin
    from pypinyin.phrases_dict import phrases_dict

    common = sorted({c for phrase in phrases_dict for c in phrase if "\u3400" <= c <= "\u9fff"})
    out: dict[str, list[str]] = {}
    for c in common:
        out.setdefault(lazy_pinyin(c)[0], []).append(c)
    return out


def homophone(word: str, rng: random.Random) -> tuple[str, int, int]:
    """``word`` with one character replaced by another read the same (unchanged when none is)."""
    from pypinyin import lazy_pinyin

    by_sound = _by_sound()
    order = list(range(len(word)))
    rng.shuffle(order)
    for i in order:
        others = [c for c in by_sound.get(lazy_pinyin(word[i])[0], []) if c != word[i]]
        if others:
            return word[:i] + rng.choice(others) + word[i + 1 :], i, 0
    return word, 0, 0
