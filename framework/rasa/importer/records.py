"""The typed records the importer's stages hand each other: what was read from the Rasa
project (stories, rules, forms, entity rules), each with the place it was read from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...errors import Location
from .reading import Doc


@dataclass(frozen=True)
class Source:
    """Where a record was read: a file and the key path of the entry inside it."""

    doc: Doc
    path: tuple[Any, ...]

    @property
    def where(self) -> Location | None:
        return self.doc.at(*self.path)

    def at(self, *key: Any) -> Location | None:
        """The place of a key inside the entry."""
        return self.doc.at(*self.path, *key)


@dataclass(frozen=True)
class Story:
    """A Rasa story (or a test story): its steps as written."""

    name: str
    steps: list[Any]
    source: Source
    kind: Literal["story"] = "story"

    @property
    def leading_checkpoint(self) -> str | None:
        first = self.steps[:1]
        return first[0]["checkpoint"] if first and isinstance(first[0], dict) and "checkpoint" in first[0] else None

    @property
    def trailing_checkpoint(self) -> str | None:
        last = self.steps[-1] if len(self.steps) > 1 else None
        return last["checkpoint"] if isinstance(last, dict) and "checkpoint" in last else None

    def without_checkpoints(self) -> list[Any]:
        return [s for s in self.steps if not (isinstance(s, dict) and "checkpoint" in s)]


RULE_KEYS = frozenset({"rule", "steps", "condition", "conversation_start", "wait_for_user_input", "metadata"})


@dataclass(frozen=True)
class Rule:
    """A Rasa rule: its steps, conditions and flags as written."""

    name: str
    steps: list[Any]
    conditions: list[Any]
    source: Source
    conversation_start: bool = False
    wait_for_user_input: bool = True
    unknown_keys: tuple[str, ...] = ()
    kind: Literal["rule"] = "rule"

    @classmethod
    def read(cls, body: Mapping[str, Any], source: Source, default_name: str) -> Rule:
        return cls(
            str(body.get("rule", default_name)),
            list(body.get("steps") or []),
            list(body.get("condition") or []),
            source,
            bool(body.get("conversation_start")),
            body.get("wait_for_user_input") is not False,
            tuple(sorted(set(body) - RULE_KEYS)),
        )


@dataclass(frozen=True)
class FormSpec:
    """A Rasa form as the domain declares it."""

    name: str
    required_slots: list[str]
    ignored_intents: list[str]
    unknown_keys: tuple[str, ...]
    source: Source
    run_by_action: bool = False  # Rasa 1.x/2.0 `forms: [name]`: a FormAction on the action server runs it

    @classmethod
    def read(cls, name: str, body: Mapping[str, Any], source: Source, listed: bool = False) -> FormSpec:
        return cls(name, list(body.get("required_slots") or []), list(body.get("ignored_intents") or []),
                   tuple(sorted(set(body) - {"required_slots", "ignored_intents", "type"})), source, listed)


@dataclass(frozen=True)
class EntityRule:
    """A synonym, regex or lookup entry of the NLU data: a name and its values."""

    kind: Literal["synonym", "regex", "lookup"]
    name: str
    values: list[str]
    where: Location | None


@dataclass(frozen=True)
class SubmitVariant:
    """What a form's submit rule runs when the form completes, under a slot condition (or none)."""

    condition: str | None
    actions: list[str]
    rule: str


@dataclass(frozen=True)
class Graft:
    """A story or rule that starts with a bot action: it goes on from where the bot did that."""

    items: list[tuple[Any, Location | None]]
    label: str
    where: Location | None = field(default=None)
