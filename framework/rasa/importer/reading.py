"""Finding a Rasa project's YAML files and checking the shapes the importer relies on (a mismatch is a located
DK702)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import DialogkitError, DomainError, Location, message
from ...yamlio import YamlDoc, load_yaml


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
        return bool(re.fullmatch(r"[23]\.\d+", str(domain.get("version", "")).strip())) or isinstance(
            domain.get("intents"), list
        )
    return (path / "domain").is_dir() and (path / "data").is_dir()

@dataclass
class Doc:
    doc: YamlDoc

    def at(self, *path: Any) -> Location | None:
        return self.doc.positions.find(path)

def yaml_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())

def load_doc(path: Path) -> Doc:
    return Doc(load_yaml(path, allow_empty=True))

def _named_list(value: Any) -> bool:
    """Rasa's `- name` or `- name: {options}` lists (intents, entities, actions)."""
    return isinstance(value, list) and all(
        isinstance(x, str)
        or (isinstance(x, dict) and len(x) == 1 and isinstance(next(iter(x.values())), (dict, type(None))))
        for x in value
    )


def checked(d: Doc) -> Doc:
    """Check the shapes the importer relies on; the first mismatch is a located error."""
    data = d.doc.data

    def need(ok: bool, path: tuple[Any, ...], what: str, fix: str) -> None:
        if not ok:
            raise DomainError(message("DK702", d.at(*path) or Location(d.doc.path), problem=what, fix=fix))

    if data is None:
        return d
    need(
        isinstance(data, dict),
        (),
        "the top level must be a mapping of sections",
        "start the file with keys such as `version:`, `intents:`, `nlu:`",
    )
    for key in ("intents", "entities", "actions"):
        if data.get(key) is not None:
            need(
                _named_list(data[key]),
                (key,),
                f"`{key}` must be a list of names (or `- name: {{options}}`)",
                f"write `{key}:` as a YAML list, e.g. `- greet`",
            )
    for key in ("slots", "responses", "forms", "session_config"):
        if key == "forms" and isinstance(data.get(key), list):  # Rasa 2.0: a list of form names
            need(all(isinstance(f, str) for f in data[key]), (key,), "`forms` as a list must hold form names",
                 "write `forms:` as `name: {required_slots: [...]}` entries")
            continue
        need(
            isinstance(data.get(key) or {}, dict),
            (key,),
            f"`{key}` must be a mapping",
            f"write `{key}:` as `name: ...` entries",
        )
    for name, slot in (data.get("slots") or {}).items():
        need(
            isinstance(slot, dict),
            ("slots", name),
            f"slot `{name}` must be a mapping with `type:`",
            "e.g. `type: text` and `mappings:`",
        )
        need(
            isinstance(slot.get("mappings") or [], list)
            and all(isinstance(m, dict) for m in slot.get("mappings") or []),
            ("slots", name, "mappings"),
            f"slot `{name}`: `mappings` must be a list of mappings",
            "e.g. `- type: from_entity` / `entity: city`",
        )
        for j, m in enumerate(slot.get("mappings") or []):
            need(
                isinstance(m.get("conditions") or [], list)
                and all(isinstance(c, dict) for c in m.get("conditions") or []),
                ("slots", name, "mappings", j, "conditions"),
                f"slot `{name}`: `conditions` must be a list of mappings",
                "e.g. `- active_loop: my_form`",
            )
    for name, variations in (data.get("responses") or {}).items():
        need(
            isinstance(variations, (list, str))
            and all(isinstance(v, (str, dict)) for v in (variations if isinstance(variations, list) else [])),
            ("responses", name),
            f"response `{name}` must be a list of variations",
            "e.g. `- text: Hello!`",
        )
        for i, v in enumerate(variations if isinstance(variations, list) else []):
            if isinstance(v, dict):
                need(
                    isinstance(v.get("buttons") or [], list)
                    and all(isinstance(b, dict) for b in v.get("buttons") or []),
                    ("responses", name, i, "buttons"),
                    f"response `{name}`: `buttons` must be a list of {{title, payload}}",
                    "e.g. `- title: Yes` / `payload: /affirm`",
                )
                need(
                    isinstance(v.get("condition") or [], list)
                    and all(isinstance(c, dict) for c in v.get("condition") or []),
                    ("responses", name, i, "condition"),
                    f"response `{name}`: `condition` must be a list of {{type: slot, name, value}}",
                    "e.g. `- type: slot` / `name: vip` / `value: true`",
                )
    for name, form in (data["forms"] if isinstance(data.get("forms"), dict) else {}).items():
        need(
            isinstance(form or {}, dict) and isinstance((form or {}).get("required_slots") or [], (list, dict)),
            ("forms", name),
            f"form `{name}` must be a mapping with `required_slots:` (a list)",
            "e.g. `required_slots: [first_name, last_name]`",
        )
    for key in ("nlu", "stories", "rules", "pipeline", "policies"):
        if data.get(key) is not None:
            need(
                isinstance(data[key], list) and all(isinstance(x, dict) for x in data[key]),
                (key,),
                f"`{key}` must be a list of mappings",
                f"each item of `{key}:` starts with `- ` and holds keys",
            )
    for key, what in (("stories", "story"), ("rules", "rule")):
        for i, item in enumerate(data.get(key) or []):
            need(
                isinstance(item.get("steps") or [], list)
                and all(isinstance(st, dict) for st in item.get("steps") or []),
                (key, i, "steps"),
                f"{what} {i + 1}: `steps` must be a list of steps",
                "each step is e.g. `- intent: greet` or `- action: utter_greet`",
            )
            need(
                isinstance(item.get("condition") or [], list),
                (key, i, "condition"),
                f"{what} {i + 1}: `condition` must be a list",
                "e.g. `- active_loop: my_form`",
            )
    for i, item in enumerate(data.get("nlu") or []):
        need(
            isinstance(item.get("examples") or "", (str, list)),
            ("nlu", i, "examples"),
            "`examples` must be a `|` block of `- ` lines or a list",
            "write `examples: |` followed by `- text` lines",
        )
    return d
