"""How many threads numpy's matrix products use while the generator decodes.

At batch 1 with 4 beams, a decoding step of the compact T5 is about 60 matrix products of a few
hundred thousand multiply-adds each. Waking a second BLAS thread for each costs more than it saves
(and on a busy server the threads compete with other requests), so small batches run on one thread;
large batches (``dialogkit test nlg``, training's check) use every core.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["SMALL_BATCH", "decoding_threads"]

SMALL_BATCH = 16  # sequences decoded together (inputs x beams) up to which one thread is faster

_controller: Any = None


@contextmanager
def decoding_threads(threads: int | None, rows: int) -> Iterator[None]:
    """At most ``threads`` threads for numpy's matrix products while decoding ``rows`` sequences; ``None``: one
    thread up to :data:`SMALL_BATCH` rows, the library's default (every core) above."""
    global _controller
    limit = threads if threads is not None else (1 if rows <= SMALL_BATCH else None)
    if limit is None:
        yield
        return
    if _controller is None:  # finding the loaded BLAS libraries takes a while: once per process
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=limit, user_api="blas"):
        yield
