"""What the stages share: Rasa's names and their dialogkit counterparts, and :class:`ImportState`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...domain.builtins import ACTION_LISTEN, ACTION_SESSION_START, UTTER_DEFAULT
from ...domain.builtins import BUILTIN_INTENTS as DIALOGKIT_INTENTS
from ...errors import Location
from .records import EntityRule, FormSpec, Graft, Rule, Story
from .report import ImportReport

RASA_ACTION_ALIASES = {
    "action_default_fallback": UTTER_DEFAULT,
}

IGNORED_ACTIONS = {ACTION_LISTEN, ACTION_SESSION_START, "action_extract_slots"}

UNSUPPORTED_ACTIONS = {"action_unlikely_intent", "action_default_ask_affirmation", "action_default_ask_rephrase"}

BUILTIN_INTENTS = {"restart", "nlu_fallback", "session_start", "back", "out_of_scope_default"}  # Rasa's default intents
NATIVE_INTENTS = BUILTIN_INTENTS & DIALOGKIT_INTENTS  # ... that every dialogkit bot understands too (never declared)

PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def listify(v: Any) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)

def slot_condition(name: str, value: Any) -> str:
    if value is None:
        return f"{name} is not set"
    if isinstance(value, bool):
        return f"{name} == {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"{name} == {value}"
    return f"{name} == {json.dumps(str(value))}"


@dataclass
class ImportState:
    """Everything the stages learn about the Rasa project, in dialogkit's terms: each stage reads
    some of it and adds its own; the writing stage turns it into the bot's files."""

    src: Path
    dest: Path
    report: ImportReport
    language: str = "en"
    # the domain, as dialogkit will write it
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    nlu: list[dict[str, Any]] = field(default_factory=list)
    session: dict[str, Any] = field(default_factory=dict)
    pipeline: list[dict[str, Any]] = field(default_factory=list)
    validate_slots_action: str | None = None
    # TEDPolicy (or Rasa's default policies): an intent only seen inside stories gets a flow of its own
    generalize: bool = True
    two_stage_fallback: bool = False  # a rule runs action_two_stage_fallback: flow_policy's two-stage fallback
    # read from the project, resolved by later stages
    forms: dict[str, FormSpec] = field(default_factory=dict)
    stories: list[Story] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    # synonyms, regexes, lookups: placed once the entities are known
    entity_rules: list[EntityRule] = field(default_factory=list)
    annotated_values: dict[str, set[str]] = field(default_factory=dict)
    ignored_entities: dict[str, set[str]] = field(default_factory=dict)  # intent -> entities it ignores
    used_entities: dict[str, set[str]] = field(default_factory=dict)  # intent -> the only entities it uses
    # Rasa retrieval intent -> its sub-intents as dialogkit intents
    retrieval: dict[str, list[str]] = field(default_factory=dict)
    retrieval_where: dict[str, Location | None] = field(default_factory=dict)
    grafts: list[Graft] = field(default_factory=list)  # stories starting with a bot action
    form_context: set[str] = field(default_factory=set)  # intents a rule or story handles while a form runs
    reported: set[int] = field(default_factory=set)  # prefix-tree nodes whose conflicts are in the report

    @property
    def sources(self) -> dict[tuple[str, str], Location | None]:
        """Where each entry of the written domain came from: (section, name) -> the Rasa file:line (kept in the
        report)."""
        return self.report.sources
