"""Load a bot directory (domain.yml + data/*.yml) into a validated :class:`Domain`.

Named sections (intents, entities, slots, responses, actions, flows) merge across
files; a name defined twice is an error naming both places. Single sections
(version, name, language, pipeline, session) may appear in one file only. Schema
errors from pydantic are translated into catalogue messages with file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import DomainError, Issue, Location, did_you_mean, message
from ..yamlio import PositionMap, load_yaml
from .schema import STEP_KINDS, Domain

__all__ = ["LoadedDomain", "NAMED_SECTIONS", "bot_files", "load_domain", "validate_data"]

NAMED_SECTIONS = ("intents", "entities", "slots", "responses", "actions", "flows")
LIST_SECTIONS = ("nlu",)


@dataclass
class LoadedDomain:
    """A validated domain with the positions of everything in it and the files it came from."""

    domain: Domain
    positions: PositionMap
    files: list[str]
    directory: str
    lines: dict[str, list[str]] = field(default_factory=dict)

    def where(self, *path: Any) -> Location | None:
        return self.positions.find(path)

    def example_location(self, path: tuple[Any, ...], index: int) -> Location | None:
        """Location of the ``index``-th example under ``path`` (list items or `|` block lines)."""
        if (*path, index) in self.positions.locations:
            return self.positions.locations[(*path, index)]
        loc = self.positions.locations.get(path)
        if loc is None:
            return self.positions.find(path)
        style = self.positions.styles.get(path)
        if style in ("|", ">"):
            src = self.lines.get(loc.path, [])
            line_no = loc.line or 1  # the `|` line; content starts below it
            seen = -1
            for ln in range(line_no, len(src)):
                stripped = src[ln].strip()
                if stripped.startswith("-"):
                    seen += 1
                    if seen == index:
                        return Location(loc.path, ln + 1, src[ln].index("-") + 1)
        return loc


def bot_files(directory: str | Path) -> list[Path]:
    """domain.yml first, then every data/**/*.yml / *.yaml in sorted order."""
    d = Path(directory)
    if d.is_file() and d.suffix in (".yml", ".yaml"):
        return [d]  # a single-file bot or data file
    main = d / "domain.yml"
    if not main.is_file():
        alt = d / "domain.yaml"
        if not alt.is_file():
            raise DomainError(message("DK111", Location(str(directory)), path=str(directory)))
        main = alt
    extra: list[Path] = []
    if (d / "data").is_dir():
        for p in sorted((d / "data").rglob("*")):
            if p.is_symlink() and not p.exists():  # dangling, or a loop: never skipped silently
                raise DomainError(message("DK113", Location(str(p)), path=str(p), target=_link_target(p)))
            if p.suffix in (".yml", ".yaml") and p.is_file():
                extra.append(p)
    return [main, *extra]


def _link_target(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "?"


def load_domain(directory: str | Path) -> LoadedDomain:
    """Read, merge and schema-check a bot directory; raise :class:`DomainError` on any problem."""
    files = bot_files(directory)
    merged: dict[str, Any] = {}
    positions = PositionMap()
    lines: dict[str, list[str]] = {}
    issues: list[Issue] = []
    for i, path in enumerate(files):
        doc = load_yaml(path, allow_empty=i > 0)
        lines[doc.path] = doc.lines
        _offset_list_sections(doc.data, doc.positions, merged)
        for section, value in doc.data.items():
            key_loc = doc.positions.key_locations.get((section,))
            if section in NAMED_SECTIONS and isinstance(value, dict) and isinstance(merged.get(section, {}), dict):
                bucket = merged.setdefault(section, {})
                for name, body in value.items():
                    if name in bucket:
                        first = positions.key_locations.get((section, name))
                        issues.append(
                            message(
                                "DK204",
                                doc.positions.key_locations.get((section, name)),
                                name=name,
                                section=section,
                                other=first,
                            )
                        )
                        continue
                    bucket[name] = body
            elif section in LIST_SECTIONS and isinstance(value, list) and isinstance(merged.get(section, []), list):
                merged.setdefault(section, []).extend(value)
            elif section in merged:
                first = positions.key_locations.get((section,))
                issues.append(message("DK204", key_loc, name=section, section="(top level)", other=first))
                continue
            else:
                merged[section] = value
        # positions of names already defined elsewhere keep their first definition
        for path_, loc in doc.positions.locations.items():
            positions.locations.setdefault(path_, loc)
        for path_, loc in doc.positions.key_locations.items():
            positions.key_locations.setdefault(path_, loc)
        for path_, style in doc.positions.styles.items():
            positions.styles.setdefault(path_, style)
    try:
        domain = Domain.model_validate(merged)
    except ValidationError as e:
        issues.extend(translate_errors(e, positions, str(files[0])))
        domain = None
    if issues:
        raise DomainError(issues)
    assert domain is not None
    return LoadedDomain(domain, positions, [str(f) for f in files], str(directory), lines)


def _offset_list_sections(data: dict[str, Any], positions: PositionMap, merged: dict[str, Any]) -> None:
    """Renumber this file's list-section positions so they follow the items merged so far."""
    for section in LIST_SECTIONS:
        offset = len(merged.get(section, [])) if isinstance(merged.get(section), list) else 0
        if not offset or not isinstance(data.get(section), list):
            continue
        tables: tuple[dict[Any, Any], ...] = (positions.locations, positions.key_locations, positions.styles)
        for table in tables:
            moved = {k: v for k, v in table.items() if len(k) > 1 and k[0] == section}
            for k in moved:
                del table[k]
            for k, v in moved.items():
                table[(section, k[1] + offset, *k[2:])] = v


