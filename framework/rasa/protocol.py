"""Rasa JSON shapes: a dialogkit tracker and domain as Rasa 3 sends them, and Rasa events back.

Used by the action-server client (the tracker and domain in every request, the events
an action returns) and by the HTTP tracker endpoint's ``?format=rasa`` view. Flows
marked ``form: true`` appear as Rasa forms (``active_loop`` events, ``requested_slot``);
other flow events have no Rasa counterpart and are left out.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ..domain.builtins import ACTION_LISTEN, ACTION_SESSION_START
from ..domain.steps import CollectStep
from ..runtime.events import ReminderCancelled, ReminderScheduled
from ..runtime.tracker import (
    ActionExecuted,
    ActionReverted,
    BotUttered,
    ConversationPaused,
    ConversationReplaced,
    ConversationResumed,
    Event,
    FlowCancelled,
    FlowCompleted,
    FlowStarted,
    Restarted,
    SessionStarted,
    SlotSet,
    Tracker,
    UserUtteranceReverted,
    UserUttered,
)

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = ["RASA_VERSION", "RemoteResult", "from_rasa_events", "rasa_domain", "rasa_tracker"]

logger = logging.getLogger(__name__)
_EVENT: TypeAdapter[Any] = TypeAdapter(Event)

RASA_VERSION = "3.6.21"  # the Rasa version whose action-server protocol dialogkit speaks
REQUESTED_SLOT = "requested_slot"
_RASA_SLOT_TYPES = {
    "text": "text",
    "int": "float",
    "float": "float",
    "bool": "bool",
    "categorical": "categorical",
    "list": "list",
    "any": "any",
}


def rasa_domain(domain: Domain) -> dict[str, Any]:
    """The domain as Rasa's ``Domain.as_dict()`` gives it to actions (what rasa_sdk reads)."""
    slots: dict[str, Any] = {}
    for name, slot in domain.slots.items():
        entry: dict[str, Any] = {
            "type": _RASA_SLOT_TYPES[slot.type.value],
            "initial_value": slot.initial,
            "influence_conversation": False,
            "mappings": [_rasa_mapping(m) for m in slot.mappings],
        }
        if slot.values is not None:
            entry["values"] = list(slot.values)
        slots[name] = entry
    slots[REQUESTED_SLOT] = {
        "type": "any",
        "initial_value": None,
        "influence_conversation": False,
        "mappings": [{"type": "custom"}],
    }
    forms = {name: {"required_slots": form_slots(domain, name)} for name, flow in domain.flows.items() if flow.form}
    responses = {name: [_rasa_variation(v) for v in r.variations] for name, r in domain.responses.items()}
    return {
        "version": "3.1",
        "intents": list(domain.intents),
        "entities": list(domain.entities),
        "slots": slots,
        "responses": responses,
        "actions": list(domain.actions),
        "forms": forms,
        "session_config": {
            "session_expiration_time": domain.session.expiry_minutes,
            "carry_over_slots_to_new_session": domain.session.carry_over_slots,
        },
        "config": {"store_entities_as_slots": True},
    }


def form_slots(domain: Domain, flow_name: str) -> list[str]:
    """The slots a form flow collects, in step order (its Rasa ``required_slots``)."""
    out: list[str] = []

    def walk(steps: list[Any]) -> None:
        for step in steps:
            if isinstance(step, CollectStep) and step.collect not in out:
                out.append(step.collect)
            for _, branch in step.branches():
                walk(branch)

    walk(domain.flows[flow_name].steps)
    return out


