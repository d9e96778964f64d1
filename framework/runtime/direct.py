"""Steering a conversation from outside it (Rasa's ``predict`` and ``execute`` endpoints): what the
dialogue manager would do next, without doing it; and one action or response run now, as if the
dialogue manager had decided it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ..domain.builtins import ACTION_LISTEN, BUILTIN_ACTIONS
from .action_executor import run_request
from .decisions import ConversationView, Policy, RunAction
from .events import ActionExecuted, BotUttered, ConversationReplaced, SlotSet, UserUttered
from .pipeline import component_errors
from .turn import Entity, Intent, Parse, Response, Turn

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["execute", "predict"]


def predict(agent: Agent, conversation_id: str) -> list[str]:
    """The actions and responses the dialogue manager would run next in the conversation, in
    order, up to the first it needs an answer from (nothing is run or stored); ``action_listen``
    when it would wait for the user. After a user message it has not answered (one appended from
    outside), what it would answer; after the bot has spoken, it waits; otherwise (an action or
    slot appended), where the flows stand."""
    tracker = agent.store.get(conversation_id) or agent.new_tracker(conversation_id)
    last = next((e for e in reversed(tracker.events) if isinstance(e, (UserUttered, BotUttered, ActionExecuted,
                                                                        SlotSet, ConversationReplaced))), None)
    if isinstance(last, BotUttered):
        return [ACTION_LISTEN]
    for policy in (c for c in agent.components if isinstance(c, Policy)):
        view = ConversationView(tracker)
        decisions = policy.decide(view, _parse_of(last)) if isinstance(last, UserUttered) else policy.resume(view)
        try:
            decision = next(decisions)
        except StopIteration as done:
            decision = done.value
        finally:
            decisions.close()
        names = list(decision.actions)
        request = decision.request
        if isinstance(request, RunAction) and request.name not in names:
            names.append(request.name)
        if names:
            return names
    return [ACTION_LISTEN]


def execute(agent: Agent, name: str, conversation_id: str, channel: str | None = None) -> Turn:
    """Run action or response ``name`` in the conversation now (its events and messages stored,
    the dialogue manager brought in line with it, as with a Rasa story's action step); the
    dialogue manager decides nothing more until the next message. Raises ``ValueError`` for a
    name the bot does not have."""
    domain = agent.domain
    if name not in domain.responses and name not in domain.actions and name not in BUILTIN_ACTIONS:
        raise ValueError(f"'{name}' is no action or response of the bot")
    with agent._lock(conversation_id):
        stored = agent.store.get(conversation_id)
        before = len(stored.events) if stored is not None else 0
        tracker = stored or agent.new_tracker(conversation_id)
        start = len(tracker.events)
        turn = Turn("", channel=channel, time=agent.clock())
        try:
            if name in domain.responses:  # said: its BotUttered names it (Rasa's action event comes from that)
                turn.responses.append(Response(name, tracker.slots, len(tracker.events)))
            elif name in domain.actions and name not in BUILTIN_ACTIONS:
                run_request(agent.executor, RunAction(name), tracker, turn)
            else:
                tracker.add(ActionExecuted(name=name))  # a built-in: aligning runs what it does
            for policy in (c for c in agent.components if isinstance(c, Policy)):
                with component_errors(policy.name):
                    for event in policy.align(ConversationView(tracker), ActionExecuted(name=name)):
                        tracker.add(event)
            agent.render(turn, tracker, start)
            agent.store.save(tracker)
        except BaseException:
            del tracker.events[before:]
            raise
        agent.saved(tracker, tracker.events[before:], channel)
    return turn


def _parse_of(message: UserUttered) -> Parse:
    """What the NLU made of a stored user message, as the DM reads it."""
    intent = message.parse.get("intent") or None
    return Parse(
        message.text,
        cast(Intent, dict(intent)) if intent else None,
        tuple(cast(Intent, dict(r)) for r in message.parse.get("intent_ranking") or ([intent] if intent else [])),
        tuple(cast(Entity, dict(e)) for e in message.parse.get("entities") or []),
        False,
    )
