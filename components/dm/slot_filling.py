"""Slot filling: the NLU result → slot values, through each slot's mappings.

A mapping applies when its conditions hold (the active flow, the slot being asked for) and
the intent fits; the first mapping of a slot whose value fits the slot's type decides (a
value of the wrong type is refused only when no later mapping gives one that fits), and of several
entities one mapping reads, the first the slot's type takes. The value is checked
against the slot's type and then by its validator (a :class:`ValidateSlot` request the agent
runs on its action executor; the verdict is sent back).

The question asked counts (``answer_by_value``, on by default):

- where one extractor found several entities on the same words (a phrase in two lookups),
  the entity of the slot being asked for is the one read; with no question, the first;
- a reply that is only a value of the asked slot's entity ("pepperoni", "two") fills it even
  when the intent is not one its mapping names, unless the NLU is sure of another intent
  (confidence ``CLEAR_INTENT`` or more, or a button payload);
- a reply the asked slot takes as its text (``from_text``) fills other slots only with the
  bot's own named values in it (lookups, synonyms, examples' values, a typo of one), not with
  numbers, dates, amounts, regex matches or a model's tags, which are read in any text: "12
  Baker Street" at the address question leaves the quantity alone, "rent for flat 12" at the
  reference question the amount.

A refused value of a categorical slot that is close to allowed ones carries them as
``suggestions`` (shown by ``shell --debug``; flow_policy offers them as "Did you mean ...?",
:func:`offer_values`). The offer is kept in that message's data (``offer``: the slot and the
values), so the next message reads it from the conversation: a yes (``affirm``) to an offer of
one value is that value's button (:func:`taken_offer`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialogkit.framework.domain.builtins import AFFIRM, INFORM, NLU_FALLBACK, OFFER, UTTER_DID_YOU_MEAN
from dialogkit.framework.domain.schema import Domain, FromEntity, FromIntent, FromText
from dialogkit.framework.domain.slot_types import check_slot_value, close_values, near_words
from dialogkit.framework.domain.syntax import fill, value_text
from dialogkit.framework.runtime.decisions import Decision, ValidateSlot
from dialogkit.framework.runtime.tracker import SlotSet
from dialogkit.framework.runtime.turn import Entity, Intent, Parse, entity

from .draft import Draft
from .phrases import did_you_mean, one_of

__all__ = ["CLEAR_INTENT", "Filled", "fill_slots", "mapped_value", "offer_values", "taken_offer"]

_NOTHING = object()
# where an entity names one of the bot's own values (its lookups, synonyms and annotated examples, a typo of one,
# or a value given outright): beside a free-text answer only these fill other slots; numbers, dates, amounts,
# patterns and a model's tags are read in any text, so inside the answer too
NAMED_BY_THE_BOT = frozenset({"lookup", "fuzzy", "examples", "payload", "story", "offer"})
CLEAR_INTENT = 0.9  # an intent this sure is what the user meant, even for a reply that is only a value


@dataclass
class Filled:
    """What slot filling did with one message."""

    invalid: str | None = None  # the asked slot, when the user's value for it was refused
    suggestions: list[Any] = field(default_factory=list)  # allowed values close to the refused one (categorical slots)
    near_miss: list[Any] = field(default_factory=list)  # no value for the asked slot, but these named with a slip
    by_value: bool = False  # the asked slot was filled by a reply that is only its value (whatever the intent)
    validators_ok: bool = True  # False: a slot validator failed (raised, timed out, could not be imported)
    corrected: list[str] = field(default_factory=list)  # slots that had a value and got another (not the asked one)


def mapped_value(mapping: Any, name: str, slot: Any, parse: Parse, intent: str, asking: str | None, active: str | None,
                 entities: Sequence[Entity] | None = None, by_value: bool = False) -> Any:
    """The raw value ``mapping`` of slot ``name`` reads from this turn, or ``_NOTHING`` when it
    does not apply. ``entities``: the parse's, one per span (default: all of them);
    ``by_value``: the message is only a value of this slot's entity (the intent filter is waived)."""
    entities = parse.entities if entities is None else entities
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
        if mapping.intents() and intent not in mapping.intents() and not by_value:
            return _NOTHING
        values = [
            _entity_value(e, slot.type.value)
            for e in entities
            if e["entity"] == mapping.entity
            and _fits(e, slot.type.value)
            and (mapping.role is None or e.get("role") == mapping.role)
            and (mapping.group is None or e.get("group") == mapping.group)
        ]
        if not values:
            return _NOTHING
        if slot.type.value == "list":
            return values
        # of several, the first the slot takes ("下周五之前都行，晚上七点": not the stretch, the time), else the first
        return next((v for v in values if check_slot_value(slot, v)[0]), values[0])
    if isinstance(mapping, FromText):
        if (
            (mapping.intents() and intent not in mapping.intents())
            or (not mapping.conditions and asking != name)
            or parse.payload
        ):
            return _NOTHING  # a button payload is not free text
        return parse.text
    return _NOTHING  # pragma: no cover - the schema admits no other mapping


