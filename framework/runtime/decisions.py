"""Decide → execute → apply: what the dialogue manager and the agent say to each other.

The dialogue manager (a :class:`Policy`) never runs an action and never writes to the
tracker. For one user message it reads the conversation through a read-only
:class:`ConversationView` and the message's :class:`Parse`, and yields :class:`Decision` s:

- ``events``: what it decided about the conversation's state (slot values, flows started,
  advanced, completed...), in order;
- ``responses``: what to say, each placed among those events;
- ``request``: what to run next, a :class:`RunAction` (an action, a form's validation, an ask)
  or a :class:`ValidateSlot` (a slot's validator); the generator's final decision (its return
  value) has none: the bot listens.

The agent (:meth:`dialogkit.framework.runtime.agent.Agent.handle_turn`) applies each decision to the
tracker, runs its request on the bot's ``ActionExecutor``, appends what the action did
(``ActionExecuted`` with its events and messages, or ``ActionFailed``) and sends the outcome
back into the generator for the next decision, as Rasa's processor asks its policies again
after every action. Between messages all of the DM's state is in the tracker's events.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .pipeline import Component
from .tracker import ActionExecuted, FlowFrame, SlotSet, Tracker, UserUttered
from .turn import ActionMessage, Parse, Response, Turn

if TYPE_CHECKING:
    from .action_executor import ActionOutcome, Validated

__all__ = [
    "ActiveLoop",
    "ConversationView",
    "Decision",
    "Decisions",
    "Happened",
    "Policy",
    "Request",
    "RunAction",
    "ValidateSlot",
]


@dataclass(frozen=True)
class RunAction:
    """Run action ``name``. ``form``/``requested_slot``: the active form and the slot it asks for
    (an action server sees them); ``candidates``: the slots this message set (for validation
    actions); ``timeout``: seconds a local action may take."""

    name: str
    form: str | None = None
    requested_slot: str | None = None
    candidates: tuple[SlotSet, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True)
class ValidateSlot:
    """Run slot validator ``ref`` (``module:function``) on ``value`` for ``slot``."""

    ref: str
    slot: str
    value: Any
    timeout: float | None = None


Request = RunAction | ValidateSlot


@dataclass(frozen=True)
class ActiveLoop:
    """Something outside the policy's decisions says which form is active: ``name``, or none
    (``None``: the form is done), as a Rasa story's ``active_loop`` step does."""

    name: str | None


# What can happen to a conversation outside the policy's own decisions, which the policy
# then brings its state in line with (:meth:`Policy.align`).
Happened = ActionExecuted | SlotSet | ActiveLoop


@dataclass
class Decision:
    """What the DM decided since its previous decision (see the module docstring)."""

    events: list[Any] = field(default_factory=list)
    responses: list[Response | ActionMessage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # what the DM did, for `rasa test`-style views
    marks: list[int] = field(default_factory=list)  # for each of `actions`, the tracker position it happened at
    # slot values it did not take: {"slot", "value", "why", "asked"}
    refused: list[dict[str, Any]] = field(default_factory=list)
    request: Request | None = None  # None: listen


# A DM's answer to one message: decisions with a request are yielded and get the request's
# outcome (an ActionOutcome for RunAction, a Validated for ValidateSlot) sent back; the last
# one, without a request, is returned.
Decisions = Generator[Decision, "ActionOutcome | Validated", Decision]


class ConversationView:
    """A read-only view of a conversation's tracker, as the DM sees it."""

    __slots__ = ("_tracker",)

    def __init__(self, tracker: Tracker):
        self._tracker = tracker

    @property
    def conversation_id(self) -> str:
        return self._tracker.conversation_id

    @property
    def initial_slots(self) -> Mapping[str, Any]:
        return MappingProxyType(self._tracker.initial_slots)

    @property
    def slots(self) -> dict[str, Any]:
        return self._tracker.slots

    @property
    def stack(self) -> list[FlowFrame]:
        return self._tracker.stack

    @property
    def latest_message(self) -> UserUttered | None:
        return self._tracker.latest_message

    def session_messages(self) -> int:
        """User messages since the session started or the conversation restarted (the latest included)."""
        return self._tracker.session_messages()

    def with_events(self, events: list[Any]) -> tuple[dict[str, Any], list[FlowFrame]]:
        """The state (slots, flow stack) the conversation would have after ``events`` (which may
        take some of its events back: :class:`~dialogkit.framework.runtime.tracker.UserUtteranceReverted`)."""
        return self._tracker.with_events(events)

    def __len__(self) -> int:
        """How many events the tracker holds in memory (the position the next one takes)."""
        return len(self._tracker.events)

    def reversed_events(self) -> Iterator[Any]:
        """The events held in memory, newest first."""
        yield from reversed(self._tracker.events)


class Policy(Component):
    """Base of dialogue managers: ``decide`` instead of ``process`` (see the module docstring)."""

    stage = "dm"
    # what the agent fills from a policy's decisions, for any policy (Agent._converse)
    assigns = ("responses", "actions", "refused", "slots")

    @abstractmethod
    def decide(self, conversation: ConversationView, parse: Parse) -> Decisions:
        """The decisions for one user message (already on the tracker as ``UserUttered``)."""

    def resume(self, conversation: ConversationView) -> Decisions:
        """The decisions from where the conversation stands, with no new message (after
        something outside the policy's decisions changed it: :meth:`align`). By default the
        policy has nothing to add: it listens."""
        return Decision()
        yield  # a generator, like decide

    def align(self, conversation: ConversationView, happened: Happened) -> list[Any]:
        """The events that bring this policy's state in line with ``happened`` (an action that
        ran, a slot that was set, the form that is active), which the policy did not decide:
        a replayed test story's own steps, as ``rasa test`` replays them. The events are the
        policy's own (flows started, moved, completed); ``happened`` itself is the caller's to
        append. By default the policy keeps no state of its own: nothing to align."""
        return []

    def process(self, turn: Turn) -> None:
        raise TypeError(f"'{self.name}' is a policy: it decides and the agent acts (Agent.handle_turn runs it), "
                        "so it has no process(turn)")

    def flow_position(self, conversation: ConversationView | Tracker) -> str | None:
        """Label of the step the conversation is at (for debug views), if the policy knows one."""
        return None
