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


def said(value: Any) -> bool:
    """Whether a record says a field with this value: not when it lacks it, leaves it empty or sets it false
    (0 is said)."""
    return value is not None and value is not False and value != "" and value != []


class RecordExample(Strict):
    """One way to say a record, for the generator: a ``record`` (field -> value) and the ``text`` saying it, with
    each value written in it as given (a field whose phrase has no ``{field}``, such as ``has an ATM``, is true
    or left out)."""

    record: dict[str, Any] = Field(min_length=1)
    text: str = Field(min_length=1)

    def template(self, lexical: list[str]) -> str | None:
        """The text with each value as its ``{field}`` placeholder (literal braces doubled), or None when a value
        is not written in it. ``lexical``: the fields said in words, not filled in."""
        return self._placed(lexical)[0]

    def _placed(self, lexical: list[str]) -> tuple[str | None, str | None]:
        """:meth:`template`, and the field whose value it did not find (None: every one was found)."""
        from .syntax import put_placeholder, value_text

        out: str | None = self.text.replace("{", "{{").replace("}", "}}")
        values = [(f, value_text(v)) for f, v in self.record.items() if f not in lexical and said(v)]
        for field, value in sorted(values, key=lambda fv: -len(fv[1])):  # longest first: "North Road" before "north"
            out = put_placeholder(out, value, field) if out is not None else None
            if out is None:
                return None, field
        return out, None


class Record(Strict):
    """A data-to-text response: one sentence from whichever of ``fields`` a record has (the
    record an action passes, e.g. ``dispatcher.utter(response=..., record={...})``, a list of
    them for search results, or else the slots of those names). Each field's phrase says it
    (``{field}`` is its value); the sentence starts with ``subject``'s (default: the first
    field's) and joins the rest: "Zizzi serves italian food, is in the north and has cheap prices."
    ``none`` is said for an empty list. ``examples`` (record -> text) teach ``t5_nlg`` to say
    records in the bot's own words; without them the phrases are always said."""

    fields: dict[str, str] = Field(min_length=1)
    order: list[str] = Field(default_factory=list)  # the order fields are said in (default: as written)
    subject: str | None = None
    none: str | None = None
    examples: list[RecordExample] = Field(default_factory=list)

    @property
    def lexical(self) -> list[str]:
        """The fields said in words (their phrase has no ``{field}``): true or left out."""
        from .syntax import placeholders

        return [f for f in self.order if f not in placeholders(self.fields[f])]

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
        for i, ex in enumerate(self.examples, 1):
            unknown = sorted(set(ex.record) - set(self.fields))
            if unknown:
                raise PydanticCustomError(
                    "slot_rule", "example {i} names {unknown}, which is not one of the record's fields",
                    {"i": i, "unknown": ", ".join(unknown), "fix": "use the names under `fields:`"},
                )
            missing = ex._placed(self.lexical)[1]
            if missing is not None:
                from .syntax import value_text

                raise PydanticCustomError(
                    "slot_rule", "example {i} does not write {field}'s value '{value}' in its text",
                    {"i": i, "field": missing, "value": value_text(ex.record[missing]),
                     "fix": "write each value in the text as the record gives it"},
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
