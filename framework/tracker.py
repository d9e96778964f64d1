"""The conversation as an append-only list of typed events; state is a fold over them.
(Only the turn being built orders its own bot messages among its events: :meth:`Tracker.insert_at`.)

A :class:`Tracker` serialises to JSON (``tracker.to_json()``) and replays to the
same state (``Tracker.from_json``). Slots, the flow stack and the latest message
are never stored separately: they are recomputed from events.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

__all__ = [
    "ActionExecuted",
    "ActionFailed",
    "BotUttered",
    "Event",
    "FlowAdvanced",
    "FlowCancelled",
    "FlowCompleted",
    "FlowFrame",
    "FlowInterrupted",
    "FlowResumed",
    "FlowStarted",
    "FoldedState",
    "Restarted",
    "SessionStarted",
    "SlotSet",
    "Tracker",
    "TrackerBase",
    "UserUttered",
    "fold_events",
]


class _Event(BaseModel):
    timestamp: float = Field(default_factory=time.time)


class UserUttered(_Event):
    event: Literal["user"] = "user"
    text: str
    parse: dict[str, Any] = Field(default_factory=dict)
    input_channel: str | None = None


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


Event = Annotated[
    UserUttered | BotUttered | SlotSet | ActionExecuted | ActionFailed | FlowStarted | FlowAdvanced | FlowInterrupted | FlowResumed | FlowCompleted | FlowCancelled | SessionStarted | Restarted,
    Field(discriminator="event"),
]
_EVENTS = TypeAdapter(list[Event])


@dataclass
class FlowFrame:
    flow: str
    node: str  # current step node in the policy graph
    return_to: str | None = None


@dataclass(frozen=True)
class TrackerBase:
    """The state after the events a tracker no longer holds in memory (see :meth:`Tracker.compact`)."""

    slots: dict[str, Any]
    stack: tuple[FlowFrame, ...]
    latest_message: UserUttered | None


def fold_events(events: list[Any], initial_slots: Mapping[str, Any], slots: dict[str, Any], stack: list[FlowFrame]) -> tuple[dict[str, Any], list[FlowFrame]]:
    """Apply ``events`` to ``slots`` and ``stack`` (changed in place, or replaced on a restart)."""
    for e in events:
        if isinstance(e, SlotSet):
            slots[e.name] = e.value
        elif isinstance(e, FlowStarted):
            stack.append(FlowFrame(e.flow, f"{e.flow}:START", e.return_to))
        elif isinstance(e, FlowAdvanced) and stack and stack[-1].flow == e.flow:
            stack[-1] = FlowFrame(e.flow, e.node, stack[-1].return_to)
        elif isinstance(e, (FlowCompleted, FlowCancelled)):
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].flow == e.flow:
                    del stack[i]
                    break
        elif isinstance(e, Restarted):
            slots, stack = dict(initial_slots), []
    return slots, stack


class FoldedState:
    """Reading a conversation's state (slots, flow stack) from a fold over its events: what a
    :class:`Tracker` and the DM's draft of one (``components/dm/draft.py``) both offer."""

    def _state(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        raise NotImplementedError

    @property
    def slots(self) -> dict[str, Any]:
        """Slot values now (a copy: change them with SlotSet events)."""
        return dict(self._state()[0])

    @property
    def stack(self) -> list[FlowFrame]:
        """Active flows, bottom first (a copy)."""
        return list(self._state()[1])

    @property
    def active_flow(self) -> str | None:
        stack = self._state()[1]
        return stack[-1].flow if stack else None


@dataclass
class Tracker(FoldedState):
    """A conversation: its id, initial slot values and events.

    A tracker may hold only its most recent events (``offset`` earlier ones live in the
    tracker store, their effect in ``base``): servers keep each cached conversation to a
    window so a long conversation costs bounded memory (:meth:`compact`).
    """

    conversation_id: str
    initial_slots: dict[str, Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    offset: int = 0  # events before ``events``, no longer held here
    base: TrackerBase | None = None  # the state after them

    def add(self, event: Any) -> None:
        self.events.append(event)

    def insert_at(self, placed: list[tuple[int, Any]], since: int) -> None:
        """Put each ``(position, event)`` at its position (a tracker length when it was queued)
        among the events of the turn being built, which starts at ``since``: a bot message goes
        right after the action that said it, as Rasa logs them. Stored events never move."""
        if any(pos < since or pos > len(self.events) for pos, _ in placed):
            raise ValueError(f"positions must lie within the current turn ({since}..{len(self.events)})")
        # from the back, so earlier positions stay valid; of two at one position, the first stays first
        for i in sorted(range(len(placed)), key=lambda i: (placed[i][0], i), reverse=True):
            self.events.insert(*placed[i])

    def compact(self, keep: int) -> None:
        """Drop all but the last ``keep`` events from memory, folding them into :attr:`base`."""
        drop = len(self.events) - keep
        if drop <= 0:
            return
        slots, stack = self._start()
        slots, stack = fold_events(self.events[:drop], self.initial_slots, slots, stack)
        latest = next((e for e in reversed(self.events[:drop]) if isinstance(e, UserUttered)), self.base.latest_message if self.base else None)
        self.base = TrackerBase(slots, tuple(stack), latest)
        self.offset += drop
        del self.events[:drop]
        self.__dict__.pop("_fold", None)

    def _start(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        if self.base is None:
            return dict(self.initial_slots), []
        return dict(self.base.slots), list(self.base.stack)

    # --- state as a fold over events ----------------------------------------------------
    # The fold is incremental: the state after the first n events is kept and only newer
    # events are applied, so reading slots on every step of a turn stays cheap.

    def _state(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        cache = self.__dict__.get("_fold")
        n = len(self.events)
        if cache is None or cache[0] > n or (cache[0] and self.events[cache[0] - 1] is not cache[3]):
            cache = (0, *self._start(), None)
        done, slots, stack, _ = cache
        slots, stack = fold_events(self.events[done:], self.initial_slots, slots, stack)
        self.__dict__["_fold"] = (n, slots, stack, self.events[-1] if n else None)
        return slots, stack

    @property
    def latest_message(self) -> UserUttered | None:
        return next((e for e in reversed(self.events) if isinstance(e, UserUttered)), self.base.latest_message if self.base else None)

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "initial_slots": self.initial_slots,
            "events": [e.model_dump(mode="json") for e in self.events],
            "slots": self.slots,
            "flow_stack": [f.__dict__ for f in self.stack],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tracker:
        return cls(data["conversation_id"], dict(data.get("initial_slots", {})), list(_EVENTS.validate_python(data.get("events", []))))
