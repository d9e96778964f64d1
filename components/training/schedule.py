"""What both trainers (the NLU's and the generator's) share: the learning-rate schedule and
early stopping on a held-out score."""

from __future__ import annotations

import copy
from typing import Any

import torch

__all__ = ["EarlyStopping", "warmup_linear_decay"]


def warmup_linear_decay(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate rises linearly from 0 over ``warmup_steps``, then falls linearly to 0 at
    ``total_steps`` (the usual BERT/T5 fine-tuning schedule)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class EarlyStopping:
    """Keeps the weights of the best epoch by a held-out score and says when ``patience`` epochs
    in a row have not improved on it. ``higher_is_better``: accuracy (True) or loss (False);
    ``min_delta``: the least change that counts as better."""

    def __init__(self, patience: int, higher_is_better: bool = True, min_delta: float = 0.0):
        self.patience, self.higher, self.min_delta = patience, higher_is_better, min_delta
        self.best: float | None = None
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None
        self.bad_epochs = 0

    def update(self, score: float, epoch: int, model: torch.nn.Module) -> None:
        better = self.best is None or (
            score > self.best + self.min_delta if self.higher else score < self.best - self.min_delta
        )
        if better:
            self.best, self.best_epoch, self.bad_epochs = score, epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1

    @property
    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def restore(self, model: torch.nn.Module) -> None:
        """Load the best epoch's weights into ``model`` (nothing when no score was seen)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
