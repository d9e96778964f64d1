"""Typos injected into NLU examples, reproducibly (a fixed seed): one per message.

A word of the message (letters only: 4 or more for spaced scripts, 2 or more characters for
Chinese and Japanese) is picked at random, and one of the three slips people make is
applied to it: a letter dropped, two neighbouring letters swapped, a letter doubled. The
entity annotations move with the text: a span the typo falls in keeps its canonical value
(``value``: what the user meant), its typed text changes. Messages with no such word stay as
they are; a run of Chinese characters is cut where an entity begins or ends (a slip stays
inside or outside the value). Usage: ``typo_examples(examples, language, seed)``.

``kind="homophones"`` (Chinese): the slip a Chinese input method makes instead: a character
of a run of two or more is replaced by another common character read the same (the same
pinyin without tones, from pypinyin's tables): 杭州 → 杭洲.

The slips are components/nlu/noise.py's (what bert_nlu's ``typo_augmentation`` trains on, with
its own seed and also neighbouring keys); these test messages are held out from training.
"""

from __future__ import annotations

import random

from dialogkit.components.nlu.noise import homophone, slip, slip_at, slip_spots
from dialogkit.framework.domain.training_data import Example

__all__ = ["OPERATIONS", "typo_examples"]

OPERATIONS = ("drop", "swap", "double")


def typo_examples(examples: list[Example], language: str, seed: int = 28, kind: str = "letters") -> list[Example]:
    """Each example with one typo (see the module docstring); the same seed, the same typos."""
    rng = random.Random(seed)
    out = []
    for ex in examples:
        spots = slip_spots(ex.text, language, ex.entities)
        if not spots:
            out.append(ex)
            continue
        start, end = rng.choice(spots)
        word = ex.text[start:end]
        slipped = homophone(word, rng) if kind == "homophones" else slip(word, rng, OPERATIONS)
        out.append(slip_at(ex, start, end, slipped))
    return out
