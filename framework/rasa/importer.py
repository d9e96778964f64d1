"""Convert a Rasa 3.x project into a dialogkit bot directory.

    report = import_rasa_project("my-rasa-bot", "bots/my-bot")   # -> ImportReport

Reads ``domain.yml`` (or a ``domain/`` directory of split files), ``config.yml``,
every YAML file under ``data/`` (whatever it holds: ``nlu``, ``stories``, ``rules``,
``responses``) and ``tests/``; writes ``domain.yml``, ``data/nlu.yml``, ``endpoints.yml``
(copied), ``tests/`` (copied; Rasa test stories run as they are) and
``rasa_import.md`` / ``rasa_import.json``: every mapping that is approximate and
everything that could not be represented, each with its file:line.

How the dialogue maps: each Rasa form becomes a flow of ``collect`` steps marked
``form: true`` (its submit rule's actions follow the collects; ``validate_<form>``
becomes the flow's ``validate`` action). Rules and stories are merged into a tree on
their common prefixes, one flow per first intent: the bot's actions become
``say`` / ``action`` / ``call <form>`` steps and the user's next turns an ``expect``
step branching on intent. An intent that only appears inside stories also gets a flow
of its own with what most stories do after it, so it is answered in any context (as
Rasa's policies generalise from stories). Custom actions are ``remote``: served by
the action server named in ``endpoints.yml``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogkit.framework.errors import DialogkitError, DomainError, Location, message
from dialogkit.framework.training_data import (
    _AnnotationError,
    format_example,
    parse_example,
    split_block,
)
from dialogkit.framework.yamlio import YamlDoc, load_yaml

__all__ = ["ImportReport", "Note", "RASA_ACTION_ALIASES", "bot_source", "import_rasa_project", "is_rasa_project"]

# Rasa default actions and what dialogkit runs for them (test stories compare through this too).
RASA_ACTION_ALIASES = {
    "action_deactivate_loop": "action_cancel_flow",
    "action_default_fallback": "utter_default",
    "action_two_stage_fallback": "utter_default",
}
_IGNORED_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
_UNSUPPORTED_ACTIONS = {"action_back", "action_unlikely_intent", "action_default_ask_affirmation", "action_default_ask_rephrase"}
_BUILTIN_INTENTS = {"restart", "nlu_fallback", "session_start", "back", "out_of_scope_default"}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-#+]*$")

# Rasa pipeline components: what dialogkit does instead.
_NLU_COMPONENTS = {
    "WhitespaceTokenizer": "spaCy's tokenizer for the bot's `language`",
    "SpacyTokenizer": "spaCy's tokenizer for the bot's `language`",
    "JiebaTokenizer": "spaCy's tokenizer (language: zh)",
    "MitieTokenizer": "spaCy's tokenizer",
    "SpacyNLP": "spaCy's tokenizer",
    "MitieNLP": "the packaged MiniLM encoder",
    "LanguageModelFeaturizer": "bert_nlu's encoder (set `encoder:` to a local model directory or Hugging Face id)",
    "RegexFeaturizer": "rule_entity_extractor (regexes of entities); regex features for intents have no counterpart",
    "LexicalSyntacticFeaturizer": "bert_nlu's encoder",
    "CountVectorsFeaturizer": "bert_nlu's encoder",
    "SpacyFeaturizer": "bert_nlu's encoder",
    "ConveRTFeaturizer": "bert_nlu's encoder",
    "DIETClassifier": "bert_nlu (joint BERT intent classifier + BERT-CRF entity tagger)",
    "SklearnIntentClassifier": "bert_nlu",
    "KeywordIntentClassifier": "bert_nlu (keyword_intent_classifier is dialogkit's light TF-IDF classifier)",
    "LogisticRegressionClassifier": "bert_nlu",
    "MitieIntentClassifier": "bert_nlu",
    "CRFEntityExtractor": "bert_nlu's CRF entity tagger",
    "MitieEntityExtractor": "bert_nlu's CRF entity tagger",
    "SpacyEntityExtractor": "bert_nlu's CRF entity tagger (train it on annotated examples)",
    "DucklingEntityExtractor": "no counterpart: add regexes or annotated examples for numbers and dates",
    "RegexEntityExtractor": "rule_entity_extractor",
    "EntitySynonymMapper": "built in: entity `synonyms:`",
    "ResponseSelector": "no counterpart: retrieval intents are not imported",
    "FallbackClassifier": "bert_nlu `threshold` (below it the intent is nlu_fallback)",
}
_POLICIES = {
    "RulePolicy": "flow_policy: rules become flows",
    "MemoizationPolicy": "flow_policy: stories become flow paths merged on common prefixes",
    "AugmentedMemoizationPolicy": "flow_policy: stories become flow paths merged on common prefixes",
    "TEDPolicy": "flow_policy: no learned policy; stories become flow paths, and intents seen only inside stories get a flow of their own",
    "UnexpecTEDIntentPolicy": "no counterpart",
}


@dataclass
class Note:
    """One line of the import report."""

    kind: str  # "mapped" (approximate but working), "dropped" (not represented), "conflict"
    what: str
    where: str | None = None

    def render(self) -> str:
        return f"- **{self.kind}** {self.what}" + (f" ({self.where})" if self.where else "")


@dataclass
class ImportReport:
    source: str
    dest: str
    notes: list[Note] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, what: str, where: Location | str | None = None) -> None:
        self.notes.append(Note(kind, what, str(where) if where else None))

    @property
    def dropped(self) -> list[Note]:
        return [n for n in self.notes if n.kind in ("dropped", "conflict")]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "dest": self.dest, "counts": self.counts, "notes": [n.__dict__ for n in self.notes]}

    def to_markdown(self) -> str:
        lines = [f"# Rasa import report: {self.source}", "", "| imported | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in self.counts.items()]
        for kind, title in (("conflict", "Conflicts (the first one was kept)"), ("dropped", "Not represented"), ("mapped", "Mapped approximately")):
            notes = [n for n in self.notes if n.kind == kind]
            lines += ["", f"## {title}", ""] + ([n.render() for n in notes] or ["(none)"])
        return "\n".join(lines) + "\n"


def _peek(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping, or {} when it is missing or unreadable (only for detection)."""
    if not path.is_file():
        return {}
    try:
        data = load_yaml(path, allow_empty=True).data
    except DialogkitError:
        return {}
    return data if isinstance(data, dict) else {}


