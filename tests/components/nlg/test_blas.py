"""The generator's BLAS threads while the main thread decodes: one for a bot's turn, every core for a large
batch; worker threads leave the process's setting alone."""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS library the limits apply to)
import pytest
from threadpoolctl import threadpool_info

from dialogkit.components.nlg.blas import SMALL_BATCH, decoding_threads


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def blas_default() -> list[int]:
    found = _blas_threads()
    if not found:
        pytest.fail("numpy has no BLAS library threadpoolctl can see")
    return found


def test_a_turn_decodes_on_one_thread_and_the_default_comes_back(blas_default: list[int]) -> None:
    with decoding_threads(None, 4):  # one input, four beams
        assert _blas_threads() == [1] * len(blas_default)
    assert _blas_threads() == blas_default


def test_a_large_batch_keeps_the_library_default(blas_default: list[int]) -> None:
    with decoding_threads(None, SMALL_BATCH + 1):
        assert _blas_threads() == blas_default


def test_the_configured_threads_win(blas_default: list[int]) -> None:
    with decoding_threads(3, 4):
        assert _blas_threads() == [3] * len(blas_default)
    assert _blas_threads() == blas_default


def test_worker_threads_leave_the_setting_alone(blas_default: list[int]) -> None:
    """Two server threads decoding at once (A starts, B starts, A ends, B ends): neither changes the process's
    setting, so none can leave it changed (threadpoolctl is safe from the main thread only)."""
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[int]] = {}

    def a() -> None:
        with decoding_threads(None, 4):
            seen["a"] = _blas_threads()
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with decoding_threads(None, 4):
            b_in.set()
            a_out.wait(5)
            seen["b after a ended"] = _blas_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"a": blas_default, "b after a ended": blas_default}
    assert _blas_threads() == blas_default
    with decoding_threads(None, 4):  # and the main thread still can
        assert _blas_threads() == [1] * len(blas_default)
