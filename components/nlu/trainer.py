"""The training loop for the joint BERT NLU: AdamW, warmup + linear decay, early stopping.

Kept out of the component file (see STYLE.md): the component prepares data and calls
:func:`fit`, which returns the best weights seen on the held-out split (or the last
ones when there is too little data to hold any out).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..training.schedule import EarlyStopping, TimeBudget, warmup_linear_decay
from .features import encode

logger = logging.getLogger(__name__)


@dataclass
class Encoded:
    words: list[list[tuple[str, int, int]]]
    intents: list[int]
    tags: list[list[int]]  # per word of `words`


@dataclass
class FitResult:
    epochs_run: int
    best_epoch: int
    best_score: float | None
    seconds: float
    history: list[dict[str, float]]
    pair_epochs: int = 0  # epochs of pair training before the heads (:func:`pair_training`)
    budget_minutes: float | None = None  # `max_training_minutes`, when set
    budget_epochs: int | None = None  # the epochs that fitted in it


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def stratified_split(examples: list[Any], fraction: float, min_examples: int, seed: int) -> tuple[list[Any], list[Any]]:
    """Held-out examples by intent (``fraction`` of each intent with 5 examples or more), when
    there are ``min_examples`` at least; else all train."""
    if len(examples) < min_examples or fraction <= 0:
        return examples, []
    rng = random.Random(seed)
    by_intent: dict[str, list[Any]] = {}
    for ex in examples:
        by_intent.setdefault(ex.intent, []).append(ex)
    train, dev = [], []
    for group in by_intent.values():
        group = group[:]
        rng.shuffle(group)
        k = int(len(group) * fraction) if len(group) >= 5 else 0
        dev += group[:k]
        train += group[k:]
    return train, dev


def batches(data: Encoded, order: list[int], size: int) -> list[list[int]]:
    return [order[i : i + size] for i in range(0, len(order), size)]


def bucketed(data: Encoded, rng: random.Random, size: int, pool: int = 50) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), drawn from shuffled pools of ``pool`` batches."""
    order = list(range(len(data.intents)))
    rng.shuffle(order)
    out: list[list[int]] = []
    for i in range(0, len(order), size * pool):
        chunk = sorted(order[i : i + size * pool], key=lambda j: len(data.words[j]))
        out += batches(data, chunk, size)
    rng.shuffle(out)
    return out


def tensors(
    data: Encoded, idx: list[int], tokenizer: Any, max_length: int, device: Any, featurizer: Any = None
) -> tuple[Any, torch.Tensor, torch.Tensor]:
    batch = encode(tokenizer, [data.words[i] for i in idx], max_length, featurizer).to(device)
    tags = torch.zeros_like(batch.word_index)
    for row, i in enumerate(idx):
        for col, w in enumerate(batch.kept[row]):
            tags[row, col] = data.tags[i][w]
    return batch, torch.tensor([data.intents[i] for i in idx], device=device), tags


@torch.inference_mode()
def evaluate(
    model: Any, data: Encoded, tokenizer: Any, cfg: Any, device: Any, featurizer: Any = None
) -> dict[str, float]:
    """Intent accuracy, tag accuracy over words, and whole-frame accuracy."""
    model.train(False)  # inference mode
    correct_intent = correct_frame = tag_hits = tag_total = 0
    for idx in batches(data, sorted(range(len(data.intents)), key=lambda j: len(data.words[j])), 64):
        batch, intents, tags = tensors(data, idx, tokenizer, cfg.max_length, device, featurizer)
        logits, emissions = model(batch.input_ids, batch.attention_mask, batch.word_index, batch.sparse)
        pred = logits.argmax(-1)
        paths = model.decode(emissions, batch.word_mask)
        for row in range(len(idx)):
            n = len(batch.kept[row])
            gold = tags[row, :n].tolist()
            hits = sum(int(a == b) for a, b in zip(paths[row][:n], gold))
            tag_hits += hits
            tag_total += n
            ok_intent = bool(pred[row] == intents[row])
            correct_intent += ok_intent
            correct_frame += ok_intent and hits == n
    n = max(len(data.intents), 1)
    return {"intent_acc": correct_intent / n, "tag_acc": tag_hits / max(tag_total, 1), "frame_acc": correct_frame / n}


