"""Flow coverage: which steps, branches and asks of each flow the conversation tests ran
(``dialogkit test --coverage``).

It is read from the events the tests left in their conversations, not from instrumented code:
``FlowStarted`` puts a flow at its start, each ``FlowAdvanced`` moves it to a step (the graph
edge from where it was, when there is one, is a branch taken), and a collect step's ask counts
when the bot said its ask response (or ran its ``action_ask_*``) while the flow waited there.

What counts (as in coverage.py, a step is a line and a way out of a step is a branch):

- **steps**: every step of every flow;
- **branches**: each flow's start, each way out of a step that has more than one inside its flow
  (``if`` then/else, an ``expect``'s intents and its "any other intent" end, an action's
  ``on_error`` and its success path) and each ``goto``;
- **asks**: each ``collect`` step whose question the bot asked;
- **repairs** (reported, not counted): how often each flow was started, completed, cancelled,
  interrupted and resumed.

``--coverage-min N`` fails the run when branch coverage is under N %.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..domain.flowgraph import compile_flows, end_node, start_node
from ..domain.schema import Domain, ask_response
from ..errors import Location
from ..runtime.events import (
    ActionExecuted,
    BotUttered,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowInterrupted,
    FlowResumed,
    FlowStarted,
)

__all__ = ["Branch", "FlowCoverage", "CoverageReport", "measure"]

REPAIRS = ("started", "completed", "cancelled", "interrupted", "resumed")
_EVENT_REPAIR: dict[type, str] = {
    FlowStarted: "started",
    FlowCompleted: "completed",
    FlowCancelled: "cancelled",
    FlowInterrupted: "interrupted",
    FlowResumed: "resumed",
}
_BRANCH_KEY = {"then": "then", "else": "else", "error": "on_error"}  # edge kind -> the YAML key it is written under


@dataclass(frozen=True)
class Branch:
    """One way out of a step (or a flow's start): the edge ``source -> target`` of kind ``kind``."""

    source: str
    target: str
    kind: str
    label: str  # what a reader recognises: "if `party_size > 8`: then", "start", "goto confirm"


@dataclass
class FlowCoverage:
    flow: str
    steps: dict[str, bool] = field(default_factory=dict)  # node -> ran
    branches: dict[Branch, bool] = field(default_factory=dict)
    asks: dict[str, bool] = field(default_factory=dict)  # collect node -> asked
    repairs: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _ratio(d: dict[Any, bool]) -> tuple[int, int]:
        return sum(d.values()), len(d)


@dataclass
class CoverageReport:
    flows: dict[str, FlowCoverage]
    graph: nx.DiGraph[str]
    locations: dict[str, Location | None] = field(default_factory=dict)  # node or branch key -> file:line
    conversations: int = 0
    walked: set[tuple[str, str]] = field(default_factory=set)  # every edge inside a flow a test went along

    # --- figures -----------------------------------------------------------------------

    def totals(self) -> dict[str, tuple[int, int]]:
        out = {}
        for what in ("steps", "branches", "asks"):
            pairs = [FlowCoverage._ratio(getattr(f, what)) for f in self.flows.values()]
            out[what] = (sum(p[0] for p in pairs), sum(p[1] for p in pairs))
        return out

    def branch_percent(self) -> float:
        covered, total = self.totals()["branches"]
        return 100.0 * covered / total if total else 100.0

    def covered_nodes(self) -> set[str]:
        """Steps that ran, and the start (end) of each flow that started (completed)."""
        out = {n for f in self.flows.values() for n, ran in f.steps.items() if ran}
        out |= {start_node(name) for name, f in self.flows.items() if f.repairs.get("started")}
        return out | {end_node(name) for name, f in self.flows.items() if f.repairs.get("completed")}

    def uncovered(self) -> list[tuple[str, Branch]]:
        """Untested branches, flow by flow in the order written."""
        return [(name, b) for name, f in self.flows.items() for b, ran in f.branches.items() if not ran]

    def where(self, branch: Branch) -> Location | None:
        return self.locations.get(_key(branch))

    # --- output ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        def pct(pair: tuple[int, int]) -> float:
            return round(100.0 * pair[0] / pair[1], 1) if pair[1] else 100.0

        flows = {}
        for name, f in self.flows.items():
            flows[name] = {
                **{
                    what: {"covered": c, "total": t, "percent": pct((c, t))}
                    for what, (c, t) in (
                        ("steps", f._ratio(f.steps)),
                        ("branches", f._ratio(f.branches)),
                        ("asks", f._ratio(f.asks)),
                    )
                },
                "repairs": {r: f.repairs.get(r, 0) for r in REPAIRS},
                "untested_steps": [
                    {"step": n, "label": self.graph.nodes[n]["label"], "at": _show(self.locations.get(n))}
                    for n, ran in f.steps.items()
                    if not ran
                ],
                "untested_branches": [
                    {"from": b.source, "to": b.target, "kind": b.kind, "label": b.label, "at": _show(self.where(b))}
                    for b, ran in f.branches.items()
                    if not ran
                ],
                "unasked": [n for n, asked in f.asks.items() if not asked],
            }
        totals = self.totals()
        return {
            "conversations": self.conversations,
            "totals": {what: {"covered": c, "total": t, "percent": pct((c, t))} for what, (c, t) in totals.items()},
            "branch_coverage": round(self.branch_percent(), 1),
            "flows": flows,
        }

    def summary(self) -> list[str]:
        totals = self.totals()

        def cell(pair: tuple[int, int]) -> str:
            c, t = pair
            return f"{c}/{t} {100.0 * c / t:.0f}%" if t else "-"

        width = max([len("flow"), *(len(n) for n in self.flows)])
        lines = [
            f"Flow coverage from {self.conversations} conversation test(s): branches {cell(totals['branches'])}, "
            f"steps {cell(totals['steps'])}, asks {cell(totals['asks'])}",
            f"  {'flow':<{width}}  {'branches':>12}  {'steps':>12}  {'asks':>10}  ran",
        ]
        for name, f in self.flows.items():
            ran = ", ".join(f"{r} {f.repairs[r]}" for r in REPAIRS if f.repairs.get(r)) or "never"
            lines.append(
                f"  {name:<{width}}  {cell(f._ratio(f.branches)):>12}  {cell(f._ratio(f.steps)):>12}  "
                f"{cell(f._ratio(f.asks)):>10}  {ran}"
            )
        missing = self.uncovered()
        if missing:
            lines.append(f"Untested branches ({len(missing)}):")
            for name, b in missing:  # an imported project's lines are in temporary files: the flow alone
                lines.append(f"  {_show(self.where(b)) + ': ' if self.where(b) else ''}{name}: {b.label}")
        return lines


def measure(domain: Domain, event_lists: Iterable[list[Any]], locate: Any = None) -> CoverageReport:
    """Coverage of ``domain``'s flows by the conversations whose events are ``event_lists``.
    ``locate(*yaml_path)`` gives a place in the bot's files (``LoadedDomain.where``), if known."""
    g = compile_flows(domain)
    flows = {name: FlowCoverage(name) for name in domain.flows}
    asks_of: dict[str, str] = {}
    for n, d in g.nodes(data=True):
        f = flows[d["flow"]]
        if d["kind"] not in ("start", "end"):
            f.steps[n] = False
        if d["kind"] == "collect":
            step = d["step"]
            f.asks[n] = False
            asks_of[n] = step.ask or ask_response(step.collect, domain) or f"action_ask_{step.collect}"
    for branch in _branches(g):
        flows[g.nodes[branch.source]["flow"]].branches[branch] = False
    report = CoverageReport(flows, g)
    by_edge = {(b.source, b.target): b for f in flows.values() for b in f.branches}
    for events in event_lists:
        report.conversations += 1
        _replay(events, g, flows, by_edge, asks_of, report.walked)
    if locate is not None:
        for n, d in g.nodes(data=True):
            report.locations[n] = locate(*d["yaml_path"])
        for b in by_edge.values():
            report.locations[_key(b)] = _branch_location(g, b, locate)
    return report


def _replay(
    events: list[Any],
    g: nx.DiGraph[str],
    flows: dict[str, FlowCoverage],
    by_edge: dict[tuple[str, str], Branch],
    asks_of: dict[str, str],
    walked: set[tuple[str, str]],
) -> None:
    at: dict[str, str] = {}  # flow -> the node it is at
    top: str | None = None  # the flow that moved last
    for e in events:
        repair = _EVENT_REPAIR.get(type(e))
        if repair is not None and e.flow in flows:
            flows[e.flow].repairs[repair] += 1
        if isinstance(e, FlowStarted) and e.flow in flows:
            at[e.flow], top = start_node(e.flow), e.flow
        elif isinstance(e, FlowAdvanced) and e.flow in flows and e.node in g:
            before = at.get(e.flow)
            if before is not None and g.has_edge(before, e.node):
                walked.add((before, e.node))
                if (before, e.node) in by_edge:
                    flows[e.flow].branches[by_edge[before, e.node]] = True
            if e.node in flows[e.flow].steps:
                flows[e.flow].steps[e.node] = True
            at[e.flow], top = e.node, e.flow
        elif isinstance(e, FlowCompleted) and e.flow in flows:
            before = at.pop(e.flow, None)
            if before is not None and g.has_edge(before, end_node(e.flow)):
                walked.add((before, end_node(e.flow)))
                if (before, end_node(e.flow)) in by_edge:
                    flows[e.flow].branches[by_edge[before, end_node(e.flow)]] = True
        elif isinstance(e, FlowCancelled):
            at.pop(e.flow, None)
        elif isinstance(e, (BotUttered, ActionExecuted)) and top is not None:
            said = e.response if isinstance(e, BotUttered) else e.name
            node = at.get(top)
            if node is not None and said is not None and asks_of.get(node) == said:
                flows[top].asks[node] = True


def _branches(g: nx.DiGraph[str]) -> list[Branch]:
    out = []
    for n, d in g.nodes(data=True):
        inside = [(str(v), str(g.edges[n, v]["kind"])) for v in g.successors(n) if g.nodes[v]["flow"] == d["flow"]]
        if d["kind"] == "start":
            out += [Branch(n, v, "start", "start") for v, _ in inside]
        elif len(inside) > 1 or d["kind"] == "goto":
            for v, kind in inside:
                out.append(Branch(n, v, kind, _label(g, n, v, kind)))
    return out


def _label(g: nx.DiGraph[str], source: str, target: str, kind: str) -> str:
    d = g.nodes[source]
    what = d["label"]
    if kind == "expect":
        intents = sorted(i for i, entry in (d.get("branches") or {}).items() if entry == target)
        return f"{what}: on {', '.join(intents)}"
    if kind == "else" and d["kind"] == "expect":
        return f"{what}: any other intent (the flow ends)"
    if kind == "error":
        return f"{what}: on_error"
    if kind == "next" and d["kind"] == "action":
        return f"{what}: succeeded"
    if kind == "goto":
        return f"{what} -> {g.nodes[target]['label']}"
    return f"{what}: {kind}"


def _branch_location(g: nx.DiGraph[str], b: Branch, locate: Any) -> Location | None:
    src, dst = g.nodes[b.source]["yaml_path"], g.nodes[b.target]["yaml_path"]
    if len(dst) > len(src) and tuple(dst[: len(src)]) == tuple(src):  # the branch's first step
        return locate(*dst)
    key = _BRANCH_KEY.get(b.kind)
    return locate(*src, key) if key else locate(*src)


def _key(b: Branch) -> str:
    return f"{b.source}->{b.target}"


def _show(loc: Location | None) -> str:
    return str(loc) if loc is not None else ""


def write(report: CoverageReport, domain: Domain, out_dir: str | Path) -> tuple[Path, Path]:
    """``coverage.json`` and ``coverage.html`` (the visualize page, coloured) under ``out_dir``."""
    from ..cli.visualize import to_html

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "coverage.json", out / "coverage.html"
    json_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    html_path.write_text(to_html(domain, coverage=report), encoding="utf-8")
    return json_path, html_path
