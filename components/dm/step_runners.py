"""The step kinds' runners: one function per kind of flow step, and the :data:`STEPS` registry the
:class:`~dialogkit.components.dm.flow_runtime.FlowRuntime` dispatches on."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from dialogkit.framework.domain.builtins import SKIP
from dialogkit.framework.domain.expressions import parse_expression
from dialogkit.framework.domain.slot_types import coerce_slot_value
from dialogkit.framework.domain.steps import STEP_CLASSES
from dialogkit.framework.runtime.decisions import Decision
from dialogkit.framework.runtime.tracker import FlowAdvanced, FlowCompleted, FlowStarted, SlotSet, UserUttered

from .draft import Draft

if TYPE_CHECKING:
    from .flow_runtime import FlowRuntime, Node

WAIT = True  # a step handler's answer when the flow waits for the user's next message

# What a step (or anything that may run an action) is: a generator of decisions with requests,
# sent each request's outcome, returning its own result.
Steps = Generator[Decision, Any, Any]

# --- the step kinds: one handler each ---------------------------------------------------
# A handler returns WAIT when the flow waits for the user; one that may run an action is a
# generator (it yields the action's request and gets its outcome) returning the same.

def _start(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    rt.advance(draft, node.flow, node.next())


def _expect(rt: FlowRuntime, draft: Draft, node: Node) -> bool | None:
    """Wait for the user's answer; but a ``yield_to_form`` flow that interrupted a form ends there
    and the form goes on (as in Rasa, where the active form runs right after an interruption's
    actions unless a rule for that form says otherwise)."""
    stack = draft.stack
    if rt.domain.flows[node.flow].yield_to_form and any(rt.domain.flows[f.flow].form for f in stack[:-1]):
        draft.add(FlowCompleted(flow=node.flow))
        rt.resume_if_any(draft)
        return None
    return WAIT


def _collect(rt: FlowRuntime, draft: Draft, node: Node) -> Steps:
    if draft.slots.get(node.step.collect) is not None or node.step.skippable and _skipped(draft, node):
        rt.advance(draft, node.flow, node.next())
        return None
    if (yield from rt.ask(draft, node.step)):
        return WAIT
    rt.stop_after_failure(draft)
    return None


def _skipped(draft: Draft, node: Node) -> bool:
    """Whether the user skipped this question since its flow started (the skip pattern moved the
    flow past it on a ``skip`` message): going back over it (a correction) does not ask it again."""
    after, moved = node.next(), False
    for e in draft.reversed_events():
        if isinstance(e, FlowStarted) and e.flow == node.flow:
            return False
        if isinstance(e, FlowAdvanced) and e.flow == node.flow and e.node == after:
            moved = True
        elif isinstance(e, UserUttered):
            if moved and (e.parse.get("intent") or {}).get("name") == SKIP:
                return True
            moved = False
    return False


def _say(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    draft.say(node.step.say)
    rt.advance(draft, node.flow, node.next())


def _action(rt: FlowRuntime, draft: Draft, node: Node) -> Steps:
    if not (yield from rt.action(draft, node.step.action, then=(node.flow, node.next()))):
        rt.stop_after_failure(draft, node.name)
    return None


def _set(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    slots = draft.slots
    for name, value in node.step.set.items():
        ok, coerced = coerce_slot_value(rt.domain.slots[name], value, slots.get(name))
        draft.add(SlotSet(name=name, value=coerced if ok else None))
    rt.advance(draft, node.flow, node.next())


def _if(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    branch = "then" if parse_expression(node.step.if_).evaluate(draft.slots) else "else"
    rt.advance(draft, node.flow, node.edges.get(branch) or node.edges.get("then") or node.next())


def _goto(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    rt.advance(draft, node.flow, node.next("goto"))


def _link(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    draft.add(FlowCompleted(flow=node.flow))
    draft.add(FlowStarted(flow=node.step.link))


def _call(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    rt.advance(draft, node.flow, node.next("return"))
    draft.add(FlowStarted(flow=node.step.call, return_to=node.flow))


def _end(rt: FlowRuntime, draft: Draft, node: Node) -> None:
    draft.add(FlowCompleted(flow=node.flow))
    rt.resume_if_any(draft)


# Step kind (flowgraph's node ``kind``) -> how the runtime runs it. A new step kind is one
# schema class, one compile rule in flowgraph.py and one entry here.
STEPS: dict[str, Callable[[FlowRuntime, Draft, Node], bool | None | Steps]] = {
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
if set(STEPS) != {c.NODE for c in STEP_CLASSES} | {"start", "end"}:
    raise RuntimeError(f"step kinds without a runner: {sorted({c.NODE for c in STEP_CLASSES} - set(STEPS))}")
