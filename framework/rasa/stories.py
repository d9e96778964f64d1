"""Rasa test stories (``tests/test_stories.yml``) as data, and what both ways of running them
share: the story turned into user turns, a user step as the message a user sends, and the
story written back with ``# predicted:`` marks where the bot did otherwise (Rasa's
``failed_test_stories.yml``). Run by :mod:`.test_stories` (replay) and :mod:`.live_stories`
(end to end)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.builtins import ACTION_LISTEN
from ..domain.training_data import AnnotationError, parse_example
from ..errors import DomainError, message
from ..yamlio import load_yaml
from .retrieval import dialogkit_name, family

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = ["LISTEN", "StoryResult", "TestStory", "is_story_file", "load_test_stories"]

LISTEN = ACTION_LISTEN
logger = logging.getLogger(__name__)


@dataclass
class TestStory:
    name: str
    file: str
    location: str
    steps: list[dict[str, Any]]


@dataclass
class StoryResult:
    story: TestStory
    passed: bool
    lines: list[str] = field(default_factory=list)  # the story as YAML, divergences marked
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (expected action, predicted action)
    intent_pairs: list[tuple[str, str]] = field(default_factory=list)
    failure: str | None = None
    events: list[Any] = field(default_factory=list)  # the conversation the story left (flow coverage reads it)

    def diverged(self, why: str) -> None:
        """Mark the story failed; the first divergence is the one reported."""
        self.passed = False
        self.failure = self.failure or why


def is_story_file(data: Any) -> bool:
    return isinstance(data, dict) and "stories" in data and "conversations" not in data


def load_test_stories(bot_dir: str | Path) -> list[TestStory]:
    """Test stories from every ``tests/*.yml`` file holding ``stories:``."""
    tests = Path(bot_dir) / "tests"
    out = []
    for path in sorted(tests.glob("*.y*ml")) if tests.is_dir() else []:
        doc = load_yaml(path, allow_empty=True)
        if not is_story_file(doc.data):
            continue
        for i, story in enumerate(doc.data.get("stories") or []):
            loc = doc.positions.find(("stories", i))
            if not isinstance(story, dict) or not isinstance(story.get("steps"), list):
                raise DomainError(
                    message(
                        "DK702",
                        loc,
                        problem="a test story needs `story:` and a list of `steps:`",
                        fix="see https://rasa.com/docs/rasa/testing-your-assistant for the format",
                    )
                )
            steps = story["steps"]
            for j, s in enumerate(steps):
                if not isinstance(s, dict) or not (
                    {"user", "intent", "action", "slot_was_set", "active_loop", "checkpoint", "or"} & set(s)
                ):
                    raise DomainError(
                        message(
                            "DK702",
                            doc.positions.find(("stories", i, "steps", j)),
                            problem=f"unknown test story step {s!r}",
                            fix="steps are `user:` (+ `intent:`), `action:`, `slot_was_set:` or `active_loop:`",
                        )
                    )
            out.append(TestStory(str(story.get("story", f"story {i + 1}")), str(path), str(loc or path), steps))
    return out


def _turns(story: TestStory) -> list[dict[str, Any]]:
    """Group a story into user turns: {"step": user step, "after": [steps until the next user step]}."""
    turns: list[dict[str, Any]] = [{"step": None, "after": []}]
    for s in story.steps:
        if "user" in s or ("intent" in s and "action" not in s):
            turns.append({"step": s, "after": []})
        else:
            turns[-1]["after"].append(s)
    return turns


def _q(text: Any) -> str:
    return json.dumps(text, ensure_ascii=False)


def _action_step(result: StoryResult, step: dict[str, Any] | None, written: str, want: str, got: str) -> None:
    """One of the story's actions compared with the one predicted, marked where they differ."""
    result.pairs.append((want, got))
    if got != want:
        result.diverged(
            f"after {_q(step.get('user', step.get('intent')) if step else '(start)')}: expected {want}, predicted {got}"
        )
    result.lines.append(f"  - action: {written}" + (f"  # predicted: {got}" if got != want else ""))


def _closing(result: StoryResult, pairs: list[tuple[str, str]]) -> None:
    """The listen that closes a turn, after whatever the bot did beyond the story's actions."""
    for want, got in pairs:
        result.pairs.append((want, got))
        if got != want:
            result.lines.append(f"  - action: action_listen  # predicted: {got}")
            result.diverged(f"unexpected action {got}")


def _canonical(domain: Domain, entity: str, text: str) -> str:
    """The value an annotated entity text stands for: its synonym's canonical value, as Rasa's
    EntitySynonymMapper (and dialogkit's NLU) would give it, else the text."""
    ent = domain.entities.get(entity)
    folded = text.casefold()
    for canonical, variants in (ent.synonyms.items() if ent is not None else ()):
        if folded == str(canonical).casefold() or any(folded == str(v).casefold() for v in variants):
            return str(canonical)
    return text


def _concrete(
    domain: Domain, intent: str, text: str | None = None, parse: Callable[[str], dict[str, Any]] | None = None
) -> str:
    """The dialogkit intent a story's intent stands for: ``faq/ask_hours`` → ``faq.ask_hours``;
    a retrieval intent ``faq`` alone → the sub-intent the NLU picks for ``text`` (the first one
    when it picks none of them; ``parse``: the bot's NLU), as Rasa's ResponseSelector would."""
    name = dialogkit_name(intent)
    if name not in domain.intents and "/" in intent and not family(domain.intents, name):
        name = intent.split("/", 1)[0]  # a sub-intent the project does not have: Rasa's rules see the retrieval intent
    subs = family(domain.intents, name) if name not in domain.intents else []
    if not subs:
        return name
    picked = parse(text)["intent"]["name"] if text and parse is not None else None
    return picked if picked in subs else subs[0]


def _story_text(domain: Domain, story: TestStory, step: dict[str, Any]) -> tuple[str, list[Any]]:
    """A story's user step as the message a user sends: its text and annotated spans. An intent
    step with no text is a ``/intent{...}`` payload."""
    if "user" not in step:
        values = {k: v for e in step.get("entities") or [] for k, v in (e.items() if isinstance(e, dict) else [])}
        return f"/{_concrete(domain, str(step.get('intent')))}" + (json.dumps(values) if values else ""), []
    annotated = str(step.get("user", "")).strip()
    try:
        return parse_example(annotated)
    except AnnotationError as e:  # Rasa reads an annotation it cannot parse as plain text
        logger.warning(
            "%s: story '%s': %s in %r: read as plain text, with no entities (annotate as [text](entity))",
            story.file,
            story.name,
            e,
            annotated,
        )
        return annotated, []


def _user_lines(step: dict[str, Any], comment: str = "") -> list[str]:
    if "user" in step:
        return [f"  - user: {_q(str(step.get('user', '')).strip())}", f"    intent: {step.get('intent')}{comment}"]
    return [f"  - intent: {step.get('intent')}{comment}"]


def _slot_steps(raw: Any, slots: dict[str, Any], after: list[dict[str, Any]], result: StoryResult) -> None:
    result.lines.append("  - slot_was_set:")
    for item in raw if isinstance(raw, list) else [raw]:
        for name, value in item.items() if isinstance(item, dict) else [(item, None)]:
            wrong = (
                name != "requested_slot"
                and isinstance(item, dict)
                and name in slots
                and slots.get(name) != value
                and not _later_set(after, name)
            )
            if wrong:
                result.diverged(f"slot {name}: expected {value!r}, got {slots.get(name)!r}")
            result.lines.append(
                f"    - {name}: {_q(value)}" + (f"  # predicted: {_q(slots.get(name))}" if wrong else "")
            )


def _later_set(after: list[dict[str, Any]], name: str) -> bool:
    """A slot that a later step of the same turn sets again (forms set then validate)."""
    seen = 0
    for s in after:
        if "slot_was_set" in s:
            items = s["slot_was_set"] if isinstance(s["slot_was_set"], list) else [s["slot_was_set"]]
            seen += sum(1 for i in items if isinstance(i, dict) and name in i)
    return seen > 1
