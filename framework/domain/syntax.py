"""The text patterns the domain language is made of, defined once: names, payloads,
placeholders, and how a slot value reads in a reply."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "NAME_RE", "PAYLOAD_RE", "PLACEHOLDER_RE", "fill", "find_words", "placeholders", "put_placeholder", "spaceless",
    "value_text",
]

# Intent, entity, slot, response, action and flow names. "#" and "+" allow multi-intent
# labels such as ATIS's `atis_flight#atis_airfare`.
NAME = r"[A-Za-z][A-Za-z0-9_.\-#+]*"
NAME_RE = re.compile(rf"^{NAME}$")
# A message that names its intent (and entities as JSON): `/book{"party_size": 4}`.
PAYLOAD_RE = re.compile(rf"^/({NAME})\s*(\{{.*\}})?\s*$", re.DOTALL)
# `{slot}` in a response text; `{{` and `}}` are literal braces.
PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def placeholders(text: str) -> list[str]:
    """The slot names ``text`` interpolates, in order (``{{``/``}}`` are literal braces)."""
    return [name for m in PLACEHOLDER_RE.finditer(text) if m.group(1) is not None and (name := m.group(1).strip())]


def value_text(value: Any) -> str:
    """How a slot value reads in a reply: yes/no, 4 (not 4.0), lists joined with commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict) and set(value) == {"value", "unit"}:  # an amount slot
        return " ".join(value_text(v) for v in (value["value"], value["unit"]) if v is not None)
    return str(value)


def fill(template: str, slots: dict[str, Any], missing: str) -> str:
    """Interpolate ``{slot}`` once; ``{{``/``}}`` are literal braces."""

    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        value = slots.get(m.group(1).strip())
        return missing if value is None else value_text(value)

    return PLACEHOLDER_RE.sub(repl, template)


def unbalanced_brace(text: str) -> int | None:
    """Index of the first `{` or `}` in ``text`` that is not part of a ``{slot}`` placeholder or
    an escaped ``{{``/``}}``, or None."""
    i = 0
    while i < len(text):
        if text.startswith(("{{", "}}"), i):
            i += 2
        elif text[i] == "{":
            close = text.find("}", i + 1)
            if close == -1 or "{" in text[i + 1:close]:
                return i
            i = close + 1
        elif text[i] == "}":
            return i
        else:
            i += 1
    return None


SPACELESS_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def spaceless(ch: str) -> bool:
    """Whether ``ch`` is a letter of a script written without spaces between words (Chinese, Japanese, Thai...)."""
    import unicodedata

    return ch.isalpha() and unicodedata.name(ch, "").split(" ")[0] in SPACELESS_SCRIPTS


def find_words(words: str, text: str) -> re.Match[str] | None:
    """Where ``words`` are written in ``text``, whatever the case and the spaces or punctuation between them, as
    whole words: an edge in a spaced script must not touch another letter; one in a script written without
    spaces may ("有自动取款机" is found in "东门支行有自动取款机。")."""
    parts = words.split()
    if not parts:
        return None
    body = r"\W*".join(re.escape(p) for p in parts)
    before = "" if spaceless(parts[0][0]) else r"(?<!\w)"
    after = "" if spaceless(parts[-1][-1]) else r"(?!\w)"
    return re.search(before + body + after, text, flags=re.IGNORECASE)


def put_placeholder(text: str, words: str, field: str) -> str | None:
    """``text`` with the first place :func:`find_words` finds ``words`` written as ``{field}``, or None when they
    are not there."""
    m = find_words(words, text)
    return None if m is None else text[: m.start()] + "{" + field + "}" + text[m.end() :]
