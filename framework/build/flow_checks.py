"""The flow checks of ``dialogkit validate``: every step's references, how a collect asks,
flows nobody starts, and the graph's shape (steps after an end, loops that never wait for
the user, loops through collects that are already filled)."""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..domain.builtins import PATTERN_PREFIX, PATTERNS
from ..domain.flowgraph import compile_flows, end_node, start_node
from ..domain.schema import Domain, ask_response
from ..domain.slot_types import value_problem
from ..errors import did_you_mean
from ..runtime.pipeline import get_component_class

__all__ = ["FlowChecks"]


class FlowChecks:
    """The flow part of the validator (mixed into it): it reports through ``add``/``ref``."""

    d: Domain
    used: dict[str, set[str]]
    broken_flows: set[str]
    resolved: list[tuple[str, Any]]

    def add(self, code: str, path: tuple[Any, ...], severity: str = "error", **fields: Any) -> None:
        raise NotImplementedError

    def ref(self, kind: str, name: str, path: tuple[Any, ...], where: str) -> bool:
        raise NotImplementedError

    def condition(self, text: str, path: tuple[Any, ...], where: str) -> None:
        raise NotImplementedError

    def flows(self) -> None:
        g = compile_flows(self.d)
        self.graph = g
        targeted: set[str] = set()
        for name, flow in self.d.flows.items():
            if flow.when:
                for intent in flow.when.intents():
                    self.ref("intent", intent, ("flows", name, "when", "intent"), f"trigger of flow '{name}'")
                if flow.when.condition:
                    self.condition(
                        flow.when.condition, ("flows", name, "when", "condition"), f"trigger of flow '{name}'"
                    )
                if flow.when.during:
                    self.ref("flow", flow.when.during, ("flows", name, "when", "during"), f"trigger of flow '{name}'")
        step_ids: dict[str, dict[str, str]] = {}
        for node, data in g.nodes(data=True):
            if "step" in data and data["step"].id:
                step_ids.setdefault(data["flow"], {})[data["step"].id] = node
        for _, data in g.nodes(data=True):
            step: Any = data.get("step")
            path, flow = data["yaml_path"], data["flow"]
            where = f"flow '{flow}'"
            kind = data["kind"]
            if kind == "collect":
                if self.ref("slot", step.collect, (*path, "collect"), where):
                    self.collect(flow, step, path)
            elif kind == "say":
                self.ref("response", step.say, (*path, "say"), where)
            elif kind == "action":
                self.ref("action", step.action, (*path, "action"), where)
            elif kind == "set":
                for slot in step.set:
                    self.ref("slot", slot, (*path, "set", slot), where)
                    if slot in self.d.slots:
                        problem = value_problem(self.d.slots[slot], step.set[slot])
                        if problem:
                            self.add(
                                "DK304",
                                (*path, "set", slot),
                                slot=slot,
                                type=self.d.slots[slot].type.value,
                                mapping=f"set {step.set[slot]!r}",
                                why=problem,
                                fix="set a value of the slot's type",
                            )
            elif kind == "if":
                self.condition(step.if_, (*path, "if"), where)
            elif kind == "expect":
                for intent in step.expect:
                    self.ref("intent", intent, (*path, "expect", intent), where)
            elif kind in ("link", "call"):
                if self.ref("flow", step.target, (*path, step.KEY), where):
                    targeted.add(step.target)
                else:
                    self.broken_flows.add(flow)
            elif kind == "goto" and step.goto not in step_ids.get(flow, {}):
                self.add(
                    "DK313",
                    (*path, "goto"),
                    flow=flow,
                    name=step.goto,
                    hint=did_you_mean(step.goto, step_ids.get(flow, {})),
                )
                self.broken_flows.add(flow)
        for i, (component, config) in enumerate(self.resolved):
            for key, action in get_component_class(component).config_actions(config).items():
                self.ref("action", action, ("pipeline", i, key), f"{component}'s {key}")
            for key, started in get_component_class(component).config_flows(config).items():
                if self.ref("flow", started, ("pipeline", i, key), f"{component}'s {key}"):
                    targeted.add(started)
        for name, flow in self.d.flows.items():
            if flow.validate_:
                self.ref("action", flow.validate_, ("flows", name, "validate"), f"flow '{name}'")
            if name.startswith(PATTERN_PREFIX):
                pattern = name[len(PATTERN_PREFIX):]
                if pattern not in PATTERNS:
                    hint = did_you_mean(pattern, PATTERNS)
                    self.add(
                        "DK319", ("flows", name), flow=name, pattern=pattern, hint=hint, patterns=", ".join(PATTERNS)
                    )
                continue  # the DM starts it when its pattern applies
            if flow.when is None and name not in targeted:
                self.add("DK309", ("flows", name), "warning", flow=name)
        self.graph_shape(g)

    def collect(self, flow: str, step: Any, path: tuple[Any, ...]) -> None:
        slot = step.collect
        if step.ask:
            if step.ask.startswith("action_"):
                self.ref("action", step.ask, (*path, "ask"), f"flow '{flow}'")
            else:
                self.ref("response", step.ask, (*path, "ask"), f"flow '{flow}'")
        elif (ask := ask_response(slot, self.d)) is not None:
            self.used["response" if ask in self.d.responses else "action"].add(ask)
        else:
            self.add("DK306", (*path, "collect"), flow=flow, slot=slot)
        # an action the DM runs on every message may extract the slot (Rasa's action_validate_slot_mappings)
        global_validation = any(get_component_class(c).config_actions(config) for c, config in self.resolved)
        if not self.d.slots[slot].mappings and not self.d.flows[flow].validate_ and not global_validation:
            # a validate action may extract it (Rasa's extract_<slot>)
            self.add("DK308", (*path, "collect"), flow=flow, slot=slot)

    def graph_shape(self, g: nx.DiGraph[str]) -> None:
        flows_with_collect = {d["flow"] for _, d in g.nodes(data=True) if d["kind"] in ("collect", "expect")}
        reachable = {name: nx.descendants(g, start_node(name)) for name in self.d.flows}
        for name in self.d.flows:
            own = [n for n, d in g.nodes(data=True) if d["flow"] == name and "step" in d]
            unreachable = [n for n in own if n not in reachable[name]]
            firsts = [n for n in unreachable if not any(p in unreachable for p in g.predecessors(n))] or unreachable[:1]
            for n in firsts:
                self.add(
                    "DK305",
                    g.nodes[n]["yaml_path"],
                    flow=name,
                    step=_step_no(g.nodes[n]["yaml_path"]),
                    after="an `end`, `link` or `goto` step",
                )
        # loops that never wait: cycles once collect steps (and calls into flows that collect) are removed
        waiting = [
            n
            for n, d in g.nodes(data=True)
            if d["kind"] in ("collect", "expect") or (d["kind"] == "call" and d["step"].target in flows_with_collect)
        ]
        busy = g.subgraph(n for n in g.nodes if n not in waiting)
        looping: set[str] = set()
        for comp in nx.strongly_connected_components(busy):
            if len(comp) == 1 and not busy.has_edge(next(iter(comp)), next(iter(comp))):
                continue
            steps = sorted((n for n in comp if "step" in g.nodes[n]), key=_node_order)
            first = steps[0] if steps else sorted(comp)[0]
            self.add("DK307", g.nodes[first]["yaml_path"], flow=g.nodes[first]["flow"], cycle=" -> ".join(steps[:6]))
            looping.add(g.nodes[first]["flow"])
        self.filled_collect_loops(g, flows_with_collect, looping)
        # dead ends: steps from which no flow's end is reachable (reported once per flow)
        ends = set()
        for name in self.d.flows:
            ends |= nx.ancestors(g, end_node(name)) | {end_node(name)}
        reported = set(looping) | self.broken_flows
        for n, d in g.nodes(data=True):
            if "step" in d and n not in ends and d["flow"] not in reported and n in reachable[d["flow"]]:
                reported.add(d["flow"])
                self.add("DK310", d["yaml_path"], flow=d["flow"], step=_step_no(d["yaml_path"]))

    def filled_collect_loops(self, g: nx.DiGraph[str], flows_with_collect: set[str], looping: set[str]) -> None:
        """Loops whose only waits are `collect` steps: once their slots are filled (and nothing in
        the loop clears them) the collects pass straight through and the loop never waits."""
        waits = [
            n
            for n, d in g.nodes(data=True)
            if d["kind"] == "expect"
            or (d["kind"] == "collect" and d["step"].ask_before_filling)
            or (d["kind"] == "call" and d["step"].target in flows_with_collect)
        ]
        busy = g.subgraph(n for n in g.nodes if n not in waits)
        for comp in nx.strongly_connected_components(busy):
            first_node = next(iter(comp))
            if len(comp) == 1 and not busy.has_edge(first_node, first_node):
                continue
            cleared = {
                slot
                for n in comp
                if g.nodes[n]["kind"] == "set"
                for slot, value in g.nodes[n]["step"].set.items()
                if value is None
            }
            collects = sorted(
                (n for n in comp if g.nodes[n]["kind"] == "collect" and g.nodes[n]["step"].collect not in cleared),
                key=_node_order,
            )
            if not collects or g.nodes[collects[0]]["flow"] in looping:
                continue
            steps = sorted((n for n in comp if "step" in g.nodes[n]), key=_node_order)
            slots = sorted({g.nodes[n]["step"].collect for n in collects})
            self.add(
                "DK318",
                g.nodes[steps[0]]["yaml_path"],
                "warning",
                flow=g.nodes[steps[0]]["flow"],
                cycle=" -> ".join(steps[:6]),
                slots=", ".join(slots),
            )


def _node_order(node: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in node.split(":", 1)[1].split("."))


def _step_no(path: tuple[Any, ...]) -> str:
    parts = path[3:]
    out = str(parts[0] + 1) if parts else "?"
    for p in parts[1:]:
        out += f".{p + 1}" if isinstance(p, int) else f" {p}"
    return out
