"""The conversation as an append-only list of typed events; state is a fold over them.
(Only the turn being built orders its own bot messages among its events: :meth:`Tracker.insert_at`.)

Going back never deletes: a :class:`UserUtteranceReverted` (Rasa's ``rewind``) or
:class:`ActionReverted` (``undo``) is appended, and the state is the fold over the events it
leaves applied (:func:`applied_events`, Rasa's rule), so the store keeps the whole story.

A :class:`Tracker` serialises to JSON (``tracker.to_json()``) and replays to the
same state (``Tracker.from_json``). Slots, the flow stack and the latest message
are never stored separately: they are recomputed from events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .events import (
    BACK_REACH,
    EVENTS_ADAPTER,
    REVERTS,
    ActionExecuted,
    ActionFailed,
    ActionReverted,
    BotUttered,
    ConversationPaused,
    ConversationReplaced,
    ConversationResumed,
    Event,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowInterrupted,
    FlowResumed,
    FlowStarted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

__all__ = [
    "ActionExecuted",
    "ActionFailed",
    "ActionReverted",
    "BotUttered",
    "ConversationPaused",
    "ConversationReplaced",
    "ConversationResumed",
    "Event",
    "FlowAdvanced",
    "FlowCancelled",
    "FlowCompleted",
    "FlowFrame",
    "FlowInterrupted",
    "FlowResumed",
    "FlowStarted",
    "BACK_REACH",
    "REVERTS",
    "FoldedState",
    "Restarted",
    "SessionStarted",
    "SlotSet",
    "Tracker",
    "TrackerBase",
    "UserUttered",
    "UserUtteranceReverted",
    "applied_events",
    "fold_events",
]


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
    session_messages: int = 0  # user messages that count since the latest session start or restart
    paused: bool = False  # a human has the conversation (ConversationPaused, not yet resumed)


def _paused(events: list[Any], before: bool) -> bool:
    """Whether the conversation is paused after ``events`` (``before``: whether it was before them)."""
    for e in reversed(events):
        if isinstance(e, ConversationPaused):
            return True
        if isinstance(e, (ConversationResumed, Restarted, ConversationReplaced)):
            return False
    return before


def _session_messages(events: list[Any], before: int) -> int:
    """User messages among applied ``events`` since the latest session start or restart in them
    (``before``: the count before the first of them)."""
    n = before
    for e in events:
        if isinstance(e, (SessionStarted, Restarted, ConversationReplaced)):
            n = 0
        elif isinstance(e, UserUttered):
            n += 1
    return n


def applied_events(events: list[Any]) -> list[Any]:
    """``events`` without the ones a later revert took back, and without the reverts: a
    :class:`UserUtteranceReverted` takes back everything since the latest applied user message
    (that message included), an :class:`ActionReverted` everything since the latest applied
    ``ActionExecuted``. Nothing is taken back past a restart or a session start (as in Rasa's
    ``applied_events``, where they begin the events that count); they stay, for the fold."""
    return [events[i] for i in _applied(events)[0]]


def _applied(events: list[Any]) -> tuple[list[int], list[tuple[int, int]]]:
    """The positions of :func:`applied_events`, and each taken-back position with the position
    of the revert that took it back."""
    applied: list[int] = []
    taken: list[tuple[int, int]] = []
    floor = 0  # events before a restart or session start are never taken back
    for i, e in enumerate(events):
        if isinstance(e, REVERTS):
            kind = UserUttered if isinstance(e, UserUtteranceReverted) else ActionExecuted
            while len(applied) > floor:
                j = applied.pop()
                taken.append((i, j))
                if isinstance(events[j], kind):
                    break
        else:
            applied.append(i)
            if isinstance(e, FLOORS):
                floor = len(applied)
    return applied, taken


def _latest(events: list[Any], before: UserUttered | None) -> UserUttered | None:
    """The latest user message among ``events`` (``before``: the one before them); none after a replacement."""
    for e in reversed(events):
        if isinstance(e, UserUttered):
            return e
        if isinstance(e, ConversationReplaced):
            return None
    return before


FLOORS = (Restarted, SessionStarted, ConversationReplaced)  # nothing is taken back past one of these


def _window_start(events: list[Any], drop: int) -> int:
    """Where a window of ``events`` kept in memory may start, at or before ``drop``: at a user
    message, holding what every revert in it takes back and the latest :data:`BACK_REACH` user
    messages that still count (so that that many ``/back`` turns in a row are exact); 0 when
    none can."""
    applied, taken = _applied(events)
    restarts = [i for i in applied if isinstance(events[i], FLOORS)]  # nothing reverts past one
    users = [i for i in applied if isinstance(events[i], UserUttered) and i > max(restarts, default=-1)]
    while True:
        cut = min([drop, *(j for i, j in taken if i >= drop), *users[-BACK_REACH:]])
        while cut > 0 and (cut >= len(events) or not isinstance(events[cut], UserUttered)):
            cut -= 1
        if cut == drop:
            return drop
        drop = cut


def fold_events(
    events: list[Any], initial_slots: Mapping[str, Any], slots: dict[str, Any], stack: list[FlowFrame]
) -> tuple[dict[str, Any], list[FlowFrame]]:
    """Apply ``events`` to ``slots`` and ``stack`` (changed in place, or replaced on a restart).
    ``events`` hold no reverts (fold :func:`applied_events` of a list that has some)."""
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
        elif isinstance(e, (Restarted, ConversationReplaced)):
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
        """Drop all but (about) the last ``keep`` events from memory, folding them into :attr:`base`.
        The window kept starts at a user message and holds whatever a revert in it takes back and
        the latest :data:`BACK_REACH` messages that still count; a later revert reaches back no
        further than the window's first message (each `/back` in a run reaches one further)."""
        if len(self.events) <= keep:
            return  # nothing to drop (every save asks): no need to read the reverts
        drop = _window_start(self.events, len(self.events) - keep)
        if drop <= 0:
            return
        dropped = applied_events(self.events[:drop])
        slots, stack = self._start()
        slots, stack = fold_events(dropped, self.initial_slots, slots, stack)
        latest = _latest(dropped, self.base.latest_message if self.base else None)
        before = self.base or TrackerBase({}, (), None)
        self.base = TrackerBase(
            slots, tuple(stack), latest, _session_messages(dropped, before.session_messages),
            _paused(dropped, before.paused),
        )
        self.offset += drop
        del self.events[:drop]
        self.__dict__.pop("_fold", None)
        self.__dict__.pop("_counted_cache", None)

    def _start(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        if self.base is None:
            return dict(self.initial_slots), []
        return dict(self.base.slots), list(self.base.stack)

    # --- state as a fold over events ----------------------------------------------------
    # The fold is incremental: the state after the first n events is kept and only newer
    # events are applied, so reading slots on every step of a turn stays cheap. A revert
    # among the new events folds the applied events again from the start.

    def _state(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        cache = self.__dict__.get("_fold")
        n = len(self.events)
        if cache is None or cache[0] > n or (cache[0] and self.events[cache[0] - 1] is not cache[3]):
            cache = (0, *self._start(), None)
        done, slots, stack, _ = cache
        new = self.events[done:]
        if any(isinstance(e, REVERTS) for e in new):
            slots, stack = fold_events(applied_events(self.events), self.initial_slots, *self._start())
        else:
            slots, stack = fold_events(new, self.initial_slots, slots, stack)
        self.__dict__["_fold"] = (n, slots, stack, self.events[-1] if n else None)
        return slots, stack

    def with_events(self, events: list[Any]) -> tuple[dict[str, Any], list[FlowFrame]]:
        """The state (slots, stack) after this tracker's events and then ``events``, which may
        take some of this tracker's back (the DM's draft of a turn that goes back)."""
        return fold_events(applied_events([*self.events, *events]), self.initial_slots, *self._start())

    def session_messages(self) -> int:
        """User messages that count since the session started or the conversation restarted
        (1: the latest message is the session's first, as a Rasa rule's ``conversation_start``)."""
        return _session_messages(self._counted(), self.base.session_messages if self.base else 0)

    @property
    def paused(self) -> bool:
        """A human has the conversation: the bot keeps the user's messages and does not answer
        them until a ``ConversationResumed`` (Rasa's ``pause`` / ``resume``; a restart resumes)."""
        return _paused(self._counted(), self.base.paused if self.base else False)

    @property
    def latest_message(self) -> UserUttered | None:
        """The latest user message that still counts (a revert takes one back)."""
        return _latest(self._counted(), self.base.latest_message if self.base else None)

    def _counted(self) -> list[Any]:
        """The events in memory that still count: all of them when none is a revert. Kept
        until the events change (the same rule as the fold's cache), so reading the latest
        message on every step of a turn does not scan the window each time."""
        n = len(self.events)
        cache = self.__dict__.get("_counted_cache")
        if cache is None or cache[0] != n or (n and self.events[-1] is not cache[1]):
            reverted = any(isinstance(e, REVERTS) for e in self.events)
            cache = (n, self.events[-1] if n else None, applied_events(self.events) if reverted else None)
            self.__dict__["_counted_cache"] = cache
        return cache[2] if cache[2] is not None else self.events

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
        return cls(
            data["conversation_id"],
            dict(data.get("initial_slots", {})),
            list(EVENTS_ADAPTER.validate_python(data.get("events", []))),
        )
