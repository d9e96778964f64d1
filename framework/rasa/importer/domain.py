"""Stage: a Rasa domain (intents, entities, slots and mappings, responses, actions, forms, session)."""

from __future__ import annotations

from typing import Any

from ...domain.syntax import NAME_RE
from ..retrieval import dialogkit_name
from .reading import Doc
from .records import FormSpec, Source
from .state import BUILTIN_INTENTS, NATIVE_INTENTS, ImportState, slot_condition


def read_domain(st: ImportState, d: Doc) -> None:
    data = d.doc.data or {}
    known = {
        "version",
        "intents",
        "entities",
        "slots",
        "responses",
        "actions",
        "forms",
        "session_config",
        "config",
        "e2e_actions",
    }
    for key in data:
        if key not in known:
            st.report.add("dropped", f"domain key `{key}`", d.at(key))
    for i, item in enumerate(data.get("intents") or []):
        name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        opts = opts or {}
        if name in BUILTIN_INTENTS:
            if name not in NATIVE_INTENTS:
                st.report.add(
                    "dropped",
                    f"intent `{name}` (a Rasa default intent with no dialogkit counterpart)",
                    d.at("intents", i),
                )
            continue
        if not NAME_RE.match(name):
            st.report.add("dropped", f"intent `{name}`: not a valid dialogkit name", d.at("intents", i))
            continue
        st.intents.setdefault(name, {})
        st.sources.setdefault(("intents", name), d.at("intents", i))
        if "ignore_entities" in opts:
            st.ignored_entities.setdefault(name, set()).update(opts["ignore_entities"] or [])
            st.report.add(
                "mapped",
                f"intent `{name}` ignore_entities → `not_intent: {name}` on the from_entity mappings of those entities",
                d.at("intents", i),
            )
        if "use_entities" in opts and opts["use_entities"] is not True:
            st.used_entities[name] = set(opts["use_entities"] or [])
            st.report.add(
                "mapped",
                f"intent `{name}` use_entities → `not_intent: {name}` on the from_entity mappings of other entities",
                d.at("intents", i),
            )
        for extra in set(opts) - {"use_entities", "ignore_entities", "is_retrieval_intent"}:
            st.report.add("dropped", f"intent `{name}` option `{extra}`", d.at("intents", i))
    for i, item in enumerate(data.get("entities") or []):
        name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        opts = opts or {}
        entry = st.entities.setdefault(name, {})
        st.sources.setdefault(("entities", name), d.at("entities", i))
        if opts.get("roles"):
            entry["roles"] = [str(r) for r in opts["roles"]]
        if opts.get("groups"):
            entry["groups"] = [str(g) for g in opts["groups"]]
        if "influence_conversation" in opts:
            st.report.add(
                "mapped",
                f"entity `{name}` influence_conversation: flows branch on slots explicitly",
                d.at("entities", i),
            )
    for name, slot in (data.get("slots") or {}).items():
        read_slot(st, name, slot or {}, d)
    for name, variations in (data.get("responses") or {}).items():
        read_response(st, name, variations, d, ("responses", name))
    for i, item in enumerate(data.get("actions") or []):
        name = item if isinstance(item, str) else next(iter(item))
        if isinstance(item, dict) and (item.get(name) or {}):
            st.report.add(
                "mapped",
                f"action `{name}` options {sorted(item[name])}: the tracker and domain are always sent",
                d.at("actions", i),
            )
        if name.startswith("utter_"):
            continue  # responses; they need no action entry
        if name == "action_validate_slot_mappings":
            st.validate_slots_action = name
            st.report.add(
                "mapped",
                "action_validate_slot_mappings → flow_policy `validate_slots_action` (run after every user message, "
                "as Rasa does)",
                d.at("actions", i),
            )
        st.actions[name] = "remote"
        st.sources.setdefault(("actions", name), d.at("actions", i))
    forms = data.get("forms") or {}
    listed = isinstance(forms, list)
    if listed:  # Rasa 1.x/2.0: a list of form names, each a FormAction on the action server
        st.report.add(
            "mapped",
            "`forms:` as a list of names (Rasa 1.x/2.0 FormActions): each form runs as its action on the action "
            "server, which asks and validates by itself; list its slots under required_slots for a dialogkit form",
            d.at("forms"),
        )
        forms = {str(f): {} for f in forms if isinstance(f, (str, int))}
    for name, form in forms.items():
        st.forms[name] = FormSpec.read(name, form or {}, Source(d, ("forms", name)), listed)
        st.sources[("flows", name)] = d.at("forms", name)
    if "session_config" in data:
        sc = data["session_config"] or {}
        if "session_expiration_time" in sc:
            st.session["expiry_minutes"] = float(sc["session_expiration_time"] or 0)
        if "carry_over_slots_to_new_session" in sc:
            st.session["carry_over_slots"] = bool(sc["carry_over_slots_to_new_session"])
    if data.get("config", {}) and not (data["config"] or {}).get("store_entities_as_slots", True):
        st.report.add(
            "mapped",
            "config.store_entities_as_slots: false — slots are only filled by their mappings in dialogkit anyway",
            d.at("config"),
        )


