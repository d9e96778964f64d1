"""What every domain model shares: unknown keys are errors that name the valid ones."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["Strict", "as_list"]


class Strict(BaseModel):
    """Base for every domain model: unknown keys are errors that list the valid keys."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = [f.alias or n for n, f in cls.model_fields.items()]
            for key in data:
                if key not in valid and key not in cls.model_fields:
                    raise PydanticCustomError(
                        "unknown_key", "unknown key {key}", {"key": str(key), "valid": valid}
                    )
        return data


def as_list(v: list[str] | str | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)
