"""Rasa test stories run end to end against a live bot (``dialogkit test --e2e``).

Each user step goes to the bot as a user would send it (its ``user:`` text, or a
``/intent{...}`` payload when the story gives only the intent); custom actions run for real.
What the bot did with the message (a :class:`LiveTurn`: the intent and entities it read, the
actions it ran, its slots and active form) is compared with the story: the intent, the
entities of a text, the actions after the message, the ``slot_was_set`` and ``active_loop``
steps. An action that could not run fails the story.

The judge reads a bot only through :class:`LiveBot`, so the same stories can be judged on
any bot that answers messages: a dialogkit :class:`~dialogkit.framework.runtime.agent.Agent`
(:class:`AgentBot`), or Rasa itself over HTTP (``bench/bench_rasa_live.py``), which is how
``make bench-rasa-live`` compares the two on the same stories and action server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..runtime.tracker import ActionFailed
from .importer import RASA_ACTION_ALIASES
from .retrieval import action_matches, intent_matches
from .stories import (
    LISTEN,
    StoryResult,
    TestStory,
    _action_step,
    _closing,
    _q,
    _slot_steps,
    _story_text,
    _turns,
    _user_lines,
)

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = ["AgentBot", "LiveBot", "LiveTurn", "run_live_story"]


@dataclass
class LiveTurn:
    """What a live bot did with one message, in the names the story uses for the actions
    (Rasa's: a form once per turn it runs, no ``action_listen``) and dialogkit's for intents
    (``faq.ask_hours`` for a retrieval intent's answer)."""

    intent: str | None
    entities: list[tuple[str, str]]  # (entity, the text it was read from, else its value)
    actions: list[str]
    slots: dict[str, Any]
    active_form: str | None
    failed: list[tuple[str, str]] = field(default_factory=list)  # (action, why) that could not run


class LiveBot(Protocol):
    """A bot that answers messages in conversations."""

    def send(self, text: str, conversation_id: str) -> LiveTurn: ...


class AgentBot:
    """A dialogkit agent as a :class:`LiveBot`."""

    def __init__(self, agent: Any):
        self.agent = agent
        self.forms = {name for name, flow in agent.domain.flows.items() if flow.form}

    def send(self, text: str, conversation_id: str) -> LiveTurn:
        t = self.agent.handle_turn(text, conversation_id)
        tracker = self.agent.tracker(conversation_id)
        entities = [
            (e["entity"], text[e["start"] : e["end"]] if e.get("start") is not None else str(e.get("value")))
            for e in t.entities
        ]
        failed = [
            (e.name, e.error)
            for e in t.events
            if isinstance(e, ActionFailed) and not e.error.startswith("ActionRejected")
        ]
        return LiveTurn((t.intent or {}).get("name"), entities, list(t.actions), tracker.slots,
                        next((f.flow for f in reversed(tracker.stack) if f.flow in self.forms), None), failed)


def run_live_story(bot: LiveBot, domain: Domain, conversation_id: str, story: TestStory) -> StoryResult:
    """Send ``story``'s user steps to ``bot`` in conversation ``conversation_id`` and judge
    what it did; ``domain``: the bot's (dialogkit's names for the story's intents and
    responses)."""
    result = StoryResult(story, True)
    result.lines += [f"- story: {_q(story.name)}  # {story.location}", "  steps:"]
    live = LiveTurn(None, [], [], {}, None)
    for turn in _turns(story):
        step = turn["step"]
        predicted: list[str] = []
        if step is not None:
            live = _user_step(bot, domain, conversation_id, story, step, result)
            predicted = list(live.actions)
        predicted.append(LISTEN)
        k = 0  # position in predicted
        for s in turn["after"]:
            if "action" in s and s["action"] != LISTEN:
                want = RASA_ACTION_ALIASES.get(s["action"], s["action"])
                got = predicted[k] if k < len(predicted) else "None"
                if action_matches(want, got, domain.responses):  # `utter_faq`: the sub-intent's response
                    want = got
                _action_step(result, step, s["action"], want, got)
                k += 1
            elif "slot_was_set" in s:
                _slot_steps(s["slot_was_set"], live.slots, turn["after"], result)
            elif "active_loop" in s:
                want_loop = s["active_loop"]
                wrong = want_loop is not None and want_loop != live.active_form and want_loop not in predicted
                if wrong:
                    result.diverged(f"active_loop: expected {want_loop}, active {live.active_form}")
                result.lines.append(
                    f"  - active_loop: {want_loop if want_loop is not None else 'null'}"
                    + (f"  # predicted: {live.active_form}" if wrong else "")
                )
        if k < len(predicted):
            _closing(result, [(LISTEN, got) for got in predicted[k:]])
        else:  # the story listed more actions than the bot ran: already marked
            result.pairs.append((LISTEN, "None"))
    return result


def _user_step(
    bot: LiveBot, domain: Domain, conversation_id: str, story: TestStory, step: dict[str, Any], result: StoryResult
) -> LiveTurn:
    """Send a story's user step to the bot; check the intent and entities it read."""
    expected_intent = step.get("intent")
    text, spans = _story_text(domain, story, step)
    live = bot.send(text, conversation_id)
    for name, why in live.failed:  # end to end: an action that could not run fails the story
        result.diverged(f"{_q(text)}: action {name} failed: {why}")
    comment = ""
    if expected_intent and not intent_matches(expected_intent, live.intent, domain.intents):
        comment = f"  # predicted: {live.intent}: {text}"
        result.diverged(f"{_q(text)}: expected intent {expected_intent}, predicted {live.intent}")
    expected_entities = sorted((s.entity, s.text) for s in spans)
    got_entities = sorted(live.entities)
    if "user" in step and expected_entities != got_entities:
        comment += f"  # predicted entities: {got_entities}"
        result.diverged(f"{_q(text)}: expected entities {expected_entities}, predicted {got_entities}")
    result.intent_pairs.append((str(expected_intent), str(live.intent)))
    result.lines += _user_lines(step, comment)
    return live
