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

from typing import Any

import networkx as nx

from dialogkit.framework.domain.schema import (
    ActionStep,
    CallStep,
    CollectStep,
    Domain,
    EndStep,
    ExpectStep,
    GotoStep,
    IfStep,
    LinkStep,
    SayStep,
    SetStep,
)

__all__ = ["compile_flows", "end_node", "start_node", "step_kind"]


def start_node(flow: str) -> str:
    return f"{flow}:START"


def end_node(flow: str) -> str:
    return f"{flow}:END"


_KINDS: dict[type, str] = {
    CollectStep: "collect",
    SayStep: "say",
    ActionStep: "action",
    SetStep: "set",
    IfStep: "if",
    ExpectStep: "expect",
    LinkStep: "link",
    CallStep: "call",
    GotoStep: "goto",
    EndStep: "end_step",
}


def step_kind(step: Any) -> str:
    return _KINDS[type(step)]


def _yaml(value: Any) -> str:
    """A value as the domain file writes it (null, true, 3, 'text'), never Python's None/True."""
    import json

    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def _label(step: Any) -> str:
    kind = step_kind(step)
    if kind == "if":
        return f"if {step.if_}"
    if kind == "set":
        return "set " + ", ".join(f"{k}={_yaml(v)}" for k, v in step.set.items())
    if kind == "end_step":
        return "end"
    if kind == "expect":
        return "expect " + " | ".join(step.expect)
    return f"{kind} {getattr(step, kind)}"


def compile_flows(domain: Domain) -> nx.DiGraph:
    """Build the policy graph. Links and calls to unknown flows are left dangling (validation reports them)."""
    g: nx.DiGraph = nx.DiGraph()
    for name in domain.flows:
        g.add_node(start_node(name), flow=name, kind="start", label=f"{name}: start", yaml_path=("flows", name))
        g.add_node(end_node(name), flow=name, kind="end", label=f"{name}: end", yaml_path=("flows", name))
    for name, flow in domain.flows.items():
        ids: dict[str, str] = {}
        pending: list[tuple[str, str]] = []  # (node, goto target id)
        entry = _compile_list(g, name, flow.steps, ("flows", name, "steps"), "", end_node(name), ids, pending, domain)
        g.add_edge(start_node(name), entry, kind="next")
        for node, target in pending:
            if target in ids:
                g.add_edge(node, ids[target], kind="goto")
    return g


def _compile_list(
    g: nx.DiGraph,
    flow: str,
    steps: list[Any],
    yaml_path: tuple[Any, ...],
    prefix: str,
    after: str,
    ids: dict[str, str],
    pending: list[tuple[str, str]],
    domain: Domain,
) -> str:
    """Add ``steps`` to ``g`` so the last one continues to ``after``; return the first node."""
    nodes = [f"{flow}:{prefix}{i}" for i in range(len(steps))]
    for i, (node, step) in enumerate(zip(nodes, steps)):
        kind = step_kind(step)
        g.add_node(node, flow=flow, kind=kind, step=step, label=_label(step), yaml_path=(*yaml_path, i))
        if step.id:
            ids[step.id] = node
    for i in range(len(steps) - 1, -1, -1):
        node, step = nodes[i], steps[i]
        nxt = nodes[i + 1] if i + 1 < len(steps) else after
        kind = step_kind(step)
        if kind == "if":
            then_entry = _compile_list(g, flow, step.then, (*yaml_path, i, "then"), f"{prefix}{i}.then.", nxt, ids, pending, domain) if step.then else nxt
            else_entry = _compile_list(g, flow, step.else_, (*yaml_path, i, "else"), f"{prefix}{i}.else.", nxt, ids, pending, domain) if step.else_ else nxt
            g.add_edge(node, then_entry, kind="then")
            if else_entry != then_entry:
                g.add_edge(node, else_entry, kind="else")
        elif kind == "expect":
            # one entry node per intent; several intents may share one (an empty branch goes on to nxt)
            branches = {}
            for intent, branch in step.expect.items():
                branches[intent] = _compile_list(g, flow, branch, (*yaml_path, i, "expect", intent), f"{prefix}{i}.{intent}.", nxt, ids, pending, domain) if branch else nxt
                g.add_edge(node, branches[intent], kind="expect")
            g.nodes[node]["branches"] = branches
            g.add_edge(node, end_node(flow), kind="else")  # an intent without a branch ends the flow
        elif kind == "link":
            if step.link in domain.flows:
                g.add_edge(node, start_node(step.link), kind="link")
        elif kind == "call":
            if step.call in domain.flows:
                g.add_edge(node, start_node(step.call), kind="call")
            g.add_edge(node, nxt, kind="return")
        elif kind == "goto":
            pending.append((node, step.goto))
        elif kind == "end_step":
            g.add_edge(node, end_node(flow), kind="next")
        elif kind == "action" and step.on_error:
            g.add_edge(node, nxt, kind="next")
            # a failed action never goes on to nxt: its branch runs, then the flow ends
            entry = _compile_list(g, flow, step.on_error, (*yaml_path, i, "on_error"), f"{prefix}{i}.on_error.", end_node(flow), ids, pending, domain)
            g.add_edge(node, entry, kind="error")
        else:
            g.add_edge(node, nxt, kind="next")
    return nodes[0] if nodes else after
