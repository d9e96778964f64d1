"""The flow runtime: walks the top flow's steps until one waits for the user.

Each step kind is one entry of :data:`STEPS`, a function over a typed :class:`Node`
(built once from the policy graph) that either moves the flow on (by events on the
tracker) or returns :data:`WAIT`. Actions run through the turn's
:class:`~dialogkit.framework.action_executor.ActionExecutor`; the runtime reacts to the
outcome it returns (apply the events, follow the step's ``on_error`` branch, or stop the
flow and say ``utter_error``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from dialogkit.framework.domain.schema import ask_response
from dialogkit.framework.expressions import parse_expression
from dialogkit.framework.slots import coerce_slot_value
from dialogkit.framework.tracker import (
    ActionExecuted,
    ActionFailed,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowResumed,
    FlowStarted,
    Restarted,
    SlotSet,
    Tracker,
)
from dialogkit.framework.turn import Turn, from_action

__all__ = ["BUILTIN_ACTIONS", "STEPS", "FlowRuntime", "Node", "slots_set_this_turn"]

logger = logging.getLogger(__name__)

WAIT = True  # a step handler's answer when the flow waits for the user's next message
# Actions the runtime runs itself (Rasa's built-ins); everything else goes to the executor.
BUILTIN_ACTIONS = frozenset({"action_restart", "action_cancel_flow", "action_deactivate_loop", "action_listen", "action_session_start"})


@dataclass(frozen=True)
class Node:
    """One node of the policy graph, typed: its flow, step kind, schema step and out-edges."""

    name: str
    flow: str
    kind: str
    step: Any
    label: str
    edges: dict[str, str] = field(default_factory=dict)  # edge kind -> target (the first of each kind)
    branches: dict[str, str] = field(default_factory=dict)  # expect: intent -> first node of its branch

    def next(self, edge: str | None = None) -> str:
        """The node after this one: along ``edge``, else the plain successor (``next``/``return``)."""
        if edge is not None and edge in self.edges:
            return self.edges[edge]
        if edge is None:
            for kind in ("next", "return"):
                if kind in self.edges:
                    return self.edges[kind]
        return next(iter(self.edges.values()))  # an `if` whose branches share one successor

    @classmethod
    def of(cls, graph: nx.DiGraph, name: str) -> Node:
        data = graph.nodes[name]
        edges: dict[str, str] = {}
        for _, target, d in graph.out_edges(name, data=True):
            edges.setdefault(d["kind"], target)
        return cls(name, data["flow"], data["kind"], data.get("step"), data.get("label", name), edges, dict(data.get("branches") or {}))


def slots_set_this_turn(tracker: Tracker) -> list[SlotSet]:
    """The slots set since the user's latest message, in order."""
    out: list[SlotSet] = []
    for e in reversed(tracker.events):
        if e.event == "user":
            break
        if isinstance(e, SlotSet):
            out.append(e)
    return out[::-1]