def _entity_value(e: Any, slot_type: str) -> Any:
    """The value an entity gives a slot: an amount slot takes the currency with the amount
    (``additional_info.unit``, as builtin_entities gives it). Of a range of amounts ("under $50",
    "between 10 and 20 dollars") an amount slot takes the one end said (a range stays a range, which it
    refuses), an ``any`` slot both ends with their currencies. A date, time or datetime slot takes the time
    said by "by" ("by Friday" is from now to Friday: Friday, the deadline; "by the end of the month": its last
    day, given in ``additional_info.by``), not its unsaid start."""
    info = e.get("additional_info") or {}
    if slot_type == "amount" and "unit" in info:
        return {"value": e["value"], "unit": info.get("unit")}
    ends = {side: info[side] for side in ("from", "to") if isinstance(info.get(side), dict) and "unit" in info[side]}
    if ends and slot_type == "amount" and len(ends) == 1:
        (end,) = ends.values()
        return {"value": end.get("value"), "unit": end.get("unit")}
    if ends and slot_type == "any":
        return {"from": ends.get("from"), "to": ends.get("to")}
    if info.get("by") and slot_type in ("date", "time", "datetime") and isinstance(e["value"], dict):
        if isinstance(info["by"], str):  # "by the end of the month": its last day
            return info["by"]
        return e["value"].get("to")  # "by Friday" (from now, unsaid, to Friday): the deadline said
    return e["value"]


def _fits(e: Any, slot_type: str) -> bool:
    """A time slot takes no time whose grain is a day or longer ("tonight", "next week")."""
    grain = (e.get("additional_info") or {}).get("grain")
    return not (slot_type == "time" and grain in ("day", "week", "month", "year"))


def _asked_entities(domain: Domain, asking: str | None) -> set[str]:
    slot = domain.slots.get(asking) if asking else None
    return {m.entity for m in slot.mappings if isinstance(m, FromEntity)} if slot else set()


def _one_per_span(entities: Sequence[Entity], asked: set[str]) -> list[Entity]:
    """The entities to read: of several one extractor found on the same words (a phrase in two
    lookups), the asked slot's, else the first; other extractors' stay (a model's ``amount`` and
    builtin_entities' ``amount-of-money`` on "fifty dollars")."""
    out: list[Entity] = []
    spans: dict[tuple[int, int, str], int] = {}
    for e in entities:
        start, end = e.get("start"), e.get("end")
        if start is None or end is None:
            out.append(e)
            continue
        key = (start, end, str(e.get("extractor")))
        i = spans.get(key)
        if i is None:
            spans[key] = len(out)
            out.append(e)
        elif e["entity"] in asked and out[i]["entity"] not in asked:
            out[i] = e
    return out


def _answered_whole(domain: Domain, parse: Parse, intent: str, asking: str | None, active: str | None) -> bool:
    """The asked slot takes the message as its text (``from_text``): "12 Baker Street" at the
    address question is an address, not also a quantity of 12 (:data:`NAMED_BY_THE_BOT`)."""
    slot = domain.slots.get(asking) if asking else None
    return slot is not None and any(
        isinstance(m, FromText) and mapped_value(m, str(asking), slot, parse, intent, asking, active) is not _NOTHING
        for m in slot.mappings
    )


def _only_a_value(parse: Parse, entities: Sequence[Entity], asked: set[str]) -> bool:
    """The message is one entity of ``asked`` and nothing else worth a word ("pepperoni!")."""
    spans = [e for e in entities if e["entity"] in asked and e.get("start") is not None]
    if len(spans) != 1 or parse.payload:
        return False
    e = spans[0]
    rest = parse.text[:e.get("start") or 0] + " " + parse.text[e.get("end") or 0:]
    if re.search(r"\w", rest):
        return False
    return not _sure(parse)


def _sure(parse: Parse) -> bool:
    """The NLU is sure of an intent of the bot's (``CLEAR_INTENT`` or more)."""
    return (
        parse.intent is not None
        and parse.intent_name != NLU_FALLBACK
        and float(parse.intent.get("confidence") or 0) >= CLEAR_INTENT
    )


def _near_miss(domain: Domain, draft: Draft, intent: str, asking: str) -> list[Any]:
    """Values of the asked (categorical) slot a short reply that set nothing names with a slip,
    when the reply is no clear other request: the NLU is unsure, or read an intent the slot's
    entity mapping names (``inform`` when it names none)."""
    parse = draft.parse
    if parse.payload or draft.slots_set_this_turn():
        return []
    slot = domain.slots[asking]
    takes = {i for m in slot.mappings if isinstance(m, FromEntity) for i in m.intents()} or {INFORM}
    if intent != NLU_FALLBACK and intent not in takes and _sure(parse):
        return []
    return near_words(slot, parse.text, domain.language)


