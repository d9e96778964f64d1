"""Repair patterns: what the DM does by itself when a conversation goes off its happy path.

Each pattern is built in, with texts in the bot's language (:mod:`.phrases`). A bot changes the
words by defining the pattern's response, or replaces the pattern by a flow of its own named
``pattern_<name>`` (as Rasa Pro's pattern flows): that flow runs on top of the flow it repairs,
which goes on when it ends.

- ``skip``: the user says ``skip`` (the built-in intent; the bot's examples teach it) at a
  ``collect`` marked ``skippable``: the slot stays unset and the flow moves on
  (``utter_skipped``); at any other question the bot says ``utter_cannot_skip`` and asks again
  (in a bot with skippable questions; elsewhere ``skip`` is an intent like any other).
- ``correction``: a slot that had a value gets another. The flow goes back to that slot's
  question (steps after it run again) and, with ``acknowledge_corrections``, the bot says
  ``utter_corrected`` ("Okay, I've changed the time to 8pm."). For a slot with
  ``confirm_correction: true`` the old value stays and the bot asks first
  (``utter_confirm_correction``, "Do you want to change the amount from 100 to 200?", with Yes/No
  buttons); ``affirm`` takes the new value, ``deny`` keeps the old (``utter_correction_kept``).
- ``completed``: the last flow completed with none below it: ``utter_anything_else``.
- ``cannot_handle``: the ``max_fallbacks``-th message in a row not understood: escalation.
- ``continue_interrupted``: in :meth:`~.flow_runtime.FlowRuntime.resume_if_any`.

Between messages the state is in the events only: a pending confirmation is the bot's last
message (``utter_confirm_correction``) and the two ``SlotSet`` events before it (the new value,
then the old one put back).
"""

from __future__ import annotations

from typing import Any, Literal

