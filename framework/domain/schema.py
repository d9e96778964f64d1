"""The domain YAML v1 as pydantic models (see docs/domain.md).

Every model rejects unknown keys and names the valid ones. Values that need a
meaning check (names referring to each other, the flow graph) are validated later
in :mod:`dialogkit.framework.build.validation`; this module only fixes shapes and types.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .base import Strict, as_list
from .responses import Button, Response, Variation
from .steps import (
    STEP_KINDS,
    ActionStep,
    CallStep,
    CollectStep,
    EndStep,
    ExpectStep,
    Flow,
    GotoStep,
    IfStep,
    LinkStep,
    SayStep,
    SetStep,
    Step,
    Trigger,
)
from .syntax import NAME_RE

__all__ = [
    "RUNTIME_RESPONSES",
    "NluBlock",
    "ActionRef",
    "ActionStep",
    "Button",
    "CallStep",
    "CollectStep",
    "ComponentSpec",
    "Domain",
    "EndStep",
    "ExpectStep",
    "Entity",
    "Flow",
    "FromEntity",
    "FromIntent",
    "FromText",
    "GotoStep",
    "IfStep",
    "Intent",
    "LinkStep",
    "MappingCondition",
    "Response",
    "SayStep",
    "Session",
    "SetStep",
    "Slot",
    "SlotType",
    "Step",
    "Trigger",
    "Variation",
    "STEP_KINDS",
    "ask_response",
]

ACTION_REF_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


REMOTE_ACTION = "remote"  # an action served by the action server named in endpoints.yml
# Responses the runtime says on its own (fallback, failed action, cancelled flow), with the
# text used when the domain does not define them.
RUNTIME_RESPONSES: dict[str, str] = {
    "utter_default": "Sorry, I didn't get that. Could you say it another way?",
    "utter_error": "Sorry, something went wrong on my side, so I could not finish that. Please try again later.",
    "utter_flow_cancelled": "Okay, I've stopped that.",
    "utter_ask_rephrase": "Sorry, I'm not sure I understood. Could you put it another way?",  # two-stage fallback
    # max_fallbacks
    "utter_escalate": "Sorry, I keep misunderstanding you. Let's start over: what would you like to do?",
}


def ask_response(slot: str, domain: Domain) -> str | None:
    """How a ``collect`` step without ``ask:`` asks for ``slot`` (the one rule, for the runtime
    and ``validate``): the response ``utter_ask_<slot>``, else the action ``action_ask_<slot>``;
    None when the domain has neither."""
    if f"utter_ask_{slot}" in domain.responses:
        return f"utter_ask_{slot}"
    return f"action_ask_{slot}" if f"action_ask_{slot}" in domain.actions else None


def _check_ref(v: str) -> str:
    if v != REMOTE_ACTION and not ACTION_REF_RE.match(v):
        raise PydanticCustomError("bad_ref", "invalid reference {ref}", {"ref": v})
    return v


ActionRef = Annotated[str, AfterValidator(_check_ref)]


def _name_dict_keys(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not NAME_RE.match(str(key)):
                raise PydanticCustomError("bad_name", "invalid name {name}", {"name": str(key), "where": where})
    return value


# --- intents and entities -------------------------------------------------------------


class Intent(Strict):
    """An intent and its training examples (a YAML list or a Rasa-style `|` block of `- ` lines)."""

    examples: list[str] | str = Field(default_factory=list)
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _allow_empty(cls, data: Any) -> Any:
        return {} if data is None else data


class NluBlock(Strict):
    """Rasa-style `nlu:` item: examples for an intent declared under `intents:`.

    The same intent may have several blocks; their order is kept (BIO round trips rely on it).
    """

    intent: str
    examples: list[str] | str


class Entity(Strict):
    """An entity type with optional synonyms (canonical value -> variants), lookup and regexes."""

    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    lookup: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    description: str | None = None
    # lookup/synonym typos: false = never, a number = this entity's threshold (50-100)
    fuzzy: bool | float | None = None

    @model_validator(mode="before")
    @classmethod
    def _allow_empty(cls, data: Any) -> Any:
        return {} if data is None else data

    @field_validator("fuzzy")
    @classmethod
    def _threshold(cls, value: bool | float | None) -> bool | float | None:
        if not isinstance(value, bool) and value is not None and not 50 <= value <= 100:
            raise PydanticCustomError(
                "slot_rule",
                "fuzzy threshold {value} is not between 50 and 100",
                {"value": f"{value:g}", "fix": "use a similarity from 50 to 100 (80 is the default), or true/false"},
            )
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise PydanticCustomError(
                    "bad_regex", "invalid regex {pattern}", {"pattern": p, "problem": str(e)}
                ) from None
        return patterns


# --- slots ----------------------------------------------------------------------------


class SlotType(str, Enum):
    text = "text"
    int = "int"
    float = "float"
    bool = "bool"
    categorical = "categorical"
    list = "list"
    any = "any"
    number = "number"  # int or float (a number entity, digits, number words)
    date = "date"  # "2026-12-06" (from a `time` entity or an ISO text)
    time = "time"  # "19:30"
    datetime = "datetime"  # ISO 8601 with its offset, "2026-12-06T19:30:00+01:00"
    amount = "amount"  # {"value": 20, "unit": "EUR"} (an amount-of-money entity, or a bare number: unit None)


class MappingCondition(Strict):
    """A mapping applies only while `active_flow` runs and (optionally) asks for `requested_slot`."""

    active_flow: str | None = None
    requested_slot: str | None = None


class _MappingBase(Strict):
    intent: list[str] | str | None = None
    not_intent: list[str] | str | None = None
    conditions: list[MappingCondition] = Field(default_factory=list)

    def intents(self) -> list[str]:
        return as_list(self.intent)

    def not_intents(self) -> list[str]:
        return as_list(self.not_intent)


class FromEntity(_MappingBase):
    type: Literal["from_entity"]
    entity: str
    role: str | None = None
    group: str | None = None


class FromIntent(_MappingBase):
    type: Literal["from_intent"]
    intent: list[str] | str
    value: Any


class FromText(_MappingBase):
    type: Literal["from_text"]


SlotMapping = Annotated[FromEntity | FromIntent | FromText, Field(discriminator="type")]


class Slot(Strict):
    """A typed slot; `min`/`max` bound numbers, `values` lists categorical options."""

    type: SlotType
    values: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    initial: Any = None
    mappings: list[SlotMapping] = Field(default_factory=list)
    invalid_response: str | None = None
    validator: ActionRef | None = None
    description: str | None = None
    confirm_correction: bool = False  # a new value for it, once set, is asked about before it is taken

    @model_validator(mode="after")
    def _consistent(self) -> Slot:
        t = self.type
        if self.values is not None and t is not SlotType.categorical:
            raise PydanticCustomError(
                "slot_rule",
                "`values` is only for categorical slots",
                {"fix": "remove `values:` or use `type: categorical`"},
            )
        if t is SlotType.categorical and not self.values:
            raise PydanticCustomError(
                "slot_rule",
                "a categorical slot needs `values:`",
                {"fix": "list the allowed values, e.g. `values: [low, high]`"},
            )
        if (self.min is not None or self.max is not None) and t not in (
            SlotType.int,
            SlotType.float,
            SlotType.number,
            SlotType.amount,
        ):
            raise PydanticCustomError(
                "slot_rule",
                "`min`/`max` are only for int, float, number and amount slots",
                {"fix": "remove them or change the type"},
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("slot_rule", "`min` is larger than `max`", {"fix": "swap the bounds"})
        if self.initial is not None:
            ok = {
                SlotType.int: isinstance(self.initial, int) and not isinstance(self.initial, bool),
                SlotType.float: isinstance(self.initial, (int, float)) and not isinstance(self.initial, bool),
                SlotType.number: isinstance(self.initial, (int, float)) and not isinstance(self.initial, bool),
                SlotType.bool: isinstance(self.initial, bool),
                SlotType.text: isinstance(self.initial, str),
                SlotType.list: isinstance(self.initial, list),
                SlotType.categorical: self.initial in (self.values or []),
            }.get(t, True)
            if not ok:
                raise PydanticCustomError(
                    "slot_rule",
                    "`initial` value does not fit slot type {type}",
                    {"type": t.value, "fix": "give an initial value of the slot's type, or remove it"},
                )
        return self










# --- the rest -------------------------------------------------------------------------


class Session(Strict):
    expiry_minutes: float = Field(60, ge=0)
    carry_over_slots: bool = True


class ComponentSpec(BaseModel):
    """`- name: <component>` plus that component's own config keys (checked by its Config)."""

    model_config = ConfigDict(extra="allow")
    name: str

    def config(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Domain(Strict):
    """A whole bot, after merging domain.yml with data/*.yml."""

    version: str = "1"
    name: str | None = None
    language: str = "en"
    pipeline: list[ComponentSpec] | None = None
    intents: dict[str, Intent] = Field(default_factory=dict)
    entities: dict[str, Entity] = Field(default_factory=dict)
    slots: dict[str, Slot] = Field(default_factory=dict)
    responses: dict[str, Response] = Field(default_factory=dict)
    actions: dict[str, ActionRef] = Field(default_factory=dict)
    nlu: list[NluBlock] = Field(default_factory=list)
    flows: dict[str, Flow] = Field(default_factory=dict)
    session: Session = Field(default_factory=lambda: Session.model_validate({}))

    def synonym_map(self) -> dict[tuple[str, str], str]:
        """``(entity, normalised variant) -> canonical value`` for every synonym (canonical values map to
        themselves)."""
        from .tokenization import normalize_phrase

        return {
            (name, normalize_phrase(variant)): canonical
            for name, ent in self.entities.items()
            for canonical, variants in ent.synonyms.items()
            for variant in [canonical, *variants]
        }

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> str:
        v = str(v)
        if v not in ("1", "1.0"):
            raise PydanticCustomError("bad_version", "unsupported version {version}", {"version": v})
        return "1"

    @field_validator("intents", "entities", "slots", "responses", "actions", "flows", mode="before")
    @classmethod
    def _names(cls, v: Any, info: Any) -> Any:
        return _name_dict_keys(v, info.field_name)
