"""The records one user message passes through the pipeline as.

    text ──NLU──▶ intent, intent_ranking, entities ──▶ Parse ──DM decisions, actions run by the
    agent──▶ responses (Response | ActionMessage), actions, refused, slots ──NLG──▶ messages
    (one Message per response, in order)

Every field a component reads or writes is declared on the component (``requires`` /
``assigns``, as spaCy's pipes do) and checked when the pipeline is built
(:func:`check_stage_data`): a field nobody before it assigns is an error, not a
``None`` found at the first message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypedDict, cast

from ..domain.builtins import NLU_FALLBACK

__all__ = [
    "AGENT_FIELDS",
    "ActionMessage",
    "Entity",
    "Intent",
    "Message",
    "Parse",
    "Response",
    "Turn",
    "entity",
    "from_action",
    "turn_fields",
]


class Intent(TypedDict):
    """An intent the NLU found, with its confidence (Rasa's shape)."""

    name: str
    confidence: float


class Entity(TypedDict, total=False):
    """An entity found in a message (Rasa's shape): ``start``/``end`` are character offsets
    (None for a payload's), ``extractor`` who found it (``payload``, ``rule_entity_extractor``,
    ``examples``, ``bert_nlu``, ``story``...). Built by :func:`entity`."""

    entity: str
    value: Any
    start: int | None
    end: int | None
    confidence: float
    role: str | None
    group: str | None
    extractor: str
    additional_info: dict[str, Any]  # what a builtin entity's value is made of (grain, unit...), Duckling's shape


def entity(
    name: str,
    value: Any,
    extractor: str,
    start: int | None = None,
    end: int | None = None,
    confidence: float = 1.0,
    role: str | None = None,
    group: str | None = None,
) -> Entity:
    """An :class:`Entity` record: the one place its shape is written."""
    out = Entity(entity=name, value=value, start=start, end=end, confidence=confidence, role=role, extractor=extractor)
    if group is not None:
        out["group"] = group
    return out


class Message(TypedDict, total=False):
    """One bot message as the agent returns it (``Agent.handle``) and the tracker logs it."""

    text: str | None
    response: str | None  # the domain response it renders (None: written by an action)
    buttons: list[dict[str, Any]]
    image: str
    custom: Any
    attachment: Any
    channel: str
    generated: bool  # written by the generator (False: the template)
    template: str  # what the template would have said, when generated
    fallback: str  # why the template was kept
    slots: dict[str, Any]  # values it was rendered with (not returned to users)


@dataclass(frozen=True)
class Response:
    """A domain response the DM decided to say, rendered by NLG with ``slots`` (the values of
    that moment, so a later step in the same turn does not change what was said; None: the
    values as the turn ends, for responses an action asked for) and over them ``values`` (what
    an action passed with it, Rasa's ``utter_message(response=..., **kwargs)``). ``position``:
    the tracker length when it was queued, where its ``BotUttered`` event goes."""

    name: str
    slots: dict[str, Any] | None
    position: int
    values: dict[str, Any] = field(default_factory=dict)

    def render_slots(self, final: dict[str, Any]) -> dict[str, Any]:
        """The values to fill its placeholders with, given the slots as the turn ends."""
        base = self.slots if self.slots is not None else final
        return {**base, **self.values} if self.values else base


@dataclass(frozen=True)
class ActionMessage:
    """A message an action wrote itself (text, buttons...): NLG passes it through as it is."""

    message: Message
    position: int


def from_action(message: dict[str, Any], position: int) -> Response | ActionMessage:
    """What an action's message asks for: a domain response by name (with the values it
    passed), or a message it wrote itself."""
    if message.get("response"):
        return Response(message["response"], None, position, dict(message.get("slots") or {}))
    return ActionMessage(cast(Message, dict(message)), position)


@dataclass(frozen=True)
class Parse:
    """What the NLU made of one message, as the DM reads it (a copy: the DM cannot change it)."""

    text: str
    intent: Intent | None = None
    intent_ranking: tuple[Intent, ...] = ()
    entities: tuple[Entity, ...] = ()
    payload: bool = False  # a `/intent{...}` payload (no NLU ran; not free text)
    # False: the slots this message fills are given with it (a replayed test story's slot_was_set)
    fills_slots: bool = True

    @property
    def intent_name(self) -> str:
        """The intent's name; ``nlu_fallback`` when there is none."""
        return str(self.intent["name"] if self.intent and self.intent.get("name") else NLU_FALLBACK)


@dataclass
class Turn:
    """What flows through the pipeline for one user message (see the module docstring)."""

    text: str
    payload: bool = False  # the text was a `/intent{...}` payload (no NLU ran; not free text)
    channel: str | None = None  # the input/output channel ("rest", "cmdline"...): selects `channel:` variations
    time: float | None = None  # when the message came (UNIX seconds): "now" for relative times ("tomorrow")
    # what the channel sent with the message (user info, time zone...)
    metadata: dict[str, Any] = field(default_factory=dict)
    intent: Intent | None = None
    intent_ranking: list[Intent] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    # words an NLU component read as other words (bert_nlu's spelling: "tomorow" as tomorrow), in
    # the message's offsets: {"start", "end", "read"}; builtin_entities reads numbers and dates there too
    corrections: list[dict[str, Any]] = field(default_factory=list)
    responses: list[Response | ActionMessage] = field(default_factory=list)
    # what the DM did, in order: responses said, actions run, forms run
    actions: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # NLG: one per entry of `responses`, in order
    timings: dict[str, float] = field(default_factory=dict)
    # slot values the DM did not take: {"slot", "value", "why"}
    refused: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)  # the slots once the DM is done (what NLG fills responses with)
    events: list[Any] = field(default_factory=list)  # the events this message added to the conversation (set last)

    def parse(self) -> Parse:
        """The NLU result as the DM reads it."""
        return Parse(
            self.text,
            Intent(**self.intent) if self.intent else None,
            tuple(Intent(**r) for r in self.intent_ranking),
            tuple(Entity(**e) for e in self.entities),
            self.payload,
        )


# What the agent fills before any component runs.
AGENT_FIELDS = frozenset({"text", "payload", "channel", "time", "metadata", "timings"})


def turn_fields() -> set[str]:
    return {f.name for f in fields(Turn)}
