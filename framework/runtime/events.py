"""What happens in a conversation, as typed events (Rasa's event names where Rasa has the event);
a :class:`~dialogkit.framework.runtime.tracker.Tracker` holds them in order."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, WithJsonSchema, field_validator


def _iso_time(value: Any) -> str:
    """A reminder's ``date_time``: ISO 8601 as Python reads it, or RFC 3339 as the OpenAPI
    schema's ``date-time`` says (a lower-case ``t`` or ``z`` too, kept in Python's form). Refused
    when it is set, not when it is due."""
    if not isinstance(value, str):
        raise ValueError("`date_time` is an ISO 8601 date and time, as a string")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value.upper()).isoformat()  # still refused: not a date and time
    return value


ReminderTime = Annotated[str, BeforeValidator(_iso_time), WithJsonSchema({"type": "string", "format": "date-time"})]
ReminderEntities = list[dict[str, Any]] | dict[str, Any] | None  # a reminder's entities, as Rasa sends them


class _Event(BaseModel):
    timestamp: float = Field(default_factory=time.time)


class UserUttered(_Event):
    event: Literal["user"] = "user"
    text: str
    parse: dict[str, Any] = Field(default_factory=dict)
    input_channel: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)  # what the channel sent with the message (Rasa's `metadata`)


class BotUttered(_Event):
    event: Literal["bot"] = "bot"
    text: str | None = None
    response: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)  # buttons, image, custom, generated/fallback flags


class SlotSet(_Event):
    event: Literal["slot"] = "slot"
    name: str
    value: Any = None


class ActionExecuted(_Event):
    event: Literal["action"] = "action"
    name: str


class ActionFailed(_Event):
    event: Literal["action_failed"] = "action_failed"
    name: str
    error: str


class FlowStarted(_Event):
    event: Literal["flow_started"] = "flow_started"
    flow: str
    return_to: str | None = None  # for `call`: the calling flow, which continues when this one ends


class FlowAdvanced(_Event):
    event: Literal["flow_advanced"] = "flow_advanced"
    flow: str
    node: str


class FlowInterrupted(_Event):
    event: Literal["flow_interrupted"] = "flow_interrupted"
    flow: str


class FlowResumed(_Event):
    event: Literal["flow_resumed"] = "flow_resumed"
    flow: str


class FlowCompleted(_Event):
    event: Literal["flow_completed"] = "flow_completed"
    flow: str


class FlowCancelled(_Event):
    event: Literal["flow_cancelled"] = "flow_cancelled"
    flow: str


class SessionStarted(_Event):
    event: Literal["session_started"] = "session_started"


class Restarted(_Event):
    event: Literal["restart"] = "restart"


class UserUtteranceReverted(_Event):
    """The latest applied user message and everything after it no longer count (Rasa's ``rewind``)."""

    event: Literal["rewind"] = "rewind"


class ActionReverted(_Event):
    """The latest applied action and everything after it no longer count (Rasa's ``undo``)."""

    event: Literal["undo"] = "undo"


class ReminderScheduled(_Event):
    """The bot will act on ``intent`` at ``date_time`` as if the user had said it (rasa-sdk's
    ``ReminderScheduled``, the same JSON). ``date_time``: ISO 8601; without a zone, the server's
    local time (as Rasa). A later reminder of the same ``name`` replaces it; with
    ``kill_on_user_msg`` a user message after it was set cancels it."""

    event: Literal["reminder"] = "reminder"
    intent: str = Field(min_length=1)
    entities: ReminderEntities = None
    date_time: ReminderTime
    name: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1)
    kill_on_user_msg: bool = True

    @field_validator("name", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        return uuid.uuid4().hex if value is None else value


def due_time(date_time: str) -> float:
    """A reminder's ``date_time`` as UNIX seconds (no zone: the server's local time; a date the
    local clock cannot express, such as the year 1, as UTC)."""
    when = datetime.fromisoformat(date_time)
    try:
        return when.timestamp()
    except (ValueError, OverflowError):
        return when.replace(tzinfo=timezone.utc).timestamp()


class ReminderCancelled(_Event):
    """Reminders set earlier do not fire: the one named ``name``, or those for ``intent`` (and
    ``entities``), or every one when neither is given (rasa-sdk's ``ReminderCancelled``)."""

    event: Literal["cancel_reminder"] = "cancel_reminder"
    name: str | None = None
    intent: str | None = None
    entities: ReminderEntities = None


class ConversationPaused(_Event):
    """A human has the conversation: the bot keeps the user's messages without answering them
    (and forwards them to the handoff webhook) until a :class:`ConversationResumed`."""

    event: Literal["pause"] = "pause"


class ConversationResumed(_Event):
    event: Literal["resume"] = "resume"


class ConversationReplaced(_Event):
    """The events before it no longer count: another system replaced the conversation's events
    with the ones after it (Rasa's ``PUT /conversations/{id}/tracker/events``). The store keeps
    the old ones (nothing is deleted); the tracker API shows the conversation from here."""

    event: Literal["replaced"] = "replaced"


REVERTS = (UserUtteranceReverted, ActionReverted)


BACK_REACH = 5  # user messages a compacted tracker keeps in memory for reverts (Tracker.compact)


Event = Annotated[
    UserUttered
    | BotUttered
    | SlotSet
    | ActionExecuted
    | ActionFailed
    | FlowStarted
    | FlowAdvanced
    | FlowInterrupted
    | FlowResumed
    | FlowCompleted
    | FlowCancelled
    | SessionStarted
    | Restarted
    | UserUtteranceReverted
    | ActionReverted
    | ReminderScheduled
    | ReminderCancelled
    | ConversationPaused
    | ConversationResumed
    | ConversationReplaced,
    Field(discriminator="event"),
]


EVENTS_ADAPTER = TypeAdapter(list[Event])