def is_rasa_project(path: str | Path) -> bool:
    """A Rasa project has config.yml with `pipeline`/`policies`/`recipe`, or a domain whose version is 2.x/3.x."""
    path = Path(path)
    if not path.is_dir():
        return False
    if {"pipeline", "policies", "recipe", "assistant_id"} & set(_peek(path / "config.yml")):
        return True
    if (path / "domain.yml").is_file():
        # Rasa writes versions as "2.0", "3.1"; a dialogkit domain with a wrong `version: "2"`
        # (intents as a mapping) is a dialogkit domain with an unsupported version, not a Rasa one
        domain = _peek(path / "domain.yml")
        return bool(re.fullmatch(r"[23]\.\d+", str(domain.get("version", "")).strip())) or isinstance(domain.get("intents"), list)
    return (path / "domain").is_dir() and (path / "data").is_dir()


# --- reading ------------------------------------------------------------------------------


@dataclass
class _Doc:
    doc: YamlDoc

    def at(self, *path: Any) -> Location | None:
        return self.doc.positions.find(path)


def _yaml_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def _load(path: Path) -> _Doc:
    return _Doc(load_yaml(path, allow_empty=True))


def _named_list(value: Any) -> bool:
    """Rasa's `- name` or `- name: {options}` lists (intents, entities, actions)."""
    return isinstance(value, list) and all(isinstance(x, str) or (isinstance(x, dict) and len(x) == 1 and isinstance(next(iter(x.values())), (dict, type(None)))) for x in value)


def _checked(d: _Doc) -> _Doc:
    """Check the shapes the importer relies on; the first mismatch is a located error."""
    data = d.doc.data

    def need(ok: bool, path: tuple[Any, ...], what: str, fix: str) -> None:
        if not ok:
            raise DomainError(message("DK702", d.at(*path) or Location(d.doc.path), problem=what, fix=fix))

    if data is None:
        return d
    need(isinstance(data, dict), (), "the top level must be a mapping of sections", "start the file with keys such as `version:`, `intents:`, `nlu:`")
    for key in ("intents", "entities", "actions"):
        if data.get(key) is not None:
            need(_named_list(data[key]), (key,), f"`{key}` must be a list of names (or `- name: {{options}}`)", f"write `{key}:` as a YAML list, e.g. `- greet`")
    for key in ("slots", "responses", "forms", "session_config"):
        need(isinstance(data.get(key) or {}, dict), (key,), f"`{key}` must be a mapping", f"write `{key}:` as `name: ...` entries")
    for name, slot in (data.get("slots") or {}).items():
        need(isinstance(slot, dict), ("slots", name), f"slot `{name}` must be a mapping with `type:`", "e.g. `type: text` and `mappings:`")
        need(isinstance(slot.get("mappings") or [], list) and all(isinstance(m, dict) for m in slot.get("mappings") or []), ("slots", name, "mappings"), f"slot `{name}`: `mappings` must be a list of mappings", "e.g. `- type: from_entity` / `entity: city`")
        for j, m in enumerate(slot.get("mappings") or []):
            need(isinstance(m.get("conditions") or [], list) and all(isinstance(c, dict) for c in m.get("conditions") or []), ("slots", name, "mappings", j, "conditions"), f"slot `{name}`: `conditions` must be a list of mappings", "e.g. `- active_loop: my_form`")
    for name, variations in (data.get("responses") or {}).items():
        need(isinstance(variations, (list, str)) and all(isinstance(v, (str, dict)) for v in (variations if isinstance(variations, list) else [])), ("responses", name), f"response `{name}` must be a list of variations", "e.g. `- text: Hello!`")
        for i, v in enumerate(variations if isinstance(variations, list) else []):
            if isinstance(v, dict):
                need(isinstance(v.get("buttons") or [], list) and all(isinstance(b, dict) for b in v.get("buttons") or []), ("responses", name, i, "buttons"), f"response `{name}`: `buttons` must be a list of {{title, payload}}", "e.g. `- title: Yes` / `payload: /affirm`")
                need(isinstance(v.get("condition") or [], list) and all(isinstance(c, dict) for c in v.get("condition") or []), ("responses", name, i, "condition"), f"response `{name}`: `condition` must be a list of {{type: slot, name, value}}", "e.g. `- type: slot` / `name: vip` / `value: true`")
    for name, form in (data.get("forms") or {}).items():
        need(isinstance(form or {}, dict) and isinstance((form or {}).get("required_slots") or [], (list, dict)), ("forms", name), f"form `{name}` must be a mapping with `required_slots:` (a list)", "e.g. `required_slots: [first_name, last_name]`")
    for key in ("nlu", "stories", "rules", "pipeline", "policies"):
        if data.get(key) is not None:
            need(isinstance(data[key], list) and all(isinstance(x, dict) for x in data[key]), (key,), f"`{key}` must be a list of mappings", f"each item of `{key}:` starts with `- ` and holds keys")
    for key, what in (("stories", "story"), ("rules", "rule")):
        for i, item in enumerate(data.get(key) or []):
            need(isinstance(item.get("steps") or [], list) and all(isinstance(st, dict) for st in item.get("steps") or []), (key, i, "steps"), f"{what} {i + 1}: `steps` must be a list of steps", "each step is e.g. `- intent: greet` or `- action: utter_greet`")
            need(isinstance(item.get("condition") or [], list), (key, i, "condition"), f"{what} {i + 1}: `condition` must be a list", "e.g. `- active_loop: my_form`")
    for i, item in enumerate(data.get("nlu") or []):
        need(isinstance(item.get("examples") or "", (str, list)), ("nlu", i, "examples"), "`examples` must be a `|` block of `- ` lines or a list", "write `examples: |` followed by `- text` lines")
    return d