def fill_slots(domain: Domain, draft: Draft, intent: str, asking: str | None,
               timeout: float | None = None, by_value: bool = True) -> Generator[Decision, Any, Filled]:
    """Apply the slot mappings to the message (``SlotSet`` events on ``draft``, refused values
    noted on it); a slot's validator is a :class:`ValidateSlot` request whose verdict the agent
    sends back. ``by_value``: the question asked counts (the module docstring)."""
    active = draft.active_flow
    slots = draft.slots
    out = Filled()
    asked = _asked_entities(domain, asking) if by_value else set()
    entities = _one_per_span(draft.parse.entities, asked)
    only_value = bool(asked) and _only_a_value(draft.parse, entities, asked)
    others = entities  # what the other slots read
    if by_value and _answered_whole(domain, draft.parse, intent, asking, active):
        others = [e for e in entities if e.get("extractor") in NAMED_BY_THE_BOT]
    for name, slot in domain.slots.items():
        refused: tuple[Any, str] | None = None  # the first value of the wrong type: a later mapping may fit
        for m in slot.mappings:
            raw = mapped_value(
                m, name, slot, draft.parse, intent, asking, active, entities if name == asking else others,
                only_value and name == asking,
            )
            if raw is _NOTHING:
                continue
            why: str | None
            ok, value, why = check_slot_value(slot, raw, slots.get(name))
            if not ok:
                refused = refused or (raw, why)
                continue
            if slot.validator:
                verdict = yield draft.decision(ValidateSlot(slot.validator, name, value, timeout))
                if verdict.error is not None:  # the agent recorded the failure
                    out.validators_ok = False
                    refused = None
                    break
                value = verdict.value
                if value is None:
                    refused = (raw, f"refused by {slot.validator}")
                    break
            refused = None
            if value != slots.get(name):
                if slots.get(name) is not None and name != asking:
                    out.corrected.append(name)
                draft.add(SlotSet(name=name, value=value))
                slots[name] = value
            out.by_value = out.by_value or (only_value and name == asking)
            break  # the first mapping whose value fits wins
        if refused is not None:
            near = close_values(slot, refused[0]) if name == asking else []
            draft.refuse(name, refused[0], refused[1], asked=name == asking, suggestions=near)
            if name == asking:
                out.invalid, out.suggestions = name, near
    if by_value and asking in domain.slots and out.invalid is None:
        out.near_miss = _near_miss(domain, draft, intent, asking)
    return out


def offer_values(domain: Domain, draft: Draft, name: str, values: list[Any]) -> None:
    """Say "Did you mean X (or Y)?" for slot ``name`` with a button per value. A button's
    payload is the slot's entity mapping as an intent payload (``/inform{"pizza": "pepperoni"}``:
    the message's intent when the mapping takes it, else the mapping's first), or the value
    itself when no intent fits."""
    own = domain.responses.get(UTTER_DID_YOU_MEAN)
    template = own.variations[0].text if own is not None and own.variations and own.variations[0].text else None
    mapping = next((m for m in domain.slots[name].mappings if isinstance(m, FromEntity)), None)
    intent = draft.parse.intent_name
    if mapping is not None and mapping.intents() and intent not in mapping.intents():
        intent = mapping.intents()[0]
    buttons = []
    for v in values:
        payload = value_text(v)
        if mapping is not None and intent in domain.intents:
            payload = f"/{intent}" + json.dumps({mapping.entity: v}, ensure_ascii=False)
        buttons.append({"title": value_text(v), "payload": payload})
    labels = [value_text(v) for v in values]
    text = (fill(template, {**draft.slots, "suggestion": one_of(domain.language, labels)}, "") if template
            else did_you_mean(domain.language, labels))
    offer = {"slot": name, "values": values}
    draft.write({"response": UTTER_DID_YOU_MEAN, "text": text, "buttons": buttons, OFFER: offer})


def taken_offer(domain: Domain, draft: Draft, asking: str | None) -> Parse | None:
    """A yes (``affirm``) to the bot's last message when that was "Did you mean X?" offering one
    value for the slot still asked: the message as X's button would have been (the slot's entity
    with that value, as a payload), so the slot fills through its mappings and validator as if
    the user had clicked it. None otherwise: no offer, several values, another question, not a yes."""
    if asking is None or draft.parse.intent_name != AFFIRM or asking not in domain.slots:
        return None
    last = draft.said_last()
    offer = last.data.get(OFFER) if last is not None and last.response == UTTER_DID_YOU_MEAN else None
    if not isinstance(offer, dict) or offer.get("slot") != asking:  # a stored message may hold anything
        return None
    values = offer.get("values")
    if not isinstance(values, list) or len(values) != 1:
        return None
    value = values[0]
    mapping = next((m for m in domain.slots[asking].mappings if isinstance(m, FromEntity)), None)
    intent = mapping.intents()[0] if mapping is not None and mapping.intents() else INFORM
    found = (entity(mapping.entity, value, "offer", role=mapping.role, group=mapping.group),) if mapping else ()
    said = Intent(name=intent, confidence=1.0)
    return Parse(text=value_text(value), intent=said, intent_ranking=(said,), entities=found,
                 payload=mapping is not None)
