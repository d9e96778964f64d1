"""Training across devices with DistributedDataParallel (``dialogkit train --devices N``).

:func:`launch` starts N processes (``torch.multiprocessing``), one per device: GPUs when
there are N of them (NCCL), else CPU processes (Gloo). Every process runs the whole
training; the trainers ask :func:`world` which part of each epoch is theirs:

- the batches of an epoch are the same list on every process (same seed); process ``r``
  takes every N-th one from ``r`` (:func:`shard`), all processes the same number, so the
  gradient all-reduce of DistributedDataParallel (:func:`wrap`) never waits for a missing
  process; an optimizer step therefore covers N batches, and the schedule has 1/N steps;
- held-out evaluation runs on every process on the same (all-reduced) weights, so early
  stopping decides the same everywhere; without one, training stops on the training loss averaged
  over the processes (:func:`mean`);
- only process 0 shows progress and writes the archive.

Run under ``torchrun`` instead, the environment it sets (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT) is used as it is.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["cores", "device", "is_main", "launch", "mean", "shard", "world", "wrap"]


def cores() -> int:
    """The cores this process may use: ``OMP_NUM_THREADS`` where it is set (as torch and ONNX Runtime read
    it: a test runner or a server with several processes on one machine gives each its share), else all."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return max(1, os.cpu_count() or 1)


def world() -> tuple[int, int]:
    """(this process's rank, number of processes); (0, 1) when not distributed."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return world()[0] == 0


def device() -> Any:
    """This process's device: its own GPU when distributed over GPUs, else the GPU or the CPU."""
    import torch

    if not torch.cuda.is_available():
        return torch.device("cpu")
    rank, size = world()
    return (
        torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        if size > 1
        else torch.device("cuda")
    )


def shard(batches: list[Any]) -> list[Any]:
    """This process's share of an epoch's batches (the same count on every process)."""
    rank, size = world()
    if size == 1:
        return batches
    usable = len(batches) - len(batches) % size if len(batches) >= size else len(batches)
    mine = batches[:usable][rank::size]
    return mine or batches[:1]  # fewer batches than processes: everyone takes the first


def mean(value: float) -> float:
    """``value`` averaged over the processes (itself when not distributed): a figure every process decides
    on alike, as the training loss when training stops on it."""
    _, size = world()
    if size == 1:
        return value
    import torch
    import torch.distributed as dist

    total = torch.tensor([value], dtype=torch.float64, device=device())
    dist.all_reduce(total)
    return float(total.item()) / size


def wrap(model: Any) -> Any:
    """``model`` wrapped for gradient all-reduce when distributed (itself otherwise)."""
    rank, size = world()
    if size == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    dev = device()
    # find_unused_parameters: encoders carry parts a task never uses (BERT's pooler)
    return DistributedDataParallel(
        model, device_ids=[dev.index] if dev.type == "cuda" else None, find_unused_parameters=True
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, size: int, port: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    import torch
    import torch.distributed as dist

    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    use_gpus = torch.cuda.is_available() and torch.cuda.device_count() >= size
    if use_gpus:
        torch.cuda.set_device(rank)
    else:  # CPU processes share the cores
        torch.set_num_threads(max(1, cores() // size))
    dist.init_process_group("nccl" if use_gpus else "gloo", rank=rank, world_size=size)
    try:
        fn(*args)
    finally:
        dist.barrier()
        dist.destroy_process_group()


def launch(size: int, fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` in ``size`` processes that form one DistributedDataParallel group."""
    from torch.multiprocessing.spawn import spawn

    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:  # started by torchrun: join its group
        import torch
        import torch.distributed as dist

        backend = (
            "nccl"
            if torch.cuda.is_available() and torch.cuda.device_count() >= int(os.environ["WORLD_SIZE"])
            else "gloo"
        )
        dist.init_process_group(backend)
        try:
            fn(*args)
        finally:
            dist.barrier()
            dist.destroy_process_group()
        return
    spawn(_worker, args=(size, _free_port(), fn, args), nprocs=size, join=True)  # type: ignore[no-untyped-call,unused-ignore]
