"""dialogkit's engine: domain, training data, tracker, components, Agent, archive, CLI.

Heavy modules load on first use, so ``import framework`` (and ``dialogkit --help``) stay fast.
"""

from __future__ import annotations

from typing import Any

from framework.errors import DialogkitError
from framework.version import __version__

__all__ = ["Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from framework.agent import Agent

        return Agent
    if name == "load_domain":
        from framework.domain.loader import load_domain

        return load_domain
    if name == "train":
        from framework.training import train

        return train
    if name == "validate":
        from framework.validation import validate

        return validate
    raise AttributeError(f"module 'framework' has no attribute '{name}'")
