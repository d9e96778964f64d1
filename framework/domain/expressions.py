"""A small, safe condition language for flows, triggers and response variations.

    party_size > 6 and cuisine in ["thai", "indian"]
    not confirmed
    area is set and time is not set

Conditions are parsed once into a tree of plain dataclasses and evaluated against
a mapping of slot values. Nothing is ever handed to Python's ``eval``. A bare slot
name means "the slot's value is truthy". Comparisons with an unset slot are false.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Expression", "ExpressionError", "parse_expression"]


class ExpressionError(ValueError):
    """A condition does not parse; ``position`` is the 0-based character offset."""

    def __init__(self, problem: str, position: int):
        super().__init__(problem)
        self.problem = problem
        self.position = position


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "is", "set", "in", "true", "false", "null", "True", "False", "None"}


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class ListLit:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Compare:
    op: str  # ==, !=, <, <=, >, >=, in, not in
    left: Any
    right: Any


@dataclass(frozen=True)
class IsSet:
    slot: str
    negated: bool


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r}", pos)
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


MAX_DEPTH = 50  # nesting of parentheses, lists and `not`s: deeper conditions are refused, never a RecursionError


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def nested(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"the condition is nested more than {MAX_DEPTH} levels deep (parentheses, lists or `not`s); "
                "simplify it",
                pos,
            )

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("op", "name"):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            kind, got, pos = self.peek()
            raise ExpressionError(
                f"expected '{value}' but found {got!r}" if kind != "end" else f"expected '{value}' at the end", pos
            )

    def parse(self) -> Any:
        node = self.or_()
        kind, got, pos = self.peek()
        if kind != "end":
            raise ExpressionError(f"unexpected {got!r}", pos)
        return node

    def or_(self) -> Any:
        items = [self.and_()]
        while self.accept("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_(self) -> Any:
        items = [self.not_()]
        while self.accept("and"):
            items.append(self.not_())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def not_(self) -> Any:
        pos = self.peek()[2]
        if self.accept("not"):
            self.nested(pos)
            node = Not(self.not_())
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Any:
        left = self.atom()
        kind, value, pos = self.peek()
        if kind == "op" and value in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Compare(value, left, self.atom())
        if value == "in" and kind == "name":
            self.take()
            return Compare("in", left, self.atom())
        if value == "not" and kind == "name" and self.toks[self.i + 1][1] == "in":
            self.i += 2
            return Compare("not in", left, self.atom())
        if value == "is" and kind == "name":
            self.take()
            negated = self.accept("not")
            self.expect("set")
            if not isinstance(left, Slot):
                raise ExpressionError("`is set` needs a slot name on its left", pos)
            return IsSet(left.name, negated)
        return left

    def atom(self) -> Any:
        kind, value, pos = self.take()
        if kind == "num":
            return Lit(float(value) if "." in value else int(value))
        if kind == "str":
            return Lit(re.sub(r"\\(.)", r"\1", value[1:-1]))
        if kind == "op" and value == "(":
            self.nested(pos)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        if kind == "op" and value == "[":
            self.nested(pos)
            self.depth -= 1  # list items are literals: no nesting below this level
            items: list[Any] = []
            if not self.accept("]"):
                while True:
                    item = self.atom()
                    if not isinstance(item, Lit):
                        raise ExpressionError("list items must be literals", pos)
                    items.append(item.value)
                    if self.accept("]"):
                        break
                    self.expect(",")
            return ListLit(tuple(items))
        if kind == "name":
            if value in ("true", "True"):
                return Lit(True)
            if value in ("false", "False"):
                return Lit(False)
            if value in ("null", "None"):
                return Lit(None)
            if value in _KEYWORDS:
                raise ExpressionError(f"unexpected keyword '{value}'", pos)
            return Slot(value)
        if kind == "end":
            raise ExpressionError("the condition ends too early", pos)
        raise ExpressionError(f"unexpected {value!r}", pos)


class Expression:
    """A parsed condition. ``Expression("a > 1").evaluate({"a": 2})`` is True."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text.strip():
            raise ExpressionError("the condition is empty", 0)
        self.text = text
        self.tree = _Parser(text).parse()

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def slot_names(self) -> set[str]:
        """Every slot name the condition reads."""
        out: set[str] = set()

        def walk(n: Any) -> None:
            if isinstance(n, Slot):
                out.add(n.name)
            elif isinstance(n, IsSet):
                out.add(n.slot)
            elif isinstance(n, Not):
                walk(n.operand)
            elif isinstance(n, BoolOp):
                for o in n.operands:
                    walk(o)
            elif isinstance(n, Compare):
                walk(n.left)
                walk(n.right)

        walk(self.tree)
        return out

    def evaluate(self, slots: Mapping[str, Any]) -> bool:
        return bool(_eval(self.tree, slots))


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """The parsed condition for ``text``, parsed once and cached (expressions are immutable)."""
    return Expression(text)


_MISSING = object()
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _value(node: Any, slots: Mapping[str, Any]) -> Any:
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, ListLit):
        return list(node.items)
    if isinstance(node, Slot):
        v = slots.get(node.name)
        return _MISSING if v is None else v
    return _eval(node, slots)


def _eval(node: Any, slots: Mapping[str, Any]) -> Any:
    if isinstance(node, BoolOp):
        results = (_eval(o, slots) for o in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not _eval(node.operand, slots)
    if isinstance(node, IsSet):
        is_set = slots.get(node.slot) is not None
        return not is_set if node.negated else is_set
    if isinstance(node, Compare):
        left, right = _value(node.left, slots), _value(node.right, slots)
        if left is _MISSING or right is _MISSING:
            return node.op in ("!=", "not in")
        try:
            if node.op == "in":
                return left in right
            if node.op == "not in":
                return left not in right
            if node.op == "==":
                return _norm(left) == _norm(right)
            if node.op == "!=":
                return _norm(left) != _norm(right)
            return _ORDER[node.op](left, right)
        except TypeError:
            return False  # comparing a string with a number: the condition does not hold
    value = _value(node, slots)
    return False if value is _MISSING else bool(value)


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v