class FlowRuntime:
    """Runs flows over ``graph`` for ``domain`` (see the module docstring)."""

    def __init__(self, domain: Any, graph: nx.DiGraph, max_steps: int, action_timeout: float | None):
        self.domain = domain
        self.graph = graph
        self.nodes = {name: Node.of(graph, name) for name in graph.nodes}
        self.max_steps = max_steps
        self.action_timeout = action_timeout
        for node in self.nodes.values():  # parse every condition once, up front
            if node.kind == "if":
                parse_expression(node.step.if_)

    # --- where the conversation stands ------------------------------------------------

    def asking(self, stack: list[Any]) -> str | None:
        """The slot the top flow of ``stack`` waits for, if it waits on a ``collect``."""
        node = self.nodes.get(stack[-1].node) if stack else None
        return node.step.collect if node is not None and node.kind == "collect" else None

    def waiting_node(self, stack: list[Any]) -> Node | None:
        """The node the top flow of ``stack`` stands at."""
        return self.nodes.get(stack[-1].node) if stack else None

    def active_form(self, tracker: Tracker) -> str | None:
        stack = tracker.stack
        return stack[-1].flow if stack and self.domain.flows[stack[-1].flow].form else None

    # --- moving flows -----------------------------------------------------------------

    def advance(self, tracker: Tracker, flow: str, node: str) -> None:
        target = self.nodes[node]
        if target.kind == "collect" and target.step.ask_before_filling and tracker.slots.get(target.step.collect) is not None:
            tracker.add(SlotSet(name=target.step.collect, value=None))
        tracker.add(FlowAdvanced(flow=flow, node=node))

    def resume_if_any(self, tracker: Tracker) -> None:
        stack = tracker.stack
        if stack:
            tracker.add(FlowResumed(flow=stack[-1].flow))

    def cancel_top(self, tracker: Tracker) -> None:
        """Cancel the top flow; a called sub-flow is part of its caller, which is cancelled too."""
        stack = tracker.stack
        while stack:
            frame = stack.pop()
            tracker.add(FlowCancelled(flow=frame.flow))
            if frame.return_to is None:
                break

    def rewind(self, tracker: Tracker, corrected: list[str]) -> None:
        """After a correction, move the active flow back to the corrected slot's collect step,
        so the steps after it (summaries, conditions, confirmations) run again with the new
        value; collects already answered are passed straight through."""
        stack = tracker.stack
        if not corrected or not stack:
            return
        frame = stack[-1]
        earliest = None
        for node in self.nodes.values():
            if node.flow == frame.flow and node.kind == "collect" and node.step.collect in corrected:
                if node.name != frame.node and nx.has_path(self.graph, node.name, frame.node):
                    if earliest is None or nx.has_path(self.graph, node.name, earliest):
                        earliest = node.name
        if earliest is not None:
            tracker.add(FlowAdvanced(flow=frame.flow, node=earliest))

    def stop_after_failure(self, turn: Turn, node: str | None = None) -> None:
        """A failed action stops its flow, so nothing after it (a confirmation) runs: the flow
        follows the action step's ``on_error`` branch when it has one; otherwise it ends (with
        the flows that called it), the bot says ``utter_error`` and the flow below resumes."""
        tracker = turn.tracker
        stack = tracker.stack
        if not stack:
            turn.say("utter_error", record=False)
            return
        branch = self.nodes[node].edges.get("error") if node else None
        if branch is not None:
            self.advance(tracker, stack[-1].flow, branch)
            return
        self.cancel_top(tracker)
        turn.say("utter_error", record=False)
        self.resume_if_any(tracker)

    # --- walking ----------------------------------------------------------------------

    def run(self, turn: Turn) -> None:
        """Walk the top flow until it waits for the user or the stack empties."""
        tracker = turn.tracker
        shown: str | None = None
        for _ in range(self.max_steps):
            stack = tracker.stack
            if not stack:
                return
            frame = stack[-1]
            if frame.flow != shown:
                shown = frame.flow
                if self.domain.flows[frame.flow].form:
                    turn.actions.append(frame.flow)  # a form runs (Rasa's view: the form action)
            node = self.nodes[frame.node]
            if STEPS[node.kind](self, turn, node) is WAIT:
                return
        tracker.add(ActionFailed(name="flow_policy", error=f"more than {self.max_steps} steps in one turn; stopped a runaway loop"))
        logger.error("conversation %s: stopped a runaway loop in flow %s", tracker.conversation_id, tracker.active_flow)
        for frame in reversed(tracker.stack):
            tracker.add(FlowCancelled(flow=frame.flow))
        turn.say("utter_error")

    def ask(self, turn: Turn, collect: Any) -> bool:
        """Ask for a ``collect`` step's slot; False when the asking action failed."""
        ask = collect.ask or ask_response(collect.collect, self.domain) or f"action_ask_{collect.collect}"
        in_form = self.domain.flows[turn.tracker.stack[-1].flow].form
        if ask in self.domain.actions:
            return self.action(turn, ask, record=not in_form)
        turn.say(ask, record=not in_form)  # a form asks as part of running (Rasa's view)
        return True

    def action(self, turn: Turn, name: str, record: bool = True, candidates: list[SlotSet] | None = None, depth: int = 0,
               then: Callable[[], None] | None = None) -> bool:
        """Run action ``name`` and apply what it returns; False when it failed (an
        :class:`ActionFailed` event is recorded; the caller decides what the flow does).
        ``then`` runs once the action has done its part, before a flow it starts (an
        ``active_loop`` event, or a follow-up naming a flow) is pushed: the step that ran it
        moves on first, so the flow it starts returns there."""
        tracker = turn.tracker
        if name in self.domain.flows and depth:  # a follow-up naming a form or flow: it starts (Rasa runs the form next; the run records it)
            if then is not None:
                then()
            self._start_from_action(tracker, name)
            return True
        if record:
            turn.actions.append(name)
        if name in BUILTIN_ACTIONS:
            self._builtin(tracker, name)
            if then is not None:
                then()
            return True
        if turn.executor is None:
            raise RuntimeError(f"action '{name}' cannot run: the turn has no action executor (the agent sets one)")
        form = self.active_form(tracker)
        outcome = turn.executor.run(name, tracker, form=form, requested_slot=self.asking(tracker.stack) if form else None,
                                    candidates=candidates, timeout=self.action_timeout)
        if not outcome.ok:
            tracker.add(ActionFailed(name=name, error=outcome.error or outcome.status))
            if outcome.status == "rejected" and then is not None:  # declined, not failed: nothing applied, the flow goes on
                then()
            return outcome.status == "rejected"
        tracker.add(ActionExecuted(name=name))
        # said right after the action event, before its other events (as Rasa logs them)
        turn.responses.extend(from_action(m, len(tracker.events)) for m in outcome.messages)
        for e in outcome.events:
            tracker.add(e)
        if outcome.deactivate_form and form:
            tracker.add(FlowCancelled(flow=form))
        started = outcome.activate_form if outcome.activate_form in self.domain.flows and outcome.activate_form != form else None
        followup = outcome.followup if depth < 10 else None
        if followup and not started:  # the follow-up finishes this step (or fails it)
            return self.action(turn, followup, depth=depth + 1, then=then)
        if then is not None:
            then()
        if started:
            self._start_from_action(tracker, started)
        return self.action(turn, followup, depth=depth + 1) if followup else True

    def _start_from_action(self, tracker: Tracker, flow: str) -> None:
        """Start ``flow`` for an action; when the flow that ran it was about to ``call`` it
        anyway (a story written the Rasa way: the action, then the form), that call is this
        one: the caller moves past it and gets the flow's return."""
        caller = tracker.stack[-1] if tracker.stack else None
        node = self.nodes.get(caller.node) if caller is not None else None
        if caller is not None and node is not None and node.kind == "call" and node.step.call == flow:
            self.advance(tracker, caller.flow, node.next("return"))
            tracker.add(FlowStarted(flow=flow, return_to=caller.flow))
        elif caller is None or caller.flow != flow:
            tracker.add(FlowStarted(flow=flow))

    def _builtin(self, tracker: Tracker, name: str) -> None:
        if name == "action_restart":
            tracker.add(Restarted())
        elif name == "action_deactivate_loop" and tracker.stack:  # Rasa's: the active form ends, even under a flow that interrupted it
            form = next((f.flow for f in reversed(tracker.stack) if self.domain.flows[f.flow].form), None)
            tracker.add(FlowCancelled(flow=form or tracker.stack[-1].flow))
        elif name == "action_cancel_flow" and tracker.stack:
            tracker.add(FlowCancelled(flow=tracker.stack[-1].flow))


