"""The generator's BLAS threads while decoding: one for a bot's turn, every core for a large batch."""

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
