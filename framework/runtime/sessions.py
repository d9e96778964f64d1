"""Sessions: when one starts and what the bot does then.

A conversation's first message starts a session (``SessionStarted``), and so does a message
after ``session.expiry_minutes`` of silence (slots carried over with ``carry_over_slots``). When a
session's first message comes, before it is read:

- a bot's own ``action_session_start`` (a local or remote action, as in Rasa) runs: its events
  apply (slots from the channel's metadata or a database) and its messages come first;
- then a flow named ``pattern_session_start`` runs, if the bot has one (Rasa's pattern of the
  same name): a greeting, slots set, an action; a question it asks is answered by that first
  message, so it usually says and sets, and does not ask.

A failing action is logged and the conversation goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain.builtins import ACTION_SESSION_START, PATTERN_PREFIX
from .action_executor import ActionExecutor, run_request
from .decisions import ConversationView, Policy, RunAction
from .events import ActionExecuted, FlowStarted, Restarted, SessionStarted, SlotSet, UserUttered

if TYPE_CHECKING:
    from ..domain.schema import Domain
    from .tracker import Tracker
    from .turn import Turn

__all__ = ["SESSION_START_FLOW", "expire_session", "session_fresh", "start_session"]

SESSION_START_FLOW = f"{PATTERN_PREFIX}session_start"


def start_session(domain: Domain, policies: list[Policy], tracker: Tracker, turn: Turn, executor: ActionExecutor,
                  converse: Callable[[Policy, Any], None]) -> None:
    """What the bot does before a session's first message is read (see the module docstring);
    ``converse(policy, decisions)`` runs a policy's decisions as the agent does."""
    if not session_fresh(tracker):
        return
    if ACTION_SESSION_START in domain.actions:
        run_request(executor, RunAction(ACTION_SESSION_START), tracker, turn)
    if SESSION_START_FLOW in domain.flows:
        tracker.add(FlowStarted(flow=SESSION_START_FLOW))
        for policy in policies:
            converse(policy, policy.resume(ConversationView(tracker)))


def expire_session(domain: Domain, tracker: Tracker) -> None:
    """A new session when the conversation has been silent for ``session.expiry_minutes``."""
    expiry = domain.session.expiry_minutes
    last = tracker.events[-1].timestamp if tracker.events else None
    if not expiry or last is None or time.time() - last < expiry * 60:
        return
    slots = tracker.slots
    kept = {k: v for k, v in slots.items() if v is not None} if domain.session.carry_over_slots else {}
    tracker.add(SessionStarted())
    tracker.add(Restarted())
    for k, v in kept.items():
        tracker.add(SlotSet(name=k, value=v))


def session_fresh(tracker: Tracker) -> bool:
    """True when the latest session has started and nothing has happened in it yet."""
    for e in reversed(tracker.events):
        if isinstance(e, SessionStarted):
            return True
        if isinstance(e, UserUttered) or (isinstance(e, ActionExecuted) and e.name == ACTION_SESSION_START):
            return False
    return False
