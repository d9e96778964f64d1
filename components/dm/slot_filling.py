"""Slot filling: the NLU result → slot values, through each slot's mappings.

A mapping applies when its conditions hold (the active flow, the slot being asked for) and
the intent fits; the first mapping of a slot that applies decides. The value is checked
against the slot's type and then by its validator (run by the turn's action executor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogkit.framework.domain.schema import FromEntity, FromIntent, FromText
from dialogkit.framework.slots import check_slot_value
from dialogkit.framework.tracker import ActionFailed, SlotSet
from dialogkit.framework.turn import Turn

__all__ = ["Filled", "fill_slots", "mapped_value"]

_NOTHING = object()


@dataclass
class Filled:
    """What slot filling did with one message."""

    invalid: str | None = None  # the asked slot, when the user's value for it was refused
    validators_ok: bool = True  # False: a slot validator failed (raised, timed out, could not be imported)
    corrected: list[str] = field(default_factory=list)  # slots that had a value and got another (not the asked one)


def mapped_value(mapping: Any, name: str, slot: Any, turn: Turn, intent: str, asking: str | None, active: str | None) -> Any:
    """The raw value ``mapping`` of slot ``name`` reads from this turn, or ``_NOTHING`` when it does not apply."""
    if mapping.conditions and not any(
        (c.active_flow is None or c.active_flow == active) and (c.requested_slot is None or c.requested_slot == asking)
        for c in mapping.conditions
    ):
        return _NOTHING
    if mapping.not_intents() and intent in mapping.not_intents():
        return _NOTHING
    if isinstance(mapping, FromIntent):
        wanted = [mapping.intent] if isinstance(mapping.intent, str) else mapping.intent
        return mapping.value if intent in wanted else _NOTHING
    if isinstance(mapping, FromEntity):
        if mapping.intents() and intent not in mapping.intents():
            return _NOTHING
        values = [e["value"] for e in turn.entities if e["entity"] == mapping.entity
                  and (mapping.role is None or e.get("role") == mapping.role) and (mapping.group is None or e.get("group") == mapping.group)]
        if not values:
            return _NOTHING
        return values if slot.type.value == "list" else values[0]
    if isinstance(mapping, FromText):
        if (mapping.intents() and intent not in mapping.intents()) or (not mapping.conditions and asking != name) or turn.payload:
            return _NOTHING  # a button payload is not free text
        return turn.text
    return _NOTHING  # pragma: no cover - the schema admits no other mapping


def fill_slots(domain: Any, turn: Turn, intent: str, asking: str | None, timeout: float | None = None) -> Filled:
    """Apply the slot mappings to ``turn`` (``SlotSet`` events on its tracker; refused values
    in ``turn.refused``)."""
    tracker = turn.tracker
    active = tracker.active_flow
    slots = tracker.slots
    out = Filled()
    for name, slot in domain.slots.items():
        for m in slot.mappings:
            raw = mapped_value(m, name, slot, turn, intent, asking, active)
            if raw is _NOTHING:
                continue
            why: str | None
            ok, value, why = check_slot_value(slot, raw, slots.get(name))
            if ok and slot.validator:
                if turn.executor is None:
                    raise RuntimeError(f"slot '{name}' has a validator, but the turn has no action executor (the agent sets one)")
                verdict = turn.executor.validate(slot.validator, name, value, tracker, timeout)
                if verdict.error is not None:
                    tracker.add(ActionFailed(name=slot.validator, error=verdict.error))
                    out.validators_ok = False
                    break
                value = verdict.value
                ok = value is not None
                why = None if ok else f"refused by {slot.validator}"
            if not ok:
                turn.refused.append({"slot": name, "value": raw, "why": why, "asked": name == asking})
                if name == asking:
                    out.invalid = name
                break
            if value != slots.get(name):
                if slots.get(name) is not None and name != asking:
                    out.corrected.append(name)
                tracker.add(SlotSet(name=name, value=value))
                slots[name] = value
            break  # the first mapping that applies wins
    return out
