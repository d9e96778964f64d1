"""Compile a domain's flows into one networkx DiGraph (the policy graph).

Node names are ``"<flow>:<step path>"`` (``book:2``, ``book:4.then.0``) plus one
``"<flow>:START"`` and ``"<flow>:END"`` per flow. Node attributes: ``flow``,
``kind`` (start, end, collect, say, action, set, if, expect, link, call, goto, end_step),
``step`` (the schema object), ``yaml_path`` (for error locations) and ``label``.
Edge attribute ``kind``: next, then, else, expect, link, call, return, goto, error (an action's
``on_error`` branch).
An ``expect`` node also holds ``branches`` (intent -> first node of its branch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .schema import Domain
from .steps import STEP_CLASSES

__all__ = ["compile_flows", "end_node", "start_node", "step_kind"]


def start_node(flow: str) -> str:
    return f"{flow}:START"


def end_node(flow: str) -> str:
    return f"{flow}:END"


def step_kind(step: Any) -> str:
    """The kind of ``step``'s node in the graph."""
    return str(step.NODE)


def compile_flows(domain: Domain) -> nx.DiGraph[str]:
    """Build the policy graph. Links and calls to unknown flows are left dangling (validation reports them)."""
    g: nx.DiGraph[str] = nx.DiGraph()
    for name in domain.flows:
        g.add_node(start_node(name), flow=name, kind="start", label=f"{name}: start", yaml_path=("flows", name))
        g.add_node(end_node(name), flow=name, kind="end", label=f"{name}: end", yaml_path=("flows", name))
    for name, flow in domain.flows.items():
        c = _Compiling(g, domain, name)
        entry = c.steps(flow.steps, ("flows", name, "steps"), "", end_node(name))
        g.add_edge(start_node(name), entry, kind="next")
        for node, target in c.pending:
            if target in c.ids:
                g.add_edge(node, c.ids[target], kind="goto")
    return g


@dataclass
class _Compiling:
    """One flow being compiled: step ids seen, gotos waiting for them."""

    g: nx.DiGraph[str]
    domain: Domain
    flow: str
    ids: dict[str, str] = field(default_factory=dict)
    pending: list[tuple[str, str]] = field(default_factory=list)  # (node, goto target id)

    def steps(self, steps: list[Any], yaml_path: tuple[Any, ...], prefix: str, after: str) -> str:
        """Add ``steps`` so the last one continues to ``after``; return the first node."""
        nodes = [f"{self.flow}:{prefix}{i}" for i in range(len(steps))]
        for i, (node, step) in enumerate(zip(nodes, steps)):
            self.g.add_node(
                node, flow=self.flow, kind=step.NODE, step=step, label=step.label(), yaml_path=(*yaml_path, i)
            )
            if step.id:
                self.ids[step.id] = node
        for i in range(len(steps) - 1, -1, -1):
            nxt = nodes[i + 1] if i + 1 < len(steps) else after
            _EDGES[steps[i].NODE](self, nodes[i], steps[i], nxt, (*yaml_path, i), f"{prefix}{i}.")
        return nodes[0] if nodes else after

    def branch(self, step: Any, path: tuple[str, ...], yaml_path: tuple[Any, ...], prefix: str, after: str) -> str:
        """The first node of ``step``'s branch at ``path`` (``after`` when it is empty)."""
        steps = next(b for p, b in step.branches() if p == path)
        return self.steps(steps, (*yaml_path, *path), prefix + ".".join(path[-1:]) + ".", after) if steps else after


# --- what each step kind adds to the graph: its out-edges (and its branches' nodes) ----------

Edges = Callable[[_Compiling, str, Any, str, tuple[Any, ...], str], None]


def _next(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    c.g.add_edge(node, nxt, kind="next")


def _if(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    then_entry = c.branch(step, ("then",), yaml_path, prefix, nxt)
    else_entry = c.branch(step, ("else",), yaml_path, prefix, nxt)
    c.g.add_edge(node, then_entry, kind="then")
    if else_entry != then_entry:
        c.g.add_edge(node, else_entry, kind="else")


def _expect(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    # one entry node per intent; several intents may share one (an empty branch goes on to nxt)
    branches = {}
    for path, _ in step.branches():
        branches[path[-1]] = c.branch(step, path, yaml_path, prefix, nxt)
        c.g.add_edge(node, branches[path[-1]], kind="expect")
    c.g.nodes[node]["branches"] = branches
    c.g.add_edge(node, end_node(c.flow), kind="else")  # an intent without a branch ends the flow


def _link(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    if step.target in c.domain.flows:
        c.g.add_edge(node, start_node(step.target), kind="link")


def _call(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    if step.target in c.domain.flows:
        c.g.add_edge(node, start_node(step.target), kind="call")
    c.g.add_edge(node, nxt, kind="return")


def _goto(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    c.pending.append((node, step.goto))


def _end(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    c.g.add_edge(node, end_node(c.flow), kind="next")


def _action(c: _Compiling, node: str, step: Any, nxt: str, yaml_path: tuple[Any, ...], prefix: str) -> None:
    c.g.add_edge(node, nxt, kind="next")
    if step.on_error:  # a failed action never goes on to nxt: its branch runs, then the flow ends
        c.g.add_edge(node, c.branch(step, ("on_error",), yaml_path, prefix, end_node(c.flow)), kind="error")


# Step node kind -> its compile rule (one per class of framework/domain/steps.py)
_EDGES: dict[str, Edges] = {
    "collect": _next,
    "say": _next,
    "set": _next,
    "action": _action,
    "if": _if,
    "expect": _expect,
    "link": _link,
    "call": _call,
    "goto": _goto,
    "end_step": _end,
}
if set(_EDGES) != {c.NODE for c in STEP_CLASSES}:
    raise RuntimeError(f"step kinds without a compile rule: {sorted({c.NODE for c in STEP_CLASSES} - set(_EDGES))}")
