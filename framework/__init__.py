"""dialogkit's engine: domain, training data, tracker, components, Agent, archive, CLI.

Heavy modules load on first use, so ``import dialogkit.framework`` (and ``dialogkit --help``) stay fast.
"""

from __future__ import annotations

from typing import Any

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.version import __version__

__all__ = ["Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from dialogkit.framework.agent import Agent

        return Agent
    if name == "load_domain":
        from dialogkit.framework.domain.loader import load_domain

        return load_domain
    if name == "train":
        from dialogkit.framework.training import train

        return train
    if name == "validate":
        from dialogkit.framework.validation import validate

        return validate
    raise AttributeError(f"module 'dialogkit.framework' has no attribute '{name}'")
