"""The ``responses:`` section of the domain YAML as pydantic models: variations (text, buttons, image,
custom, a condition), and paraphrases for the generator."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from .base import Strict


class Button(Strict):
    title: str
    payload: str


class Variation(Strict):
    """One way to say a response; `condition` (safe expression) picks it by slot values."""

    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    image: str | None = None
    custom: dict[str, Any] | None = None
    condition: str | None = None
    channel: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _has_content(self) -> Variation:
        if self.text is None and not self.buttons and self.image is None and self.custom is None:
            raise PydanticCustomError(
                "slot_rule", "a variation needs `text`, `buttons`, `image` or `custom`", {"fix": "add `text: ...`"}
            )
        return self


class Paraphrase(Strict):
    """Another way to say a response, for the generator only; `slots` gives the values it
    states in words (those written as `{slot}` are filled in instead), `condition` when it
    applies only when that condition holds."""

    text: str
    slots: dict[str, Any] = Field(default_factory=dict)
    condition: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class Record(Strict):
    """A data-to-text response: one sentence from whichever of ``fields`` a record has (the
    record an action passes, e.g. ``dispatcher.utter(response=..., record={...})``, a list of
    them for search results, or else the slots of those names). Each field's phrase says it
    (``{field}`` is its value); the sentence starts with ``subject``'s (default: the first
    field's) and joins the rest: "Zizzi serves italian food, is in the north and has cheap prices."
    ``none`` is said for an empty list."""

    fields: dict[str, str] = Field(min_length=1)
    order: list[str] = Field(default_factory=list)  # the order fields are said in (default: as written)
    subject: str | None = None
    none: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _written_order(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("fields"), dict) and not data.get("order"):
            return {**data, "order": list(data["fields"])}  # kept: the model file sorts mappings' keys
        return data

    @model_validator(mode="after")
    def _phrases(self) -> Record:
        if sorted(self.order) != sorted(self.fields):
            raise PydanticCustomError(
                "slot_rule", "`order` must list each of the fields once", {"fix": "list the names under `fields:`"},
            )
        from .syntax import placeholders

        for name, phrase in self.fields.items():
            other = sorted(set(placeholders(phrase)) - {name})
            if other:
                raise PydanticCustomError(
                    "slot_rule", "the phrase of field '{field}' names {other}: a phrase says its own field only",
                    {"field": name, "other": ", ".join(other), "fix": f"write {{{name}}} in it, or no placeholder"},
                )
        if self.subject is not None and self.subject not in self.fields:
            raise PydanticCustomError(
                "slot_rule", "subject '{subject}' is not one of the record's fields",
                {"subject": self.subject, "fix": "name one of `fields:`"},
            )
        return self


class Response(Strict):
    """A named response: variations (a list), plus optional paraphrase examples for the generator;
    or a ``record`` (data-to-text), whose variations are optional."""

    variations: list[Variation] = Field(default_factory=list)
    paraphrases: list[Paraphrase] = Field(default_factory=list)
    record: Record | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, (list, str)):
            return {"variations": data if isinstance(data, list) else [data]}
        return data

    @model_validator(mode="after")
    def _says_something(self) -> Response:
        if not self.variations and self.record is None:
            raise PydanticCustomError(
                "slot_rule", "a response needs at least one variation (or a `record:`)",
                {"fix": "add a text, e.g. `- \"Hello!\"`"},
            )
        return self
