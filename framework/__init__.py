"""dialogkit's engine: domain, training data, tracker, components, Agent, archive, CLI.

Heavy modules load on first use, so ``import dialogkit.framework`` (and ``dialogkit --help``) stay fast.
"""

from __future__ import annotations

from typing import Any

from .errors import DialogkitError
from .version import __version__

__all__ = ["Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from .runtime.agent import Agent

        return Agent
    if name == "load_domain":
        from .domain.loader import load_domain

        return load_domain
    if name == "train":
        from .build.training import train

        return train
    if name == "validate":
        from .build.validation import validate

        return validate
    raise AttributeError(f"module 'dialogkit.framework' has no attribute '{name}'")
