"""What both trainers (the NLU's and the generator's) share: the learning-rate schedule, early
stopping on a held-out score, and a wall-clock budget for the run."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["BUDGET_PROBE_STEPS", "EarlyStopping", "TimeBudget", "warmup_linear_decay"]

# under a time budget, the epochs that fit are first estimated after this many steps (then after every epoch)
BUDGET_PROBE_STEPS = 20


def warmup_linear_decay(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, budget: TimeBudget | None = None
) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate rises linearly from 0 over ``warmup_steps``, then falls linearly to 0 at
    ``total_steps`` (the usual BERT/T5 fine-tuning schedule). With a ``budget``, both are shortened in
    proportion when fewer epochs fit in it than were planned (:attr:`TimeBudget.epochs`)."""

    def factor(step: int) -> float:
        share = budget.epochs / budget.planned if budget is not None else 1.0
        total, warmup = max(1, round(total_steps * share)), int(warmup_steps * share)
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class TimeBudget:
    """A training run's wall-clock budget (``minutes``; None or 0: none): how many of the ``planned``
    epochs fit in it, re-estimated from the time the steps and the held-out checks have taken so far.

    The learning-rate schedule ends where the budget does (:func:`warmup_linear_decay` reads
    :attr:`epochs`) instead of being cut off mid-decay: a schedule that decays to zero at the budget
    does better than a longer one stopped early (Li, Yumer and Ramanan, "Budget-aware training",
    ICLR 2020). The run stops after epoch :attr:`epochs`; the time before the first step (loading,
    pair training) counts against the budget.
    """

    def __init__(self, minutes: float | None, planned: int, steps_per_epoch: int, started: float | None = None):
        self.seconds = minutes * 60 if minutes else None
        self.planned = self.epochs = max(1, planned)
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.started = time.perf_counter() if started is None else started
        self.first_step: float | None = None  # when the epochs began
        self.step_seconds = self.check_seconds = 0.0
        self.steps = self.checks = 0
        self.said: int | None = None  # the epochs that fit as last said (:meth:`news`)

    def timed(self, kind: str, seconds: float) -> None:
        """Count ``seconds`` spent on a training step (``kind`` "step") or a held-out check ("check")."""
        if kind == "step":
            self.step_seconds, self.steps = self.step_seconds + seconds, self.steps + 1
            if self.first_step is None:
                self.first_step = time.perf_counter() - seconds
        else:
            self.check_seconds, self.checks = self.check_seconds + seconds, self.checks + 1

    def replan(self, agree: Callable[[float], float] = float) -> int:
        """The epochs that fit, from the mean step and check so far (at least one; at most as planned).
        ``agree`` averages a figure over the processes of a run on several devices, so all stop alike."""
        if self.seconds is None or not self.steps or self.first_step is None:
            return self.epochs
        epoch = agree(self.steps_per_epoch * self.step_seconds / self.steps + self.check_seconds / max(self.checks, 1))
        before = agree(self.first_step - self.started)
        self.epochs = max(1, min(self.planned, math.floor((self.seconds - before) / max(epoch, 1e-9))))
        return self.epochs

    def after_step(self, seconds: float, epoch: int, step: int, agree: Callable[[float], float] = float) -> str | None:
        """Count a training step of ``seconds``; after the first :data:`BUDGET_PROBE_STEPS` steps, the first
        estimate (so the schedule fits the budget before its warmup ends): what to tell the user, if anything."""
        self.timed("step", seconds)
        if epoch == 1 and step == BUDGET_PROBE_STEPS:
            self.replan(agree)
            return self.news()
        return None

    def after_epoch(self, epoch: int, agree: Callable[[float], float] = float) -> tuple[bool, str | None]:
        """Re-estimate once ``epoch`` (and its held-out check) is done: whether it was the last that fits,
        and what to tell the user, if anything. Stopping there, :attr:`epochs` is the epochs run (an estimate
        may fall below them as the timings settle)."""
        self.replan(agree)
        last = epoch >= self.epochs
        if last:
            self.epochs = epoch
        return last, self.news()

    def spent(self, share: float, agree: Callable[[float], float] = float) -> bool:
        """Whether ``share`` of the budget has gone since the run started (never, without a budget)."""
        return self.seconds is not None and agree(time.perf_counter() - self.started) >= self.seconds * share

    def news(self) -> str | None:
        """What to tell the user: the first estimate of the epochs that fit, and any fall below what was
        said (training ends sooner); a rise as the timings settle is not news (None: nothing)."""
        if self.seconds is None or not self.steps or (self.said is not None and self.epochs >= self.said):
            return None
        self.said = self.epochs
        return f"time budget {self.seconds / 60:g} min: about {self.epochs} of {self.planned} epochs fit"

    @property
    def minutes(self) -> float | None:
        """The budget in minutes (None: none), as training.json records it beside :attr:`epochs`."""
        return None if self.seconds is None else self.seconds / 60


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
