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
from pydantic import Field

from dialogkit.framework.actions import ActionRejected, ActionRunner
from dialogkit.framework.archive import sha256_file
from dialogkit.framework.components import Component, ComponentConfig, TrainingContext, Turn
from dialogkit.framework.domain.schema import REMOTE_ACTION, FromEntity, FromIntent, FromText
from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.expressions import parse_expression
from dialogkit.framework.flowgraph import compile_flows
from dialogkit.framework.slots import check_slot_value, coerce_slot_value
from dialogkit.framework.tracker import (
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
    action_timeout: float | None = Field(30.0, gt=0)  # seconds a custom action or validator may take; then it has failed
    fallback_response: str = "utter_default"
    validate_slots_action: str | None = None  # run after every user message with the slots it set (Rasa's action_validate_slot_mappings)


class FlowPolicy(Component):
    name = "flow_policy"
    stage = "dm"
    Config = FlowPolicyConfig
    trainable = True  # "training" snapshots the bot's custom action code into the archive

    def __init__(self, config: FlowPolicyConfig, domain: Any, action_dirs: list[Path] | None = None, endpoint: Any = None):
        super().__init__(config, domain)
        self.graph: nx.DiGraph = compile_flows(domain)
        self.actions = ActionRunner(domain.actions, action_dirs or [], timeout=config.action_timeout)
        self.remote: Any = None  # RemoteActions for actions marked `remote` (endpoints.yml)
        self._endpoint = endpoint
        self._endpoints_file: Path | None = None
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
        endpoints = self._root / "endpoints.yml"
        self._endpoints_file = endpoints if endpoints.is_file() else None

    def data_fingerprint(self, context: TrainingContext) -> Any:
        return [super().data_fingerprint(context), {str(p): sha256_file(p) for p in action_code_files(context.loaded)}]

    def save(self, path: Path) -> None:
        if self._endpoints_file is not None:
            shutil.copyfile(self._endpoints_file, path / "endpoints.yml")
        dest = path / "actions"
        for f in self._code_files:
            rel = f.relative_to(self._root)
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / rel)

    @classmethod
    def load(cls, path: Path, config: FlowPolicyConfig, domain: Any) -> FlowPolicy:
        endpoint = None
        if (path / "endpoints.yml").is_file() and any(ref == REMOTE_ACTION for ref in domain.actions.values()):
            from dialogkit.framework.rasa.action_server import load_endpoints

            endpoint = load_endpoints(path / "endpoints.yml")
        return cls(config, domain, [path / "actions"], endpoint)

    def set_action_endpoint(self, endpoint: Any) -> None:
        """Use this action server (an :class:`~framework.rasa.action_server.ActionEndpoint`) for `remote` actions."""
        if self.remote is not None:
            self.remote.close()
        self._endpoint, self.remote = endpoint, None

    # --- per turn ---------------------------------------------------------------------

    def process(self, turn: Turn) -> None:
        tracker: Tracker = turn.tracker
        intent = (turn.intent or {}).get("name", "nlu_fallback")
        if intent == "restart":
            turn.actions.append("action_restart")
            tracker.add(ActionExecuted(name="action_restart"))
            tracker.add(Restarted())
            return
        stack = tracker.stack
        asking = self._asking(stack)
        invalid, ok = self._fill_slots(turn, tracker, intent, asking)
        if ok and self.config.validate_slots_action:
            ok = self._action(turn, tracker, self.config.validate_slots_action, record=False, candidates=self._slots_set_this_turn(tracker))
        if ok and stack:
            ran, ok = self._validate(turn, tracker, stack[-1].flow)
            if ran:
                asking = self._asking(tracker.stack)
        if not ok:  # a validator or validation action failed: its flow stops, nothing else is read into this message
            self._stop_after_failure(turn, tracker)
            self._run(turn, tracker)
            return
        if intent == "nlu_fallback" and asking is not None and self._slots_set_this_turn(tracker):
            intent = "inform"  # unsure about the intent, but the message answered the question asked
        if intent == "nlu_fallback":
            self._say(turn, self.config.fallback_response)
            self._run(turn, tracker)  # re-asks the collect the flow waits on
            return
        if intent == "cancel" and stack:
            self._cancel_top(tracker)
            self._say(turn, "utter_flow_cancelled")
            self._resume_if_any(tracker)
            self._run(turn, tracker)
            return
        if stack and self.graph.nodes[stack[-1].node].get("kind") == "expect":
            branches = self.graph.nodes[stack[-1].node]["branches"]
            if intent in branches:
                self._advance(tracker, stack[-1].flow, branches[intent])
                self._run(turn, tracker)
                return
            # the flow only waited for those answers: it ends, and the message is handled without it
            tracker.add(FlowCompleted(flow=stack[-1].flow))
            self._resume_if_any(tracker)
            stack = tracker.stack
        flow = self._triggered(intent, tracker)
        if flow is not None and stack and not self.domain.flows[stack[-1].flow].interruptible:
            flow = None  # the active flow asked not to be interrupted: the message only fills slots
        if flow is not None and stack and self.domain.flows[stack[-1].flow].form and asking in {e.name for e in self._slots_set_this_turn(tracker)}:
            flow = None  # a form goes on when the message answered its question (Rasa: the form runs before rules)
        if flow is not None and flow != tracker.active_flow:
            if stack:
                tracker.add(FlowInterrupted(flow=stack[-1].flow))
            tracker.add(FlowStarted(flow=flow))
            if not self._validate(turn, tracker, flow)[1]:
                self._stop_after_failure(turn, tracker)
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

    def _slots_set_this_turn(self, tracker: Tracker) -> list[SlotSet]:
        out: list[SlotSet] = []
        for e in reversed(tracker.events):
            if e.event == "user":
                break
            if isinstance(e, SlotSet):
                out.append(e)
        return out[::-1]

    def _validate(self, turn: Turn, tracker: Tracker, flow: str) -> tuple[bool, bool]:
        """Run flow ``flow``'s `validate` action on this message (with the slots it set; the
        action may also extract slots itself, as Rasa's ``extract_<slot>``).
        Returns (it ran, it did not fail)."""
        action = self.domain.flows[flow].validate_ if flow in self.domain.flows else None
        if not action:
            return False, True
        candidates = self._slots_set_this_turn(tracker)
        before = tracker.slots
        if not self._action(turn, tracker, action, record=False, candidates=candidates):
            return True, False
        # a validator may clear slots the flow already collected: go back to the first of them
        after = tracker.slots
        self._rewind(tracker, [name for name, value in before.items() if value is not None and after.get(name) is None])
        return True, True

    # --- slot filling -----------------------------------------------------------------

    def _fill_slots(self, turn: Turn, tracker: Tracker, intent: str, asking: str | None) -> tuple[str | None, bool]:
        """Apply slot mappings. Returns the name of the asked slot if the user's value was
        invalid, and False when a slot validator failed (raised or could not be imported)."""
        active = tracker.active_flow
        slots = tracker.slots
        invalid = None
        validators_ok = True
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
                    values = [e["value"] for e in turn.entities if e["entity"] == m.entity and (m.role is None or e.get("role") == m.role) and (m.group is None or e.get("group") == m.group)]
                    if not values:
                        continue
                    raw = values if slot.type.value == "list" else values[0]
                elif isinstance(m, FromText):
                    if (m.intents() and intent not in m.intents()) or (not m.conditions and asking != name) or turn.payload:
                        continue  # a button payload is not free text
                    raw = turn.text
                else:  # pragma: no cover - the schema admits no other mapping
                    continue
                ok, value, why = check_slot_value(slot, raw, slots.get(name))
                if ok and slot.validator:
                    try:
                        value = self.actions.validate(slot.validator, value, tracker)
                    except Exception as e:  # noqa: BLE001 - reported; its flow stops instead of asking forever
                        _log_failure(f"slot validator {slot.validator} for '{name}'", e)
                        tracker.add(ActionFailed(name=slot.validator, error=f"{type(e).__name__}: {e}"))
                        validators_ok = False
                        break
                    ok = value is not None
                    why = None if ok else f"refused by {slot.validator}"
                if not ok:
                    turn.refused.append({"slot": name, "value": raw, "why": why, "asked": name == asking})
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
        return invalid, validators_ok

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

    def _say(self, turn: Turn, response: str, record: bool = True) -> None:
        # slot values as they are now: a later `set` step in the same turn must not change what was said
        turn.responses.append({"response": response, "slots": turn.tracker.slots})
        turn.positions.append(len(turn.tracker.events))
        if record:
            turn.actions.append(response)

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
        shown: str | None = None
        for _ in range(self.config.max_actions_per_turn):
            stack = tracker.stack
            if not stack:
                return
            frame = stack[-1]
            node, flow = frame.node, frame.flow
            if flow != shown:
                shown = flow
                if self.domain.flows[flow].form:
                    turn.actions.append(flow)  # a form runs (Rasa's view: the form action)
            data = self.graph.nodes[node]
            kind = data["kind"]
            step = data.get("step")
            if kind == "expect":
                return  # wait for the user's answer
            if kind == "start":
                self._advance(tracker, flow, self._next(node))
            elif kind == "collect":
                if tracker.slots.get(step.collect) is not None:
                    self._advance(tracker, flow, self._next(node))
                    continue
                if self._ask(turn, tracker, step):
                    return
                self._stop_after_failure(turn, tracker)
            elif kind == "say":
                self._say(turn, step.say)
                self._advance(tracker, flow, self._next(node))
            elif kind == "action":
                if self._action(turn, tracker, step.action):
                    self._advance(tracker, flow, self._next(node))
                else:
                    self._stop_after_failure(turn, tracker, node)
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

    def _ask(self, turn: Turn, tracker: Tracker, step: Any) -> bool:
        """Ask for ``step``'s slot; False when the asking action failed."""
        ask = step.ask or (f"utter_ask_{step.collect}" if f"utter_ask_{step.collect}" in self.domain.responses else f"action_ask_{step.collect}")
        in_form = self.domain.flows[tracker.stack[-1].flow].form
        if ask in self.domain.actions:
            return self._action(turn, tracker, ask, record=not in_form)
        self._say(turn, ask, record=not in_form)  # a form asks as part of running (Rasa's view)
        return True

    def _cancel_top(self, tracker: Tracker) -> None:
        """Cancel the top flow; a called sub-flow is part of its caller, which is cancelled too."""
        stack = tracker.stack
        while stack:
            frame = stack.pop()
            tracker.add(FlowCancelled(flow=frame.flow))
            if frame.return_to is None:
                break

    def _stop_after_failure(self, turn: Turn, tracker: Tracker, node: str | None = None) -> None:
        """A failed action stops its flow, so nothing after it (a confirmation) runs: the flow
        follows the action step's ``on_error`` branch when it has one; otherwise it ends (with
        the flows that called it), the bot says ``utter_error`` and the flow below resumes."""
        stack = tracker.stack
        if not stack:
            self._say(turn, "utter_error", record=False)
            return
        branch = next((v for _, v, d in self.graph.out_edges(node, data=True) if d["kind"] == "error"), None) if node else None
        if branch is not None:
            self._advance(tracker, stack[-1].flow, branch)
            return
        self._cancel_top(tracker)
        self._say(turn, "utter_error", record=False)
        self._resume_if_any(tracker)

    def _action(self, turn: Turn, tracker: Tracker, name: str, record: bool = True, candidates: list[SlotSet] | None = None, depth: int = 0) -> bool:
        """Run action ``name`` and apply what it returns; False when it failed (an
        :class:`ActionFailed` event is recorded; the caller decides what the flow does)."""
        if record:
            turn.actions.append(name)
        if name == "action_restart":
            tracker.add(Restarted())
            return True
        if name in ("action_cancel_flow", "action_deactivate_loop"):
            if tracker.stack:
                tracker.add(FlowCancelled(flow=tracker.stack[-1].flow))
            return True
        if name in ("action_listen", "action_session_start"):
            return True
        followup = None
        try:
            if self.domain.actions.get(name) == REMOTE_ACTION:
                events, messages, followup = self._run_remote(tracker, name, candidates)
            else:
                events, messages = self.actions.run(name, tracker)
        except ActionRejected as e:
            logger.info("%s", e)
            tracker.add(ActionFailed(name=name, error=f"{type(e).__name__}: {e}"))
            return True  # declined, not failed: nothing applied, the flow goes on
        except Exception as e:  # noqa: BLE001 - a failing action is reported, the conversation goes on
            _log_failure(f"custom action '{name}'", e)
            tracker.add(ActionFailed(name=name, error=f"{type(e).__name__}: {e}"))
            return False
        tracker.add(ActionExecuted(name=name))
        turn.responses.extend(messages)  # said right after the action event, before its other events (as Rasa logs them)
        turn.positions.extend([len(tracker.events)] * len(messages))
        for e in events:
            if isinstance(e, SlotSet) and e.name not in self.domain.slots:
                logger.warning("action '%s' set unknown slot '%s'; ignored", name, e.name)
                continue
            tracker.add(e)
        if followup and depth < 10:
            return self._action(turn, tracker, followup, depth=depth + 1)
        return True

    def _run_remote(self, tracker: Tracker, name: str, candidates: list[SlotSet] | None) -> tuple[list[Any], list[dict[str, Any]], str | None]:
        from dialogkit.framework.rasa.action_server import ActionServerError, RemoteActions

        if self.remote is None:
            if self._endpoint is None:
                raise ActionServerError.of(f"action '{name}' is served by an action server, but no `action_endpoint` is configured", "add endpoints.yml next to domain.yml (action_endpoint: url: http://localhost:5055/webhook) and retrain, or pass --endpoints")
            self.remote = RemoteActions(self._endpoint)
        stack = tracker.stack
        form = stack[-1].flow if stack and self.domain.flows[stack[-1].flow].form else None
        result = self.remote.run(name, tracker, self.domain, form, self._asking(stack) if form else None, candidates)
        events = list(result.events)
        if result.deactivate_form and form:
            events.append(FlowCancelled(flow=form))
        if result.activate_form and result.activate_form in self.domain.flows and result.activate_form != form:
            events.append(FlowStarted(flow=result.activate_form))
        return events, result.messages, result.followup

    def flow_position(self, tracker: Tracker) -> str | None:
        """Label of the step the active flow is at (for debug views)."""
        stack = tracker.stack
        return self.graph.nodes[stack[-1].node].get("label") if stack else None


def _log_failure(what: str, error: Exception) -> None:
    """One line for the log; the traceback only at debug level (the shell shows it with --debug)."""
    logger.error("%s failed: %s: %s", what, type(error).__name__, error)
    if not isinstance(error, DialogkitError):
        logger.debug("traceback of the failure above", exc_info=error)


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
