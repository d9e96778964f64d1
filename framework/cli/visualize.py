"""Draw the policy graph: Mermaid text and a self-contained HTML page (inline SVG, no CDN).

Each flow is a column: its steps top to bottom in the order written, branches
indented. Solid arrows continue the flow, labelled ones branch (then/else) or jump
(goto); dashed arrows cross into another flow (link, call) and back (return).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..domain.flowgraph import compile_flows, end_node, start_node
from ..domain.schema import Domain, ask_response

if TYPE_CHECKING:
    from ..evaluation.flow_coverage import CoverageReport

__all__ = ["to_html", "to_mermaid"]

BOX_W, BOX_H, ROW_H, INDENT, COL_GAP, TOP = 250, 44, 70, 26, 90, 60
LEFT = 60  # room for edges that go round the left of a column
COLOURS = {
    "start": "#e8f5e9", "end": "#eceff1", "end_step": "#eceff1", "collect": "#fff3e0", "say": "#e3f2fd",
    "action": "#f3e5f5", "set": "#fffde7", "if": "#fce4ec", "link": "#e0f7fa", "call": "#e0f7fa", "goto": "#f1f8e9",
}


def _order(node: str) -> tuple[Any, ...]:
    tail = node.split(":", 1)[1]
    if tail == "START":
        return (-1,)
    if tail == "END":
        return (10**9,)
    return tuple(int(p) if p.isdigit() else {"then": 0, "else": 1}.get(p, 2) for p in tail.split("."))


def _details(domain: Domain, data: dict[str, Any]) -> str:
    """What a step uses: the response text it says or asks with, the action it runs."""
    step: Any = data.get("step")
    kind = data["kind"]
    if kind == "collect":
        ask = step.ask or ask_response(step.collect, domain) or f"utter_ask_{step.collect}"
        return f"asks with {ask}: " + _first_text(domain, ask)
    if kind == "say":
        return _first_text(domain, step.say)
    if kind == "action":
        return domain.actions.get(step.action, "built-in action")
    if kind == "start":
        flow = domain.flows[data["flow"]]
        when = flow.when
        if when is None:
            return "started by link/call only"
        parts = [f"intent {', '.join(when.intents())}"] if when.intents() else []
        if when.condition:
            parts.append(f"if {when.condition}")
        return "when " + " and ".join(parts)
    return ""


def _first_text(domain: Domain, response: str) -> str:
    r = domain.responses.get(response)
    if r is None:
        return "(no such response)"
    if not r.variations and r.record is not None:
        return f"(a record: {', '.join(r.record.fields)})"
    text = r.variations[0].text or "(buttons/custom)"
    more = len(r.variations) - 1
    return f'"{text}"' + (f" (+{more} more)" if more else "")


def to_mermaid(domain: Domain, graph: nx.DiGraph | None = None) -> str:
    g = graph if graph is not None else compile_flows(domain)
    ids = {n: f"n{i}" for i, n in enumerate(sorted(g.nodes, key=lambda n: (n.split(":")[0], _order(n))))}
    lines = ["flowchart TD"]
    for flow in domain.flows:
        lines.append(f"  subgraph {ids[start_node(flow)]}_box [\"{_mm(flow)}\"]")
        for n in sorted((n for n, d in g.nodes(data=True) if d["flow"] == flow), key=_order):
            d = g.nodes[n]
            label = _mm(d["label"] if d["kind"] not in ("start", "end") else d["kind"])
            shape = {
                "start": '(("{}"))',
                "end": '(("{}"))',
                "if": '{{"{}"}}',
                "collect": '[/"{}"/]',
                "say": '("{}")',
            }.get(d["kind"], '["{}"]')
            lines.append(f"    {ids[n]}{shape.format(label)}")
        lines.append("  end")
    for u, v, d in g.edges(data=True):
        kind = d["kind"]
        arrow = "-.->" if kind in ("link", "call", "return") else "-->"
        label = f"|{kind}|" if kind not in ("next",) else ""
        lines.append(f"  {ids[u]} {arrow}{label} {ids[v]}")
    return "\n".join(lines) + "\n"


def _mm(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _layout(domain: Domain, g: nx.DiGraph) -> tuple[dict[str, tuple[float, float]], float, float]:
    pos: dict[str, tuple[float, float]] = {}
    x0, height = float(LEFT), 0.0
    for flow in domain.flows:
        nodes = sorted((n for n, d in g.nodes(data=True) if d["flow"] == flow), key=_order)
        depth = max((len(_order(n)) // 2 for n in nodes), default=0)
        for row, n in enumerate(nodes):
            indent = (len(_order(n)) // 2) * INDENT if n not in (start_node(flow), end_node(flow)) else 0
            pos[n] = (x0 + indent, TOP + row * ROW_H)
        height = max(height, TOP + len(nodes) * ROW_H)
        x0 += BOX_W + depth * INDENT + COL_GAP
    return pos, x0, height + 40


def to_html(domain: Domain, title: str | None = None, coverage: CoverageReport | None = None) -> str:
    """A standalone page showing every flow, its steps and what each step uses; with ``coverage``
    (``dialogkit test --coverage``) what the tests ran is marked green and what they never ran red,
    and the untested branches are listed with their file:line."""
    g = coverage.graph if coverage is not None else compile_flows(domain)
    pos, width, height = _layout(domain, g)
    covered = coverage.covered_nodes() if coverage is not None else set()
    esc = html.escape
    parts: list[str] = []
    for flow in domain.flows:
        x, _ = pos[start_node(flow)]
        parts.append(f'<text x="{x}" y="{TOP - 24}" class="flow">{esc(flow)}</text>')
    for u, v, d in g.edges(data=True):
        (x1, y1), (x2, y2) = pos[u], pos[v]
        kind = d["kind"]
        dashed = kind in ("link", "call", "return")
        sx, sy = x1 + BOX_W / 2, y1 + BOX_H
        tx, ty = x2 + BOX_W / 2, y2
        if g.nodes[u]["flow"] != g.nodes[v]["flow"]:  # into another flow: side to side
            right = x2 > x1
            sx, sy = (x1 + BOX_W if right else x1), y1 + BOX_H / 2
            tx, ty = (x2 if right else x2 + BOX_W), y2 + BOX_H / 2
            path = f"M{sx},{sy} L{tx},{ty}"
            lx, ly = (sx + tx) / 2, (sy + ty) / 2 - 4
        elif ty <= sy:  # a jump back up: loop round the right side
            rx = max(x1, x2) + BOX_W + 18
            path = (
                f"M{x1 + BOX_W},{y1 + BOX_H / 2} C{rx},{y1 + BOX_H / 2} {rx},{y2 + BOX_H / 2} "
                f"{x2 + BOX_W},{y2 + BOX_H / 2}"
            )
            lx, ly = rx, (y1 + y2) / 2 + BOX_H / 2
        elif g.nodes[u]["flow"] == g.nodes[v]["flow"] and ty - sy > ROW_H:  # skips rows: go round the left side
            lx0 = min(x1, x2) - 16
            path = f"M{x1},{y1 + BOX_H / 2} C{lx0},{y1 + BOX_H / 2} {lx0},{y2 + BOX_H / 2} {x2},{y2 + BOX_H / 2}"
            lx, ly = lx0 - 30, (y1 + y2) / 2 + BOX_H / 2
        else:
            path = f"M{sx},{sy} L{tx},{ty}"
            lx, ly = (sx + tx) / 2 + 4, (sy + ty) / 2
        cls = "edge dashed" if dashed else "edge"
        mark = ""
        if coverage is not None and not dashed:
            ran = (u, v) in coverage.walked
            cls += " covered" if ran else " uncovered"
            mark = f' data-edge="{esc(u)}->{esc(v)}" data-covered="{str(ran).lower()}"'
        parts.append(
            f'<path d="{path}" class="{cls}"{mark} marker-end="url(#arrow)"><title>{esc(kind)}</title></path>'
        )
        if kind != "next":
            parts.append(f'<text x="{lx}" y="{ly}" class="edge-label">{esc(kind)}</text>')
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        label = d["label"] if d["kind"] not in ("start", "end") else ("start" if d["kind"] == "start" else "end")
        detail = _details(domain, d)
        colour = COLOURS.get(d["kind"], "#ffffff")
        cls, mark = "node", ""
        if coverage is not None:
            ran = n in covered
            cls += " covered" if ran else " uncovered"
            mark = f' data-node="{esc(n)}" data-covered="{str(ran).lower()}"'
        parts.append(
            f'<g class="{cls}"{mark}><title>{esc(label)}\n{esc(detail)}</title>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{colour}"/>'
            f'<text x="{x + 10}" y="{y + 18}" class="label">{esc(_clip(label, 34))}</text>'
            f'<text x="{x + 10}" y="{y + 34}" class="detail">{esc(_clip(detail, 44))}</text></g>'
        )
    name = title or domain.name or "bot"
    heading = f"{esc(name)}: {len(domain.flows)} flows, {g.number_of_nodes()} nodes"
    report = ""
    if coverage is not None:
        heading = f"{esc(name)}: flow coverage, {coverage.branch_percent():.0f}% of branches"
        rows = "".join(
            f"<tr><td>{esc(flow)}</td><td>{esc(b.label)}</td><td>{esc(str(coverage.where(b) or ''))}</td></tr>"
            for flow, b in coverage.uncovered()
        )
        report = (
            '<p class="legend"><span class="ran">ran in a test</span><span class="never">never ran</span></p>'
            f'<pre class="summary">{esc(chr(10).join(coverage.summary()[: 2 + len(coverage.flows)]))}</pre>'
            + (
                f'<h2>Untested branches</h2><table class="untested"><tr><th>flow</th><th>branch</th><th>where</th>'
                f"</tr>{rows}</table>"
                if rows
                else ""
            )
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} '
        f'{height:.0f}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#546e7a"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )
    legend = "".join(
        f'<span style="background:{c}">{esc(k)}</span>' for k, c in COLOURS.items() if k not in ("end_step",)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(name)}: flows</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 20px; color: #263238; }}
.legend span {{ display: inline-block; padding: 2px 8px; margin: 0 4px 4px 0; border: 1px solid #b0bec5;
  border-radius: 6px; font-size: 12px; }}
.flow {{ font-weight: 600; font-size: 15px; }}
.label {{ font-size: 13px; font-weight: 600; }}
.detail {{ font-size: 11px; fill: #546e7a; }}
rect {{ stroke: #90a4ae; }}
.edge {{ fill: none; stroke: #546e7a; stroke-width: 1.3; }}
.edge.dashed {{ stroke-dasharray: 5 4; stroke: #00838f; }}
.edge-label {{ font-size: 11px; fill: #00838f; }}
.node.covered rect {{ stroke: #2e7d32; stroke-width: 2.5; }}
.node.uncovered rect {{ stroke: #c62828; stroke-width: 2.5; stroke-dasharray: 6 3; }}
.edge.covered {{ stroke: #2e7d32; stroke-width: 2; }}
.edge.uncovered {{ stroke: #c62828; stroke-width: 2; stroke-dasharray: 6 3; }}
.legend .ran {{ border: 2px solid #2e7d32; }}
.legend .never {{ border: 2px dashed #c62828; }}
.untested td, .untested th {{ padding: 2px 10px; text-align: left; font-size: 13px; }}
pre {{ background: #f5f5f5; padding: 12px; overflow: auto; }}
.graph {{ overflow: auto; max-height: 85vh; border: 1px solid #eceff1; }}
.graph svg {{ width: 100%; height: auto; }}
#actual:checked ~ .graph svg {{ width: auto; height: auto; }}
</style></head>
<body>
<h1>{heading}</h1>
{report}
<p class="legend">{legend} Hover a step for what it says or runs. Dashed arrows cross into another flow.</p>
<input type="checkbox" id="actual"><label for="actual"> actual size (scroll) instead of fitting the window</label>
<div class="graph">{svg}</div>
<details><summary>Mermaid source</summary><pre>{esc(to_mermaid(domain, g))}</pre></details>
</body></html>
"""


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
