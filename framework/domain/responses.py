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


class Response(Strict):
    """A named response: variations (a list), plus optional paraphrase examples for the generator."""

    variations: list[Variation] = Field(min_length=1)
    paraphrases: list[Paraphrase] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, (list, str)):
            return {"variations": data if isinstance(data, list) else [data]}
        return data
