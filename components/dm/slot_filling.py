"""Slot filling: the NLU result → slot values, through each slot's mappings.

A mapping applies when its conditions hold (the active flow, the slot being asked for) and
the intent fits; the first mapping of a slot that applies decides. The value is checked
against the slot's type and then by its validator (a :class:`ValidateSlot` request the agent
runs on its action executor; the verdict is sent back).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from dialogkit.components.dm.draft import Draft
from dialogkit.framework.dialogue import Decision, ValidateSlot
from dialogkit.framework.domain.schema import Domain, FromEntity, FromIntent, FromText
from dialogkit.framework.slots import check_slot_value
from dialogkit.framework.tracker import SlotSet
from dialogkit.framework.turn import Parse

__all__ = ["Filled", "fill_slots", "mapped_value"]

_NOTHING = object()


@dataclass
class Filled:
    """What slot filling did with one message."""

    invalid: str | None = None  # the asked slot, when the user's value for it was refused
    validators_ok: bool = True  # False: a slot validator failed (raised, timed out, could not be imported)
    corrected: list[str] = field(default_factory=list)  # slots that had a value and got another (not the asked one)


def mapped_value(mapping: Any, name: str, slot: Any, parse: Parse, intent: str, asking: str | None, active: str | None) -> Any:
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
        amount = slot.type.value == "amount"
        values = [_amount(e) if amount else e["value"] for e in parse.entities if e["entity"] == mapping.entity
                  and (mapping.role is None or e.get("role") == mapping.role) and (mapping.group is None or e.get("group") == mapping.group)]
        if not values:
            return _NOTHING
        return values if slot.type.value == "list" else values[0]
    if isinstance(mapping, FromText):
        if (mapping.intents() and intent not in mapping.intents()) or (not mapping.conditions and asking != name) or parse.payload:
            return _NOTHING  # a button payload is not free text
        return parse.text
    return _NOTHING  # pragma: no cover - the schema admits no other mapping


def _amount(e: Any) -> Any:
    """An amount slot's value from an entity: its currency comes with it (``additional_info``)."""
    info = e.get("additional_info") or {}
    return {"value": e["value"], "unit": info.get("unit")} if "unit" in info else e["value"]


def fill_slots(domain: Domain, draft: Draft, intent: str, asking: str | None,
               timeout: float | None = None) -> Generator[Decision, Any, Filled]:
    """Apply the slot mappings to the message (``SlotSet`` events on ``draft``, refused values
    noted on it); a slot's validator is a :class:`ValidateSlot` request whose verdict the agent
    sends back."""
    active = draft.active_flow
    slots = draft.slots
    out = Filled()
    for name, slot in domain.slots.items():
        for m in slot.mappings:
            raw = mapped_value(m, name, slot, draft.parse, intent, asking, active)
            if raw is _NOTHING:
                continue
            why: str | None
            ok, value, why = check_slot_value(slot, raw, slots.get(name))
            if ok and slot.validator:
                verdict = yield draft.decision(ValidateSlot(slot.validator, name, value, timeout))
                if verdict.error is not None:  # the agent recorded the failure
                    out.validators_ok = False
                    break
                value = verdict.value
                ok = value is not None
                why = None if ok else f"refused by {slot.validator}"
            if not ok:
                draft.refuse(name, raw, why, asked=name == asking)
                if name == asking:
                    out.invalid = name
                break
            if value != slots.get(name):
                if slots.get(name) is not None and name != asking:
                    out.corrected.append(name)
                draft.add(SlotSet(name=name, value=value))
                slots[name] = value
            break  # the first mapping that applies wins
    return out
