"""Language-aware tokenization with character offsets (spaCy blank pipelines, no models)."""

from __future__ import annotations

import sys
import threading
from functools import lru_cache
from typing import Any

__all__ = ["Token", "blank_pipeline", "normalize_phrase", "scripts", "supported_language", "tokenize"]

Token = tuple[str, int, int]  # text, start, end (character offsets)


UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})  # languages written without spaces between words


def unspaced(language: str) -> bool:
    """Written without spaces between words (Chinese, Japanese, Thai...): a slip there is another
    character, and one character of a two-character word is half of it."""
    return language.split("-")[0].lower() in UNSPACED


def scripts(text: str) -> set[str]:
    """The writing systems of the letters of ``text`` (Unicode character names' first word after NFKC:
    ``LATIN``, ``CJK``, ``CYRILLIC``, ``HIRAGANA``...); digits, punctuation and emoji have none."""
    import unicodedata

    found = set()
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name:
                found.add(name.split(" ", 1)[0])
    return found


def normalize_phrase(text: str) -> str:
    """How phrases are compared for synonyms: lower case, whitespace runs collapsed."""
    return " ".join(text.lower().split())


def supported_language(code: str) -> bool:
    """True if spaCy has a tokenizer for ``code`` (checked without importing spaCy models)."""
    import importlib.util
    from pathlib import Path

    if not isinstance(code, str) or not code.replace("_", "").isalnum():
        return False
    spec = importlib.util.find_spec("spacy")  # finds the package without importing it (slow)
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(d) / "lang" / code / "__init__.py").is_file() for d in spec.submodule_search_locations)


_IMPORT_LOCK = threading.Lock()


def _spacy() -> Any:
    """spaCy, imported without letting thinc (its machine-learning library) import torch.

    thinc imports torch whenever it is installed, for model wrappers a tokenizer never uses;
    on the ONNX Runtime path nothing else needs torch, and importing it costs a server about a
    second of start-up and 200+ MB. Where torch is already imported (training, the torch
    path) this is a plain import; thinc then simply does not offer its torch wrappers."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    with _IMPORT_LOCK:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError meanwhile
        try:
            import spacy
        finally:
            if "torch" in sys.modules and sys.modules["torch"] is None:
                del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=8)
def blank_pipeline(lang: str) -> Any:
    """A blank spaCy pipeline (tokenizer only) for ``lang``, cached per language."""
    return _spacy().blank(lang)


def tokenize(text: str, lang: str = "en") -> list[Token]:
    """Words of ``text`` with exact character offsets, for any language spaCy tokenizes."""
    doc = blank_pipeline(lang).make_doc(text)
    return [(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
