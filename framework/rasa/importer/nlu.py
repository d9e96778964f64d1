"""Stage: data files. NLU examples, synonyms, regexes and lookups become dialogkit NLU data and entity rules;
stories and rules are collected for the dialogue stage."""

from __future__ import annotations

from typing import Any

from ...domain.syntax import NAME_RE
from ...domain.training_data import AnnotationError, format_example, parse_example, split_block
from ...yamlio import YamlDoc
from ..retrieval import dialogkit_name
from .domain import read_domain, read_response
from .reading import Doc
from .records import EntityRule, Rule, Source, Story
from .state import BUILTIN_INTENTS, NATIVE_INTENTS, PLACEHOLDER, ImportState, listify


def read_data(st: ImportState, d: Doc) -> None:
    data = d.doc.data or {}
    if not isinstance(data, dict):
        return
    for key in data:
        if key not in (
            "version",
            "nlu",
            "stories",
            "rules",
            "responses",
            "intents",
            "entities",
            "slots",
            "forms",
            "actions",
            "session_config",
        ):
            st.report.add("dropped", f"data key `{key}`", d.at(key))
    if any(k in data for k in ("intents", "slots", "forms", "actions", "session_config", "entities")):
        read_domain(
            st,
            Doc(
                YamlDoc(
                    d.doc.path,
                    {k: v for k, v in data.items() if k not in ("nlu", "stories", "rules", "responses")},
                    d.doc.positions,
                    d.doc.lines,
                )
            ),
        )
    for name, variations in (data.get("responses") or {}).items():
        read_response(st, name, variations, d, ("responses", name))
    for i, item in enumerate(data.get("nlu") or []):
        read_nlu_item(st, item or {}, d, ("nlu", i))
    st.stories += stories_of(d)
    st.rules += rules_of(d)


def stories_of(d: Doc) -> list[Story]:
    """The stories of a data file, as written."""
    data = d.doc.data if isinstance(d.doc.data, dict) else {}
    return [Story(str(s.get("story", f"story {i + 1}")), list(s.get("steps") or []), Source(d, ("stories", i)))
            for i, s in enumerate(data.get("stories") or [])]


def rules_of(d: Doc) -> list[Rule]:
    """The rules of a data file, as written."""
    data = d.doc.data if isinstance(d.doc.data, dict) else {}
    return [Rule.read(r, Source(d, ("rules", i)), f"rule {i + 1}") for i, r in enumerate(data.get("rules") or [])]


def read_nlu_item(st: ImportState, item: dict[str, Any], d: Doc, path: tuple[Any, ...]) -> None:
    raw = item.get("examples") or []
    if isinstance(raw, list):
        examples = [e["text"] if isinstance(e, dict) else str(e) for e in raw]
    else:
        examples = split_block(raw)
    if "intent" in item:
        intent = dialogkit_name(str(item["intent"]))  # a retrieval sub-intent `faq/ask_hours` → `faq.ask_hours`
        if not NAME_RE.match(intent):
            st.report.add("dropped", f"examples of `{item['intent']}`: not a valid intent name", d.at(*path))
            return
        if "/" in str(item["intent"]):
            base = str(item["intent"]).split("/", 1)[0]
            if intent not in st.retrieval.setdefault(base, []):
                st.retrieval[base].append(intent)
            st.retrieval_where.setdefault(base, d.at(*path))
            st.intents.setdefault(intent, {})
        elif intent not in st.intents and intent not in NATIVE_INTENTS:
            st.intents[intent] = {}
            st.report.add(
                "mapped", f"intent `{intent}` has examples but is not listed in the domain: added", d.at(*path)
            )
        clean = []
        for j, ex in enumerate(examples):
            try:
                text, spans = parse_example(ex)
            except AnnotationError as e:
                st.report.add(
                    "dropped", f"example `{ex}` of `{intent}`: {e}", d.at(*path, "examples", j) or d.at(*path)
                )
                continue
            for s in spans:
                st.entities.setdefault(s.entity, {})
                st.annotated_values.setdefault(s.entity, set()).update({s.text, s.value or s.text})
            clean.append(format_example(text, spans))
        if clean:
            st.nlu.append({"intent": intent, "examples": clean})
    elif kind := next((k for k in ("synonym", "regex", "lookup") if k in item), None):
        st.entity_rules.append(EntityRule(kind, str(item[kind]), examples, d.at(*path)))
    else:
        st.report.add("dropped", f"nlu item with keys {sorted(item)}", d.at(*path))
    for extra in set(item) - {"intent", "synonym", "regex", "lookup", "examples", "metadata"}:
        st.report.add("dropped", f"nlu item key `{extra}`", d.at(*path, extra))

def attach_synonym(st: ImportState, canonical: str, variants: list[str], where: Any) -> None:
    """A Rasa synonym is global: any entity's value among ``variants`` becomes ``canonical``.
    dialogkit's synonyms belong to an entity: it goes to the entities annotated with one of its
    forms, else to every entity, except those filling a categorical slot that does not list
    ``canonical`` (there Rasa would set a value the slot cannot hold, so the synonym could never
    have been meant for it)."""
    forms = {canonical, *variants}
    annotated = [e for e, vals in st.annotated_values.items() if vals & forms]
    owners = annotated or list(st.entities)
    refused = [e for e in owners if not _categorical_accepts(st, e, canonical)]
    owners = [e for e in owners if e not in refused]
    for e in owners:
        st.entities.setdefault(e, {}).setdefault("synonyms", {}).setdefault(canonical, []).extend(
            v for v in variants if v != canonical
        )
    if len(owners) > 1 or not annotated or refused:
        kept_off = (
            f"; not to {', '.join(refused)}: a categorical slot filled from it has no value `{canonical}`"
            if refused
            else ""
        )
        st.report.add(
            "mapped",
            f"synonym `{canonical}` is global in Rasa; attached to entities {', '.join(owners) or '(none)'}{kept_off}",
            where,
        )