class _Importer:
    def __init__(self, src: Path, dest: Path):
        self.src, self.dest = src, dest
        self.report = ImportReport(str(src), str(dest))
        self.intents: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, Any]] = {}
        self.slots: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, Any] = {}
        self.actions: dict[str, str] = {}
        self.forms: dict[str, dict[str, Any]] = {}
        self.form_docs: dict[str, tuple[_Doc, tuple[Any, ...]]] = {}
        self.flows: dict[str, dict[str, Any]] = {}
        self.nlu: list[dict[str, Any]] = []
        self.session: dict[str, Any] = {}
        self.pipeline: list[dict[str, Any]] = []
        self.synonyms: list[tuple[str, list[str], Location | None]] = []
        self.annotated_values: dict[str, set[str]] = {}
        self.stories: list[tuple[str, list[dict[str, Any]], _Doc, tuple[Any, ...], str]] = []  # (name, steps, doc, path, kind)
        self.rules: list[tuple[str, dict[str, Any], _Doc, tuple[Any, ...]]] = []
        self.ignored_entities: dict[str, set[str]] = {}  # intent -> entities it ignores
        self.used_entities: dict[str, set[str]] = {}  # intent -> the only entities it uses
        self.pending_regex: list[tuple[str, list[str], Location | None]] = []
        self.pending_lookup: list[tuple[str, list[str], Location | None]] = []
        self.response_where: dict[str, Location | None] = {}
        self._reported: set[int] = set()
        self.validate_slots_action: str | None = None
        self.language = "en"

    # -- files ------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        domain_files = _yaml_files(self.src / "domain.yml") or _yaml_files(self.src / "domain.yaml") or _yaml_files(self.src / "domain")
        if not domain_files:
            raise DomainError(message("DK702", Location(str(self.src)), problem="no domain.yml (or domain/ directory) found", fix="point `dialogkit import rasa` at the Rasa project's root directory"))
        for f in domain_files:
            self.read_domain(_checked(_load(f)))
        config = self.src / "config.yml"
        if config.is_file():
            self.read_config(_checked(_load(config)))
        else:
            self.report.add("mapped", "no config.yml: dialogkit's default NLU (rule_entity_extractor + bert_nlu) is used")
            self.read_config(None)
        for f in _yaml_files(self.src / "data"):
            self.read_data(_checked(_load(f)))
        self.finish_nlu()
        self.build_forms()
        self.build_dialogue()
        self.write()
        return self.report

    def read_domain(self, d: _Doc) -> None:
        data = d.doc.data or {}
        known = {"version", "intents", "entities", "slots", "responses", "actions", "forms", "session_config", "config", "e2e_actions"}
        for key in data:
            if key not in known:
                self.report.add("dropped", f"domain key `{key}`", d.at(key))
        for i, item in enumerate(data.get("intents") or []):
            name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
            opts = opts or {}
            if name in _BUILTIN_INTENTS:
                if name not in ("restart", "nlu_fallback"):
                    self.report.add("dropped", f"intent `{name}` (a Rasa default intent with no dialogkit counterpart)", d.at("intents", i))
                continue
            if not NAME_RE.match(name):
                self.report.add("dropped", f"intent `{name}`: not a valid dialogkit name (retrieval intents `a/b` are not supported)", d.at("intents", i))
                continue
            self.intents.setdefault(name, {})
            if "ignore_entities" in opts:
                self.ignored_entities.setdefault(name, set()).update(opts["ignore_entities"] or [])
                self.report.add("mapped", f"intent `{name}` ignore_entities → `not_intent: {name}` on the from_entity mappings of those entities", d.at("intents", i))
            if "use_entities" in opts and opts["use_entities"] is not True:
                self.used_entities[name] = set(opts["use_entities"] or [])
                self.report.add("mapped", f"intent `{name}` use_entities → `not_intent: {name}` on the from_entity mappings of other entities", d.at("intents", i))
            for extra in set(opts) - {"use_entities", "ignore_entities"}:
                self.report.add("dropped", f"intent `{name}` option `{extra}`", d.at("intents", i))
        for i, item in enumerate(data.get("entities") or []):
            name, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
            opts = opts or {}
            entry = self.entities.setdefault(name, {})
            if opts.get("roles"):
                entry["roles"] = [str(r) for r in opts["roles"]]
            if opts.get("groups"):
                entry["groups"] = [str(g) for g in opts["groups"]]
            if "influence_conversation" in opts:
                self.report.add("mapped", f"entity `{name}` influence_conversation: flows branch on slots explicitly", d.at("entities", i))
        for name, slot in (data.get("slots") or {}).items():
            self.read_slot(name, slot or {}, d)
        for name, variations in (data.get("responses") or {}).items():
            self.read_response(name, variations, d, ("responses", name))
        for i, item in enumerate(data.get("actions") or []):
            name = item if isinstance(item, str) else next(iter(item))
            if isinstance(item, dict) and (item.get(name) or {}):
                self.report.add("mapped", f"action `{name}` options {sorted(item[name])}: the tracker and domain are always sent", d.at("actions", i))
            if name.startswith("utter_"):
                continue  # responses; they need no action entry
            if name == "action_validate_slot_mappings":
                self.validate_slots_action = name
                self.report.add("mapped", "action_validate_slot_mappings → flow_policy `validate_slots_action` (run after every user message, as Rasa does)", d.at("actions", i))
            self.actions[name] = "remote"
        for name, form in (data.get("forms") or {}).items():
            self.forms[name] = form or {}
            self.form_docs[name] = (d, ("forms", name))
        if "session_config" in data:
            sc = data["session_config"] or {}
            if "session_expiration_time" in sc:
                self.session["expiry_minutes"] = float(sc["session_expiration_time"] or 0)
            if "carry_over_slots_to_new_session" in sc:
                self.session["carry_over_slots"] = bool(sc["carry_over_slots_to_new_session"])
        if data.get("config", {}) and not (data["config"] or {}).get("store_entities_as_slots", True):
            self.report.add("mapped", "config.store_entities_as_slots: false — slots are only filled by their mappings in dialogkit anyway", d.at("config"))

    def read_slot(self, name: str, slot: dict[str, Any], d: _Doc) -> None:
        where = ("slots", name)
        rtype = slot.get("type", "any")
        out: dict[str, Any] = {}
        if rtype in ("text", "bool", "categorical", "float", "list", "any"):
            out["type"] = rtype
        else:
            out["type"] = "any"
            self.report.add("mapped", f"slot `{name}` of custom type `{rtype}` → `any`", d.at(*where, "type"))
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
            self.report.add("mapped", f"slot `{name}` influence_conversation: flows branch on slot values with `if:` steps; stories' slot_was_set steps are read as what mappings and actions do", d.at(*where, "influence_conversation"))
        mappings = []
        for j, m in enumerate(slot.get("mappings") or []):
            mapped = self.read_mapping(name, m or {}, d, (*where, "mappings", j))
            if mapped is not None:
                mappings.append(mapped)
        out["mappings"] = mappings
        for extra in set(slot) - {"type", "values", "min_value", "max_value", "initial_value", "influence_conversation", "mappings", "auto_fill"}:
            self.report.add("dropped", f"slot `{name}` key `{extra}`", d.at(*where, extra))
        self.slots[name] = out

    def read_mapping(self, slot: str, m: dict[str, Any], d: _Doc, path: tuple[Any, ...]) -> dict[str, Any] | None:
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
                self.report.add("mapped", f"slot `{slot}`: from_trigger_intent → from_intent (fills the slot whenever the intent is found, not only when it starts the form)", d.at(*path))
            if m.get("intent") is None:
                self.report.add("dropped", f"slot `{slot}`: {kind} mapping without `intent` (dialogkit needs the intent)", d.at(*path))
                return None
        elif kind == "from_text":
            out = {"type": "from_text"}
        elif kind == "custom":
            self.report.add("mapped", f"slot `{slot}`: custom mapping → no mapping; the slot is set by actions (e.g. the form's validate action)", d.at(*path))
            return None
        else:
            self.report.add("dropped", f"slot `{slot}`: mapping type `{kind}`", d.at(*path))
            return None
        if kind != "from_intent" and kind != "from_trigger_intent" and m.get("intent") is not None:
            out["intent"] = m["intent"]
        if m.get("not_intent") is not None:
            out["not_intent"] = m["not_intent"]
        conditions = []
        for c in m.get("conditions") or []:
            cond: dict[str, Any] = {}
            if c.get("active_loop") is not None:
                cond["active_flow"] = c["active_loop"]
            elif "active_loop" in c:
                self.report.add("mapped", f"slot `{slot}`: condition `active_loop: null` → no condition on the active flow", d.at(*path, "conditions"))
            if c.get("requested_slot") is not None:
                cond["requested_slot"] = c["requested_slot"]
            if cond:
                conditions.append(cond)
        if conditions:
            out["conditions"] = conditions
        return out

    def read_response(self, name: str, variations: Any, d: _Doc, path: tuple[Any, ...]) -> None:
        if not NAME_RE.match(name):
            self.report.add("dropped", f"response `{name}`: not a valid dialogkit name (retrieval responses `utter_a/b` are not supported)", d.at(*path))
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
                var["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in v["buttons"]]
            if v.get("image"):
                var["image"] = str(v["image"])
            custom = dict(v["custom"]) if isinstance(v.get("custom"), dict) else ({"value": v["custom"]} if v.get("custom") is not None else {})
            for key in ("elements", "attachment", "quick_replies"):
                if v.get(key) is not None:
                    custom[key] = v[key]
                    self.report.add("mapped", f"response `{name}` variation {i + 1}: `{key}` → `custom.{key}`", d.at(*path, i, key))
            if custom:
                var["custom"] = custom
            if v.get("channel"):
                var["channel"] = str(v["channel"])
            if v.get("condition"):
                var["condition"] = self.condition(v["condition"], name, d, (*path, i, "condition"))
            for extra in set(v) - {"text", "buttons", "image", "custom", "elements", "attachment", "quick_replies", "channel", "condition", "id", "metadata", "button_type"}:
                self.report.add("dropped", f"response `{name}` variation {i + 1}: key `{extra}`", d.at(*path, i, extra))
            for extra in {"metadata", "button_type"} & set(v):
                self.report.add("dropped", f"response `{name}` variation {i + 1}: `{extra}`", d.at(*path, i, extra))
            if not var:
                self.report.add("dropped", f"response `{name}` variation {i + 1}: nothing to say", d.at(*path, i))
                continue
            out.append(var)
        if out:
            self.responses[name] = out
            self.response_where[name] = d.at(*path)

    def condition(self, conds: list[dict[str, Any]], response: str, d: _Doc, path: tuple[Any, ...]) -> str | None:
        parts = []
        for c in conds:
            if c.get("type", "slot") != "slot" or "name" not in c:
                self.report.add("dropped", f"response `{response}`: condition {c}", d.at(*path))
                continue
            parts.append(_slot_condition(c["name"], c.get("value")))
        return " and ".join(parts) if parts else None

    def read_config(self, d: _Doc | None) -> None:
        data = (d.doc.data or {}) if d else {}
        self.language = str(data.get("language") or "en")
        bert: dict[str, Any] = {"name": "bert_nlu"}
        for i, comp in enumerate(data.get("pipeline") or []):
            cname = (comp or {}).get("name", "?")
            where = d.at("pipeline", i) if d else None
            if cname == "FallbackClassifier" and comp.get("threshold") is not None:
                bert["threshold"] = float(comp["threshold"])
                self.report.add("mapped", f"FallbackClassifier threshold {comp['threshold']} → bert_nlu threshold", where)
                continue
            if cname in _NLU_COMPONENTS:
                self.report.add("mapped", f"pipeline `{cname}` → {_NLU_COMPONENTS[cname]}", where)
            else:
                self.report.add("mapped", f"pipeline `{cname}` has no dialogkit counterpart; the pipeline uses rule_entity_extractor + bert_nlu", where)
        for i, pol in enumerate(data.get("policies") or []):
            pname = (pol or {}).get("name", "?")
            where = d.at("policies", i) if d else None
            self.report.add("mapped", f"policy `{pname}` → {_POLICIES.get(pname, 'flow_policy (no counterpart for this policy)')}", where)
            if pname == "RulePolicy" and pol.get("core_fallback_threshold") is not None:
                self.report.add("mapped", "RulePolicy core_fallback_threshold: dialogkit has no action confidence; NLU fallback uses bert_nlu threshold", where)
        for key in set(data) - {"pipeline", "policies", "language", "recipe", "assistant_id"}:
            self.report.add("dropped", f"config key `{key}`", d.at(key) if d else None)
        self.pipeline = [{"name": "rule_entity_extractor", "learn_from_examples": True}, bert, {"name": "flow_policy"}, {"name": "template_nlg"}]
        self.report.add("mapped", "responses are said by template_nlg (Rasa's behaviour); add `paraphrases:` and switch to t5_nlg to generate replies", d.at("pipeline") if d else None)

    # -- data -------------------------------------------------------------------------------

    def read_data(self, d: _Doc) -> None:
        data = d.doc.data or {}
        if not isinstance(data, dict):
            return
        for key in data:
            if key not in ("version", "nlu", "stories", "rules", "responses", "intents", "entities", "slots", "forms", "actions", "session_config"):
                self.report.add("dropped", f"data key `{key}`", d.at(key))
        if any(k in data for k in ("intents", "slots", "forms", "actions", "session_config", "entities")):
            self.read_domain(_Doc(YamlDoc(d.doc.path, {k: v for k, v in data.items() if k not in ("nlu", "stories", "rules", "responses")}, d.doc.positions, d.doc.lines)))
        for name, variations in (data.get("responses") or {}).items():
            self.read_response(name, variations, d, ("responses", name))
        for i, item in enumerate(data.get("nlu") or []):
            self.read_nlu_item(item or {}, d, ("nlu", i))
        for i, story in enumerate(data.get("stories") or []):
            self.stories.append((str(story.get("story", f"story {i + 1}")), list(story.get("steps") or []), d, ("stories", i), "story"))
        for i, rule in enumerate(data.get("rules") or []):
            self.rules.append((str(rule.get("rule", f"rule {i + 1}")), rule, d, ("rules", i)))

    def read_nlu_item(self, item: dict[str, Any], d: _Doc, path: tuple[Any, ...]) -> None:
        raw = item.get("examples") or []
        if isinstance(raw, list):
            examples = [e["text"] if isinstance(e, dict) else str(e) for e in raw]
        else:
            examples = split_block(raw)
        if "intent" in item:
            intent = str(item["intent"])
            if not NAME_RE.match(intent):
                self.report.add("dropped", f"examples of `{intent}`: retrieval intents are not supported", d.at(*path))
                return
            if intent not in self.intents and intent not in ("restart", "nlu_fallback"):
                self.intents[intent] = {}
                self.report.add("mapped", f"intent `{intent}` has examples but is not listed in the domain: added", d.at(*path))
            clean = []
            for j, ex in enumerate(examples):
                try:
                    text, spans = parse_example(ex)
                except _AnnotationError as e:
                    self.report.add("dropped", f"example `{ex}` of `{intent}`: {e}", d.at(*path, "examples", j) or d.at(*path))
                    continue
                for s in spans:
                    self.entities.setdefault(s.entity, {})
                    self.annotated_values.setdefault(s.entity, set()).update({s.text, s.value or s.text})
                clean.append(format_example(text, spans))
            if clean:
                self.nlu.append({"intent": intent, "examples": clean})
        elif "synonym" in item:
            self.synonyms.append((str(item["synonym"]), examples, d.at(*path)))
        elif "regex" in item:
            self.pending_regex.append((str(item["regex"]), examples, d.at(*path)))
        elif "lookup" in item:
            self.pending_lookup.append((str(item["lookup"]), examples, d.at(*path)))
        else:
            self.report.add("dropped", f"nlu item with keys {sorted(item)}", d.at(*path))
        for extra in set(item) - {"intent", "synonym", "regex", "lookup", "examples", "metadata"}:
            self.report.add("dropped", f"nlu item key `{extra}`", d.at(*path, extra))

    def finish_nlu(self) -> None:
        for name, examples, where in self.pending_regex:
            if name in self.entities:
                self.entities[name].setdefault("regex", []).extend(examples)
            else:
                self.report.add("dropped", f"regex `{name}`: names no entity, so for Rasa it was only a feature for the intent classifier (dialogkit's classifier has no regex features)", where)
        for name, examples, where in self.pending_lookup:
            if name in self.entities:
                self.entities[name].setdefault("lookup", []).extend(examples)
            else:
                self.report.add("dropped", f"lookup `{name}`: names no entity (for Rasa only a classifier feature)", where)
        for canonical, variants, where in self.synonyms:
            forms = {canonical, *variants}
            owners = [e for e, vals in self.annotated_values.items() if vals & forms] or list(self.entities)
            for e in owners:
                self.entities.setdefault(e, {}).setdefault("synonyms", {}).setdefault(canonical, []).extend(v for v in variants if v != canonical)
            if len(owners) > 1 or not [e for e, vals in self.annotated_values.items() if vals & forms]:
                self.report.add("mapped", f"synonym `{canonical}` is global in Rasa; attached to entities {', '.join(owners) or '(none)'}", where)
        # intents' ignore_entities / use_entities → not_intent on from_entity mappings
        for intent in {*self.ignored_entities, *self.used_entities}:
            ignored, used = self.ignored_entities.get(intent, set()), self.used_entities.get(intent)
            for slot in self.slots.values():
                for m in slot["mappings"]:
                    ent = m.get("entity") if m["type"] == "from_entity" else None
                    if ent and (ent in ignored or (used is not None and ent not in used)):
                        m["not_intent"] = sorted({*_listify(m.get("not_intent")), intent})
        for slot in self.slots.values():
            for m in slot["mappings"]:
                if m.get("type") == "from_entity" and m.get("entity") not in self.entities:
                    self.entities[m["entity"]] = {}
        # placeholders in responses that name no slot: Rasa fills them from an action's kwargs
        for name, variations in self.responses.items():
            for v in variations:
                for ph in _PLACEHOLDER.findall(v.get("text") or ""):
                    if ph not in self.slots:
                        self.slots[ph] = {"type": "any", "mappings": []}
                        self.report.add("mapped", f"placeholder `{{{ph}}}` in `{name}` names no slot: added slot `{ph}` (type any, no mappings) so actions can pass it", self.response_where.get(name))

    # -- forms ------------------------------------------------------------------------------

    def build_forms(self) -> None:
        for name, form in self.forms.items():
            d, path = self.form_docs[name]
            required = form.get("required_slots") or []
            if isinstance(required, dict):  # Rasa 2.x: slot -> mappings
                self.report.add("mapped", f"form `{name}`: Rasa 2 style required_slots (slot → mappings); mappings belong on slots in Rasa 3 and were not read here", d.at(*path, "required_slots"))
                required = list(required)
            steps: list[dict[str, Any]] = []
            for slot in required:
                if slot not in self.slots:
                    self.report.add("dropped", f"form `{name}`: required slot `{slot}` is not defined", d.at(*path, "required_slots"))
                    continue
                step: dict[str, Any] = {"collect": slot}
                if f"utter_ask_{name}_{slot}" in self.responses:
                    step["ask"] = f"utter_ask_{name}_{slot}"
                elif f"action_ask_{name}_{slot}" in self.actions:
                    step["ask"] = f"action_ask_{name}_{slot}"
                elif f"utter_ask_{slot}" not in self.responses and f"action_ask_{slot}" not in self.actions:
                    self.report.add("dropped", f"form `{name}`: no utter_ask_{slot} / action_ask_{slot} to ask for `{slot}`", d.at(*path))
                steps.append(step)
            for intent in form.get("ignored_intents") or []:
                for slot in required:
                    for m in self.slots.get(slot, {}).get("mappings", []):
                        m["not_intent"] = sorted({*_listify(m.get("not_intent")), intent})
            if form.get("ignored_intents"):
                self.report.add("mapped", f"form `{name}` ignored_intents → `not_intent` on its slots' mappings", d.at(*path, "ignored_intents"))
            for extra in set(form) - {"required_slots", "ignored_intents", "type"}:
                self.report.add("dropped", f"form `{name}` key `{extra}`", d.at(*path, extra))
            flow: dict[str, Any] = {"description": f"Rasa form {name}", "form": True, "steps": steps}
            if f"validate_{name}" in self.actions:
                flow["validate"] = f"validate_{name}"
            self.flows[name] = flow

    # -- rules and stories --------------------------------------------------------------------

    def build_dialogue(self) -> None:
        tree = _Node("root", None)
        submit: dict[str, tuple[list[dict[str, Any]], str]] = {}
        for name, rule, d, path in self.rules:
            where = d.at(*path)
            cond = rule.get("condition") or []
            steps = list(rule.get("steps") or [])
            for key in set(rule) - {"rule", "steps", "condition", "conversation_start", "wait_for_user_input", "metadata"}:
                self.report.add("dropped", f"rule `{name}` key `{key}`", d.at(*path, key))
            if rule.get("conversation_start"):
                self.report.add("mapped", f"rule `{name}`: conversation_start — the flow starts on its intent at any point of the conversation", where)
            if rule.get("wait_for_user_input") is False:
                self.report.add("mapped", f"rule `{name}`: wait_for_user_input: false — after the rule the bot waits for the user (the next rule's condition is not chained)", where)
            loops = [c["active_loop"] for c in cond if isinstance(c, dict) and "active_loop" in c]
            slot_conds = [c["slot_was_set"] for c in cond if isinstance(c, dict) and "slot_was_set" in c]
            form = loops[0] if loops else None
            if form and steps and steps[0].get("action") == form:
                # the submit rule: what happens when the form completes
                actions = [s["action"] for s in steps[1:] if "action" in s]
                if form in self.flows:
                    if form in submit and submit[form][0] != actions:
                        self.report.add("conflict", f"rule `{name}`: a second submit rule for form `{form}` (kept `{submit[form][1]}`)", where)
                        continue
                    submit[form] = (actions, name)
                    self.flows[form]["steps"] += [step for step in (self.action_step(a, where) for a in actions) if step]
                continue
            if form and steps and "intent" in steps[0]:
                self.report.add("mapped", f"rule `{name}`: handles `{steps[0]['intent']}` while form `{form}` is active → a flow that interrupts the form; the form resumes and asks again by itself", where)
                steps = [s for s in steps if s.get("action") != form and "active_loop" not in s]
            elif loops:
                self.report.add("dropped", f"rule `{name}`: active_loop condition with steps that do not start with the form or an intent", where)
                continue
            condition = " and ".join(self.slot_test(k, v) for sc in slot_conds for item in (sc if isinstance(sc, list) else [sc]) for k, v in item.items()) or None
            for c in cond:
                if isinstance(c, dict) and not ({"active_loop", "slot_was_set"} & set(c)):
                    self.report.add("dropped", f"rule `{name}`: condition {c}", where)
            self.insert(tree, name, steps, d, path, condition, "rule")
        # stories, with checkpoints joined
        for name, steps, d, path in self.expand_checkpoints():
            self.insert(tree, name, steps, d, path, None, "story", strip=submit)
        self.tree_to_flows(tree)

    def expand_checkpoints(self) -> list[tuple[str, list[dict[str, Any]], _Doc, tuple[Any, ...]]]:
        starts: dict[str, list[tuple[str, list[dict[str, Any]], _Doc, tuple[Any, ...]]]] = {}
        plain = []
        for name, steps, d, path, _ in self.stories:
            lead = [s["checkpoint"] for s in steps[:1] if isinstance(s, dict) and "checkpoint" in s]
            body = [s for s in steps if not (isinstance(s, dict) and "checkpoint" in s)]
            tail = steps[-1]["checkpoint"] if len(steps) > 1 and isinstance(steps[-1], dict) and "checkpoint" in steps[-1] else None
            if lead:
                starts.setdefault(lead[0], []).append((name, body, d, path))
            else:
                plain.append((name, body, d, path, tail))
        out = []

        def extend(name: str, body: list[dict[str, Any]], d: _Doc, path: tuple[Any, ...], tail: str | None, depth: int) -> None:
            if tail is None or depth > 5:
                out.append((name, body, d, path))
                return
            continuations = starts.get(tail, [])
            if not continuations:
                self.report.add("dropped", f"story `{name}`: checkpoint `{tail}` starts no story", d.at(*path))
                out.append((name, body, d, path))
            for cname, cbody, cd, cpath in continuations:
                ctail = None
                for _n, _s, _d, _p, _k in self.stories:
                    if _n == cname and _s and isinstance(_s[-1], dict) and "checkpoint" in _s[-1] and len(_s) > 1:
                        ctail = _s[-1]["checkpoint"]
                extend(f"{name} > {cname}", body + cbody, cd, cpath, ctail, depth + 1)

        for name, body, d, path, tail in plain:
            extend(name, body, d, path, tail, 0)
        return out

    def action_step(self, name: str, where: Location | None) -> dict[str, Any] | None:
        if name == "action_two_stage_fallback":
            self.report.add("mapped", "action_two_stage_fallback → utter_default (no affirmation/rephrase rounds)", where)
        name = RASA_ACTION_ALIASES.get(name, name)
        if name in _IGNORED_ACTIONS:
            return None
        if name in _UNSUPPORTED_ACTIONS:
            self.report.add("dropped", f"default action `{name}`", where)
            return None
        if name in self.forms:
            return {"call": name}
        if name in self.responses or name == "utter_default":
            if name == "utter_default" and "utter_default" not in self.responses:
                self.responses["utter_default"] = [{"text": "Sorry, I didn't get that. Can you rephrase?"}]
            return {"say": name}
        if name in ("action_restart", "action_cancel_flow"):
            return {"action": name}
        if name not in self.actions:
            self.actions[name] = "remote"
            self.report.add("mapped", f"action `{name}` is used in stories/rules but not listed in the domain: added as a remote action", where)
        return {"action": name}

    def parse_items(self, name: str, steps: list[Any], d: _Doc, path: tuple[Any, ...], kind: str) -> list[tuple[Any, Location | None]] | None:
        """Steps → a flat list of items with their locations: ``("intent", [names])`` for a user
        turn (several with `or`), ``("act", name)`` for a bot action, ``("slot", name, condition)``
        for a `slot_was_set` outside forms. A form's own turns (inside its active_loop) are
        skipped: the form flow runs them."""
        items: list[tuple[Any, Location | None]] = []
        in_form: str | None = None
        for i, s in enumerate(steps):
            spath = (*path, "steps", i)
            where = d.at(*spath)
            if not isinstance(s, dict):
                self.report.add("dropped", f"{kind} `{name}`: step {s!r}", where)
                continue
            if in_form:
                if s.get("active_loop", "x") is None:
                    in_form = None
                elif "action" in s and s["action"] != in_form and "intent" not in s:
                    self.report.add("mapped", f"{kind} `{name}`: `{s['action']}` inside form `{in_form}` — an interruption; dialogkit resumes the form by itself", where)
                continue
            if "intent" in s or "or" in s or "user" in s:
                if "or" in s:
                    intents = [o["intent"] for o in s["or"] if isinstance(o, dict) and "intent" in o]
                    if len(intents) != len(s["or"]):
                        self.report.add("dropped", f"{kind} `{name}`: `or` alternatives other than intents (slot_was_set)", where)
                else:
                    intents = [s["intent"]] if s.get("intent") else []
                    if not intents:
                        self.report.add("dropped", f"{kind} `{name}`: a user step with text but no intent (end-to-end stories are not supported)", where)
                        return None
                items.append((("intent", tuple(intents)), where))
            elif "action" in s:
                action = s["action"]
                if action == "action_listen":
                    continue
                items.append((("act", action), where))
                nxt = steps[i + 1] if i + 1 < len(steps) else {}
                if action in self.forms and isinstance(nxt, dict) and nxt.get("active_loop") == action:
                    in_form = action
            elif "slot_was_set" in s:
                for item in s["slot_was_set"] if isinstance(s["slot_was_set"], list) else [s["slot_was_set"]]:
                    for slot, value in (item.items() if isinstance(item, dict) else [(item, "__set__")]):
                        if slot != "requested_slot" and slot in self.slots:
                            items.append((("slot", slot, self.slot_test(slot, value)), where))  # keyed as Rasa featurizes it
            elif "bot" in s:
                self.report.add("dropped", f"{kind} `{name}`: `bot:` text step (end-to-end stories are not supported)", where)
            elif "active_loop" in s or "checkpoint" in s:
                continue
            else:
                self.report.add("dropped", f"{kind} `{name}`: step with keys {sorted(s)}", where)
        return items

    def insert(self, tree: _Node, name: str, steps: list[Any], d: _Doc, path: tuple[Any, ...], condition: str | None, kind: str, strip: dict[str, tuple[list[str], str]] | None = None) -> None:
        items = self.parse_items(name, steps, d, path, kind)
        if not items:
            return
        if items[0][0][0] != "intent":
            self.report.add("dropped", f"{kind} `{name}`: starts with a bot action, not a user intent (only session-start rules do that; dialogkit has no hook there)", d.at(*path))
            return
        if items[0][0][1] == ("restart",):
            return  # `/restart` is built in: it clears the conversation
        # after a form, drop the actions its submit rule already says
        for form, (said, _rule) in (strip or {}).items():
            j = 0
            while j < len(items):
                if items[j][0] == ("act", form):
                    acts = [k for k in range(j + 1, len(items)) if items[k][0][0] == "act"][: len(said)]
                    if [items[k][0][1] for k in acts] == said and all(items[k][0][0] != "intent" for k in range(j + 1, (acts[-1] if acts else j) + 1)):
                        items = [it for k, it in enumerate(items) if k not in set(acts)]
                j += 1
        source = f"{kind} `{name}`"
        self._insert(tree, items, 0, source, condition)

    def _insert(self, node: _Node, items: list[tuple[Any, Location | None]], i: int, source: str, condition: str | None) -> None:
        if i == len(items):
            node.ends.append(source)
            return
        key, where = items[i]
        if key[0] == "intent":
            for intent in key[1]:  # `or`: one branch per intent
                k = ("intent", intent, condition) if i == 0 else ("intent", intent, None)
                self._insert(node.child(k, source, where), items, i + 1, source, None)
        else:
            self._insert(node.child(key, source, where), items, i + 1, source, condition)

    def tree_to_flows(self, tree: _Node) -> None:
        # an intent that only occurs inside stories gets a flow with what most stories do after it
        roots = {k[1] for k in tree.children}
        inner: dict[str, list[_Node]] = {}
        for node in tree.walk():
            for k, child in node.children.items():
                if k[0] == "intent" and k[1] not in roots and node is not tree:
                    inner.setdefault(k[1], []).append(child)
        general: dict[str, _Node] = {}
        for intent, nodes in inner.items():
            first = Counter(next(iter(n.children), None) for n in nodes)
            merged = _Node("generalised", None)
            for n in sorted(nodes, key=lambda n: -first[next(iter(n.children), None)]):
                _merge(merged, n)
            general[intent] = merged
        used_names: set[str] = set(self.flows)
        entries = [(k[1], k[2], child, False) for k, child in tree.children.items()] + [(i, None, n, True) for i, n in general.items()]
        for intent, condition, node, generalised in entries:
            base = f"on_{intent}".replace("#", "_").replace("+", "_")
            fname, k = base, 2
            while fname in used_names:
                fname, k = f"{base}_{k}", k + 1
            used_names.add(fname)
            when: dict[str, Any] = {"intent": intent}
            if condition:
                when["condition"] = condition
            sources = sorted(set(node.sources()))
            desc = f"`{intent}` outside the stories it appears in: what most stories do after it" if generalised else "From " + ", ".join(sources[:4]) + (" …" if len(sources) > 4 else "")
            steps = self.node_steps(node, report=not generalised)
            self.flows[fname] = {"description": desc, "when": when, "steps": steps or [{"action": "action_listen"}]}
        self.report.counts["flows from rules and stories"] = len(entries)

    def node_steps(self, node: _Node, report: bool = True) -> list[dict[str, Any]]:
        """The flow steps that continue from ``node``: actions in order, `if` on slot values
        where stories differ by a slot_was_set, `expect` where the user speaks next."""
        out: list[dict[str, Any]] = []
        while node.children:
            kids = list(node.children.items())
            acts = [(k, c) for k, c in kids if k[0] == "act"]
            slots = [(k, c) for k, c in kids if k[0] == "slot"]
            intents = [(k, c) for k, c in kids if k[0] == "intent"]
            if slots and (len(slots) > 1 or acts or intents or node.ends):
                rest = _Node("rest", None)
                rest.children = {k: c for k, c in kids if k[0] != "slot"}
                else_steps = self.node_steps(rest, report)
                for (_, _slot, test), child in reversed(slots):
                    step: dict[str, Any] = {"if": test, "then": self.node_steps(child, report)}
                    if else_steps:
                        step["else"] = else_steps
                    else_steps = [step]
                out.extend(else_steps)
                return out
            if slots:  # every story here agrees: the mappings or the action set it
                node = slots[0][1]
                continue
            if acts:
                if report and (len(acts) > 1 or intents or node.ends) and id(node) not in self._reported:
                    self._reported.add(id(node))
                    first_key, first = acts[0]
                    for k, other in [*acts[1:], *intents]:
                        what = f"does {k[1]}" if k[0] == "act" else f"waits for the user ({k[1]})"
                        self.report.add("conflict", f"{other.source}: at this point it {what}, but {first.source} does {first_key[1]}", other.where)
                    for src in node.ends:
                        if src != first.source:
                            self.report.add("conflict", f"{src}: ends here, but {first.source} goes on with {first_key[1]}", first.where)
                step = self.action_step(acts[0][0][1], acts[0][1].where)
                if step:
                    out.append(step)
                node = acts[0][1]
                continue
            out.append({"expect": {k[1]: self.node_steps(c, report) for k, c in intents}})
            break
        return out

    def slot_test(self, slot: str, value: Any) -> str:
        """A condition matching a story's `slot_was_set`: text-like slots by being set (Rasa
        featurizes them as set / not set), the others by value."""
        if value is None:
            return f"{slot} is not set"
        if self.slots.get(slot, {}).get("type") in ("text", "list", "any") or value == "__set__":
            return f"{slot} is set"
        return _slot_condition(slot, value)

    # -- output -------------------------------------------------------------------------------

    def write(self) -> None:
        self.dest.mkdir(parents=True, exist_ok=True)
        (self.dest / "data").mkdir(exist_ok=True)
        for name in self.flows:
            for step in self.flows[name]["steps"]:
                if "expect" in step:
                    for intent in _expect_intents(step):
                        self.intents.setdefault(intent, {}) if intent not in ("restart", "nlu_fallback") else None
        entities = {}
        for name, e in self.entities.items():
            entry = {k: v for k, v in e.items() if v}
            if "regex" in entry:
                entry["regex"] = list(dict.fromkeys(entry["regex"]))
            if "lookup" in entry:
                entry["lookup"] = list(dict.fromkeys(entry["lookup"]))
            entities[name] = entry
        if self.validate_slots_action:
            next(c for c in self.pipeline if c["name"] == "flow_policy")["validate_slots_action"] = self.validate_slots_action
        domain: dict[str, Any] = {
            "version": "1",
            "name": self.src.resolve().name,
            "language": self.language,
            "pipeline": self.pipeline,
            "intents": {name: {} for name in self.intents},
            "entities": entities,
            "slots": self.slots,
            "responses": self.responses,
            "actions": self.actions,
            "flows": self.flows,
        }
        if self.session:
            domain["session"] = self.session
        header = f"# Imported from the Rasa project {self.src} by `dialogkit import rasa`.\n# What maps approximately or not at all: rasa_import.md\n"
        (self.dest / "domain.yml").write_text(header + _dump(domain), encoding="utf-8")
        (self.dest / "data" / "nlu.yml").write_text(_dump({"nlu": [{"intent": b["intent"], "examples": _block(b["examples"])} for b in self.nlu]}), encoding="utf-8")
        if (self.src / "endpoints.yml").is_file():
            shutil.copyfile(self.src / "endpoints.yml", self.dest / "endpoints.yml")
        elif "remote" in self.actions.values():
            self.report.add("mapped", "custom actions are served by an action server, but the project has no endpoints.yml: add one (action_endpoint: url: http://localhost:5055/webhook)")
        if (self.src / "tests").is_dir():
            shutil.copytree(self.src / "tests", self.dest / "tests", dirs_exist_ok=True)
        for f in ("actions.py",):
            if (self.src / f).is_file():
                self.report.add("mapped", f"{f}: rasa_sdk code runs on the action server (`python -m rasa_sdk --actions actions`), not inside dialogkit")
        if (self.src / "actions").is_dir():
            self.report.add("mapped", "actions/: rasa_sdk code runs on the action server (`python -m rasa_sdk --actions actions`), not inside dialogkit")
        self.report.counts.update({
            "intents": len(self.intents), "entities": len(self.entities), "slots": len(self.slots), "responses": len(self.responses),
            "custom actions": len(self.actions), "forms": len(self.forms), "rules": len(self.rules), "stories": len(self.stories),
            "nlu examples": sum(len(b["examples"]) for b in self.nlu),
        })
        (self.dest / "rasa_import.md").write_text(self.report.to_markdown(), encoding="utf-8")
        (self.dest / "rasa_import.json").write_text(json.dumps(self.report.to_json(), indent=2) + "\n", encoding="utf-8")


class _Node:
    """A prefix tree over story items; children keep insertion order (the first story wins)."""

    def __init__(self, source: str, where: Location | None):
        self.source, self.where = source, where
        self.children: dict[tuple[Any, ...], _Node] = {}
        self.ends: list[str] = []  # stories and rules that end at this node

    def child(self, key: tuple[Any, ...], source: str, where: Location | None) -> _Node:
        if key not in self.children:
            self.children[key] = _Node(source, where)
        return self.children[key]

    def walk(self) -> list[_Node]:
        out, todo = [], [self]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(n.children.values())
        return out

    def sources(self) -> list[str]:
        return [n.source for n in self.walk() if n.source not in ("root", "generalised", "rest")] + [e for n in self.walk() for e in n.ends]


def _merge(into: _Node, other: _Node) -> None:
    """Add ``other``'s continuations to ``into``; where both have a child for the same item, merge them."""
    for key, child in other.children.items():
        if key in into.children:
            _merge(into.children[key], child)
        else:
            copy = into.child(key, child.source, child.where)
            _merge(copy, child)
    into.ends.extend(other.ends)


def _expect_intents(step: dict[str, Any]) -> list[str]:
    out = []
    for intent, branch in step["expect"].items():
        out.append(intent)
        for s in branch:
            if "expect" in s:
                out.extend(_expect_intents(s))
    return out


def _slot_condition(name: str, value: Any) -> str:
    if value is None:
        return f"{name} is not set"
    if isinstance(value, bool):
        return f"{name} == {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"{name} == {value}"
    return f"{name} == {json.dumps(str(value))}"


def _listify(v: Any) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


class _Block(str):
    pass


def _block(examples: list[str]) -> _Block:
    return _Block("".join(f"- {e}\n" for e in examples))


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|"))


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


def import_rasa_project(src: str | Path, dest: str | Path, overwrite: bool = False) -> ImportReport:
    """Convert the Rasa project ``src`` into the dialogkit bot directory ``dest`` (which must be
    new or empty unless ``overwrite``: the files it writes replace those already there)."""
    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        raise DomainError(message("DK702", Location(str(src)), problem="not a directory", fix="pass the Rasa project's root directory (with domain.yml, config.yml and data/)"))
    if dest.resolve() == src.resolve():
        raise DomainError(message("DK702", Location(str(dest)), problem="the destination is the Rasa project itself", fix="write the dialogkit bot to another directory"))
    if dest.exists() and not overwrite and (not dest.is_dir() or any(dest.iterdir())):
        raise DomainError(message("DK702", Location(str(dest)), problem="the destination exists and is not empty; importing would overwrite its files",
                                  fix="choose a new directory, or pass --force to replace domain.yml, data/nlu.yml, endpoints.yml, tests/ and the report there"))
    try:
        return _Importer(src, dest).run()
    except (AttributeError, TypeError, KeyError, ValueError) as e:  # a shape _checked does not cover
        raise DomainError(message("DK702", Location(str(src)), problem=f"part of the project has a shape the importer does not understand ({type(e).__name__}: {e})",
                                  fix="check the stories, rules and responses against Rasa 3's format (`rasa data validate` helps); run with --debug for the traceback")) from e


@contextlib.contextmanager
def bot_source(directory: str | Path) -> Iterator[str]:
    """The bot directory to read: ``directory`` itself, or, for a Rasa project, its import
    into a temporary directory (what was not represented is printed to stderr)."""
    if not is_rasa_project(directory):
        yield str(directory)
        return
    with tempfile.TemporaryDirectory(prefix="dialogkit-rasa-") as tmp:
        report = import_rasa_project(directory, Path(tmp) / "bot")
        print(f"{directory} is a Rasa project: imported it ({len(report.dropped)} item(s) not represented"
              f"{', listed below' if report.dropped else ''}; full report: `dialogkit import rasa {directory} DEST`)", file=sys.stderr)
        for note in report.dropped:
            print(f"  {note.where or directory}: {note.kind}: {note.what}", file=sys.stderr)
        yield str(Path(tmp) / "bot")
