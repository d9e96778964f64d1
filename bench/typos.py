"""Typos injected into NLU examples, reproducibly (a fixed seed): one per message.

A word of the message (letters only: 4 or more for spaced scripts, 2 or more characters for
Chinese and Japanese) is picked at random, and one of the three slips people make is
applied to it: a letter dropped, two neighbouring letters swapped, a letter doubled. The
entity annotations move with the text: a span the typo falls in keeps its canonical value
(``value``: what the user meant), its typed text changes. Messages with no such word stay as
they are. Usage: ``typo_examples(examples, language, seed)``.

``kind="homophones"`` (Chinese): the slip a Chinese input method makes instead: a character
of a run of two or more is replaced by another common character read the same (the same
pinyin without tones, from pypinyin's tables): 杭州 → 杭洲.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from dialogkit.framework.domain.training_data import EntitySpan, Example

__all__ = ["typo", "typo_examples"]

OPERATIONS = ("drop", "swap", "double")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _words(text: str, language: str) -> list[tuple[int, int]]:
    if language in ("zh", "ja"):
        return [(m.start(), m.end()) for m in re.finditer(r"[\u3400-\u9fff]{2,}", text)]
    return [(m.start(), m.end()) for m in re.finditer(r"[^\W\d_]{4,}", text)]


def typo(word: str, rng: random.Random) -> tuple[str, int, int]:
    """``word`` with one slip: (new word, where in it, length change)."""
    op = rng.choice(OPERATIONS)
    if op == "swap":
        options = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
        if options:
            i = rng.choice(options)
            return word[:i] + word[i + 1] + word[i] + word[i + 2:], i, 0
        op = "double"
    i = rng.randrange(1, len(word)) if op == "drop" and len(word) > 2 else rng.randrange(len(word))
    if op == "drop":
        return word[:i] + word[i + 1:], i, -1
    return word[:i + 1] + word[i] + word[i + 1:], i, 1


def _shift(span: EntitySpan, at: int, delta: int, text: str) -> EntitySpan:
    start, end = span.start, span.end
    if start > at:
        start += delta
    if end > at:
        end += delta
    value = span.value if span.value is not None else span.text
    return replace(span, start=start, end=end, text=text[start:end], value=value)


def _homophones() -> dict[str, list[str]]:
    """Common Chinese characters by their pinyin without tones."""
    from pypinyin import lazy_pinyin
    from pypinyin.phrases_dict import phrases_dict

    common = sorted({c for phrase in phrases_dict for c in phrase if _CJK.match(c)})
    by_sound: dict[str, list[str]] = {}
    for c in common:
        by_sound.setdefault(lazy_pinyin(c)[0], []).append(c)
    return by_sound


def homophone(word: str, rng: random.Random, by_sound: dict[str, list[str]]) -> tuple[str, int, int]:
    """``word`` with one character replaced by another that sounds the same (or unchanged)."""
    from pypinyin import lazy_pinyin

    order = list(range(len(word)))
    rng.shuffle(order)
    for i in order:
        others = [c for c in by_sound.get(lazy_pinyin(word[i])[0], []) if c != word[i]]
        if others:
            return word[:i] + rng.choice(others) + word[i + 1:], i, 0
    return word, 0, 0


def typo_examples(examples: list[Example], language: str, seed: int = 28, kind: str = "letters") -> list[Example]:
    """Each example with one typo (see the module docstring); the same seed, the same typos."""
    rng = random.Random(seed)
    by_sound = _homophones() if kind == "homophones" else {}
    out = []
    for ex in examples:
        words = _words(ex.text, language)
        if not words:
            out.append(ex)
            continue
        start, end = rng.choice(words)
        new, i, delta = homophone(ex.text[start:end], rng, by_sound) if by_sound else typo(ex.text[start:end], rng)
        text = ex.text[:start] + new + ex.text[end:]
        at = start + i
        spans = tuple(_shift(s, at, delta, text) for s in ex.entities)
        out.append(replace(ex, text=text, entities=spans))
    return out
