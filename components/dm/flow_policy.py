"""The dialogue manager: routes each user message, then lets the flow runtime walk the graph.

Per user message (:meth:`FlowPolicy.process`):

1. ``restart`` clears the conversation, ``back`` takes back the message before it (Rasa's
   default rules: :data:`~dialogkit.framework.domain.builtins.DEFAULT_RULES`, unless one of the bot's
   flows starts on that intent); slots are filled from the NLU result through
   the slot mappings (:mod:`.slot_filling`: the question asked counts, ``answer_by_value``),
   then the flow's ``validate`` action runs. A refused value close to a categorical slot's
   values gets "Did you mean ...?" with buttons (``suggest_values``) instead of the refusal; so
   does a short reply that set nothing but names the asked categorical slot's values with a slip
   ("wet" for west: a word no extractor reads as a value). A yes to an offer of one value takes
   that value, as its button would.
2. ``nlu_fallback`` says ``utter_default`` and re-asks, keeping all state (with
   ``two_stage_fallback``, it first asks "Did you mean ...?" and to rephrase: :mod:`.two_stage`).
   The ``max_fallbacks``-th message in a row not understood escalates instead (``escalation``:
   ``end`` cancels every flow and says ``utter_escalate``; a flow's name starts that flow: a
   handoff, another way to ask). The count is read from the conversation's events. With
   ``clarify_margin``, intents ranked that close together get "Did you mean A or B?" first (:mod:`.clarify`).
   These and the other repair patterns (skip, correction, completed) are in :mod:`.repairs`.
3. ``cancel`` ends the active flow (``utter_flow_cancelled``) and resumes the one below.
4. An ``expect`` step takes the intents it waits for; any other intent ends its flow.
5. An intent that triggers another flow interrupts the active one; when it ends the
   interrupted flow resumes and re-asks what it was waiting for.
6. The top flow advances (:mod:`.flow_runtime`) until a ``collect`` or ``expect`` must
   wait for the user or the stack empties.

The policy decides and the agent acts (:mod:`dialogkit.framework.runtime.decisions`): every change is
an event of a decision, every action (validators, validation actions, asks, action steps) a
request the agent runs and whose outcome it sends back. Between messages all the policy's
state is in the tracker's events, so a conversation replays to the same state.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from pydantic import Field

from dialogkit.framework.domain.builtins import (
    CANCEL,
    DEFAULT_RULES,
    INFORM,
    NLU_FALLBACK,
    SKIP,
    UTTER_DEFAULT,
    UTTER_FLOW_CANCELLED,
)
from dialogkit.framework.domain.expressions import parse_expression
from dialogkit.framework.domain.flowgraph import compile_flows
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.domain.steps import CallStep
from dialogkit.framework.errors import ConfigError, message
from dialogkit.framework.runtime.decisions import ConversationView, Decisions, Happened, Policy
from dialogkit.framework.runtime.pipeline import ComponentConfig
from dialogkit.framework.runtime.tracker import (
    ActionExecuted,
    FlowCompleted,
    FlowFrame,
    FlowInterrupted,
    FlowStarted,
    Tracker,
)
from dialogkit.framework.runtime.turn import Parse

from .alignment import align
from .clarify import clarify
from .draft import Draft
from .flow_runtime import BUILTIN_RUNNERS, FlowRuntime, Steps
from .patterns import pattern_flow
from .repairs import Repairs
from .slot_filling import Filled, fill_slots, offer_values, taken_offer

__all__ = ["FlowPolicy", "FlowPolicyConfig"]


class FlowPolicyConfig(ComponentConfig):
    max_actions_per_turn: int = 50
    # seconds a custom action or validator may take; then it has failed
    action_timeout: float | None = Field(30.0, gt=0)
    fallback_response: str = UTTER_DEFAULT
    # run after every user message with the slots it set (Rasa's action_validate_slot_mappings)
    validate_slots_action: str | None = None
    # on nlu_fallback ask "Did you mean ...?", then to rephrase, before the fallback response (.two_stage)
    two_stage_fallback: bool = False
    # the question asked counts: a reply that is only its slot's value fills it (.slot_filling)
    answer_by_value: bool = True
    # a refused value close to a categorical slot's values: "Did you mean ...?" with buttons (a yes to one: it)
    suggest_values: bool = True
    max_fallbacks: int | None = Field(3, ge=1)  # this many messages in a row not understood escalate (None: never)
    escalation: str = "end"  # "end" (cancel the flows, say utter_escalate) or the flow to start (a handoff...)
    # intents this close to the top one: "Did you mean A or B?" (.clarify)
    clarify_margin: float | None = Field(None, ge=0, le=1)
    # say utter_corrected after a correction (None: when the bot defines it or pattern_correction)
    acknowledge_corrections: bool | None = None
    # "Anything else?" when the last flow completes (None: when the bot defines utter_anything_else or
    # pattern_completed)
    anything_else: bool | None = None


class FlowPolicy(Policy):
    name = "flow_policy"
    stage = "dm"
    Config = FlowPolicyConfig
    requires = ("intent", "intent_ranking")  # and `entities` when the pipeline extracts any (a bot may have none)
    config: FlowPolicyConfig

    def __init__(self, config: FlowPolicyConfig, domain: Domain):
        super().__init__(config, domain)
        self.graph: nx.DiGraph[str] = compile_flows(domain)
        self.runtime = FlowRuntime(domain, self.graph, config.max_actions_per_turn, config.action_timeout)
        self.repairs = Repairs(domain, self.runtime, config)
        self.clarify_flow = pattern_flow(domain, "clarify")  # the bot's own, run instead of the question
        self._by_name = sorted(domain.flows.items())  # the order flows are tried in when several start on an intent
        if config.escalation != "end" and config.escalation not in domain.flows:
            raise ConfigError(
                message(
                    "DK603",
                    None,
                    name=self.name,
                    problem=f"escalation '{config.escalation}' is no flow of the bot",
                    fix=f"write `end` or one of its flows: {', '.join(sorted(domain.flows)) or 'none yet'}",
                )
            )
        for flow in domain.flows.values():  # parse every condition once, up front
            if flow.when and flow.when.condition:
                parse_expression(flow.when.condition)

    @classmethod
    def config_actions(cls, config: ComponentConfig) -> dict[str, str]:
        action = getattr(config, "validate_slots_action", None)
        return {"validate_slots_action": action} if action else {}

    @classmethod
    def config_flows(cls, config: ComponentConfig) -> dict[str, str]:
        escalation = getattr(config, "escalation", "end")
        return {"escalation": escalation} if escalation != "end" else {}

    def flow_position(self, conversation: ConversationView | Tracker) -> str | None:
        """Label of the step the active flow is at (for debug views)."""
        node = self.runtime.waiting_node(conversation.stack)
        return node.label if node is not None else None

    # --- state set from events (components/dm/alignment.py) ------------------------------

    def align(self, conversation: ConversationView, happened: Happened) -> list[Any]:
        draft = _without_message(conversation)
        latest = conversation.latest_message
        intent = str(((latest.parse.get("intent") or {}) if latest is not None else {}).get("name") or NLU_FALLBACK)
        align(self.runtime, draft, happened, self._starting(draft, intent))
        return draft.decision().events

    def resume(self, conversation: ConversationView) -> Decisions:
        draft = _without_message(conversation)
        form = self.runtime.active_form(draft)
        ran = form is not None and any(isinstance(e, ActionExecuted) and e.name == form for e in draft.this_turn())
        # a form that ran since the message is not listed again
        yield from self.runtime.run(draft, shown=form if ran else None)
        return draft.decision()

    # --- routing ----------------------------------------------------------------------

    def decide(self, conversation: ConversationView, parse: Parse) -> Decisions:
        draft = Draft(conversation, parse)
        yield from self._route(draft)
        if self.repairs.completed(draft):  # the bot's pattern_completed flow started
            yield from self.runtime.run(draft)
        return draft.decision()

    def _route(self, draft: Draft) -> Steps:
        clicked = taken_offer(self.domain, draft, self.runtime.asking(draft.stack))
        if clicked is not None and self.config.suggest_values:  # "yes" to "Did you mean pepperoni?": its button
            draft.parse = clicked
        intent = draft.parse.intent_name
        if intent in DEFAULT_RULES and not self._triggered(draft, intent, draft.stack):
            # Rasa's default rules (unless a flow of the bot's starts on it): the DM runs it
            builtin = DEFAULT_RULES[intent]
            draft.record(builtin)
            draft.add(ActionExecuted(name=builtin))
            BUILTIN_RUNNERS[builtin](self.runtime, draft)
            yield from self.runtime.reask(draft)
            return
        stack = draft.stack  # the routes below decide on the flows as they stood when the message came
        if self.repairs.answer(draft, intent) or intent == SKIP and self.repairs.skip(draft, stack):
            yield from self.runtime.run(draft)  # a correction confirmed or not, a question skipped
            return
        asking = self.runtime.asking(stack)
        filled, ok, validated, held = yield from self._read(draft, intent, asking, stack)
        if held:
            return  # asked to confirm a correction: the flow waits for the answer
        if not ok:  # a validator or validation action failed: its flow stops, nothing else is read into this message
            self.runtime.stop_after_failure(draft)
            yield from self.runtime.run(draft)
            return
        if filled.near_miss and self.config.suggest_values and asking is not None \
                and not draft.slots_set_this_turn() and self.runtime.asking(draft.stack) == asking:
            # no value for the question asked (nor from a validation action), but the reply names some with a
            # slip ("wet"): which one?
            offer_values(self.domain, draft, asking, filled.near_miss)
            return  # the collect waits: a button (or any answer) fills the slot
        if validated:
            asking = self.runtime.asking(draft.stack)  # the validation action may have moved the flow
        if filled.by_value or intent == NLU_FALLBACK and asking is not None and draft.slots_set_this_turn():
            intent = INFORM  # unsure about the intent, but the message answered the question asked
        elif self.config.clarify_margin is not None and asking not in {e.name for e in draft.slots_set_this_turn()} \
                and clarify(self.domain, draft, self.config.clarify_margin):
            # asked which intent was meant (the message did not answer the question asked): the flow waits,
            # unless the bot's own pattern_clarify flow took over
            if self.clarify_flow is not None:
                yield from self.runtime.run(draft)
            return
        fallback = self.repairs.fallback(draft, intent)
        if fallback == "wait":
            return
        if fallback or self._cancel(draft, intent, stack):
            yield from self.runtime.run(draft)
            return
        taken, stack = self._expected(draft, intent, stack)
        if taken:
            yield from self.runtime.run(draft)
            return
        if not (yield from self._start(draft, intent, asking, stack)):
            draft.say(self.config.fallback_response)  # nothing to do with this intent; slots stay set
            return
        if (
            filled.invalid
            and filled.suggestions
            and self.config.suggest_values
            and self.runtime.asking(draft.stack) == filled.invalid
        ):
            offer_values(self.domain, draft, filled.invalid, filled.suggestions)
            return  # the collect waits: a button (or any answer) fills the slot
        refusal = self.domain.slots[filled.invalid].invalid_response if filled.invalid else None
        if refusal:
            draft.say(refusal)
        yield from self.runtime.run(draft)

    def _read(self, draft: Draft, intent: str, asking: str | None, stack: list[FlowFrame]) -> Steps:
        """Fill slots from the message, then run the validation actions over what it set.
        Returns (what filling did, nothing failed, a flow's validate ran, a correction awaits confirming)."""
        before = draft.slots  # a copy
        filled = (
            (
                yield from fill_slots(
                    self.domain, draft, intent, asking, self.config.action_timeout, self.config.answer_by_value
                )
            )
            if draft.parse.fills_slots
            else Filled()
        )
        held = self.repairs.corrected(draft, before, filled.corrected)
        ok = filled.validators_ok
        if ok and self.config.validate_slots_action:
            ok = yield from self.runtime.action(draft, self.config.validate_slots_action, record=False,
                                                candidates=draft.slots_set_this_turn())
        validated = False
        if ok and stack:
            validated, ok = yield from self._validate(draft, stack[-1].flow)
        return filled, ok, validated, held

    def _validate(self, draft: Draft, flow: str) -> Steps:
        """Run flow ``flow``'s `validate` action on this message (with the slots it set; the
        action may also extract slots itself, as Rasa's ``extract_<slot>``).
        Returns (it ran, it did not fail)."""
        action = self.domain.flows[flow].validate_ if flow in self.domain.flows else None
        if not action:
            return False, True
        before = draft.slots
        if not (yield from self.runtime.action(draft, action, record=False, candidates=draft.slots_set_this_turn())):
            return True, False
        # a validator may clear slots the flow already collected: go back to the first of them
        after = draft.slots
        self.runtime.rewind(
            draft, [name for name, value in before.items() if value is not None and after.get(name) is None]
        )
        return True, True

    def _cancel(self, draft: Draft, intent: str, stack: list[FlowFrame]) -> bool:
        if intent != CANCEL or not stack:
            return False
        self.runtime.cancel_top(draft)
        draft.say(UTTER_FLOW_CANCELLED)
        self.runtime.resume_if_any(draft)
        return True

    def _expected(self, draft: Draft, intent: str, stack: list[FlowFrame]) -> tuple[bool, list[FlowFrame]]:
        """An ``expect`` step that waits for ``intent`` takes its branch; with another intent
        the flow only waited for those answers: it ends, and the message is handled without it.
        Returns (a branch was taken, the stack to route on)."""
        node = self.runtime.waiting_node(stack)
        if node is None or node.kind != "expect":
            return False, stack
        if intent in node.branches:
            self.runtime.advance(draft, stack[-1].flow, node.branches[intent])
            return True, stack
        draft.add(FlowCompleted(flow=stack[-1].flow))
        self.runtime.resume_if_any(draft)
        return False, draft.stack

    def _start(self, draft: Draft, intent: str, asking: str | None, stack: list[FlowFrame]) -> Steps:
        """Start the flow ``intent`` triggers (interrupting the active one, if it may be);
        returns False when there is nothing to do: no flow triggered and none active."""
        flow = self._triggered(draft, intent, stack)
        if flow is not None and self._running(flow, stack):
            flow = None  # said again while it runs (e.g. a form's trigger mid-form): it goes on, no second copy
        if flow is not None and stack and not self.domain.flows[stack[-1].flow].interruptible:
            flow = None  # the active flow asked not to be interrupted: the message only fills slots
        if (
            flow is not None
            and stack
            and self.domain.flows[stack[-1].flow].form
            and asking in {e.name for e in draft.slots_set_this_turn()}
        ):
            flow = None  # a form goes on when the message answered its question (Rasa: the form runs before rules)
        if flow is not None and flow != draft.active_flow:
            if stack:
                draft.add(FlowInterrupted(flow=stack[-1].flow))
            draft.add(FlowStarted(flow=flow))
            if not (yield from self._validate(draft, flow))[1]:
                self.runtime.stop_after_failure(draft)
            return True
        return bool(stack)

    def _running(self, flow: str, stack: list[FlowFrame]) -> bool:
        """Whether ``flow``, or the flow it starts by calling, is already on the stack."""
        running = {f.flow for f in stack}
        steps = self.domain.flows[flow].steps
        return flow in running or (bool(steps) and isinstance(steps[0], CallStep) and steps[0].target in running)

    def _starting(self, draft: Draft, intent: str) -> list[str]:
        """The flows ``intent`` may start, the one it starts first."""
        first = self._triggered(draft, intent, draft.stack)
        rest = [
            name
            for name, flow in self._by_name
            if name != first and flow.when is not None and intent in flow.when.intents()
        ]
        return ([first] if first else []) + rest

    def _triggered(self, draft: Draft, intent: str, stack: list[FlowFrame]) -> str | None:
        """The flow ``intent`` starts (``stack``: the flows as the routes see them). The most
        specific wins, as a Rasa rule with conditions does: one for the session's first message
        (``conversation_start``), then one whose ``during`` flow runs, then one whose
        ``condition`` holds, then one with none of these (a flow whose requirement does not hold
        does not start); among equals, the first by name (a trained model's domain does not
        keep the file's order)."""
        running, slots = {f.flow for f in stack}, draft.slots
        best, rank = None, -1
        for name, flow in self._by_name:
            when = flow.when
            if when is None or intent not in when.intents():
                continue
            if when.during and when.during not in running:
                continue
            if when.conversation_start and draft.conversation.session_messages() != 1:
                continue
            if when.condition and not parse_expression(when.condition).evaluate(slots):
                continue
            r = 4 * when.conversation_start + 2 * bool(when.during) + bool(when.condition)
            if r > rank:
                best, rank = name, r
        return best


def _without_message(conversation: ConversationView) -> Draft:
    """A draft for deciding with no new message (the latest one is already on the tracker)."""
    latest = conversation.latest_message
    return Draft(conversation, Parse(latest.text if latest is not None else ""))
