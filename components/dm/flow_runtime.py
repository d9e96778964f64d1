"""The flow runtime: walks the top flow's steps until one waits for the user.

Each step kind is one entry of :data:`~.step_runners.STEPS`, a generator over a typed :class:`Node` (built
once from the policy graph) that moves the flow on by events on the :class:`Draft` and returns
:data:`WAIT` when the flow waits for the user. A step that runs an action yields a decision
with a :class:`RunAction` request; the agent runs it and sends the outcome back, and the
runtime reacts to it (apply what the action asked of the flows, follow the step's ``on_error``
branch, or stop the flow and say ``utter_error``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from dialogkit.framework.domain.builtins import UTTER_CONTINUE_INTERRUPTED, UTTER_ERROR
from dialogkit.framework.domain.expressions import parse_expression
from dialogkit.framework.domain.schema import Domain, ask_response
from dialogkit.framework.runtime.decisions import RunAction
from dialogkit.framework.runtime.tracker import (
    ActionFailed,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowFrame,
    FlowResumed,
    FlowStarted,
    SlotSet,
)

from .builtin_actions import BUILTIN_RUNNERS
from .draft import Draft
from .patterns import pattern_flow, start_on_top
from .step_runners import STEPS, WAIT, Steps

__all__ = ["BUILTIN_RUNNERS", "STEPS", "FlowRuntime", "Node", "Steps"]  # BUILTIN_RUNNERS: from .builtin_actions

logger = logging.getLogger(__name__)

MAX_FOLLOWUPS = 10  # follow-up actions one action may chain before the chain is cut



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
    def of(cls, graph: nx.DiGraph[str], name: str) -> Node:
        data = graph.nodes[name]
        edges: dict[str, str] = {}
        for _, target, d in graph.out_edges(name, data=True):
            edges.setdefault(d["kind"], target)
        return cls(
            name,
            data["flow"],
            data["kind"],
            data.get("step"),
            data.get("label", name),
            edges,
            dict(data.get("branches") or {}),
        )


class FlowRuntime:
    """Runs flows over ``graph`` for ``domain`` (see the module docstring)."""

    def __init__(self, domain: Domain, graph: nx.DiGraph[str], max_steps: int, action_timeout: float | None):
        self.domain = domain
        self.graph = graph
        self.nodes = {name: Node.of(graph, name) for name in graph.nodes}
        self.max_steps = max_steps
        self.action_timeout = action_timeout
        for node in self.nodes.values():  # parse every condition once, up front
            if node.kind == "if":
                parse_expression(node.step.if_)

    # --- where the conversation stands ------------------------------------------------

    def asking(self, stack: list[FlowFrame]) -> str | None:
        """The slot the top flow of ``stack`` waits for, if it waits on a ``collect``."""
        node = self.nodes.get(stack[-1].node) if stack else None
        return node.step.collect if node is not None and node.kind == "collect" else None

    def waiting_node(self, stack: list[FlowFrame]) -> Node | None:
        """The node the top flow of ``stack`` stands at."""
        return self.nodes.get(stack[-1].node) if stack else None

    def active_form(self, draft: Draft) -> str | None:
        stack = draft.stack
        return stack[-1].flow if stack and self.domain.flows[stack[-1].flow].form else None

    # --- moving flows -----------------------------------------------------------------

    def advance(self, draft: Draft, flow: str, node: str) -> None:
        target = self.nodes[node]
        if (
            target.kind == "collect"
            and target.step.ask_before_filling
            and draft.slots.get(target.step.collect) is not None
        ):
            draft.add(SlotSet(name=target.step.collect, value=None))
        draft.add(FlowAdvanced(flow=flow, node=node))

    def resume_if_any(self, draft: Draft) -> None:
        """The flow below the one that just ended goes on. When that one had interrupted it, the
        bot says ``utter_continue_<flow>`` or ``utter_continue_interrupted`` if it defines one
        ("Now, back to your booking"), before the flow asks again; or runs its flow
        ``pattern_continue_interrupted`` (the continue-interrupted pattern) when it has one."""
        stack = draft.stack
        if stack:
            flow = stack[-1].flow
            draft.add(FlowResumed(flow=flow))
            prompt = next(
                (r for r in (f"utter_continue_{flow}", UTTER_CONTINUE_INTERRUPTED) if r in self.domain.responses), None
            )
            if not _ended_an_interruption(draft):
                return
            pattern = pattern_flow(self.domain, "continue_interrupted")
            if pattern is not None:  # the bot's own way back (a flow run on top; it then goes on)
                start_on_top(draft, pattern)
            elif prompt is not None:
                draft.say(prompt, record=False)

    def cancel_top(self, draft: Draft) -> None:
        """Cancel the top flow; a called sub-flow is part of its caller, which is cancelled too."""
        stack = draft.stack
        while stack:
            frame = stack.pop()
            draft.add(FlowCancelled(flow=frame.flow))
            if frame.return_to is None:
                break

    def rewind(self, draft: Draft, corrected: list[str]) -> None:
        """After a correction, move the active flow back to the corrected slot's collect step,
        so the steps after it (summaries, conditions, confirmations) run again with the new
        value; collects already answered are passed straight through."""
        stack = draft.stack
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
            draft.add(FlowAdvanced(flow=frame.flow, node=earliest))

    def stop_after_failure(self, draft: Draft, node: str | None = None) -> None:
        """A failed action stops its flow, so nothing after it (a confirmation) runs: the flow
        follows the action step's ``on_error`` branch when it has one; otherwise it ends (with
        the flows that called it), the bot says ``utter_error`` and the flow below resumes."""
        stack = draft.stack
        if not stack:
            draft.say(UTTER_ERROR, record=False)
            return
        branch = self.nodes[node].edges.get("error") if node else None
        if branch is not None:
            self.advance(draft, stack[-1].flow, branch)
            return
        self.cancel_top(draft)
        draft.say(UTTER_ERROR, record=False)
        self.resume_if_any(draft)

    # --- walking ----------------------------------------------------------------------

    def run(self, draft: Draft, shown: str | None = None) -> Steps:
        """Walk the top flow until it waits for the user or the stack empties. ``shown``: a
        form that has already run this turn (it is not listed as running again)."""
        for _ in range(self.max_steps):
            stack = draft.stack
            if not stack:
                return
            frame = stack[-1]
            node = self.nodes[frame.node]
            if frame.flow != shown:
                shown = frame.flow
                if self.domain.flows[frame.flow].form and node.kind in ("start", "collect"):
                    # a form runs (Rasa's view: the form action); past its questions it is done
                    draft.record(frame.flow)
            done = STEPS[node.kind](self, draft, node)
            if isinstance(done, Generator):  # the step runs an action
                done = yield from done
            if done is WAIT:
                return
        draft.add(
            ActionFailed(
                name="flow_policy", error=f"more than {self.max_steps} steps in one turn; stopped a runaway loop"
            )
        )
        logger.error(
            "conversation %s: stopped a runaway loop in flow %s", draft.conversation.conversation_id, draft.active_flow
        )
        for frame in reversed(draft.stack):
            draft.add(FlowCancelled(flow=frame.flow))
        draft.say(UTTER_ERROR)

    def ask(self, draft: Draft, collect: Any, record: bool | None = None) -> Steps:
        """Ask for a ``collect`` step's slot; returns False when the asking action failed.
        ``record``: list the ask among what the DM did (None: unless a form asks, as part of
        running, Rasa's view)."""
        ask = collect.ask or ask_response(collect.collect, self.domain) or f"action_ask_{collect.collect}"
        if record is None:
            record = not self.domain.flows[draft.stack[-1].flow].form
        if ask in self.domain.actions:
            return (yield from self.action(draft, ask, record=record))
        draft.say(ask, record=record)
        return True

    def reask(self, draft: Draft) -> Steps:
        """Ask again what the top flow waits for, if it waits on a ``collect`` (after going back),
        not listed among what the DM did: Rasa listens there."""
        node = self.waiting_node(draft.stack)
        if node is None or node.kind != "collect" or draft.slots.get(node.step.collect) is not None:
            return
        if not (yield from self.ask(draft, node.step, record=False)):
            self.stop_after_failure(draft)

    def action(self, draft: Draft, name: str, record: bool = True, candidates: list[SlotSet] | None = None,
               then: tuple[str, str] | None = None) -> Steps:
        """Run action ``name`` (a request the agent runs) and react to its outcome; returns False
        when it failed (the agent recorded an ``ActionFailed`` event; the caller decides what
        the flow does). ``then`` (flow, node): where the step that runs it moves once the action
        has done its part (its follow-ups included), before a flow it starts (an ``active_loop``
        event, or a follow-up naming a flow) is pushed, so that flow returns there."""
        depth = 0
        while True:
            # a follow-up naming a form or flow: it starts (Rasa runs the form next)
            if depth and name in self.domain.flows:
                self._move(draft, then)
                self.start_for_action(draft, name)
                return True
            if record:
                draft.record(name)
            if name in BUILTIN_RUNNERS:  # Rasa's default actions: the DM runs them itself
                BUILTIN_RUNNERS[name](self, draft)
                self._move(draft, then)
                return True
            form = self.active_form(draft)
            request = RunAction(
                name, form, self.asking(draft.stack) if form else None, tuple(candidates or ()), self.action_timeout
            )
            outcome = yield draft.decision(request)
            if not outcome.ok:
                if outcome.status != "rejected":
                    return False
                self._move(draft, then)  # declined, not failed: nothing applied, the flow goes on
                return True
            if outcome.deactivate_form and form:
                draft.add(FlowCancelled(flow=form))
            started = (
                outcome.activate_form
                if outcome.activate_form in self.domain.flows and outcome.activate_form != form
                else None
            )
            followup = outcome.followup if depth < MAX_FOLLOWUPS else None
            record, candidates, depth = True, None, depth + 1
            if followup and not started:  # the follow-up finishes this step (or fails it)
                name = followup
                continue
            self._move(draft, then)
            if started:
                self.start_for_action(draft, started)
            if not followup:
                return True
            name, then = followup, None

    def _move(self, draft: Draft, then: tuple[str, str] | None) -> None:
        if then is not None:
            self.advance(draft, *then)

    def start_for_action(self, draft: Draft, flow: str) -> None:
        """Start ``flow`` for an action; when the flow that ran it was about to ``call`` it
        anyway (a story written the Rasa way: the action, then the form), that call is this
        one: the caller moves past it and gets the flow's return."""
        stack = draft.stack
        caller = stack[-1] if stack else None
        node = self.nodes.get(caller.node) if caller is not None else None
        if caller is not None and node is not None and node.kind == "call" and node.step.call == flow:
            self.advance(draft, caller.flow, node.next("return"))
            draft.add(FlowStarted(flow=flow, return_to=caller.flow))
        elif caller is None or caller.flow != flow:
            draft.add(FlowStarted(flow=flow))


def _ended_an_interruption(draft: Draft) -> bool:
    """Whether the flow that ended last (completed or cancelled) had started on its own, on top
    of another (an interruption), rather than being called by it."""
    ended = None
    for e in draft.reversed_events():
        if ended is None and isinstance(e, (FlowCompleted, FlowCancelled)):
            ended = e.flow
        elif ended is not None and isinstance(e, FlowStarted) and e.flow == ended:
            return e.return_to is None
    return False