# --- the step kinds: one handler each ---------------------------------------------------

def _start(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    rt.advance(turn.tracker, node.flow, node.next())
    return None


def _expect(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    return WAIT  # wait for the user's answer


def _collect(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    if turn.tracker.slots.get(node.step.collect) is not None:
        rt.advance(turn.tracker, node.flow, node.next())
        return None
    if rt.ask(turn, node.step):
        return WAIT
    rt.stop_after_failure(turn)
    return None


def _say(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    turn.say(node.step.say)
    rt.advance(turn.tracker, node.flow, node.next())
    return None


def _action(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    if not rt.action(turn, node.step.action, then=lambda: rt.advance(turn.tracker, node.flow, node.next())):
        rt.stop_after_failure(turn, node.name)
    return None


def _set(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    tracker = turn.tracker
    slots = tracker.slots
    for name, value in node.step.set.items():
        ok, coerced = coerce_slot_value(rt.domain.slots[name], value, slots.get(name))
        tracker.add(SlotSet(name=name, value=coerced if ok else None))
    rt.advance(tracker, node.flow, node.next())
    return None


def _if(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    branch = "then" if parse_expression(node.step.if_).evaluate(turn.tracker.slots) else "else"
    rt.advance(turn.tracker, node.flow, node.edges.get(branch) or node.edges.get("then") or node.next())
    return None


def _goto(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    rt.advance(turn.tracker, node.flow, node.next("goto"))
    return None


def _link(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    turn.tracker.add(FlowCompleted(flow=node.flow))
    turn.tracker.add(FlowStarted(flow=node.step.link))
    return None


def _call(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    rt.advance(turn.tracker, node.flow, node.next("return"))
    turn.tracker.add(FlowStarted(flow=node.step.call, return_to=node.flow))
    return None


def _end(rt: FlowRuntime, turn: Turn, node: Node) -> bool | None:
    turn.tracker.add(FlowCompleted(flow=node.flow))
    rt.resume_if_any(turn.tracker)
    return None


# Step kind (flowgraph's node ``kind``) -> how the runtime runs it. A new step kind is one
# schema class, one compile rule in flowgraph.py and one entry here.
STEPS: dict[str, Callable[[FlowRuntime, Turn, Node], bool | None]] = {
    "start": _start,
    "expect": _expect,
    "collect": _collect,
    "say": _say,
    "action": _action,
    "set": _set,
    "if": _if,
    "goto": _goto,
    "link": _link,
    "call": _call,
    "end": _end,
    "end_step": _end,
}
