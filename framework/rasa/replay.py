"""A Rasa test story's turn replayed as ``rasa test`` replays it: the state is always the story's.

At each action step the dialogue manager predicts the next action from the conversation as the
story has it so far (its user messages with their intents and entities, its ``slot_was_set``
and ``active_loop`` steps, the actions it lists), not from what the DM predicted before:

- the slots are the story's: the DM fills none from a message (``Parse.fills_slots`` is off:
  a Rasa story lists what the slot mappings filled as ``slot_was_set`` steps after it);
- the story's state steps are applied where they stand; the policy brings its own state (the
  flow stack) in line with each of them (:meth:`Policy.align`), and when that changed
  anything it predicts again from there (:meth:`Policy.resume`);
- a custom action the DM runs is not run: its outcome is the story's steps after it;
- a wrong prediction is recorded, the story's action is taken as having run (the policy
  aligned with it, its state steps applied) and the replay goes on from the story's state.

:func:`replay_turn` returns the (expected, predicted) action pairs of one turn, ending with
the ``action_listen`` that closes it, as ``rasa test`` counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..domain.builtins import ACTION_LISTEN, BUILTIN_ACTIONS
from ..runtime.action_executor import ActionOutcome, Validated
from ..runtime.decisions import (
    ActiveLoop,
    ConversationView,
    Decision,
    Decisions,
    Happened,
    Policy,
    RunAction,
    ValidateSlot,
)
from ..runtime.tracker import ActionExecuted, BotUttered, FlowStarted, SlotSet, Tracker
from ..runtime.turn import Parse, Response

__all__ = ["MAX_PREDICTIONS", "replay_turn"]

MAX_PREDICTIONS = 200  # decisions one turn may take before the replay stops it (a runaway loop)


class _Turn:
    """One turn's replay: the story's steps after a user message, consumed in order."""

    def __init__(self, policy: Policy, tracker: Tracker, steps: list[dict[str, Any]], resolve: Callable[[str], str],
                 same: Callable[[str, str], bool]):
        self.policy, self.tracker, self.view = policy, tracker, ConversationView(tracker)
        self.domain = policy.domain
        self.steps = [s for s in steps if s.get("action") != ACTION_LISTEN]
        self.resolve, self.same = resolve, same
        self.i = 0
        self.pairs: list[tuple[str, str]] = []
        stack = tracker.stack  # the form active as the message came (Rasa's active_loop)
        self.loop = stack[-1].flow if stack and self.domain.flows[stack[-1].flow].form else None

    # --- the story's side -----------------------------------------------------------------

    def next_action(self) -> str | None:
        return self.resolve(str(self.steps[self.i]["action"])) if self.i < len(self.steps) else None

    def _happenings(self, step: dict[str, Any]) -> list[Happened]:
        if "active_loop" in step:
            return [ActiveLoop(step["active_loop"] if step["active_loop"] else None)]
        raw = step.get("slot_was_set")
        items = raw if isinstance(raw, list) else [raw]
        return [SlotSet(name=str(k), value=v) for item in items if isinstance(item, dict) for k, v in item.items()]

    def _state_until_action(self) -> Iterator[Happened]:
        """What the story's state steps up to its next action say happened; they are consumed."""
        while self.i < len(self.steps) and "action" not in self.steps[self.i]:
            yield from self._happenings(self.steps[self.i])
            self.i += 1

    def state_steps(self, newer: frozenset[str] = frozenset()) -> bool:
        """Apply the story's state steps up to its next action; returns whether they changed the
        conversation (a slot value, or where the flows stand). ``newer``: flows the DM started
        after the story's last action, on its way to the next one (a story's ``active_loop:
        null`` right after an action speaks of the forms before them)."""
        changed = False
        for happened in self._state_until_action():
            if isinstance(happened, ActiveLoop) and happened.name is None and newer and \
                    all(f.flow in newer for f in self.tracker.stack if self.domain.flows[f.flow].form):
                continue
            if (
                isinstance(happened, SlotSet)
                and happened.name in self.domain.slots
                and self.tracker.slots.get(happened.name) != happened.value
            ):
                self.tracker.add(happened)
                changed = True
            for event in self.policy.align(self.view, happened):
                self.tracker.add(event)
                changed = True
        return changed

    def outcome(self) -> ActionOutcome:
        """The outcome of the story's action just consumed: its state steps, as the action's events."""
        out = ActionOutcome("ok")
        for happened in self._state_until_action():
            if isinstance(happened, SlotSet) and happened.name in self.domain.slots:
                out.events.append(happened)
            elif isinstance(happened, ActiveLoop):
                out.activate_form = happened.name
                out.deactivate_form = happened.name is None
        return out

    def take(self, action: str) -> None:
        """The story's ``action`` ran (whatever was predicted): the state is the story's again."""
        self.i += 1
        if action not in self.domain.responses and action not in BUILTIN_ACTIONS:
            self.tracker.add(ActionExecuted(name=action))
        for event in self.policy.align(self.view, ActionExecuted(name=action)):
            self.tracker.add(event)
        self.state_steps()

    # --- the DM's side --------------------------------------------------------------------

    def run(self, decisions: Decisions) -> list[tuple[str, str]]:
        outcome: Any = None
        for _ in range(MAX_PREDICTIONS):
            try:
                decision, final = decisions.send(outcome), False
            except StopIteration as stop:
                decision, final = stop.value, True
            follow = self.follow(decision, final)
            if follow is None:  # the turn is over
                decisions.close()
                self.state_steps()
                return self.pairs
            if follow == "again":  # the story's state is not what the DM planned on: predict anew
                decisions.close()
                decisions, outcome = self.policy.resume(self.view), None
                continue
            outcome = follow
        decisions.close()
        self.pairs.append((self.next_action() or ACTION_LISTEN, "None"))
        return self.pairs

    def follow(self, d: Decision, final: bool) -> Any:
        """Compare a decision's actions with the story's, applying its events as far as they go.
        Returns None (the turn is over), "again" (predict anew) or the outcome to send back."""
        base, applied = len(self.tracker.events), 0
        said: dict[int, list[BotUttered]] = {}  # what the bot says, by the decision's event it comes before
        for r in d.responses:
            name = r.name if isinstance(r, Response) else r.message.get("response")
            said.setdefault(r.position - base, []).append(BotUttered(response=name))

        def apply_to(n: int, through: bool = False) -> None:
            """Apply the decision's events before its ``n``-th, with what the bot said among them
            (part of the state: a fallback reads what it asked last); ``through``: also what it
            says after them (the action at ``n`` has been taken)."""
            nonlocal applied
            for j in range(applied, n):
                for bot in said.pop(j, []):
                    self.tracker.add(bot)
                self.tracker.add(d.events[j])
            if through:
                for bot in said.pop(n, []):
                    self.tracker.add(bot)
            applied = max(applied, n)

        request = d.request
        for k, got in enumerate(d.actions):
            want = self.next_action()
            if self.happy_path(want, got):
                return "again"
            apply_to(d.marks[k] - base)
            if want is None:
                self.pairs.append((ACTION_LISTEN, got))
                return None
            if not self.same(want, got):
                self.pairs.append((want, got))
                self.take(want)
                return "again"
            self.pairs.append((got, got))
            if got in self.domain.flows:
                self.tracker.add(ActionExecuted(name=got))  # the form ran (what Policy.resume reads)
            if not final and k == len(d.actions) - 1 and isinstance(request, RunAction) and request.name == got:
                self.i += 1  # the request is this action: its outcome is what the story says after it
                return self.execute(request, self.outcome())
            self.i += 1
            upto = d.marks[k + 1] - base if k + 1 < len(d.marks) else len(d.events)
            newer = frozenset(e.flow for e in d.events[d.marks[k] - base:upto] if isinstance(e, FlowStarted))
            apply_to(upto, through=k + 1 >= len(d.marks))
            if self.state_steps(newer):
                return "again"
        apply_to(len(d.events), through=True)
        if final:
            want = self.next_action()
            if self.happy_path(want, ACTION_LISTEN):
                return "again"
            if want is None:
                self.pairs.append((ACTION_LISTEN, ACTION_LISTEN))
                return None
            self.pairs.append((want, ACTION_LISTEN))
            self.take(want)
            return "again"
        if isinstance(request, ValidateSlot):
            return Validated(request.value)  # the story's slot steps say what validation kept
        assert request is not None
        return self.execute(request, ActionOutcome("ok"))  # an action the story does not list (a form's validation)

    def happy_path(self, want: str | None, got: str) -> bool:
        """Rasa predicts the active form first after a message (its happy path; a rule or story
        for another action applies only once the form rejects it): when the story runs the form
        that was active as the message came and the DM planned otherwise, that is Rasa's
        prediction too. The DM's plan is dropped, the form has run, and it predicts anew."""
        if self.pairs or want is None or want != self.loop or self.same(want, got):
            return False
        self.pairs.append((want, want))
        self.i += 1
        self.tracker.add(ActionExecuted(name=want))
        self.state_steps()
        return True

    def execute(self, request: RunAction, outcome: ActionOutcome) -> ActionOutcome:
        self.tracker.add(ActionExecuted(name=request.name))
        for event in outcome.events:
            self.tracker.add(event)
        return outcome


def replay_turn(policy: Policy, tracker: Tracker, parse: Parse | None, steps: list[dict[str, Any]],
                resolve: Callable[[str], str], same: Callable[[str, str], bool]) -> list[tuple[str, str]]:
    """Replay one turn of a story: ``parse`` (the user's message, already on ``tracker`` as
    ``UserUttered``; None for the steps before the first message) and the story's ``steps``
    after it. ``resolve`` gives dialogkit's name for a story's action; ``same(expected,
    predicted)`` compares them. Returns the (expected, predicted) pairs, the closing listen last."""
    turn = _Turn(policy, tracker, steps, resolve, same)
    turn.state_steps()  # slots the story sets with the message, before any action
    return turn.run(policy.decide(turn.view, parse) if parse is not None else policy.resume(turn.view))