def converged(losses: list[float], patience: int, tolerance: float) -> bool:
    """Whether the last ``patience`` epochs' ``losses`` fell less than ``tolerance`` (a share) below the
    best loss before them: the stopping rule without a held-out split (0: never)."""
    if tolerance <= 0 or patience < 1 or len(losses) <= patience:
        return False
    return min(losses[-patience:]) > min(losses[:-patience]) * (1 - tolerance)


class _StepLoss(torch.nn.Module):
    """The training loss as one module's forward, so DistributedDataParallel sees every
    parameter it uses (the CRF's transitions too)."""

    def __init__(self, model: Any):
        super().__init__()
        self.model = model

    def forward(self, batch: Any, intents: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        logits, emissions = self.model(batch.input_ids, batch.attention_mask, batch.word_index, batch.sparse)
        return self.model.loss(logits, emissions, intents, tags, batch.word_mask)


def fit(model: Any, tokenizer: Any, train: Encoded, dev: Encoded | None, cfg: Any, device: Any,
        progress: Callable[[str], None] | None = None, featurizer: Any = None,
        started: float | None = None) -> FitResult:
    """Train ``model`` in place; with ``dev``, keep the weights of the best epoch and stop early; without,
    stop once the training loss has :func:`converged`; within ``cfg.max_training_minutes`` counted from
    ``started`` (a :func:`time.perf_counter` reading; default: now) when it is set.
    Under ``dialogkit train --devices N`` each process trains on its share of every epoch
    (:mod:`dialogkit.components.training.devices`)."""
    from ..training.devices import is_main, mean, shard, wrap

    seed_everything(cfg.seed)
    started = time.perf_counter() if started is None else started
    steps_per_epoch = len(shard(list(range(math.ceil(len(train.intents) / cfg.batch_size)))))
    budget = TimeBudget(cfg.max_training_minutes, cfg.epochs, steps_per_epoch, started)
    pair_epochs = pair_training(model, tokenizer, train, cfg, device, progress, featurizer, budget)
    optimizer = _optimizer(model, cfg)
    total = max(1, steps_per_epoch * cfg.epochs)
    step_loss = wrap(_StepLoss(model))
    scheduler = warmup_linear_decay(optimizer, int(cfg.warmup_ratio * total), total, budget)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    rng = random.Random(cfg.seed)
    stopping = EarlyStopping(cfg.patience, higher_is_better=True)
    held_out = dev if dev is not None and dev.intents else None  # without: stop once the loss has converged
    warmup_epochs = math.ceil(cfg.warmup_ratio * cfg.epochs)
    history: list[dict[str, float]] = []
    bar = _progress_bar(total) if is_main() else None
    progress = progress if is_main() else None
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        running = 0.0
        for step, idx in enumerate(shard(bucketed(train, rng, cfg.batch_size)), 1):
            stepped = time.perf_counter()
            batch, intents, tags = tensors(train, idx, tokenizer, cfg.max_length, device, featurizer)
            with torch.autocast(device_type=device.type, enabled=use_amp):
                loss = step_loss(batch, intents, tags)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            running += loss.item()
            _say(progress, budget.after_step(time.perf_counter() - stepped, epoch, step, mean))
            scheduler.step()
            if bar is not None:
                bar.set_postfix(epoch=epoch, loss=f"{running / step:.3f}")
                bar.update(1)
        record = {"epoch": epoch, "loss": mean(running / max(steps_per_epoch, 1))}
        if held_out is not None:
            checked = time.perf_counter()
            scores = evaluate(model, held_out, tokenizer, cfg, device, featurizer)
            budget.timed("check", time.perf_counter() - checked)
            record.update(scores)
            stopping.update(scores["frame_acc"] + 0.5 * (scores["intent_acc"] + scores["tag_acc"]), epoch, model)
        history.append(record)
        if progress:
            progress(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k != "epoch"))
        if held_out is not None and stopping.should_stop:
            logger.info("early stop after epoch %d (best %d)", epoch, stopping.best_epoch)
            break
        last, news = budget.after_epoch(epoch, mean)
        _say(progress, news)
        if last:
            logger.info("the time budget allows %d epochs", budget.epochs)
            break
        if held_out is None and converged([h["loss"] for h in history[warmup_epochs:]], cfg.patience,
                                      cfg.converged_tolerance):
            logger.info("the training loss converged after epoch %d", epoch)
            if progress:
                progress(f"converged: the loss fell less than {cfg.converged_tolerance:.0%} in {cfg.patience} epochs")
            break
    if bar is not None:
        bar.close()
    stopping.restore(model)
    model.train(False)  # inference mode
    return FitResult(epoch, stopping.best_epoch or epoch, stopping.best, time.perf_counter() - started, history,
                     pair_epochs, budget.minutes, budget.epochs)