def _rasa_mapping(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = m.model_dump(mode="json", exclude_none=True, exclude={"conditions"})
    if m.conditions:
        out["conditions"] = [{"active_loop": c.active_flow, "requested_slot": c.requested_slot} for c in m.conditions]
    return out


def _rasa_variation(v: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if v.text is not None:
        out["text"] = v.text
    if v.buttons:
        out["buttons"] = [b.model_dump() for b in v.buttons]
    if v.image:
        out["image"] = v.image
    if v.custom is not None:
        out["custom"] = v.custom
    if v.channel:
        out["channel"] = v.channel
    return out


def rasa_tracker(
    tracker: Tracker,
    domain: Domain,
    active_form: str | None = None,
    requested_slot: str | None = None,
    candidates: list[SlotSet] | None = None,
) -> dict[str, Any]:
    """The tracker as Rasa's ``tracker.current_state()``: ``sender_id``, ``slots``,
    ``latest_message``, ``events``, ``active_loop``... ``candidates`` are slot values just
    extracted for a form: appended at the end, as Rasa does before form validation."""
    events = rasa_events(tracker, domain)
    for c in candidates or []:
        events.append({"event": "slot", "timestamp": c.timestamp, "name": c.name, "value": c.value})
    slots = dict(tracker.slots)
    slots[REQUESTED_SLOT] = requested_slot
    latest = tracker.latest_message
    latest_message = _parse_data(latest) if latest else {"intent": {}, "entities": [], "text": None}
    action_names = [e["name"] for e in events if e["event"] == "action"]
    return {
        "sender_id": tracker.conversation_id,
        "slots": slots,
        "latest_message": latest_message,
        "latest_event_time": events[-1]["timestamp"] if events else None,
        "followup_action": None,
        "paused": tracker.paused,
        "events": events,
        "latest_input_channel": latest.input_channel if latest else None,
        "active_loop": {"name": active_form} if active_form else {},
        "latest_action": {"action_name": action_names[-1]} if action_names else {},
        "latest_action_name": action_names[-1] if action_names else None,
    }


def _parse_data(e: UserUttered) -> dict[str, Any]:
    intent = e.parse.get("intent") or {}
    entities = [{k: v for k, v in ent.items() if v is not None} for ent in e.parse.get("entities") or []]
    return {
        "intent": intent,
        "entities": entities,
        "text": e.text,
        "intent_ranking": e.parse.get("intent_ranking") or ([intent] if intent else []),
        "metadata": e.metadata,
    }


def rasa_events(tracker: Tracker, domain: Domain) -> list[dict[str, Any]]:
    """The tracker's events as Rasa events (``action_listen`` before every user message,
    an ``action`` event before every response said, forms as ``active_loop``)."""
    forms = {name for name, flow in domain.flows.items() if flow.form}
    out: list[dict[str, Any]] = []

    def add(ts: float, event: str, **data: Any) -> None:
        out.append({"event": event, "timestamp": ts, **data})

    events = tracker.events
    replaced = max((i for i, e in enumerate(events) if isinstance(e, ConversationReplaced)), default=-1)
    for e in events[replaced + 1:]:  # another system replaced what came before
        ts = e.timestamp
        if isinstance(e, SessionStarted):
            add(ts, "action", name=ACTION_SESSION_START, policy=None, confidence=1.0)
            add(ts, "session_started")
            add(ts, "action", name=ACTION_LISTEN, policy=None, confidence=None)
        elif isinstance(e, UserUttered):
            if not out or out[-1]["event"] != "action" or out[-1]["name"] != ACTION_LISTEN:
                add(ts, "action", name=ACTION_LISTEN, policy=None, confidence=None)
            add(
                ts,
                "user",
                text=e.text,
                parse_data=_parse_data(e),
                input_channel=e.input_channel,
                message_id=None,
                metadata=e.metadata,
            )
        elif isinstance(e, BotUttered):
            if e.response:
                add(ts, "action", name=e.response, policy="flow_policy", confidence=1.0)
            data = {
                k: v
                for k, v in e.data.items()
                if k in ("buttons", "image", "custom", "elements", "attachment", "quick_replies")
            }
            add(ts, "bot", text=e.text, data=data, metadata={"utter_action": e.response} if e.response else {})
        elif isinstance(e, SlotSet):
            add(ts, "slot", name=e.name, value=e.value)
        # the bot's own: shown with the session start
        elif isinstance(e, ActionExecuted) and e.name != ACTION_SESSION_START:
            add(ts, "action", name=e.name, policy="flow_policy", confidence=1.0)
        elif isinstance(e, FlowStarted) and e.flow in forms:
            add(ts, "action", name=e.flow, policy="flow_policy", confidence=1.0)
            add(ts, "active_loop", name=e.flow)
        elif isinstance(e, (FlowCompleted, FlowCancelled)) and e.flow in forms:
            add(ts, "active_loop", name=None)
        elif isinstance(e, Restarted):
            add(ts, "restart")
        elif isinstance(e, (UserUtteranceReverted, ActionReverted, ConversationPaused, ConversationResumed)):
            add(ts, e.event)  # "rewind", "undo", "pause", "resume": Rasa's names
        elif isinstance(e, (ReminderScheduled, ReminderCancelled)):
            add(ts, e.event, **e.model_dump(exclude={"event", "timestamp"}))  # Rasa's JSON
    return out


@dataclass
class RemoteResult:
    """What an action server's answer means for the conversation."""

    events: list[Any] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    followup: str | None = None
    deactivate_form: bool = False
    activate_form: str | None = None
    ignored: list[str] = field(default_factory=list)


def from_rasa_events(body: dict[str, Any], domain: Domain) -> RemoteResult:
    """Translate an action server's ``{"events", "responses"}`` into dialogkit events and messages."""
    result = RemoteResult()
    for r in body.get("responses") or []:
        if not isinstance(r, dict):
            continue
        result.messages.append(_message(r))
    for e in body.get("events") or []:
        if not isinstance(e, dict):
            result.ignored.append(repr(e)[:60])
            continue
        kind = e.get("event")
        if kind == "slot":
            name = e.get("name")
            if name == REQUESTED_SLOT:
                continue  # derived from the flow: the step it waits at says which slot it asks for
            if not isinstance(name, str) or name not in domain.slots:
                result.ignored.append(f"slot '{name}' (not in the domain)")
                continue
            result.events.append(SlotSet(name=name, value=e.get("value"), timestamp=e.get("timestamp") or time.time()))
        elif kind == "reset_slots":
            result.events.extend(SlotSet(name=n, value=None) for n in domain.slots)
        elif kind == "restart":
            result.events.append(Restarted())
        elif kind == "rewind":
            result.events.append(UserUtteranceReverted())
        elif kind == "undo":
            result.events.append(ActionReverted())
        elif kind == "bot":
            result.messages.append(_message({"text": e.get("text"), **(e.get("data") or {})}))
        elif kind == "followup":
            result.followup = e.get("name")
        elif kind == "active_loop":
            if e.get("name") is None:
                result.deactivate_form = True
            else:
                result.activate_form = e.get("name")
        elif kind in ("reminder", "cancel_reminder", "pause", "resume"):
            try:
                result.events.append(_EVENT.validate_python({k: v for k, v in e.items() if k != "timestamp"}))
            except ValueError as err:
                result.ignored.append(f"event '{kind}' ({str(err).splitlines()[0]})")
        elif kind in ("action_execution_rejected", "action", "session_started"):
            continue  # the agent logs the action, and starts the session before a session-start action runs
        else:
            result.ignored.append(f"event '{kind}'")
    if result.ignored:
        logger.warning("action server returned what dialogkit does not apply: %s", ", ".join(result.ignored))
    return result


def _message(r: dict[str, Any]) -> dict[str, Any]:
    name = r.get("response") or r.get("template")
    if name:
        extra = {
            k: v
            for k, v in r.items()
            if k
            not in (
                "response",
                "template",
                "text",
                "buttons",
                "image",
                "elements",
                "custom",
                "attachment",
                "quick_replies",
                "json_message",
            )
            and v is not None
        }
        return {"response": name, "slots": extra}
    msg: dict[str, Any] = {"text": r.get("text")}
    for key in ("buttons", "image", "custom", "elements", "attachment", "quick_replies"):
        if r.get(key):
            msg[key] = r[key]
    if r.get("json_message"):
        msg["custom"] = r["json_message"]
    return msg
