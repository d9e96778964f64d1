"""Reminders: the bot acts on an intent later, as if the user had said it (rasa-sdk's
``ReminderScheduled`` / ``ReminderCancelled``, returned by a local action or an action server,
or appended through ``tracker/events``).

A reminder is an event in the conversation; once the turn that set it is saved, :func:`schedule`
puts it in the tracker store's reminder index (:mod:`dialogkit.framework.stores.reminders`), so it
survives a restart and is seen by every process sharing the store. :func:`fire_due` (the server
calls it a few times a second; a Python app may call ``Agent.fire_reminders()``) claims each
due reminder (one process wins) and reads the conversation's events to decide whether it still
fires, by Rasa's rules: not if a ``ReminderCancelled`` matching it came later (its name, or its
intent and entities, or every reminder when it names neither), not if a later reminder took its
name, and, with ``kill_on_user_msg``, not if the user wrote after it was set. A reminder that
fires runs ``Agent.trigger_intent`` with its intent and entities, on the channel of the message
that set it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import ReminderCancelled, ReminderScheduled, UserUttered, due_time

if TYPE_CHECKING:
    from .agent import Agent
    from .tracker import Tracker

__all__ = ["EXTERNAL_PREFIX", "Fired", "fire_due", "schedule"]

logger = logging.getLogger(__name__)

EXTERNAL_PREFIX = "EXTERNAL: "  # the text of a message the bot acted on without the user (trigger_intent)
_SEP = "\x1f"


@dataclass
class Fired:
    """A reminder that fired: the messages the bot said, for the channel to deliver."""

    conversation_id: str
    name: str
    channel: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)


def schedule(store: Any, conversation_id: str, events: list[Any], channel: str | None) -> int:
    """Index the reminders among ``events`` (just saved in ``conversation_id``); returns how many."""
    reminders = [e for e in events if isinstance(e, ReminderScheduled)]
    if not reminders:
        return 0
    index = getattr(store, "reminders", None)
    if index is None:
        logger.warning("the tracker store %s cannot keep reminders: %d not scheduled", type(store).__name__,
                       len(reminders))
        return 0
    for r in reminders:
        body = {"conversation_id": conversation_id, "name": r.name, "set": r.timestamp, "channel": channel}
        index.add(_SEP.join((conversation_id, r.name, repr(r.timestamp))), due_time(r.date_time), body)
    return len(reminders)


def fire_due(agent: Agent, now: float | None = None, limit: int = 100) -> list[Fired]:
    """Fire the reminders due by ``now`` (default: the time now) that this process claims."""
    index = getattr(agent.store, "reminders", None)
    if index is None:
        return []
    fired: list[Fired] = []
    for due in index.due(time.time() if now is None else now, limit):
        if not index.claim(due.key):
            continue  # another process has it
        body = due.body
        cid, name = body["conversation_id"], body["name"]
        try:
            tracker = agent.store.history(cid)
            reminder = _still_set(tracker, name, body["set"]) if tracker is not None else None
            if reminder is None:
                continue
            turn = agent.trigger_intent(reminder.intent, cid, _entities(reminder.entities), body.get("channel"))
        except Exception:  # one reminder failing never stops the others
            logger.exception("reminder '%s' of conversation %s failed", name, cid)
            continue
        fired.append(Fired(cid, name, body.get("channel"), [dict(m) for m in turn.messages]))
    return fired


def _still_set(tracker: Tracker, name: str, set_at: float) -> ReminderScheduled | None:
    """The reminder ``name`` set at ``set_at``, unless an event after it says it no longer fires."""
    events = tracker.events
    at = next((i for i, e in enumerate(events)
               if isinstance(e, ReminderScheduled) and e.name == name and e.timestamp == set_at), None)
    if at is None:
        return None
    reminder: ReminderScheduled = events[at]
    for e in events[at + 1:]:
        if isinstance(e, ReminderScheduled) and e.name == name:
            return None  # replaced
        if isinstance(e, ReminderCancelled) and _cancels(e, reminder):
            return None
        if reminder.kill_on_user_msg and isinstance(e, UserUttered) and not e.text.startswith(EXTERNAL_PREFIX):
            return None
    return reminder


def _cancels(cancel: ReminderCancelled, reminder: ReminderScheduled) -> bool:
    """Rasa's rule: every criterion the cancellation gives must match; none given matches all."""
    return (
        (not cancel.name or cancel.name == reminder.name)
        and (not cancel.intent or cancel.intent == reminder.intent)
        and (not cancel.entities or _entities(cancel.entities) == _entities(reminder.entities))
    )


def _entities(entities: Any) -> dict[str, Any]:
    """A reminder's entities (Rasa's list of ``{"entity", "value"}`` or a mapping) as a mapping."""
    if isinstance(entities, dict):
        return dict(entities)
    return {e["entity"]: e.get("value") for e in entities or [] if isinstance(e, dict) and e.get("entity")}
