"""dialogkit: a modular NLU -> DM -> NLG dialogue framework.

    from dialogkit import Agent

    agent = Agent.load("models/restaurant")
    replies = agent.handle("a table for two tonight", conversation_id="alice")

The engine lives in :mod:`dialogkit.framework` (domain, training data, tracker, agent,
archive, server, CLI) and the built-in pipeline components in :mod:`dialogkit.components`
(BERT NLU, the flow policy, template and T5 NLG). Heavy modules load on first use, so
``import dialogkit`` stays fast and does not import torch.

In a source checkout the two packages are the repository's top-level folders ``framework/``
and ``components/``; an installed copy has them inside this package (the ``package-dir``
mapping in pyproject.toml), so nothing generic such as ``components`` is installed at the top
level of site-packages.
"""

from __future__ import annotations

import os as _os
from typing import Any

_CHECKOUT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(_os.path.dirname(__file__), "framework")) and _os.path.isfile(
    _os.path.join(_CHECKOUT, "framework", "__init__.py")
):
    __path__.append(_CHECKOUT)  # noqa: F821 (a package's own __path__)

from dialogkit.framework.errors import DialogkitError  # noqa: E402
from dialogkit.framework.version import __version__  # noqa: E402

__all__ = ["ActionRejected", "Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]


def __getattr__(name: str) -> Any:
    if name == "ActionRejected":
        from dialogkit.framework.actions import ActionRejected

        return ActionRejected
    if name in {"Agent", "load_domain", "train", "validate"}:
        import dialogkit.framework

        return getattr(dialogkit.framework, name)
    raise AttributeError(f"module 'dialogkit' has no attribute '{name}'")
