"""Read YAML files safely and remember where every value came from.

:func:`load_yaml` returns plain Python data plus a :class:`PositionMap` from value
paths (tuples of keys and list indexes) to :class:`~framework.errors.Location`,
so schema and meaning checks can point at ``path:line:column``. Only PyYAML's safe
composer is used: no Python object tags, no code execution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import DomainError, Location, message

__all__ = ["MAX_YAML_BYTES", "PositionMap", "YamlDoc", "interpolate_env", "load_yaml", "read_text_file"]

MAX_YAML_BYTES = 10 * 1024 * 1024
MAX_NODES = 2_000_000

# the C loader is much faster on large data files (PyYAML built without libyaml has only the Python one)
if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """Safe loader with YAML 1.2 booleans: only true/false, so `no`, `on`, `y` stay strings."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

Path_ = tuple[Any, ...]


@dataclass
class PositionMap:
    """Where each value path was written; also the scalar style (``|``, ``>`` ...)."""

    locations: dict[Path_, Location] = field(default_factory=dict)
    styles: dict[Path_, str | None] = field(default_factory=dict)
    key_locations: dict[Path_, Location] = field(default_factory=dict)

    def update(self, other: PositionMap) -> None:
        self.locations.update(other.locations)
        self.styles.update(other.styles)
        self.key_locations.update(other.key_locations)

    def find(self, path: Path_, key: bool = False) -> Location | None:
        """Location of ``path``, or of its nearest known ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_locations:
                return self.key_locations[path]
            if path in self.locations:
                return self.locations[path]
            if not path:
                return None
            path = path[:-1]


@dataclass
class YamlDoc:
    path: str
    data: Any
    positions: PositionMap
    lines: list[str]


def read_text_file(path: str | Path, limit: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file, turning every way it can be bad into a located error."""
    p = Path(path)
    if not p.is_file():
        raise DomainError(message("DK101", Location(str(path)), path=str(path)))
    size = p.stat().st_size
    if size > limit:
        raise DomainError(message("DK104", Location(str(path)), size=size, limit=limit))
    raw = p.read_bytes()
    if b"\x00" in raw:
        raise DomainError(message("DK103", Location(str(path))))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise DomainError(
            message("DK102", Location(str(path), line, col), byte=f"{raw[e.start]:02x}", offset=e.start)
        ) from None
    return text.lstrip("\ufeff")


def load_yaml(path: str | Path, allow_empty: bool = False) -> YamlDoc:
    """Load one YAML file whose top level is a mapping, with positions for every value."""
    spath = str(path)
    text = read_text_file(path)
    try:
        docs = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Location(spath, mark.line + 1, mark.column + 1) if mark else Location(spath)
        problem = e.problem or e.context or "malformed YAML"
        if e.context and e.problem:
            problem = f"{e.problem} ({e.context})"
        if mark:
            cause = _likely_cause(text.splitlines(), mark.line)
            if cause:
                line, column, problem = cause
                loc = Location(spath, line, column)
        raise DomainError(message("DK106", loc, problem=problem)) from None
    except yaml.reader.ReaderError as e:  # control characters and the like: located from the offset
        before = text[: e.position]
        loc = Location(spath, before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1)
        raise DomainError(
            message(
                "DK106",
                loc,
                problem=f"control character U+{e.character:04X} is not allowed in YAML; delete it (it is often "
                "invisible)",
            )
        ) from None
    except yaml.YAMLError as e:
        raise DomainError(message("DK106", Location(spath), problem=str(e).splitlines()[0])) from None
    docs = [d for d in docs if d is not None]
    if len(docs) > 1:
        m = docs[1].start_mark
        raise DomainError(message("DK112", Location(spath, m.line + 1, m.column + 1)))
    if not docs:
        if allow_empty:
            return YamlDoc(spath, {}, PositionMap(), text.splitlines())
        raise DomainError(message("DK105", Location(spath, 1, 1)))
    root = docs[0]
    _refuse_expansion(root, spath)
    positions = PositionMap()
    counter = [0]
    data = _convert(root, (), spath, positions, counter)
    if not isinstance(data, dict):
        m = root.start_mark
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} value"
        raise DomainError(message("DK108", Location(spath, m.line + 1, m.column + 1), kind=kind))
    return YamlDoc(spath, data, positions, text.splitlines())


_FULLWIDTH_COLON = re.compile(r"^\s*(?:-\s+)?[^\s#'\"][^#'\":]*?(\uff1a)")
_BARE_KEY = re.compile(r"^(\s*)([A-Za-z_][\w.\-]*)\s*$")


