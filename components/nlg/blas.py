"""How many threads numpy's matrix products use while the generator decodes.

At batch 1 with 4 beams, a decoding step of the compact T5 is about 60 matrix products of a few
hundred thousand multiply-adds each. Waking a second BLAS thread for each saves little on an idle
machine, and when the cores are busy the threads wait for each other (beside a training job a reply
took more than twice as long on two threads as on one). So small batches run on one thread; large
batches (``dialogkit test nlg``, training's check) use every core.

The BLAS thread count is one setting for the whole process, and threadpoolctl changes it safely
only from the main thread (its maintainers say so: joblib/threadpoolctl#205, #209): two worker
threads setting and restoring it at once can leave it at one thread for good. So the limit is
applied when the main thread decodes (a script, ``dialogkit shell``, ``test``, the benchmarks); a
server's worker threads leave the setting as the process has it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["SMALL_BATCH", "decoding_threads"]

SMALL_BATCH = 16  # sequences decoded together (inputs x beams) up to which one thread is used

_controller: Any = None


@contextmanager
def decoding_threads(threads: int | None, rows: int) -> Iterator[None]:
    """At most ``threads`` threads for numpy's matrix products while the main thread decodes ``rows`` sequences;
    ``None``: one thread up to :data:`SMALL_BATCH` rows, the library's default (every core) above."""
    global _controller
    limit = threads if threads is not None else (1 if rows <= SMALL_BATCH else None)
    if limit is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if _controller is None:  # finding the loaded BLAS libraries takes a while: once per process
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=limit, user_api="blas"):
        yield