def known_mapping_intents(st: ImportState, slot: str, m: dict[str, Any]) -> bool:
    """Drop the names in a mapping's ``intent`` / ``not_intent`` that are not intents (a form's
    name, a typo): Rasa accepts them and they never match a message. A mapping left with only
    such intents could never fill the slot in Rasa: False, and it is not imported."""
    intents = set(st.intents) | BUILTIN_INTENTS
    for key in ("intent", "not_intent"):
        # a retrieval intent: its sub-intents
        names = [sub for n in listify(m.get(key)) for sub in (st.retrieval.get(n) or [n])]
        unknown = [n for n in names if n not in intents]
        if not unknown:
            continue
        what = ", ".join(f"`{n}`" + (" (a form)" if n in st.forms else "") for n in unknown)
        kept = [n for n in names if n in intents]
        if key == "intent" and not kept:
            st.report.add(
                "dropped",
                f"slot `{slot}`: a {m['type']} mapping whose `intent` names only {what}, no intent of the domain: "
                "it never fills the slot in Rasa either",
                st.sources.get(("slots", slot)),
            )
            return False
        st.report.add(
            "mapped",
            f"slot `{slot}`: {what} in a mapping's `{key}` is not an intent (Rasa ignores it): left out",
            st.sources.get(("slots", slot)),
        )
        if kept:
            m[key] = kept if len(kept) > 1 else kept[0]
        else:
            m.pop(key)
    return True


def _categorical_accepts(st: ImportState, entity: str, value: str) -> bool:
    """False when ``entity`` fills a categorical slot whose values do not include ``value``."""
    for slot in st.slots.values():
        if slot.get("type") == "categorical" and any(
            m.get("type") == "from_entity" and m.get("entity") == entity for m in slot["mappings"]
        ):
            if str(value).lower() not in {str(v).lower() for v in slot.get("values") or []}:
                return False
    return True


def finish_retrieval(st: ImportState) -> None:
    """A retrieval intent's sub-intents are intents of their own: the retrieval intent itself
    goes (unless it has examples of its own) and names of it elsewhere stand for its sub-intents."""
    for base, subs in st.retrieval.items():
        own = any(block["intent"] == base for block in st.nlu)
        if not own:
            st.intents.pop(base, None)
            st.sources.pop(("intents", base), None)
        answered = [s for s in subs if f"utter_{s}" in st.responses]
        st.report.add(
            "mapped",
            f"retrieval intent `{base}` (ResponseSelector) → {len(subs)} intents `{subs[0]}`…: the NLU picks the "
            f"sub-intent, and `utter_{base}` in rules and stories says `utter_{base}.<sub-intent>` ({len(answered)} "
            f"of {len(subs)} have a response)",
            st.retrieval_where.get(base),
        )
        for s in subs:
            if f"utter_{s}" not in st.responses:
                st.report.add(
                    "dropped",
                    f"retrieval intent `{s.replace('.', '/', 1)}` has no response `utter_{s.replace('.', '/', 1)}`",
                    st.retrieval_where.get(base),
                )


def place_entity_rules(st: ImportState, rules: list[EntityRule]) -> None:
    """Regexes and lookups go to the entity they name (one that names no entity was only a
    classifier feature for Rasa: reported); synonyms to the entities their values are annotated on."""
    for r in rules:
        if r.kind == "synonym":
            continue
        if r.name in st.entities:
            st.entities[r.name].setdefault(r.kind, []).extend(r.values)
        elif r.kind == "regex":
            st.report.add(
                "dropped",
                f"regex `{r.name}`: names no entity, so for Rasa it was only a feature for the intent classifier "
                "(dialogkit's classifier has no regex features)",
                r.where,
            )
        else:
            st.report.add(
                "dropped", f"lookup `{r.name}`: names no entity (for Rasa only a classifier feature)", r.where
            )
    for r in rules:
        if r.kind == "synonym":
            attach_synonym(st, r.name, r.values, r.where)


def finish_nlu(st: ImportState) -> None:
    finish_retrieval(st)
    place_entity_rules(st, st.entity_rules)
    # intents' ignore_entities / use_entities → not_intent on from_entity mappings
    for intent in {*st.ignored_entities, *st.used_entities}:
        ignored, used = st.ignored_entities.get(intent, set()), st.used_entities.get(intent)
        for slot in st.slots.values():
            for m in slot["mappings"]:
                ent = m.get("entity") if m["type"] == "from_entity" else None
                if ent and (ent in ignored or (used is not None and ent not in used)):
                    m["not_intent"] = sorted({*listify(m.get("not_intent")), intent})
    for name, slot in st.slots.items():
        slot["mappings"] = [m for m in slot["mappings"] if known_mapping_intents(st, name, m)]
    for slot in st.slots.values():
        for m in slot["mappings"]:
            if m.get("type") == "from_entity" and m.get("entity") not in st.entities:
                st.entities[m["entity"]] = {}
    # placeholders in responses that name no slot: Rasa fills them from an action's kwargs
    for name, variations in st.responses.items():
        for v in variations:
            for ph in PLACEHOLDER.findall(v.get("text") or ""):
                if ph not in st.slots:
                    st.slots[ph] = {"type": "any", "mappings": []}
                    st.report.add(
                        "mapped",
                        f"placeholder `{{{ph}}}` in `{name}` names no slot: added slot `{ph}` (type any, no "
                        "mappings) so actions can pass it",
                        st.sources.get(("responses", name)),
                    )
