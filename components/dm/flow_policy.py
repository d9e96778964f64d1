"""Runs the policy graph: fills slots, starts/interrupts/resumes flows, walks their steps.

Per user message:

1. ``restart`` clears the conversation; slots are filled from the NLU result through
   the slot mappings (conditions on the active flow and the slot it is asking for).
2. ``nlu_fallback`` says ``utter_default`` and re-asks, keeping all state.
3. ``cancel`` ends the active flow (``utter_flow_cancelled``) and resumes the one below.
4. An intent that triggers another flow interrupts the active one; when it ends the
   interrupted flow resumes and re-asks what it was waiting for.
5. The top flow advances until a ``collect`` must wait for the user or the stack empties.

Every change is an event on the tracker, so a conversation replays to the same state.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import networkx as nx

from framework.actions import ActionRunner
from framework.archive import sha256_file
from framework.components import Component, ComponentConfig, TrainingContext, Turn
from framework.domain.schema import FromEntity, FromIntent, FromText
from framework.expressions import parse_expression
from framework.flowgraph import compile_flows
from framework.slots import coerce_slot_value
from framework.tracker import (
    ActionExecuted,
    ActionFailed,
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowInterrupted,
    FlowResumed,
    FlowStarted,
    Restarted,
    SlotSet,
    Tracker,
)

logger = logging.getLogger(__name__)


class FlowPolicyConfig(ComponentConfig):
    max_actions_per_turn: int = 50
    fallback_response: str = "utter_default"


class FlowPolicy(Component):
    name = "flow_policy"
    stage = "dm"
    Config = FlowPolicyConfig
    trainable = True  # "training" snapshots the bot's custom action code into the archive

    def __init__(self, config: FlowPolicyConfig, domain: Any, action_dirs: list[Path] | None = None):
        super().__init__(config, domain)
        self.graph: nx.DiGraph = compile_flows(domain)
        self.actions = ActionRunner(domain.actions, action_dirs or [])
        for flow in domain.flows.values():  # parse every condition once, up front
            if flow.when and flow.when.condition:
                parse_expression(flow.when.condition)
        for _, data in self.graph.nodes(data=True):
            if data.get("kind") == "if":
                parse_expression(data["step"].if_)
        self._code_files: list[Path] = []
        self._root = Path(".")

    # --- training: keep the custom action code with the model ----------------------------

    def train(self, context: TrainingContext) -> None:
        self._root = bot_root(context.loaded)
        self._code_files = action_code_files(context.loaded)

    def data_fingerprint(self, context: TrainingContext) -> Any:
        return [super().data_fingerprint(context), {str(p): sha256_file(p) for p in action_code_files(context.loaded)}]

    def save(self, path: Path) -> None:
        dest = path / "actions"
        for f in self._code_files:
            rel = f.relative_to(self._root)
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / rel)

    @classmethod
    def load(cls, path: Path, config: FlowPolicyConfig, domain: Any) -> FlowPolicy:
        return cls(config, domain, [path / "actions"])

    # --- per turn ---------------------------------------------------------------------

    def process(self, turn: Turn) -> None:
        tracker: Tracker = turn.tracker
        intent = (turn.intent or {}).get("name", "nlu_fallback")
        if intent == "restart":
            tracker.add(ActionExecuted(name="action_restart"))
            tracker.add(Restarted())
            return
        stack = tracker.stack
        asking = self._asking(stack)
        invalid = self._fill_slots(turn, tracker, intent, asking)
        if intent == "nlu_fallback" and asking is not None and self._slots_changed(tracker):
            intent = "inform"  # unsure about the intent, but the message answered the question asked
        if intent == "nlu_fallback":
            self._say(turn, self.config.fallback_response)
            self._run(turn, tracker)  # re-asks the collect the flow waits on
            return
        if intent == "cancel" and stack:
            # a called sub-flow is part of its caller: cancelling it cancels the caller too
            while stack:
                frame = stack.pop()
                tracker.add(FlowCancelled(flow=frame.flow))
                if frame.return_to is None:
                    break
            self._say(turn, "utter_flow_cancelled")
            self._resume_if_any(tracker)
            self._run(turn, tracker)
            return
        flow = self._triggered(intent, tracker)
        if flow is not None and stack and not self.domain.flows[stack[-1].flow].interruptible:
            flow = None  # the active flow asked not to be interrupted: the message only fills slots
        if flow is not None and flow != tracker.active_flow:
            if stack:
                tracker.add(FlowInterrupted(flow=stack[-1].flow))
            tracker.add(FlowStarted(flow=flow))
        elif not stack:
            self._say(turn, self.config.fallback_response)  # nothing to do with this intent; slots stay set
            return
        if invalid:
            slot = self.domain.slots[invalid]
            if slot.invalid_response:
                self._say(turn, slot.invalid_response)
        self._run(turn, tracker)

    def _asking(self, stack: list[Any]) -> str | None:
        if not stack:
            return None
        data = self.graph.nodes.get(stack[-1].node, {})
        return data["step"].collect if data.get("kind") == "collect" else None

    def _slots_changed(self, tracker: Tracker) -> bool:
        for e in reversed(tracker.events):
            if isinstance(e, SlotSet):
                return True
            if e.event == "user":
                return False
        return False

    # --- slot filling -----------------------------------------------------------------

    def _fill_slots(self, turn: Turn, tracker: Tracker, intent: str, asking: str | None) -> str | None:
        """Apply slot mappings; return the name of the asked slot if the user's value was invalid."""
        active = tracker.active_flow
        slots = tracker.slots
        invalid = None
        corrected: list[str] = []
        for name, slot in self.domain.slots.items():
            for m in slot.mappings:
                if m.conditions and not any(
                    (c.active_flow is None or c.active_flow == active) and (c.requested_slot is None or c.requested_slot == asking)
                    for c in m.conditions
                ):
                    continue
                if m.not_intents() and intent in m.not_intents():
                    continue
                if isinstance(m, FromIntent):
                    wanted = [m.intent] if isinstance(m.intent, str) else m.intent
                    if intent not in wanted:
                        continue
                    raw = m.value
                elif isinstance(m, FromEntity):
                    if m.intents() and intent not in m.intents():
                        continue
                    values = [e["value"] for e in turn.entities if e["entity"] == m.entity and (m.role is None or e.get("role") == m.role)]
                    if not values:
                        continue
                    raw = values if slot.type.value == "list" else values[0]
                elif isinstance(m, FromText):
                    if (m.intents() and intent not in m.intents()) or (not m.conditions and asking != name):
                        continue
                    raw = turn.text
                else:  # pragma: no cover - the schema admits no other mapping
                    continue
                ok, value = coerce_slot_value(slot, raw, slots.get(name))
                if ok and slot.validator:
                    try:
                        value = self.actions.validate(slot.validator, value, tracker)
                    except Exception as e:  # noqa: BLE001 - a failing validator must not end the conversation
                        logger.error("slot validator %s for '%s' failed: %s", slot.validator, name, e)
                        value = None
                    ok = value is not None
                if not ok:
                    if name == asking:
                        invalid = name
                    break
                if value != slots.get(name):
                    if slots.get(name) is not None and name != asking:
                        corrected.append(name)
                    tracker.add(SlotSet(name=name, value=value))
                    slots[name] = value
                break  # the first mapping that applies wins
        self._rewind(tracker, corrected)
        return invalid

    def _rewind(self, tracker: Tracker, corrected: list[str]) -> None:
        """After a correction, move the active flow back to the corrected slot's collect step,
        so the steps after it (summaries, conditions, confirmations) run again with the new
        value; collects already answered are passed straight through."""
        stack = tracker.stack
        if not corrected or not stack:
            return
        frame = stack[-1]
        earliest = None
        for node, data in self.graph.nodes(data=True):
            if data.get("flow") == frame.flow and data.get("kind") == "collect" and data["step"].collect in corrected:
                if node != frame.node and nx.has_path(self.graph, node, frame.node):
                    if earliest is None or nx.has_path(self.graph, node, earliest):
                        earliest = node
        if earliest is not None:
            tracker.add(FlowAdvanced(flow=frame.flow, node=earliest))

    def _triggered(self, intent: str, tracker: Tracker) -> str | None:
        slots = tracker.slots
        for name, flow in self.domain.flows.items():
            if flow.when is None or intent not in flow.when.intents():
                continue
            if flow.when.condition and not parse_expression(flow.when.condition).evaluate(slots):
                continue
            return name
        return None

    # --- walking the graph ------------------------------------------------------------

    def _say(self, turn: Turn, response: str) -> None:
        # slot values as they are now: a later `set` step in the same turn must not change what was said
        turn.responses.append({"response": response, "slots": turn.tracker.slots})

    def _resume_if_any(self, tracker: Tracker) -> None:
        stack = tracker.stack
        if stack:
            tracker.add(FlowResumed(flow=stack[-1].flow))

    def _advance(self, tracker: Tracker, flow: str, node: str) -> None:
        data = self.graph.nodes[node]
        if data.get("kind") == "collect" and data["step"].ask_before_filling and tracker.slots.get(data["step"].collect) is not None:
            tracker.add(SlotSet(name=data["step"].collect, value=None))
        tracker.add(FlowAdvanced(flow=flow, node=node))

    def _next(self, node: str, edge: str | None = None) -> str:
        succ = [(v, d["kind"]) for _, v, d in self.graph.out_edges(node, data=True)]
        for v, kind in succ:
            if edge is None and kind in ("next", "return") or kind == edge:
                return v
        return succ[0][0]  # an `if` whose branches share one successor

    def _run(self, turn: Turn, tracker: Tracker) -> None:
        for _ in range(self.config.max_actions_per_turn):
            stack = tracker.stack
            if not stack:
                return
            frame = stack[-1]
            node, flow = frame.node, frame.flow
            data = self.graph.nodes[node]
            kind = data["kind"]
            step = data.get("step")
            if kind == "start":
                self._advance(tracker, flow, self._next(node))
            elif kind == "collect":
                if tracker.slots.get(step.collect) is not None:
                    self._advance(tracker, flow, self._next(node))
                    continue
                self._ask(turn, tracker, step)
                return
            elif kind == "say":
                self._say(turn, step.say)
                self._advance(tracker, flow, self._next(node))
            elif kind == "action":
                self._action(turn, tracker, step.action)
                self._advance(tracker, flow, self._next(node))
            elif kind == "set":
                slots = tracker.slots
                for name, value in step.set.items():
                    ok, coerced = coerce_slot_value(self.domain.slots[name], value, slots.get(name))
                    tracker.add(SlotSet(name=name, value=coerced if ok else None))
                self._advance(tracker, flow, self._next(node))
            elif kind == "if":
                branch = "then" if parse_expression(step.if_).evaluate(tracker.slots) else "else"
                edges = {d["kind"]: v for _, v, d in self.graph.out_edges(node, data=True)}
                self._advance(tracker, flow, edges.get(branch) or edges.get("then") or self._next(node))
            elif kind == "goto":
                self._advance(tracker, flow, self._next(node, "goto"))
            elif kind == "link":
                tracker.add(FlowCompleted(flow=flow))
                tracker.add(FlowStarted(flow=step.link))
            elif kind == "call":
                self._advance(tracker, flow, self._next(node, "return"))
                tracker.add(FlowStarted(flow=step.call, return_to=flow))
            elif kind in ("end", "end_step"):
                tracker.add(FlowCompleted(flow=flow))
                self._resume_if_any(tracker)
        tracker.add(ActionFailed(name="flow_policy", error=f"more than {self.config.max_actions_per_turn} steps in one turn; stopped a runaway loop"))
        logger.error("conversation %s: stopped a runaway loop in flow %s", tracker.conversation_id, tracker.active_flow)
        for frame in reversed(tracker.stack):
            tracker.add(FlowCancelled(flow=frame.flow))
        self._say(turn, "utter_error")

    def _ask(self, turn: Turn, tracker: Tracker, step: Any) -> None:
        ask = step.ask or (f"utter_ask_{step.collect}" if f"utter_ask_{step.collect}" in self.domain.responses else f"action_ask_{step.collect}")
        if ask in self.domain.actions:
            self._action(turn, tracker, ask)
        else:
            self._say(turn, ask)

    def _action(self, turn: Turn, tracker: Tracker, name: str) -> None:
        if name == "action_restart":
            tracker.add(Restarted())
            return
        if name == "action_cancel_flow":
            if tracker.stack:
                tracker.add(FlowCancelled(flow=tracker.stack[-1].flow))
            return
        if name in ("action_listen", "action_session_start"):
            return
        try:
            events, messages = self.actions.run(name, tracker)
        except Exception as e:  # noqa: BLE001 - a failing action is reported, the conversation goes on
            logger.exception("custom action '%s' failed", name)
            tracker.add(ActionFailed(name=name, error=f"{type(e).__name__}: {e}"))
            self._say(turn, "utter_error")
            return
        tracker.add(ActionExecuted(name=name))
        for e in events:
            if isinstance(e, SlotSet) and e.name not in self.domain.slots:
                logger.warning("action '%s' set unknown slot '%s'; ignored", name, e.name)
                continue
            tracker.add(e)
        turn.responses.extend(messages)

    def flow_position(self, tracker: Tracker) -> str | None:
        """Label of the step the active flow is at (for debug views)."""
        stack = tracker.stack
        return self.graph.nodes[stack[-1].node].get("label") if stack else None


def bot_root(loaded: Any) -> Path:
    root = Path(loaded.directory)
    return root.parent if root.is_file() else root


def action_code_files(loaded: Any) -> list[Path]:
    """Python files in the bot directory that hold the domain's actions and validators."""
    root = bot_root(loaded)
    refs = list(loaded.domain.actions.values()) + [s.validator for s in loaded.domain.slots.values() if s.validator]
    files: set[Path] = set()
    for ref in refs:
        top = ref.split(":")[0].split(".")[0]
        if (root / f"{top}.py").is_file():
            files.add(root / f"{top}.py")
        elif (root / top).is_dir():
            files.update(p for p in (root / top).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(files)
