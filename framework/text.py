"""Language-aware tokenization with character offsets (spaCy blank pipelines, no models)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["Token", "supported_language", "tokenize"]

Token = tuple[str, int, int]  # text, start, end (character offsets)


def supported_language(code: str) -> bool:
    """True if spaCy has a tokenizer for ``code`` (checked without importing spaCy models)."""
    import importlib.util

    if not isinstance(code, str) or not code.replace("_", "").isalnum():
        return False
    return importlib.util.find_spec(f"spacy.lang.{code}") is not None


@lru_cache(maxsize=8)
def _blank(lang: str) -> Any:
    import spacy

    return spacy.blank(lang)


def tokenize(text: str, lang: str = "en") -> list[Token]:
    """Words of ``text`` with exact character offsets, for any language spaCy tokenizes."""
    doc = _blank(lang).make_doc(text)
    return [(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
