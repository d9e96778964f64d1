"""NLU training data: Rasa-style annotated examples and BIO (ATIS layout) files.

Annotation syntax inside an example::

    book a table for [4](party_size) at [7pm](time)
    a table for [two]{"entity": "party_size", "value": "2"}
    fly from [boston]{"entity": "city", "role": "from"}

``\\[``, ``\\]`` and ``\\\\`` escape literal brackets and backslashes. Parsing yields
plain text plus entity spans with exact character offsets into it. BIO conversion
reads and writes the ATIS layout (``seq.in``, ``seq.out``, ``label``) losslessly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, Issue, Location, message

__all__ = [
    "AnnotationError",
    "EntitySpan",
    "Example",
    "collect_examples",
    "examples_to_bio",
    "format_example",
    "parse_example",
    "read_bio",
    "split_block",
    "write_bio",
    "write_nlu_yaml",
]

_ANNOTATION_KEYS = {"entity", "value", "role", "group"}


@dataclass(frozen=True)
class EntitySpan:
    """An entity in an example: ``text[start:end]`` is what the user typed."""

    start: int
    end: int
    entity: str
    text: str
    value: str | None = None  # canonical value when it differs from the text
    role: str | None = None
    group: str | None = None

    @property
    def canonical(self) -> str:
        return self.text if self.value is None else self.value


@dataclass(frozen=True)
class Example:
    text: str
    intent: str | None
    entities: tuple[EntitySpan, ...] = ()
    location: Location | None = field(default=None, compare=False)


class AnnotationError(ValueError):
    """An inline annotation (`[text](entity)`, `[text]{...}`) that cannot be read; says what is wrong."""


def parse_example(annotated: str) -> tuple[str, list[EntitySpan]]:
    """Split ``annotated`` into plain text and entity spans (offsets into the plain text)."""
    out: list[str] = []
    spans: list[EntitySpan] = []
    i, n, length = 0, len(annotated), 0
    while i < n:
        ch = annotated[i]
        if ch == "\\" and i + 1 < n and annotated[i + 1] in "[]\\":
            out.append(annotated[i + 1])
            length += 1
            i += 2
            continue
        if ch == "]":
            raise AnnotationError(f"']' at character {i + 1} closes nothing (escape it as \\])")
        if ch != "[":
            out.append(ch)
            length += 1
            i += 1
            continue
        text, attrs, end = _annotation(annotated, i)
        entity = attrs.get("entity")
        if not isinstance(entity, str) or not entity.strip():
            raise AnnotationError(f"the annotation of '{text}' names no entity")
        for key in ("value", "role", "group"):
            if key in attrs and attrs[key] is not None and not isinstance(attrs[key], (str, int, float, bool)):
                raise AnnotationError(f"'{key}' of '{text}' must be a string")
        value = attrs.get("value")
        spans.append(
            EntitySpan(
                start=length,
                end=length + len(text),
                entity=entity.strip(),
                text=text,
                value=None if value is None else _as_text(value),
                role=None if attrs.get("role") is None else str(attrs["role"]),
                group=None if attrs.get("group") is None else str(attrs["group"]),
            )
        )
        out.append(text)
        length += len(text)
        i = end
    return "".join(out), spans


def _annotation(annotated: str, i: int) -> tuple[str, dict[str, Any], int]:
    """The annotation starting with the ``[`` at ``i``: ``[text](entity)`` or ``[text]{json}``.
    Returns its text, its attributes and where it ends."""
    n = len(annotated)
    j, inner = i + 1, []
    while j < n and annotated[j] != "]":
        if annotated[j] == "[":
            raise AnnotationError(f"'[' at character {j + 1} opens an annotation inside another")
        if annotated[j] == "\\" and j + 1 < n and annotated[j + 1] in "[]\\":
            j += 1
        inner.append(annotated[j])
        j += 1
    if j >= n:
        raise AnnotationError(f"'[' at character {i + 1} is never closed")
    text = "".join(inner)
    if not text.strip():
        raise AnnotationError(f"the annotation at character {i + 1} marks empty text")
    j += 1
    if j < n and annotated[j] == "(":
        k = annotated.find(")", j)
        if k < 0:
            raise AnnotationError(f"'(' at character {j + 1} is never closed")
        name, _, synonym = annotated[j + 1 : k].strip().partition(":")  # legacy [text](entity:value) synonym form
        attrs: dict[str, Any] = {"entity": name.strip()}
        if synonym.strip():
            attrs["value"] = synonym.strip()
        return text, attrs, k + 1
    if j < n and annotated[j] == "{":
        attrs, end = _json_annotation(annotated, j)
        return text, attrs, end
    raise AnnotationError(f"'[{text}]' at character {i + 1} must be followed by (entity) or {{...}}")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_annotation(s: str, start: int) -> tuple[dict[str, Any], int]:
    depth, k, in_str = 0, start, False
    while k < len(s):
        c = s[k]
        if in_str:
            if c == "\\":
                k += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        k += 1
    if depth != 0:
        raise AnnotationError(f"'{{' at character {start + 1} is never closed")
    try:
        attrs = json.loads(s[start : k + 1])
    except json.JSONDecodeError as e:
        raise AnnotationError(f"the {{...}} at character {start + 1} is not valid JSON ({e.msg})") from None
    if not isinstance(attrs, dict):
        raise AnnotationError("the annotation must be a JSON object")
    unknown = set(attrs) - _ANNOTATION_KEYS
    if unknown:
        raise AnnotationError(f"unknown annotation key(s) {sorted(unknown)}; valid: {sorted(_ANNOTATION_KEYS)}")
    return attrs, k + 1


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def format_example(text: str, spans: Iterable[EntitySpan]) -> str:
    """Inverse of :func:`parse_example`: write ``text`` with its spans annotated."""
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        out.append(_escape(text[pos : s.start]))
        inner = _escape(text[s.start : s.end])
        if s.value is None and s.role is None and s.group is None:
            out.append(f"[{inner}]({s.entity})")
        else:
            attrs = {"entity": s.entity}
            for key in ("value", "role", "group"):
                if getattr(s, key) is not None:
                    attrs[key] = getattr(s, key)
            out.append(f"[{inner}]{json.dumps(attrs, ensure_ascii=False)}")
        pos = s.end
    out.append(_escape(text[pos:]))
    return "".join(out)


def split_block(raw: list[str] | str) -> list[str]:
    """Examples from a YAML list or a Rasa-style `|` block of `- ` lines (blank lines skipped)."""
    if isinstance(raw, list):
        return [str(x) for x in raw]
    items = []
    for line in raw.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        items.append(stripped[1:].strip() if stripped.startswith("-") else "\x00" + stripped)
    return items


def collect_examples(loaded: Any) -> list[Example]:
    """Every NLU example of a loaded domain, parsed, with its location; raise on bad annotations."""
    domain = loaded.domain
    sources: list[tuple[str, tuple[Any, ...], list[str] | str]] = [
        (name, ("intents", name, "examples"), intent.examples) for name, intent in domain.intents.items()
    ]
    sources += [(b.intent, ("nlu", i, "examples"), b.examples) for i, b in enumerate(domain.nlu)]
    examples: list[Example] = []
    issues: list[Issue] = []
    for intent, path, raw in sources:
        for idx, item in enumerate(split_block(raw)):
            loc = loaded.example_location(path, idx)
            if item.startswith("\x00"):
                issues.append(
                    message(
                        "DK401", loc, text=item[1:][:60], problem="a line in an examples block must start with '- '"
                    )
                )
                continue
            if not item.strip():
                issues.append(message("DK405", loc))
                continue
            try:
                text, spans = parse_example(item)
            except AnnotationError as e:
                issues.append(message("DK401", loc, text=item[:60], problem=str(e)))
                continue
            examples.append(Example(text, intent, tuple(spans), loc))
    if issues:
        raise DataError(issues)
    return examples


# --- BIO (ATIS layout) ----------------------------------------------------------------


def read_bio(directory: str | Path) -> list[Example]:
    """Read ``seq.in`` / ``seq.out`` / ``label`` (one example per line, whitespace-separated)."""
    d = Path(directory)
    files = {}
    for name in ("seq.in", "seq.out", "label"):
        p = d / name
        if not p.is_file():
            raise DataError(message("DK101", Location(str(p)), path=str(p)))
        try:
            files[name] = p.read_text(encoding="utf-8").split("\n")
        except UnicodeDecodeError as e:
            raise DataError(
                message("DK102", Location(str(p)), byte=f"{e.object[e.start]:02x}", offset=e.start)
            ) from None
        if files[name] and files[name][-1] == "":
            files[name].pop()
    n_in, n_out, n_lab = len(files["seq.in"]), len(files["seq.out"]), len(files["label"])
    if not n_in == n_out == n_lab:
        a, b = ("seq.out", n_out) if n_out != n_in else ("label", n_lab)
        raise DataError(message("DK403", Location(str(d)), a="seq.in", n_a=n_in, b=a, n_b=b))
    out = []
    for i, (words, tags, label) in enumerate(zip(files["seq.in"], files["seq.out"], files["label"]), 1):
        # runs of spaces/tabs, trailing blanks, \r\n, as every reader does
        tokens, tag_list, label = words.split(), tags.split(), label.strip()
        if len(tokens) != len(tag_list):
            raise DataError(
                message(
                    "DK402",
                    Location(str(d / "seq.out"), i),
                    path=str(d / "seq.out"),
                    line=i,
                    n_tokens=len(tokens),
                    n_tags=len(tag_list),
                )
            )
        out.append(_bio_example(tokens, tag_list, label, Location(str(d / "seq.out"), i)))
    return out


def _bio_example(tokens: list[str], tags: list[str], label: str, loc: Location) -> Example:
    spans: list[EntitySpan] = []
    text = " ".join(tokens)
    pos = 0
    cur: list[Any] | None = None  # [start, end, entity, orphan]
    for tok, tag in zip(tokens, tags):
        start, end = pos, pos + len(tok)
        pos = end + 1
        if tag == "O":
            _close(cur, spans, text)
            cur = None
            continue
        prefix, _, entity = tag.partition("-")
        if prefix not in ("B", "I") or not entity:
            raise DataError(message("DK404", loc, tag=tag, path=loc.path, line=loc.line))
        if prefix == "I" and cur is not None and cur[2] == entity:
            cur[1] = end
        else:
            # an I- tag that does not continue a span starts one, flagged so it writes back as I-
            _close(cur, spans, text)
            cur = [start, end, entity, prefix == "I"]
    _close(cur, spans, text)
    return Example(text, label, tuple(spans), loc)


def _close(cur: list[Any] | None, spans: list[EntitySpan], text: str) -> None:
    if cur is not None:
        start, end, entity, orphan = cur
        spans.append(EntitySpan(start, end, entity, text[start:end], group="bio-I" if orphan else None))


def examples_to_bio(examples: Iterable[Example]) -> tuple[list[str], list[str], list[str]]:
    """Token lines, tag lines and labels; tokens split on spaces and at entity boundaries."""
    seq_in, seq_out, labels = [], [], []
    for ex in examples:
        cuts = sorted({0, len(ex.text), *(s.start for s in ex.entities), *(s.end for s in ex.entities)})
        tokens: list[tuple[int, int]] = []
        for a, b in zip(cuts, cuts[1:]):
            pos = a
            for piece in ex.text[a:b].split(" "):
                if piece:
                    tokens.append((pos, pos + len(piece)))
                pos += len(piece) + 1
        tags = []
        for start, end in tokens:
            span = next((s for s in ex.entities if s.start <= start and end <= s.end), None)
            if span is None:
                tags.append("O")
            elif start == span.start and span.group != "bio-I":
                tags.append(f"B-{span.entity}")
            else:
                tags.append(f"I-{span.entity}")
        seq_in.append(" ".join(ex.text[a:b] for a, b in tokens))
        seq_out.append(" ".join(tags))
        labels.append(ex.intent or "")
    return seq_in, seq_out, labels


def write_bio(examples: Iterable[Example], directory: str | Path) -> None:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    for name, lines in zip(("seq.in", "seq.out", "label"), examples_to_bio(examples)):
        (d / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_nlu_yaml(examples: list[Example], path: str | Path) -> None:
    """Write examples as a dialogkit data file: declared intents/entities plus ordered `nlu:` blocks."""
    import yaml

    intents = list(dict.fromkeys(ex.intent or "nlu_unlabelled" for ex in examples))
    entities = list(dict.fromkeys(s.entity for ex in examples for s in ex.entities))
    blocks: list[dict[str, Any]] = []
    for ex in examples:
        intent = ex.intent or "nlu_unlabelled"
        line = format_example(ex.text, ex.entities)
        if blocks and blocks[-1]["intent"] == intent:
            blocks[-1]["examples"].append(line)
        else:
            blocks.append({"intent": intent, "examples": [line]})
    doc = {
        "version": "1",
        "intents": {name: None for name in intents},
        "entities": {name: None for name in entities},
        "nlu": blocks,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True, width=1000)
