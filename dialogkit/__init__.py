"""dialogkit: a modular NLU -> DM -> NLG dialogue framework.

    from dialogkit import Agent

    agent = Agent.load("models/restaurant")
    replies = agent.handle("a table for two tonight", conversation_id="alice")

The engine lives in :mod:`dialogkit.framework` (domain, training data, tracker, agent,
archive, server, CLI) and the built-in pipeline components in :mod:`dialogkit.components`
(BERT NLU, the flow policy, template and T5 NLG). Heavy modules load on first use, so
``import dialogkit`` stays fast and does not import torch.

In a source checkout the two packages are the repository's top-level folders ``framework/``
and ``components/``, seen from here through the links ``dialogkit/framework`` and
``dialogkit/components`` (so mypy, ruff and editors resolve every ``dialogkit.*`` import from
the checkout); an installed copy has them inside this package (the ``package-dir`` mapping in
pyproject.toml), so nothing generic such as ``components`` is installed at the top level of
site-packages.
"""

from __future__ import annotations

from typing import Any

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.version import __version__

__all__ = ["ActionRejected", "Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]


def __getattr__(name: str) -> Any:
    if name == "ActionRejected":
        from dialogkit.framework.runtime.action_code import ActionRejected

        return ActionRejected
    if name in {"Agent", "load_domain", "train", "validate"}:
        import dialogkit.framework

        return getattr(dialogkit.framework, name)
    raise AttributeError(f"module 'dialogkit' has no attribute '{name}'")