def read_slot(st: ImportState, name: str, slot: dict[str, Any], d: Doc) -> None:
    where = ("slots", name)
    st.sources[("slots", name)] = d.at(*where)
    rtype = slot.get("type", "any")
    out: dict[str, Any] = {}
    if rtype in ("text", "bool", "categorical", "float", "list", "any"):
        out["type"] = rtype
    else:
        out["type"] = "any"
        st.report.add("mapped", f"slot `{name}` of custom type `{rtype}` → `any`", d.at(*where, "type"))
    if rtype == "categorical":
        values = [v for v in (slot.get("values") or []) if v != "__other__"]
        out["values"] = values
    if rtype == "float":
        if slot.get("min_value") is not None:
            out["min"] = slot["min_value"]
        if slot.get("max_value") is not None:
            out["max"] = slot["max_value"]
    if slot.get("initial_value") is not None:
        out["initial"] = slot["initial_value"]
    if slot.get("influence_conversation"):
        st.report.add(
            "mapped",
            f"slot `{name}` influence_conversation: flows branch on slot values with `if:` steps; stories' "
            "slot_was_set steps are read as what mappings and actions do",
            d.at(*where, "influence_conversation"),
        )
    mappings = []
    for j, m in enumerate(slot.get("mappings") or []):
        mapped = read_mapping(st, name, m or {}, d, (*where, "mappings", j))
        if mapped is not None:
            mappings.append(mapped)
    out["mappings"] = mappings
    odd = [
        m["value"]
        for m in mappings
        if m["type"] == "from_intent" and m.get("value") is not None and not isinstance(m["value"], str)
    ]
    if out["type"] == "text" and odd:
        out["type"] = "any"  # Rasa keeps whatever a mapping gives a text slot (`true` on affirm...)
        st.report.add(
            "mapped",
            f"slot `{name}` of type text is given {odd[0]!r} by a from_intent mapping → type `any` (Rasa stores the "
            "value as it is)",
            d.at(*where, "type"),
        )
    for extra in set(slot) - {
        "type",
        "values",
        "min_value",
        "max_value",
        "initial_value",
        "influence_conversation",
        "mappings",
        "auto_fill",
    }:
        st.report.add("dropped", f"slot `{name}` key `{extra}`", d.at(*where, extra))
    st.slots[name] = out

