"""Fine-tuning / training loop for the T5 response generator.

Kept apart from the component (STYLE.md): :func:`fit` takes (input, target) text pairs,
a codec and a ``T5ForConditionalGeneration``, and returns the best weights seen on the
held-out pairs (or the last ones when there are too few pairs to hold any out).
Used by ``components/nlg/generator.py`` and by ``bench/bench_nlg.py``.
"""

from __future__ import annotations

import logging
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ..training.schedule import EarlyStopping, TimeBudget, warmup_linear_decay
from . import t5_runtime

logger = logging.getLogger(__name__)


@dataclass
class FitSettings:
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.05
    label_smoothing: float = 0.1
    patience: int = 8
    min_steps: int = 0  # small data: run more epochs until this many optimiser steps
    max_input_length: int = 96
    max_length: int = 80
    seed: int = 42
    max_minutes: float | None = None  # a wall-clock budget: the epochs that fit it (TimeBudget); None: none


@dataclass
class FitResult:
    epochs_run: int
    best_epoch: int
    best_loss: float | None
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    budget_minutes: float | None = None
    budget_epochs: int | None = None


def pad_batch(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids, mask = t5_runtime.pad_batch(rows, pad)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def _batches(pairs: list[tuple[list[int], list[int]]], size: int, rng: random.Random | None) -> list[list[int]]:
    order = list(range(len(pairs)))
    if rng is not None:
        rng.shuffle(order)
    out: list[list[int]] = []
    pool = size * 50
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: len(pairs[j][1]))
        out += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def _loss(
    model: Any, pairs: list[tuple[list[int], list[int]]], idx: list[int], pad: int, smoothing: float
) -> torch.Tensor:
    ids, mask = pad_batch([pairs[i][0] for i in idx], pad)
    labels, _ = pad_batch([pairs[i][1] for i in idx], pad)
    labels[labels == pad] = -100
    logits = model(input_ids=ids, attention_mask=mask, labels=labels).logits
    return torch.nn.functional.cross_entropy(
        logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100, label_smoothing=smoothing
    )


@torch.no_grad()
def held_out_loss(model: Any, pairs: list[tuple[list[int], list[int]]], pad: int) -> float:
    model.train(False)  # inference mode
    total, n = 0.0, 0
    for idx in _batches(pairs, 64, None):
        total += float(_loss(model, pairs, idx, pad, 0.0)) * len(idx)
        n += len(idx)
    return total / max(1, n)


def _encode(codec: Any, pairs: list[tuple[str, str]], settings: FitSettings) -> list[tuple[list[int], list[int]]]:
    return [(codec.encode(a, settings.max_input_length), codec.encode(b, settings.max_length)) for a, b in pairs]


def _optimizer(model: Any, settings: FitSettings) -> torch.optim.Optimizer:
    """AdamW; weight decay on the matrices except the shared embeddings."""
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and "shared" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim > 1 and "shared" not in n)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": settings.weight_decay}, {"params": rest, "weight_decay": 0.0}],
        lr=settings.learning_rate,
    )


def fit(
    model: Any,
    codec: Any,
    train: list[tuple[str, str]],
    held_out: list[tuple[str, str]],
    settings: FitSettings,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Train ``model`` on ``train`` pairs; early-stop on ``held_out`` loss when there is any.
    Under ``dialogkit train --devices N`` each process trains on its share of every epoch
    (:mod:`dialogkit.components.training.devices`)."""
    from ..training.devices import is_main, mean, shard, wrap

    start = time.perf_counter()
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)

    tr, dev = _encode(codec, train, settings), _encode(codec, held_out, settings)
    pad = codec.pad_id
    steps_per_epoch = len(shard(list(range(math.ceil(len(tr) / settings.batch_size)))))
    epochs = max(settings.epochs, math.ceil(settings.min_steps / steps_per_epoch))
    total = steps_per_epoch * epochs
    warm = max(1, int(total * settings.warmup))
    opt = _optimizer(model, settings)
    budget = TimeBudget(settings.max_minutes, epochs, steps_per_epoch, start)
    sched = warmup_linear_decay(opt, warm, total, budget)

    trained = wrap(model)
    progress = progress if is_main() else None
    stopping = EarlyStopping(settings.patience, higher_is_better=False, min_delta=1e-4)
    history: list[dict[str, float]] = []
    from tqdm import tqdm

    # one bar for the whole run (a terminal only), with the loss; per-epoch lines go to `progress` (shown by `train -v`)
    bar = tqdm(
        total=total, desc="t5_nlg", unit="step", leave=False, disable=progress is None or not sys.stderr.isatty()
    )
    epoch = 0
    for epoch in range(1, epochs + 1):
        model.train(True)
        batches = shard(_batches(tr, settings.batch_size, rng))
        running = 0.0
        for step, idx in enumerate(batches, 1):
            stepped = time.perf_counter()
            loss = _loss(trained, tr, idx, pad, settings.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            running += float(loss.detach())
            news = budget.after_step(time.perf_counter() - stepped, epoch, step, mean)
            if progress and news:
                progress(news)
            sched.step()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{float(loss.detach()):.3f}")
        row = {"epoch": epoch, "train_loss": running / max(1, len(batches))}
        if dev:
            checked = time.perf_counter()
            row["held_out_loss"] = held_out_loss(model, dev, pad)
            budget.timed("check", time.perf_counter() - checked)
            stopping.update(row["held_out_loss"], epoch, model)
        history.append(row)
        if progress:
            progress(f"generator epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
        if dev and stopping.should_stop:
            break
        last, news = budget.after_epoch(epoch, mean)
        if progress and news:
            progress(news)
        if last:
            break
    bar.close()
    stopping.restore(model)
    model.train(False)
    return FitResult(
        epoch, stopping.best_epoch or epoch, stopping.best if dev else None, time.perf_counter() - start, history,
        budget.minutes, budget.epochs
    )