def _likely_cause(lines: list[str], error_line: int) -> tuple[int, int, str] | None:
    """PyYAML reports a key's missing or full-width colon where it gets confused, often a line
    or more later; find the line the mistake is on (1-based line and column, problem)."""
    for i in range(min(error_line, len(lines) - 1), max(-1, error_line - 20), -1):
        m = _FULLWIDTH_COLON.match(lines[i])
        if m:
            return (
                i + 1,
                m.start(1) + 1,
                "'\uff1a' (a full-width colon) is not the ':' YAML needs after a key; type an ASCII ':'",
            )
    previous = next(
        (
            i
            for i in range(min(error_line, len(lines)) - 1, -1, -1)
            if lines[i].strip() and not lines[i].lstrip().startswith("#")
        ),
        None,
    )
    if previous is None or error_line >= len(lines):
        return None
    m = _BARE_KEY.match(lines[previous])
    indent_after = len(lines[error_line]) - len(lines[error_line].lstrip())
    if m and len(m.group(1)) < indent_after:  # `size` followed by a more indented `type: int`
        return previous + 1, m.end(2) + 1, f"'{m.group(2)}' has no ':' after it (a key is written `{m.group(2)}:`)"
    return None


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def interpolate_env(value: Any, missing: Any) -> Any:
    """Replace ``${VAR}`` in a string with the environment variable, as Rasa does in
    endpoints.yml; ``missing(name)`` raises the caller's located error for an unset one."""
    if not isinstance(value, str):
        return value
    import os

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in os.environ:
            missing(m.group(1))
        return os.environ[m.group(1)]

    return _ENV.sub(sub, value)


def _loc(node: yaml.Node, spath: str) -> Location:
    return Location(spath, node.start_mark.line + 1, node.start_mark.column + 1)


def _refuse_expansion(root: yaml.Node, spath: str) -> None:
    """Refuse a document whose aliases expand past :data:`MAX_NODES` ("billion laughs": nine lines of
    anchors can stand for a billion values) before converting it: each node's expanded size is counted
    once (an alias is the anchored node itself), so the check takes time in the file's size, not the
    expansion's. The error points at the smallest node too large, where the anchors multiply."""
    sizes: dict[int, int] = {}
    too_big: list[yaml.Node] = []

    def size(node: yaml.Node, depth: int) -> int:
        if depth > 100:  # too deep: _convert says so where it is
            return 1
        if id(node) not in sizes:
            if isinstance(node, yaml.SequenceNode):
                children = [size(item, depth + 1) for item in node.value]
            elif isinstance(node, yaml.MappingNode):
                children = [size(value, depth + 1) for _key, value in node.value]
            else:
                children = []
            sizes[id(node)] = 1 + sum(children)
            if sizes[id(node)] > MAX_NODES and all(n <= MAX_NODES for n in children) and not too_big:
                too_big.append(node)
        return sizes[id(node)]

    total = size(root, 0)
    if too_big:
        raise DomainError(message("DK109", _loc(too_big[0], spath), nodes=total))


def _convert(node: yaml.Node, path: Path_, spath: str, pos: PositionMap, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES or len(path) > 100:
        raise DomainError(message("DK109", _loc(node, spath), nodes=counter[0]))
    pos.locations[path] = _loc(node, spath)
    if isinstance(node, yaml.ScalarNode):
        pos.styles[path] = node.style
        return _scalar(node, spath)
    if node.tag not in _PLAIN_TAGS and not isinstance(node, yaml.ScalarNode):
        raise DomainError(message("DK106", _loc(node, spath), problem=f"YAML tag '{node.tag}' is not allowed"))
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), spath, pos, counter) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DomainError(
                    message("DK106", _loc(key_node, spath), problem="merge keys ('<<') are not supported")
                )
            key = _scalar(key_node, spath) if isinstance(key_node, yaml.ScalarNode) else None
            if isinstance(key, bool) or key is None and not isinstance(key_node, yaml.ScalarNode):
                raise DomainError(
                    message(
                        "DK110", _loc(key_node, spath), kind=type(key).__name__ if key is not None else "a collection"
                    )
                )
            key = "null" if key is None else str(key)
            if key in first_seen:
                raise DomainError(
                    message("DK107", _loc(key_node, spath), key=key, first_line=first_seen[key].start_mark.line + 1)
                )
            first_seen[key] = key_node
            pos.key_locations[(*path, key)] = _loc(key_node, spath)
            out[key] = _convert(value_node, (*path, key), spath, pos, counter)
        return out
    raise DomainError(message("DK106", _loc(node, spath), problem="unsupported YAML node"))  # pragma: no cover


_constructor = yaml.SafeLoader("")
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _scalar(node: yaml.ScalarNode, spath: str) -> Any:
    """Resolve a scalar with PyYAML's safe rules (ints, floats, bools, null, strings)."""
    try:
        value = _constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as e:
        raise DomainError(message("DK106", _loc(node, spath), problem=e.problem or "bad scalar")) from None
    if not isinstance(value, (str, int, float, bool, type(None))):
        # timestamps, binary: keep the text the user wrote
        return node.value
    return value