def read_mapping(st: ImportState, slot: str, m: dict[str, Any], d: Doc, path: tuple[Any, ...]) -> dict[str, Any] | None:
    kind = m.get("type")
    out: dict[str, Any] = {}
    if kind == "from_entity":
        out = {"type": "from_entity", "entity": m.get("entity")}
        for key in ("role", "group"):
            if m.get(key) is not None:
                out[key] = str(m[key])
    elif kind in ("from_intent", "from_trigger_intent"):
        out = {"type": "from_intent", "intent": m.get("intent"), "value": m.get("value")}
        if kind == "from_trigger_intent":
            st.report.add(
                "mapped",
                f"slot `{slot}`: from_trigger_intent → from_intent (fills the slot whenever the intent is found, "
                "not only when it starts the form)",
                d.at(*path),
            )
        if m.get("intent") is None:
            st.report.add(
                "dropped", f"slot `{slot}`: {kind} mapping without `intent` (dialogkit needs the intent)", d.at(*path)
            )
            return None
    elif kind == "from_text":
        out = {"type": "from_text"}
    elif kind == "custom":
        st.report.add(
            "mapped",
            f"slot `{slot}`: custom mapping → no mapping; the slot is set by actions (e.g. the form's validate action)",
            d.at(*path),
        )
        return None
    else:
        st.report.add("dropped", f"slot `{slot}`: mapping type `{kind}`", d.at(*path))
        return None
    if kind != "from_intent" and kind != "from_trigger_intent" and m.get("intent") is not None:
        out["intent"] = m["intent"]
    if m.get("not_intent") is not None:
        out["not_intent"] = m["not_intent"]
    conditions = []
    if kind == "from_trigger_intent" and m.get("conditions"):
        # Rasa fills it as the message starts the form; dialogkit fills slots before the flow
        # starts, when the form is not active yet: its active_loop conditions would never hold
        st.report.add(
            "mapped",
            f"slot `{slot}`: from_trigger_intent conditions are left out (the slot is filled from the message that "
            "starts the form)",
            d.at(*path, "conditions"),
        )
        m = {k: v for k, v in m.items() if k != "conditions"}
    for c in m.get("conditions") or []:
        cond: dict[str, Any] = {}
        if c.get("active_loop") is not None:
            cond["active_flow"] = c["active_loop"]
        elif "active_loop" in c:
            st.report.add(
                "mapped",
                f"slot `{slot}`: condition `active_loop: null` → no condition on the active flow",
                d.at(*path, "conditions"),
            )
        if c.get("requested_slot") is not None:
            cond["requested_slot"] = c["requested_slot"]
        if cond:
            conditions.append(cond)
    if conditions:
        out["conditions"] = conditions
    return out

def read_response(st: ImportState, name: str, variations: Any, d: Doc, path: tuple[Any, ...]) -> None:
    name = dialogkit_name(name)  # a retrieval response `utter_faq/ask_hours` → `utter_faq.ask_hours`
    if not NAME_RE.match(name):
        st.report.add("dropped", f"response `{name}`: not a valid dialogkit name", d.at(*path))
        return
    out = []
    for i, v in enumerate(variations if isinstance(variations, list) else [variations]):
        if isinstance(v, str):
            out.append({"text": v})
            continue
        var: dict[str, Any] = {}
        if v.get("text") is not None:
            var["text"] = str(v["text"])
        if v.get("buttons"):
            var["buttons"] = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in v["buttons"]
            ]
        if v.get("image"):
            var["image"] = str(v["image"])
        custom = (
            dict(v["custom"])
            if isinstance(v.get("custom"), dict)
            else ({"value": v["custom"]} if v.get("custom") is not None else {})
        )
        for key in ("elements", "attachment", "quick_replies"):
            if v.get(key) is not None:
                custom[key] = v[key]
                st.report.add(
                    "mapped", f"response `{name}` variation {i + 1}: `{key}` → `custom.{key}`", d.at(*path, i, key)
                )
        if custom:
            var["custom"] = custom
        if v.get("channel"):
            var["channel"] = str(v["channel"])
        if v.get("condition"):
            var["condition"] = response_condition(st, v["condition"], name, d, (*path, i, "condition"))
        for extra in set(v) - {
            "text",
            "buttons",
            "image",
            "custom",
            "elements",
            "attachment",
            "quick_replies",
            "channel",
            "condition",
            "id",
            "metadata",
            "button_type",
        }:
            st.report.add("dropped", f"response `{name}` variation {i + 1}: key `{extra}`", d.at(*path, i, extra))
        for extra in {"metadata", "button_type"} & set(v):
            st.report.add("dropped", f"response `{name}` variation {i + 1}: `{extra}`", d.at(*path, i, extra))
        if not var:
            st.report.add("dropped", f"response `{name}` variation {i + 1}: nothing to say", d.at(*path, i))
            continue
        out.append(var)
    if out:
        st.responses[name] = out
        st.sources[("responses", name)] = d.at(*path)

def response_condition(
    st: ImportState, conds: list[dict[str, Any]], response: str, d: Doc, path: tuple[Any, ...]
) -> str | None:
    parts = []
    for c in conds:
        if c.get("type", "slot") != "slot" or "name" not in c:
            st.report.add("dropped", f"response `{response}`: condition {c}", d.at(*path))
            continue
        parts.append(slot_condition(c["name"], c.get("value")))
    return " and ".join(parts) if parts else None


