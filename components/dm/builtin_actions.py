"""Rasa's default actions that the DM runs itself (names in :mod:`dialogkit.framework.domain.builtins`):
what each does to the conversation, as events on the DM's :class:`Draft`. The flow runtime
runs one where a flow or an action's follow-up names it; the replay aligns a test story's
state with one it did not predict (:mod:`.alignment`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dialogkit.framework.domain.builtins import (
    ACTION_BACK,
    ACTION_CANCEL_FLOW,
    ACTION_DEACTIVATE_LOOP,
    ACTION_HUMAN_HANDOFF,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    ACTION_UNLIKELY_INTENT,
    UTTER_BACK,
)
from dialogkit.framework.runtime.tracker import ConversationPaused, FlowCancelled, Restarted, UserUtteranceReverted

from .draft import Draft

if TYPE_CHECKING:
    from .flow_runtime import FlowRuntime

__all__ = ["BUILTIN_RUNNERS"]


def _restart(rt: FlowRuntime, draft: Draft) -> None:
    draft.add(Restarted())


def _deactivate_loop(rt: FlowRuntime, draft: Draft) -> None:
    """Rasa's: the active form ends, even under a flow that interrupted it; with no form active
    it does nothing (a rule may run it before it starts a form)."""
    form = next((f.flow for f in reversed(draft.stack) if rt.domain.flows[f.flow].form), None)
    if form is not None:
        draft.add(FlowCancelled(flow=form))


def _cancel_flow(rt: FlowRuntime, draft: Draft) -> None:
    stack = draft.stack
    if stack:
        draft.add(FlowCancelled(flow=stack[-1].flow))


def _pause(rt: FlowRuntime, draft: Draft) -> None:
    """dialogkit's: the conversation goes to a human (ConversationPaused): the user's next messages
    are kept and forwarded to the handoff webhook, not answered, until a ConversationResumed."""
    draft.add(ConversationPaused())


def _back(rt: FlowRuntime, draft: Draft) -> None:
    """Rasa's: say ``utter_back`` if the bot has it, then take back the ``/back`` message and the
    one before it: slots and flows are as they were before that message (the events stay
    stored, reverted). The flow then waits where it waited; :meth:`FlowRuntime.reask` asks again."""
    if UTTER_BACK in rt.domain.responses:
        draft.say(UTTER_BACK, record=False)
    draft.add(UserUtteranceReverted())
    draft.add(UserUtteranceReverted())


def _nothing(rt: FlowRuntime, draft: Draft) -> None:
    """Nothing to do in a flow (listening happens when the flow waits; a session starts in the agent)."""


# Every built-in action name (framework/domain/builtins.py) -> what the runtime does for it.
BUILTIN_RUNNERS: dict[str, Callable[[FlowRuntime, Draft], None]] = {
    ACTION_RESTART: _restart,
    ACTION_DEACTIVATE_LOOP: _deactivate_loop,
    ACTION_CANCEL_FLOW: _cancel_flow,
    ACTION_LISTEN: _nothing,
    ACTION_SESSION_START: _nothing,
    ACTION_UNLIKELY_INTENT: _nothing,
    ACTION_BACK: _back,
    ACTION_HUMAN_HANDOFF: _pause,
}
