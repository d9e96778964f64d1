"""Lexically constrained decoding: the generator places exactly the placeholders it is given.

A reply's values are ``{slot}`` placeholders filled in after generation, so a value is never
misspelt; but a free decoder can still drop one, say one twice, or say one it was not given,
and the guard then refuses the candidate. :class:`Placement` rules that out while decoding
(``T5Runtime.generate(..., placement=...)``): a placeholder token not given is never chosen, a
given one at most once, the end token only after all of them, and when only as many steps are
left as placeholders to say, only those. :func:`placement` builds it from a codec and the
placeholders each input gives (``plans.given``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BANNED", "Placement", "placement"]

BANNED = np.float32(-1e9)  # a token decoding may not choose (beam search drops scores under -1e8)


@dataclass(frozen=True)
class Placement:
    """What decoding may place (lexically constrained decoding): of the ``controlled`` tokens
    (every slot placeholder), a hypothesis of input i says each of ``required[i]`` exactly once
    and no other; it cannot end before it has said them all, and says the rest when only as many
    steps are left as it has placeholders to say."""

    controlled: tuple[int, ...]
    required: tuple[tuple[int, ...], ...]

    def penalties(self, rows: list[int], said: list[frozenset[int]], vocab: int, eos: int, left: int) -> np.ndarray:
        """Additive log-probability masks (len(rows), vocab) for hypotheses of inputs ``rows`` that have
        ``said`` these controlled tokens, with ``left`` steps to go (this one included)."""
        out = np.zeros((len(rows), vocab), dtype=np.float32)
        controlled = [t for t in self.controlled if t < vocab]
        for r, (i, done) in enumerate(zip(rows, said, strict=True)):
            todo = [t for t in self.required[i] if t not in done and t < vocab]
            if todo and len(todo) >= left:  # no room for anything else
                out[r, :] = BANNED
            else:
                out[r, controlled] = BANNED
                if todo:
                    out[r, eos] = BANNED
            out[r, todo] = 0.0
        return out

    def update(self, said: frozenset[int], token: int) -> frozenset[int]:
        return said | {token} if token in self.controlled else said


def placement(codec: Any, required: list[list[str]]) -> Placement:
    """The constraint under which each hypothesis for input i says exactly the placeholders ``required[i]``,
    once each (placeholders the codec has no token for cannot be placed: the guard then refuses the reply)."""
    ids = codec.placeholder_ids()
    return Placement(tuple(sorted(ids.values())), tuple(tuple(ids[s] for s in r if s in ids) for r in required))
