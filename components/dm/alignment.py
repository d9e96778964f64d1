"""Where the flows stand after something the DM did not decide: the mapping from what happened in
a conversation (an action that ran, a slot that was set, the form that is active) to the flow
stack, so a conversation's state can be set from its events (:meth:`FlowPolicy.align`).

A Rasa test story is replayed this way (``rasa test``'s semantics): at each of its steps the
DM's state is the story's, whatever the DM predicted before.

- ``ActiveLoop(form)``: the form is running (started where it would start if an action had
  started it), and no other form is (Rasa has one active loop); ``ActiveLoop(None)``: the active form is done: it moves
  past its questions to
  the steps it has after them (an imported form's submit rule), or ends and the flow that
  called it goes on.
- ``SlotSet("requested_slot", slot)``: the active form waits on ``slot``'s collect step.
- ``ActionExecuted(name)``: a built-in does what it does; a form starts; otherwise the top flow
  moves past the nearest step ahead of it that runs ``name`` (an action step, a response
  said, a collect asking with it); failing that, a flow the latest intent starts that runs
  ``name`` starts there; failing that, it ran in place of the step the top flow was at (a
  response or an action), which the flow moves past.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from dialogkit.framework.domain.flowgraph import start_node
from dialogkit.framework.domain.schema import ask_response
from dialogkit.framework.runtime.decisions import ActiveLoop, Happened
from dialogkit.framework.runtime.tracker import (
    ActionExecuted,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowInterrupted,
    FlowStarted,
    SlotSet,
)

from .draft import Draft
from .flow_runtime import BUILTIN_RUNNERS, FlowRuntime, Node

__all__ = ["REQUESTED_SLOT", "align"]

REQUESTED_SLOT = "requested_slot"  # Rasa's slot naming the slot a form asks for
SEARCH_LIMIT = 500  # nodes looked at for a step that runs an action (a flow is far smaller)


def align(rt: FlowRuntime, draft: Draft, happened: Happened, starting: Iterable[str]) -> None:
    """Add to ``draft`` the flow events that ``happened`` implies (see the module docstring).
    ``starting``: the flows the latest user message could start, best first."""
    if isinstance(happened, ActiveLoop):
        _loop(rt, draft, happened.name)
    elif isinstance(happened, SlotSet):
        if happened.name == REQUESTED_SLOT:
            _requested(rt, draft, happened.value)
    elif isinstance(happened, ActionExecuted):
        _action(rt, draft, happened.name, starting)


def _forms(rt: FlowRuntime, draft: Draft) -> list[str]:
    return [f.flow for f in draft.stack if rt.domain.flows[f.flow].form]


def _loop(rt: FlowRuntime, draft: Draft, name: str | None) -> None:
    forms = _forms(rt, draft)
    if name is None:
        if forms:
            _form_done(rt, draft, forms[-1])
    elif name in rt.domain.flows:
        for other in forms:  # one form is active at a time, as Rasa's active_loop: the others are over
            if other != name:
                draft.add(FlowCancelled(flow=other))
        if name not in {f.flow for f in draft.stack}:
            rt.start_for_action(draft, name)


def _form_done(rt: FlowRuntime, draft: Draft, form: str) -> None:
    """The form has all it asks for: it moves to its first step with no question left ahead
    (what an imported form does once filled: the submit rule's steps); with none, it ends and
    the flow that called it goes on."""
    stack = draft.stack
    if stack[-1].flow == form:
        target = _ahead(rt, stack[-1].node, lambda n: n.kind != "collect" and _ahead(rt, n.name, _asks) is None)
        if target is not None and target.kind not in ("end", "end_step"):
            if target.name != stack[-1].node:
                draft.add(FlowAdvanced(flow=form, node=target.name))
            return
    draft.add(FlowCompleted(flow=form))
    rt.resume_if_any(draft)


def _asks(node: Node) -> bool:
    return node.kind == "collect"


def _requested(rt: FlowRuntime, draft: Draft, slot: object) -> None:
    stack = draft.stack
    if not stack or not rt.domain.flows[stack[-1].flow].form or not isinstance(slot, str):
        return
    frame = stack[-1]
    target = next(
        (n for n in rt.nodes.values() if n.flow == frame.flow and n.kind == "collect" and n.step.collect == slot), None
    )
    if target is not None and target.name != frame.node:
        draft.add(FlowAdvanced(flow=frame.flow, node=target.name))


def _action(rt: FlowRuntime, draft: Draft, name: str, starting: Iterable[str]) -> None:
    if name in rt.domain.flows:
        _loop(rt, draft, name)
        return
    stack = draft.stack
    found = _ahead(rt, stack[-1].node, lambda n: _runs(rt, n, name)) if stack else None
    if found is None:
        for flow in starting:
            found = _ahead(rt, start_node(flow), lambda n: _runs(rt, n, name))
            if found is not None:
                if stack:
                    draft.add(FlowInterrupted(flow=stack[-1].flow))
                draft.add(FlowStarted(flow=flow))
                break
    if name in BUILTIN_RUNNERS:  # what it does, wherever it ran
        BUILTIN_RUNNERS[name](rt, draft)
    stack = draft.stack
    if found is not None and stack and stack[-1].flow == found.flow:
        _past(rt, draft, found)
    elif found is None and name not in BUILTIN_RUNNERS and stack and rt.nodes[stack[-1].node].kind in ("say", "action"):
        _past(rt, draft, rt.nodes[stack[-1].node])  # it ran instead of the step the flow was at


def _past(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    """Move ``node``'s flow to where it stands once ``node`` has run: after it, or on it for a
    collect that asked (it now waits for the answer)."""
    rt.advance(draft, node.flow, node.name if node.kind == "collect" else node.next())


def _runs(rt: FlowRuntime, node: Node, name: str) -> bool:
    if node.kind == "action":
        return bool(node.step.action == name)
    if node.kind == "say":
        return bool(node.step.say == name)
    if node.kind == "collect":
        return (
            node.step.ask or ask_response(node.step.collect, rt.domain) or f"action_ask_{node.step.collect}"
        ) == name
    return False


def _ahead(rt: FlowRuntime, start: str, test: Callable[[Node], bool]) -> Node | None:
    """The nearest node from ``start`` on (itself included, within its flow) that passes ``test``."""
    seen, queue = {start}, deque([start])
    while queue and len(seen) < SEARCH_LIMIT:
        node = rt.nodes[queue.popleft()]
        if test(node):
            return node
        for target in rt.graph.successors(node.name):
            if target not in seen and rt.nodes[target].flow == node.flow:
                seen.add(target)
                queue.append(target)
    return None

