"""Events from outside the conversation's own turns, and the conversation as a story: Rasa's
``POST /conversations/{id}/tracker/events`` and ``GET /conversations/{id}/story``.

:func:`append_events` takes Rasa's event JSON (one event or a list) and appends it to the
conversation as if it had happened there, under the conversation's lock and saved before it
returns: ``user``, ``bot``, ``slot``, ``reset_slots``, ``action``, ``active_loop``, ``restart``,
``session_started``, ``rewind``, ``undo``, ``reminder``, ``cancel_reminder``, ``pause`` and
``resume``. With ``execute_side_effects`` (Rasa's parameter) the reminders among them are
scheduled and the ``bot`` messages are returned for the caller to deliver through a channel;
either way a paused conversation's handoff webhook hears of it. The dialogue manager's state follows: a slot set, an
action that ran and a form started or stopped are aligned as a Rasa test story's steps are
(:meth:`~dialogkit.framework.runtime.decisions.Policy.align`), so the next message goes on from
there. Nothing is applied when one of the events is not understood: :class:`EventsError` lists
each with its position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .decisions import ActiveLoop, ConversationView, Policy
from .events import (
    ActionExecuted,
    ActionReverted,
    BotUttered,
    ConversationPaused,
    ConversationReplaced,
    ConversationResumed,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

if TYPE_CHECKING:
    from ..domain.schema import Domain
    from .agent import Agent
    from .tracker import Tracker

__all__ = ["SUPPORTED", "EventsError", "append_events", "apply_events", "replace_events", "story"]

SUPPORTED = ("user", "bot", "slot", "reset_slots", "action", "active_loop", "restart", "session_started", "rewind",
             "undo", "reminder", "cancel_reminder", "pause", "resume")
_AS_IS: dict[str, type[BaseModel]] = {
    "reminder": ReminderScheduled, "cancel_reminder": ReminderCancelled, "pause": ConversationPaused,
    "resume": ConversationResumed,
}


class EventsError(ValueError):
    """Events that cannot be applied: ``problems`` is ``[{"event": position, "problem": ...}]``."""

    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__("; ".join(f"event {p['event']}: {p['problem']}" for p in problems))
        self.problems = problems


def to_events(items: Any, domain: Domain, allow_empty: bool = False) -> list[Any]:
    """Rasa event JSON (a dict or a list of them) as dialogkit events (``ActiveLoop`` for a form
    started or stopped); raises :class:`EventsError` naming every event it cannot read."""
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not (items or allow_empty):
        raise EventsError([{"event": 0, "problem": "send one event (a JSON object) or a non-empty list of them"}])
    out: list[Any] = []
    problems: list[dict[str, Any]] = []
    for i, e in enumerate(items):
        try:
            out += _one(e, domain)
        except (ValueError, TypeError) as err:
            problems.append({"event": i, "problem": str(err)})
    if problems:
        raise EventsError(problems)
    return out


def _one(e: Any, domain: Domain) -> list[Any]:
    if not isinstance(e, dict):
        raise TypeError("an event is a JSON object with an `event` key")
    kind = e.get("event")
    if kind == "user":
        parse = e.get("parse_data") or {}
        metadata = e.get("metadata") or {}
        if not isinstance(parse, dict) or not isinstance(metadata, dict):
            raise TypeError("`parse_data` and `metadata` are JSON objects")
        return [UserUttered(text=_text(e), parse=parse, input_channel=e.get("input_channel"), metadata=metadata)]
    if kind == "bot":
        data = e.get("data") or {}
        if not isinstance(data, dict):
            raise TypeError("`data` is a JSON object")
        return [BotUttered(text=e.get("text"), data=data)]
    if kind == "slot":
        if e.get("name") not in domain.slots:
            raise ValueError(f"slot {e.get('name')!r} is not one of the bot's")
        return [SlotSet(name=e["name"], value=e.get("value"))]
    if kind == "reset_slots":
        return [SlotSet(name=name, value=None) for name in domain.slots]
    if kind == "action":
        if not isinstance(e.get("name"), str) or not e["name"]:
            raise ValueError("an `action` event needs the action's `name`")
        return [ActionExecuted(name=e["name"])]
    if kind == "active_loop":
        name = e.get("name")
        if name is not None and name not in domain.flows:
            raise ValueError(f"active_loop {name!r} is no form or flow of the bot")
        return [ActiveLoop(name)]
    simple = {"restart": Restarted, "session_started": SessionStarted, "rewind": UserUtteranceReverted,
              "undo": ActionReverted}
    if kind in simple:
        return [simple[kind]()]
    if kind in _AS_IS:
        try:
            return [_AS_IS[kind].model_validate({k: v for k, v in e.items() if k != "timestamp"})]
        except ValidationError as err:
            problems = (f"{'.'.join(map(str, x['loc'])) or kind}: {x['msg']}" for x in err.errors())
            raise ValueError("; ".join(problems)) from None
    raise ValueError(f"event {kind!r} is not one dialogkit applies (it applies {', '.join(SUPPORTED)})")


def _text(e: dict[str, Any]) -> str:
    text = e.get("text")
    if text is not None and not isinstance(text, str):
        raise TypeError("`text` is a string")
    return text or ""


def append_events(agent: Agent, conversation_id: str, items: Any, execute_side_effects: bool = False,
                  channel: str | None = None) -> Tracker:
    """Append Rasa events ``items`` to the conversation (see the module docstring); returns its tracker."""
    return apply_events(agent, conversation_id, items, execute_side_effects, channel)[0]


def replace_events(agent: Agent, conversation_id: str, items: Any) -> Tracker:
    """The conversation becomes ``items`` (Rasa's ``PUT .../tracker/events``): a ``ConversationReplaced``
    and the events after it; the store keeps the earlier ones, which no longer count."""
    return apply_events(agent, conversation_id, items, replace=True)[0]


def apply_events(agent: Agent, conversation_id: str, items: Any, execute_side_effects: bool = False,
                 channel: str | None = None, replace: bool = False) -> tuple[Tracker, list[Any]]:
    """:func:`append_events` (or with ``replace``, :func:`replace_events`), returning the tracker
    and the events appended (the aligned ones too)."""
    events = [ConversationReplaced(), *to_events(items, agent.domain, allow_empty=True)] if replace else \
        to_events(items, agent.domain)
    policy = next((c for c in agent.components if isinstance(c, Policy)), None)
    with agent._lock(conversation_id):
        tracker = agent.store.get(conversation_id)
        before = len(tracker.events) if tracker is not None else 0
        tracker = tracker or agent.new_tracker(conversation_id)
        try:
            view = ConversationView(tracker)
            for event in events:
                if not isinstance(event, ActiveLoop):
                    tracker.add(event)
                if policy is not None and isinstance(event, (ActionExecuted, SlotSet, ActiveLoop)):
                    for aligned in policy.align(view, event):
                        tracker.add(aligned)
            agent.store.save(tracker)
        except BaseException:
            del tracker.events[before:]  # all or nothing, as a turn
            raise
        new = tracker.events[before:]
        # without side effects reminders are kept, not scheduled (Rasa's default)
        agent.saved(tracker, new if execute_side_effects else [e for e in new if not isinstance(e, ReminderScheduled)],
                    channel)
    return tracker, new


def story(tracker: Tracker, domain: Domain) -> str:
    """The conversation as a Rasa story (YAML, ``stories:`` with its intents, entities, actions,
    slots set and forms), e.g. to keep it as a test story."""
    import yaml

    from ..domain.builtins import ACTION_LISTEN, ACTION_SESSION_START
    from ..rasa.protocol import rasa_events

    steps: list[dict[str, Any]] = []
    for e in rasa_events(tracker, domain):
        kind = e["event"]
        if kind == "user":
            parse = e.get("parse_data") or {}
            step: dict[str, Any] = {"intent": (parse.get("intent") or {}).get("name") or "nlu_fallback"}
            if e.get("text"):
                step["user"] = e["text"]
            entities = [{x["entity"]: x.get("value")} for x in parse.get("entities") or [] if x.get("entity")]
            if entities:
                step["entities"] = entities
            steps.append(step)
        elif kind == "action" and e["name"] not in (ACTION_LISTEN, ACTION_SESSION_START):
            steps.append({"action": e["name"]})
        elif kind == "slot":
            steps.append({"slot_was_set": [{e["name"]: e["value"]}]})
        elif kind == "active_loop":
            steps.append({"active_loop": e["name"]})
        elif kind == "restart":
            steps.append({"action": "action_restart"})
    data = {"version": "3.1", "stories": [{"story": tracker.conversation_id, "steps": steps}]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