from dialogkit.framework.domain.builtins import (
    AFFIRM,
    DENY,
    NLU_FALLBACK,
    PATTERN_PREFIX,
    SKIP,
    UTTER_ANYTHING_ELSE,
    UTTER_CANNOT_SKIP,
    UTTER_CONFIRM_CORRECTION,
    UTTER_CORRECTED,
    UTTER_CORRECTION_KEPT,
    UTTER_ESCALATE,
    UTTER_SKIPPED,
)
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.decisions import ConversationView
from dialogkit.framework.runtime.tracker import (
    BotUttered,
    FlowCompleted,
    FlowFrame,
    FlowInterrupted,
    FlowStarted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from . import phrases
from .draft import Draft
from .flow_runtime import FlowRuntime
from .patterns import pattern_flow, start_on_top
from .two_stage import TwoStageFallback

__all__ = ["Repairs"]


class Repairs:
    """The repair patterns of one bot (see the module docstring); ``config``: flow_policy's."""

    def __init__(self, domain: Domain, runtime: FlowRuntime, config: Any):
        self.domain = domain
        self.runtime = runtime
        self.config = config
        self.language = domain.language
        self.two_stage = TwoStageFallback(domain) if config.two_stage_fallback else None
        # escalation: the configured flow, else the bot's pattern_cannot_handle, else end
        self.escalation = config.escalation if config.escalation != "end" else pattern_flow(domain, "cannot_handle")
        self.skip_starts_a_flow = any(f.when is not None and SKIP in f.when.intents() for f in domain.flows.values())
        # the switches that depend on the bot only, worked out once
        self.acknowledging = self._wanted(config.acknowledge_corrections, "correction", UTTER_CORRECTED)
        self.completing = self._wanted(config.anything_else, "completed", UTTER_ANYTHING_ELSE)
        self.has_skippable = any(
            node.kind == "collect" and node.step.skippable for node in runtime.nodes.values()
        )

    # --- helpers ----------------------------------------------------------------------

    def _say(self, draft: Draft, response: str, text: str, **extra: Any) -> None:
        """The bot's own response when it has one, else the built-in text in its language."""
        if response in self.domain.responses:
            draft.say(response)
        else:
            draft.write({"response": response, "text": text, **extra})

    def _wanted(self, setting: bool | None, pattern: str, response: str) -> bool:
        """A switch of flow_policy's: None means on when the bot defines the response or the pattern flow."""
        if setting is not None:
            return setting
        return response in self.domain.responses or pattern_flow(self.domain, pattern) is not None

    # --- skip -------------------------------------------------------------------------

    def skip(self, draft: Draft, stack: list[FlowFrame]) -> bool:
        """``skip`` at a question: move on past a skippable one, else say it cannot be skipped
        (the question is asked again as the flow runs). False when no question is waiting."""
        node = self.runtime.waiting_node(stack)
        if node is None or node.kind != "collect":
            return False
        if not node.step.skippable:
            if self.skip_starts_a_flow or not self.has_skippable:
                # `skip` is the bot's own intent (an imported Rasa rule or form validation reads it)
                return False
            self._say(draft, UTTER_CANNOT_SKIP, phrases.phrase("cannot_skip", self.language))
            return True
        self.runtime.advance(draft, stack[-1].flow, node.next())
        flow = pattern_flow(self.domain, "skip")
        if flow is not None:
            start_on_top(draft, flow)
        else:
            self._say(draft, UTTER_SKIPPED, phrases.phrase("skipped", self.language))
        return True

    # --- correction -------------------------------------------------------------------

    def corrected(self, draft: Draft, before: dict[str, Any], slots: list[str]) -> bool:
        """After slot filling corrected ``slots`` (``before``: the values before the message):
        hold back those that want confirming and ask; acknowledge the others. True when a
        confirmation was asked (the flow waits for the answer)."""
        if not slots:
            return False
        now = draft.slots
        held = {s: (before.get(s), now.get(s)) for s in slots if self.domain.slots[s].confirm_correction}
        taken = {s: now.get(s) for s in slots if s not in held}
        self.runtime.rewind(draft, list(taken))
        if taken and self.acknowledging:
            self.acknowledge(draft, taken)
        if not held:
            return False
        for slot, (old, _) in held.items():
            draft.add(SlotSet(name=slot, value=old))
        if UTTER_CONFIRM_CORRECTION in self.domain.responses:
            draft.say(UTTER_CONFIRM_CORRECTION, slots={**draft.slots, **{s: new for s, (_, new) in held.items()}})
        else:
            yes, no = phrases.yes_no(self.language)
            self._say(
                draft,
                UTTER_CONFIRM_CORRECTION,
                phrases.confirm_correction(self.language, held),
                buttons=[{"title": yes, "payload": f"/{AFFIRM}"}, {"title": no, "payload": f"/{DENY}"}],
            )
        return True

    def acknowledge(self, draft: Draft, changes: dict[str, Any]) -> None:
        flow = pattern_flow(self.domain, "correction")
        if flow is not None:
            start_on_top(draft, flow)
        else:
            self._say(draft, UTTER_CORRECTED, phrases.corrected(self.language, changes))

    def answer(self, draft: Draft, intent: str) -> bool:
        """The user's answer to a pending "Do you want to change ...?": ``affirm`` takes the new
        values (the flow goes back to their question), ``deny`` keeps the old ones. False when
        no confirmation is pending or the message is not a yes or no."""
        pending = self.pending(draft) if intent in (AFFIRM, DENY) else {}
        if not pending:
            return False
        if intent == DENY:
            self._say(draft, UTTER_CORRECTION_KEPT, phrases.phrase("correction_kept", self.language))
            return True
        for slot, value in pending.items():
            draft.add(SlotSet(name=slot, value=value))
        self.runtime.rewind(draft, list(pending))
        self.acknowledge(draft, pending)  # the user said yes to it: say it is done
        return True

    def pending(self, draft: Draft) -> dict[str, Any]:
        """The new values the bot's last message asked to confirm (slot -> value), if it asked."""
        seen_user, asked = False, False
        sets: dict[str, list[Any]] = {}
        for e in draft.reversed_events():
            if isinstance(e, UserUttered):
                if seen_user:
                    break
                seen_user = True
            elif seen_user and not asked and isinstance(e, BotUttered):
                if e.response != UTTER_CONFIRM_CORRECTION:
                    return {}
                asked = True
            elif asked and isinstance(e, SlotSet):
                sets.setdefault(e.name, []).append(e.value)  # newest first: the old value put back, then the new
        return {
            slot: values[1]
            for slot, values in sets.items()
            if len(values) >= 2 and values[0] != values[1] and slot in self.domain.slots
            and self.domain.slots[slot].confirm_correction
        }

    # --- completed --------------------------------------------------------------------

    def completed(self, draft: Draft) -> bool:
        """The last flow completed this turn with none below it: "Anything else?" (or the bot's
        pattern_completed flow, which is then started: True)."""
        if not self.completing or draft.stack:
            return False
        last = next((e.flow for e in draft.this_turn() if isinstance(e, FlowCompleted)), None)
        if last is None or last.startswith(PATTERN_PREFIX) or last == self.escalation or last not in self.domain.flows:
            return False
        flow = self.domain.flows[last]
        if flow.anything_else is False or (flow.anything_else is None and not _a_task(flow)):
            return False
        pattern = pattern_flow(self.domain, "completed")
        if pattern is not None:
            draft.add(FlowStarted(flow=pattern))
            return True
        self._say(draft, UTTER_ANYTHING_ELSE, phrases.phrase("anything_else", self.language))
        return False

    # --- cannot handle ----------------------------------------------------------------

    def fallback(self, draft: Draft, intent: str) -> Literal["run", "wait"] | None:
        """Handle a message the NLU was unsure about: "run" (the flow then re-asks what it waits
        on), "wait" (the two-stage fallback asked something), None (not a fallback)."""
        if self.two_stage is not None:
            step = self.two_stage.handle(draft, intent)
            if step == "wait":
                return "wait"
            if step == "give_up":
                intent = NLU_FALLBACK
        if intent != NLU_FALLBACK:
            return None
        limit = self.config.max_fallbacks
        if limit and _misunderstood_before(draft.conversation, self.config.fallback_response) + 1 >= limit:
            self._escalate(draft)
        else:
            draft.say(self.config.fallback_response)
        return "run"

    def _escalate(self, draft: Draft) -> None:
        """The ``max_fallbacks``-th message in a row not understood: end every flow, or start the
        escalation flow (the flows it interrupts resume when it ends)."""
        if self.escalation is None:
            while draft.stack:
                self.runtime.cancel_top(draft)
            self._say(draft, UTTER_ESCALATE, phrases.escalation(self.language))
            return
        stack = draft.stack
        if stack and stack[-1].flow == self.escalation:
            draft.say(self.config.fallback_response)  # already escalated: its flow goes on
            return
        if stack:
            draft.add(FlowInterrupted(flow=stack[-1].flow))
        draft.add(FlowStarted(flow=self.escalation))


def _a_task(flow: Any) -> bool:
    """Whether a flow does more than answer: it asks something or runs an action (the completed
    pattern follows these by default, not greetings and FAQ answers)."""
    stack = list(flow.steps)
    while stack:
        step = stack.pop()
        if step.NODE in ("collect", "action", "call", "expect"):
            return True
        stack += [s for _, branch in step.branches() for s in branch]
    return False


def _misunderstood_before(conversation: ConversationView, fallback: str) -> int:
    """How many user messages in a row before the latest one the bot answered with the
    fallback response (the count restarts after an escalation, a restart or a new session)."""
    count, current_seen, fell_back = 0, False, False
    for e in conversation.reversed_events():
        if isinstance(e, UserUttered):
            if current_seen:
                if not fell_back:
                    break
                count += 1
            current_seen, fell_back = True, False
        elif isinstance(e, BotUttered) and current_seen and e.response == fallback:
            fell_back = True
        elif isinstance(e, (SessionStarted, Restarted)):
            break
    return count
