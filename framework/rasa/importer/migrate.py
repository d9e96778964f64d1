"""Stage: a Rasa 2.x domain, read with its 2.x semantics as ``rasa data migrate`` would.

Rasa 2 fills a slot from the entity of the same name whenever it is extracted (``auto_fill``,
on unless set false), and a form lists its slots' mappings under ``required_slots``
(``{slot: [mappings]}``, or the slots directly under the form). Rasa 3 puts every mapping on
the slot. Before the domain is read, the 2.x parts are rewritten in place into 3.x's shape:

- a form's mappings become the slot's mappings with the condition ``active_loop: <form>``
  (and ``requested_slot: <slot>`` unless they are ``from_entity`` / ``from_trigger_intent``);
  a slot mapping that is the same as a form's gets the condition added instead;
- an auto-filled slot named after an entity gets a ``from_entity`` mapping of that entity;
- a slot left without mappings gets a ``custom`` one (set by actions);
- the form keeps the list of its slots and its ``ignored_intents``.

Each change is noted in the report with the line it came from.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .reading import Doc
from .state import ImportState

FORM_KEYS = {"required_slots", "ignored_intents", "type"}
UNCONDITIONED_MAPPINGS = ("from_entity", "from_trigger_intent")  # Rasa fills these from any turn of the form


def form_mappings(form: Any) -> dict[str, list[dict[str, Any]]] | None:
    """A Rasa 2 form's ``{slot: [mappings]}``, or None for a Rasa 3 form (a list of slots)."""
    if not isinstance(form, dict):
        return None
    required = form.get("required_slots")
    if isinstance(required, dict):
        return {str(k): list(v or []) for k, v in required.items()}
    rest = {k: v for k, v in form.items() if k not in FORM_KEYS}
    if required is None and rest and all(isinstance(v, list) for v in rest.values()):
        return {str(k): list(v or []) for k, v in rest.items()}
    return None


def _forms(data: dict[str, Any]) -> dict[str, Any]:
    """A domain's forms by name (Rasa 2.0's list of names has no mappings to move)."""
    forms = data.get("forms")
    return forms if isinstance(forms, dict) else {}


def is_rasa2(docs: list[Doc]) -> bool:
    """A domain is 2.x when a file says ``version: "2.x"`` or a form lists mappings."""
    for d in docs:
        data = d.doc.data if isinstance(d.doc.data, dict) else {}
        if re.fullmatch(r"2(\.\d+)*", str(data.get("version", "")).strip()):
            return True
        if any(form_mappings(f) is not None for f in _forms(data).values()):
            return True
    return False


def migrate_domain(st: ImportState, docs: list[Doc]) -> None:
    """Rewrite the 2.x parts of the domain ``docs`` in place (see the module's docstring)."""
    if not is_rasa2(docs):
        return
    slots: dict[str, tuple[dict[str, Any], Doc]] = {}
    entities: set[str] = set()
    for d in docs:
        data = d.doc.data if isinstance(d.doc.data, dict) else {}
        for name, slot in (data.get("slots") or {}).items():
            if slot is None:
                slot = data["slots"][name] = {}
            slots[str(name)] = (slot, d)
        entities |= {e if isinstance(e, str) else next(iter(e)) for e in data.get("entities") or []}
    st.report.add(
        "mapped",
        "Rasa 2.x domain: read with its 2.x semantics, as `rasa data migrate` would (slots auto-filled from "
        "same-named entities, forms' mappings on the slots)",
        docs[0].at("version") or docs[0].at("slots") or docs[0].at("forms"),
    )
    for d in docs:
        data = d.doc.data if isinstance(d.doc.data, dict) else {}
        for form_name, form in _forms(data).items():
            by_slot = form_mappings(form)
            if by_slot is None:
                continue
            for slot_name, mappings in by_slot.items():
                if slot_name not in slots:
                    continue  # the forms stage reports a required slot that is not defined
                slot, _ = slots[slot_name]
                _add_form_mappings(slot, mappings, str(form_name), slot_name)
            st.report.add(
                "mapped",
                f"form `{form_name}`: Rasa 2 required_slots mappings → the slots' mappings with condition "
                f"`active_loop: {form_name}`",
                d.at("forms", form_name),
            )
            migrated: dict[str, Any] = {"required_slots": list(by_slot)}
            if form.get("ignored_intents"):
                migrated["ignored_intents"] = form["ignored_intents"]
            data["forms"][form_name] = migrated
    for name, (slot, d) in slots.items():
        auto_fill = slot.pop("auto_fill", True)
        mappings = slot.setdefault("mappings", [])
        if name in entities and auto_fill is not False:
            mapping = {"type": "from_entity", "entity": name}
            if mapping not in mappings:
                mappings.append(mapping)
            st.report.add(
                "mapped",
                f"slot `{name}`: Rasa 2 auto_fill → a from_entity mapping of entity `{name}` (filled whenever it is "
                "extracted)",
                d.at("slots", name),
            )
        if not mappings:
            mappings.append({"type": "custom"})


def _add_form_mappings(slot: dict[str, Any], mappings: list[dict[str, Any]], form: str, slot_name: str) -> None:
    existing = slot.setdefault("mappings", [])
    for mapping in mappings:
        mapping = copy.deepcopy(mapping or {})
        condition = {"active_loop": form}
        if mapping.get("type") not in UNCONDITIONED_MAPPINGS:
            condition["requested_slot"] = slot_name
        same = next((m for m in existing if {k: v for k, v in m.items() if k != "conditions"} == mapping), None)
        if same is not None:
            same.setdefault("conditions", []).append(condition)
        else:
            existing.append({**mapping, "conditions": [condition]})