def _say(progress: Callable[[str], None] | None, news: str | None) -> None:
    if progress and news:
        progress(news)


class _PairLoss(torch.nn.Module):
    """Pair training's loss over every pair of a batch (SetFit's cosine-similarity objective): the cosine
    of two messages' vectors pulled to 1 for the same intent and to 0 for two intents, the two kinds of
    pair weighted alike (a batch holds far more pairs of two intents)."""

    def __init__(self, model: Any):
        super().__init__()
        self.model = model

    def forward(self, batch: Any, intents: torch.Tensor) -> torch.Tensor:
        vectors = self.model.sentence_vectors(batch.input_ids, batch.attention_mask)
        vectors = torch.nn.functional.normalize(vectors, dim=-1)
        cosine = vectors @ vectors.T  # (B, B)
        same = (intents[:, None] == intents[None, :]).to(cosine.dtype)
        # a message with itself is no pair
        together = same - torch.eye(len(intents), dtype=cosine.dtype, device=cosine.device)
        apart = 1 - same
        return ((1 - cosine) ** 2 * together).sum() / together.sum().clamp(min=1) + (
            cosine**2 * apart
        ).sum() / apart.sum().clamp(min=1)


def pair_training(model: Any, tokenizer: Any, train: Encoded, cfg: Any, device: Any,
                  progress: Callable[[str], None] | None = None, featurizer: Any = None,
                  budget: TimeBudget | None = None) -> int:
    """Train the encoder alone on pairs of examples for ``cfg.contrastive_epochs`` epochs: messages of
    one intent drawn together, of two intents apart (SetFit's first step, which makes a small
    bot's few examples per intent go further), before :func:`fit` trains the heads with it. Batches
    are drawn at random (not by length), so a batch mixes intents. Under a time ``budget``, it stops
    once it has used half of it (the heads need the rest). Returns the epochs run."""
    from ..training.devices import is_main, mean, shard, wrap

    epochs = int(cfg.contrastive_epochs)
    if epochs <= 0 or len(set(train.intents)) < 2:
        return 0
    body = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    optimizer = torch.optim.AdamW(body, lr=cfg.contrastive_learning_rate, weight_decay=cfg.weight_decay)
    pair_loss = wrap(_PairLoss(model))
    rng = random.Random(cfg.seed + 1)
    model.train()
    for epoch in range(1, epochs + 1):
        running, steps = 0.0, 0
        for idx in shard(bucketed(train, rng, cfg.batch_size, pool=1)):
            batch, intents, _tags = tensors(train, idx, tokenizer, cfg.max_length, device, featurizer)
            loss = pair_loss(batch, intents)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body, 1.0)
            optimizer.step()
            running, steps = running + loss.item(), steps + 1
        if progress and is_main():
            progress(f"pair training epoch {epoch}: loss {running / max(steps, 1):.4f}")
        if budget is not None and epoch < epochs and budget.spent(0.5, mean):
            if progress and is_main():
                progress(f"time budget {budget.minutes:g} min: pair training stopped after {epoch} of {epochs}")
            return epoch
    return epochs


def _optimizer(model: Any, cfg: Any) -> torch.optim.Optimizer:
    """AdamW with the encoder, the heads and the bot's own feature bags at their own learning rates."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    bags = ("word_bag.", "sentence_bag.")  # the bot's own features: learnt from scratch, faster
    heads = [p for n, p in params if not n.startswith(("encoder.", "slot_encoder.", *bags))]
    body = [p for n, p in params if n.startswith(("encoder.", "slot_encoder."))]
    sparse = [p for n, p in params if n.startswith(bags)]
    groups = [{"params": body, "lr": cfg.learning_rate}, {"params": heads, "lr": cfg.head_learning_rate}]
    if sparse:
        groups.append({"params": sparse, "lr": getattr(cfg, "char_feature_learning_rate", cfg.head_learning_rate)})
    try:  # the fused kernel is several times faster on CPU
        return torch.optim.AdamW(groups, weight_decay=cfg.weight_decay, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        return None
    return tqdm(total=total, desc="bert_nlu", unit="step", leave=False, disable=None)
