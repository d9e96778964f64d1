"""Stage: the bot's files. The domain is validated as a :class:`Domain` before anything is written."""

from __future__ import annotations

import json
import shutil
from typing import Any

import yaml
from pydantic import ValidationError

from ...domain.schema import Domain
from ...domain.syntax import NAME_RE, PAYLOAD_RE
from ...errors import DomainError, Location, message
from .state import NATIVE_INTENTS, ImportState, listify
from .tree import expect_intents


def _used_intents(st: ImportState) -> list[tuple[str, str]]:
    """(intent, where it is used) for every intent the flows, slot mappings and buttons name."""
    used: list[tuple[str, str]] = []
    for name, flow in st.flows.items():
        for intent in listify((flow.get("when") or {}).get("intent")):
            used.append((intent, f"flow `{name}`"))
        for step in flow["steps"]:
            if "expect" in step:
                used += [(intent, f"flow `{name}`") for intent in expect_intents(step)]
    for name, slot in st.slots.items():
        for m in slot.get("mappings") or []:
            for key in ("intent", "not_intent"):
                used += [(i, f"a mapping of slot `{name}`") for i in listify(m.get(key))]
    for name, variations in st.responses.items():
        for v in variations if isinstance(variations, list) else []:
            for b in (v.get("buttons") or []) if isinstance(v, dict) else []:
                m = PAYLOAD_RE.match(str(b.get("payload", "")).strip())
                if m:
                    used.append((m.group(1), f"a button of `{name}`"))
    return used


def _expand_retrieval_in_mappings(st: ImportState) -> None:
    """A retrieval intent's base name (`faq`) in a mapping's `intent` / `not_intent` stands for
    all its sub-intents, as Rasa reads it (known once the NLU data is read)."""
    for slot in st.slots.values():
        for m in slot.get("mappings") or []:
            for key in ("intent", "not_intent"):
                if any(i in st.retrieval for i in listify(m.get(key))):
                    m[key] = [sub for i in listify(m[key]) for sub in (st.retrieval.get(i) or [i])]


def domain_document(st: ImportState) -> dict[str, Any]:
    """The bot's domain.yml as data. Intents the project uses without listing them in its domain
    are declared (Rasa trains with only a warning); they have no examples of their own."""
    _expand_retrieval_in_mappings(st)
    for intent, where in _used_intents(st):
        if intent not in st.intents and intent not in NATIVE_INTENTS and NAME_RE.match(intent):
            st.intents[intent] = {}
            st.report.add(
                "mapped",
                f"intent `{intent}` is used by {where} but not listed in the domain: declared, with no examples "
                "(a payload or button can still send it; Rasa accepts it with a warning)",
            )
    entities = {}
    for name, e in st.entities.items():
        entry = {k: v for k, v in e.items() if v}
        if "regex" in entry:
            entry["regex"] = list(dict.fromkeys(entry["regex"]))
        if "lookup" in entry:
            entry["lookup"] = list(dict.fromkeys(entry["lookup"]))
        entities[name] = entry
    policy = next(c for c in st.pipeline if c["name"] == "flow_policy")
    if st.validate_slots_action:
        policy["validate_slots_action"] = st.validate_slots_action
    if st.two_stage_fallback:
        policy["two_stage_fallback"] = True
    domain: dict[str, Any] = {
        "version": "1",
        "name": st.src.resolve().name,
        "language": st.language,
        "pipeline": st.pipeline,
        "intents": {name: {} for name in st.intents},
        "entities": entities,
        "slots": st.slots,
        "responses": st.responses,
        "actions": st.actions,
        "flows": st.flows,
    }
    if st.session:
        domain["session"] = st.session
    return domain


def checked_domain(st: ImportState, domain: dict[str, Any]) -> None:
    """The domain must be one dialogkit reads (its schema: names, types, step shapes) before a
    file is written; a failure here is the importer's, said with what it could not represent."""
    try:
        Domain.model_validate(domain)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DomainError(
            message(
                "DK702",
                Location(str(st.src)),
                problem=f"the imported domain does not validate at `{where}`: {first['msg']}",
                fix="this part of the project could not be translated; simplify it or leave it out, import again, "
                "and report the case",
            )
        ) from None


def write(st: ImportState) -> None:
    domain = domain_document(st)
    checked_domain(st, domain)
    st.dest.mkdir(parents=True, exist_ok=True)
    (st.dest / "data").mkdir(exist_ok=True)
    header = (
        f"# Imported from the Rasa project {st.src} by `dialogkit import rasa`.\n# What maps approximately or not "
        "at all: rasa_import.md\n"
    )
    (st.dest / "domain.yml").write_text(header + dump_yaml(domain), encoding="utf-8")
    (st.dest / "data" / "nlu.yml").write_text(
        dump_yaml({"nlu": [{"intent": b["intent"], "examples": block(b["examples"])} for b in st.nlu]}),
        encoding="utf-8",
    )
    if (st.src / "endpoints.yml").is_file():
        shutil.copyfile(st.src / "endpoints.yml", st.dest / "endpoints.yml")
    elif "remote" in st.actions.values():
        st.report.add(
            "mapped",
            "custom actions are served by an action server, but the project has no endpoints.yml: add one "
            "(action_endpoint: url: http://localhost:5055/webhook)",
        )
    if (st.src / "tests").is_dir():
        shutil.copytree(st.src / "tests", st.dest / "tests", dirs_exist_ok=True)
    for f in ("actions.py",):
        if (st.src / f).is_file():
            st.report.add(
                "mapped",
                f"{f}: rasa_sdk code runs on the action server (`python -m rasa_sdk --actions actions`), not inside "
                "dialogkit",
            )
    if (st.src / "actions").is_dir():
        st.report.add(
            "mapped",
            "actions/: rasa_sdk code runs on the action server (`python -m rasa_sdk --actions actions`), not inside "
            "dialogkit",
        )
    st.report.counts.update(
        {
            "intents": len(st.intents),
            "entities": len(st.entities),
            "slots": len(st.slots),
            "responses": len(st.responses),
            "custom actions": len(st.actions),
            "forms": len(st.forms),
            "rules": len(st.rules),
            "stories": len(st.stories),
            "nlu examples": sum(len(b["examples"]) for b in st.nlu),
        }
    )
    (st.dest / "rasa_import.md").write_text(st.report.to_markdown(), encoding="utf-8")
    (st.dest / "rasa_import.json").write_text(json.dumps(st.report.to_json(), indent=2) + "\n", encoding="utf-8")

class _Block(str):
    pass

def block(examples: list[str]) -> _Block:
    return _Block("".join(f"- {e}\n" for e in examples))

class _Dumper(yaml.SafeDumper):
    pass

_Dumper.add_representer(_Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|"))

def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