def validate_data(model: type[BaseModel], data: Any, positions: PositionMap, default_path: str) -> Any:
    """Validate ``data`` against a pydantic ``model``, raising located :class:`DomainError`."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise DomainError(translate_errors(e, positions, default_path)) from None


def _describe(path: tuple[Any, ...]) -> str:
    if not path:
        return "the top level"
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _resolve(loc: tuple[Any, ...], positions: PositionMap) -> tuple[Any, ...]:
    """Drop pydantic's union/tag elements from ``loc``, keeping the parts present in the file."""
    cur: tuple[Any, ...] = ()
    for i, item in enumerate(loc):
        if item in STEP_KINDS and i > 0 and isinstance(loc[i - 1], int):
            continue  # the union tag pydantic adds for a step, not a key in the file
        if (*cur, item) in positions.locations or (*cur, item) in positions.key_locations:
            cur = (*cur, item)
    return cur


def translate_errors(err: ValidationError, positions: PositionMap, default_path: str) -> list[Issue]:
    """Turn pydantic errors into catalogue issues with locations, one per problem."""
    issues: list[Issue] = []
    type_problems: dict[tuple[Any, ...], list[str]] = {}
    inputs: dict[tuple[Any, ...], str] = {}
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    fallback = Location(default_path)
    for e in err.errors(include_url=False):
        kind, ctx = e["type"], e.get("ctx") or {}
        path = _resolve(tuple(e["loc"]), positions)
        loc = positions.find(path) or fallback
        if kind == "unknown_key":
            key = ctx["key"]
            loc = positions.find((*path, key), key=True) or loc
            issue = message(
                "DK201",
                loc,
                key=key,
                where=_describe(path),
                hint=did_you_mean(key, ctx["valid"]),
                valid=", ".join(ctx["valid"]),
            )
        elif kind == "missing":
            key = e["loc"][-1]
            issue = message("DK202", loc, key=key, where=_describe(path))
        elif kind == "step_kind":
            got = list(e["input"]) if isinstance(e["input"], dict) else repr(e["input"])[:40]
            issue = message("DK205", loc, kinds=", ".join(STEP_KINDS), got=got)
        elif kind == "bad_name":
            loc = positions.find((*path, ctx["name"]), key=True) or loc
            issue = message("DK206", loc, name=ctx["name"], where=ctx["where"])
        elif kind == "bad_ref":
            issue = message("DK207", loc, ref=ctx["ref"])
        elif kind == "bad_regex":
            issue = message("DK208", loc, entity=path[1] if len(path) > 1 else "?", problem=ctx["problem"])
        elif kind == "bad_version":
            issue = message("DK210", loc, version=ctx["version"])
        elif kind == "slot_rule":
            issue = message("DK203", loc, where=_describe(path), problem=e["msg"], fix=ctx.get("fix", "fix the value"))
        elif kind == "union_tag_invalid":
            tag, expected = ctx.get("tag"), ctx.get("expected_tags", "")
            hint = did_you_mean(str(tag), [t.strip(" '") for t in str(expected).split(",")])
            issue = message(
                "DK203",
                loc,
                where=_describe(path),
                problem=f"unknown type '{tag}'{hint}",
                fix=f"use one of: {expected}",
            )
        elif kind == "union_tag_not_found":
            issue = message("DK202", loc, key=ctx.get("discriminator", "type").strip("'"), where=_describe(path))
        else:
            type_problems.setdefault(path, []).append(_plain(e))
            inputs[path] = _got(e.get("input"))
            continue
        sig = (issue.code, path)
        if sig not in seen:
            seen.add(sig)
            issues.append(issue)
    for path, problems in type_problems.items():
        issues.append(
            message(
                "DK203",
                positions.find(path) or fallback,
                where=_describe(path),
                problem=" or ".join(dict.fromkeys(problems)) + inputs[path],
                fix="change the value to the expected type",
            )
        )
    return sorted(
        issues, key=lambda i: (str(i.location.path) if i.location else "", i.location.line or 0 if i.location else 0)
    )


def _plain(e: Any) -> str:
    msg = str(e["msg"]).split(" or instance of ")[0]
    return msg[0].lower() + msg[1:] if msg else str(e["type"])


def _got(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f" (got a {type(value).__name__})"
    text = repr(value)
    return f" (got {text[:40]}{'...' if len(text) > 40 else ''})"
