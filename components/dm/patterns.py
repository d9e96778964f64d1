"""How a repair pattern hands over to a bot's own flow: ``pattern_<name>`` replaces the built-in
pattern when the bot defines it, and runs on top of the flow being repaired, which goes on after
it (without a "back to" prompt: it is no interruption)."""

from __future__ import annotations

from dialogkit.framework.domain.builtins import PATTERN_PREFIX
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.tracker import FlowStarted

from .draft import Draft

__all__ = ["pattern_flow", "start_on_top"]


def pattern_flow(domain: Domain, name: str) -> str | None:
    """The bot's flow that replaces pattern ``name``, if it has one."""
    flow = PATTERN_PREFIX + name
    return flow if flow in domain.flows else None


def start_on_top(draft: Draft, flow: str) -> None:
    """Start ``flow`` above the active flow, which goes on where it was when ``flow`` ends."""
    stack = draft.stack
    draft.add(FlowStarted(flow=flow, return_to=stack[-1].flow if stack else None))
