"""The DM's scratch state while it decides on one message: the conversation as it stands
(read-only) plus the events it has decided on but not yet handed to the agent.

Everything the policy and the flow runtime read (slots, the flow stack, recent events) is the
view's state with the draft's pending events folded over it, so a decision reads its own
earlier choices; :meth:`Draft.decision` hands the pending events, responses and notes to the
agent as one :class:`~dialogkit.framework.runtime.decisions.Decision`. After the agent has applied it
(and run its request), the view shows those events and the draft starts empty again.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any, cast

from dialogkit.framework.runtime.decisions import ConversationView, Decision, Request
from dialogkit.framework.runtime.tracker import (
    REVERTS,
    BotUttered,
    FlowFrame,
    FoldedState,
    SlotSet,
    UserUttered,
    fold_events,
)
from dialogkit.framework.runtime.turn import ActionMessage, Message, Parse, Response

__all__ = ["Draft"]


class Draft(FoldedState):
    """One message's decisions in the making (see the module docstring)."""

    def __init__(self, conversation: ConversationView, parse: Parse):
        self.conversation = conversation
        self.parse = parse
        self._events: list[Any] = []
        self._responses: list[Response | ActionMessage] = []
        self._actions: list[str] = []
        self._marks: list[int] = []
        self._refused: list[dict[str, Any]] = []
        # the state with this draft's events folded in, kept up to date event by event; None
        # when the conversation may have changed under it (after a decision is handed over)
        self._cache: tuple[dict[str, Any], list[FlowFrame]] | None = None

    # --- reading: the conversation with this draft's events (slots, stack, active_flow) ----

    def _state(self) -> tuple[dict[str, Any], list[FlowFrame]]:
        if self._cache is None:
            if any(isinstance(e, REVERTS) for e in self._events):  # it takes back some of the conversation's
                self._cache = self.conversation.with_events(self._events)
            else:
                self._cache = fold_events(
                    self._events, self.conversation.initial_slots, self.conversation.slots, self.conversation.stack
                )
        return self._cache

    def __len__(self) -> int:
        """The position the next event takes once the agent has applied this draft."""
        return len(self.conversation) + len(self._events)

    def reversed_events(self) -> Iterator[Any]:
        """The conversation's events and this draft's, newest first."""
        return chain(reversed(self._events), self.conversation.reversed_events())

    def this_turn(self) -> Iterator[Any]:
        """The events since the user's latest message, newest first."""
        for e in self.reversed_events():
            if e.event == "user":
                return
            yield e

    def before_this_message(self) -> Iterator[Any]:
        """The events before the user's latest message (the agent adds it before the DM runs), newest first."""
        events = self.reversed_events()
        for e in events:
            if isinstance(e, UserUttered):
                break
        return events

    def said_last(self) -> BotUttered | None:
        """The bot's last message before the user's latest one (None when it said nothing since the
        user's message before): what the user is answering ("Did you mean ...?", a confirmation)."""
        for e in self.before_this_message():
            if isinstance(e, BotUttered):
                return e
            if isinstance(e, UserUttered):
                return None
        return None

    def slots_set_this_turn(self) -> list[SlotSet]:
        """The slots set since the user's latest message, in order."""
        return [e for e in self.this_turn() if isinstance(e, SlotSet)][::-1]

    # --- deciding ---------------------------------------------------------------------------

    def add(self, event: Any) -> None:
        self._events.append(event)
        if isinstance(event, REVERTS):
            self._cache = None  # folded again from the conversation's events
        elif self._cache is not None:
            self._cache = fold_events([event], self.conversation.initial_slots, *self._cache)

    def say(self, name: str, record: bool = True, slots: dict[str, Any] | None = None) -> None:
        """Say domain response ``name`` with the slots as they are now, or ``slots`` (``record``:
        also list it in the turn's ``actions``, what the DM did)."""
        self._responses.append(Response(name, self.slots if slots is None else slots, len(self)))
        if record:
            self.record(name)

    def write(self, message: dict[str, Any]) -> None:
        """Say a message the DM wrote itself (buttons it built)."""
        self._responses.append(ActionMessage(cast(Message, message), len(self)))

    def record(self, action: str) -> None:
        """List ``action`` among what the DM did this turn (where it happened: the events before
        it are what came before it)."""
        self._actions.append(action)
        self._marks.append(len(self))

    def refuse(self, slot: str, value: Any, why: str | None, asked: bool, suggestions: list[Any] | None = None) -> None:
        refused = {"slot": slot, "value": value, "why": why, "asked": asked}
        if suggestions:
            refused["suggestions"] = suggestions
        self._refused.append(refused)

    def decision(self, request: Request | None = None) -> Decision:
        """Hand over what was decided since the last decision, with ``request`` (None: listen)."""
        out = Decision(self._events, self._responses, self._actions, self._marks, self._refused, request)
        self._events, self._responses, self._actions, self._marks, self._refused = [], [], [], [], []
        self._cache = None  # the agent applies it and may run an action: read the conversation again
        return out
