"""Conversation tests: YAML scripts of user turns and what the bot must do.

``<bot>/tests/*.yml``::

    conversations:
      - name: booking with an FAQ in the middle
        now: 2026-12-05T10:00:00+08:00    # optional: when it happens ("tomorrow" reads from it)
        steps:
          - user: I'd like to book a table
            intent: book_table            # optional: the intent NLU must find
          - bot: utter_ask_cuisine        # a response name, or the exact text
          - user: /inform{"cuisine": "thai"}   # a payload skips NLU
          - slots: {cuisine: thai}
          - action: action_book_table

``bot`` and ``action`` steps check the messages and actions of the latest user turn,
in order. The first divergence of each conversation is reported with its turn.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..domain.schema import Strict
from ..errors import DomainError, Location, message
from ..runtime.tracker import ActionExecuted, UserUttered

__all__ = ["ConversationResult", "load_conversation_tests", "run_cli", "run_conversations"]


class TestStep(Strict):
    """One step: a user turn (text, or `intent` + `entities` to skip NLU) or an expectation."""

    user: str | None = None
    intent: str | None = None
    entities: dict[str, Any] | None = None
    bot: str | None = None
    action: str | None = None
    slots: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TestStep:
        kinds = [k for k in ("user", "bot", "action", "slots") if getattr(self, k) is not None]
        if self.user is None and self.intent is not None:
            kinds.append("intent")
        if len(kinds) != 1:
            raise PydanticCustomError("slot_rule", "a test step needs exactly one of user, intent, bot, action, slots (got {got})", {"got": kinds or "none", "fix": "split it into separate steps"})
        if self.entities is not None and self.intent is None:
            raise PydanticCustomError("slot_rule", "`entities` belongs to an `intent` step", {"fix": "add `intent:` to the step, or write the entities in the user text"})
        return self

    def message(self) -> str | None:
        """The text sent to the bot: the user's words, or a payload that skips NLU."""
        if self.user is not None:
            return self.user
        if self.intent is not None:
            return f"/{self.intent}" + (json.dumps(self.entities) if self.entities else "")
        return None


class TestConversation(Strict):
    name: str
    now: datetime | None = None  # when the conversation happens ("2026-12-05T10:00:00+08:00"): relative dates read from it
    steps: list[TestStep] = Field(min_length=1)

    @field_validator("now")
    @classmethod
    def _zoned(cls, now: datetime | None) -> datetime | None:
        if now is not None and now.tzinfo is None:
            raise PydanticCustomError("slot_rule", "`now` needs its time zone", {"fix": "add an offset, e.g. 2026-12-05T10:00:00+08:00"})
        return now


class TestFile(Strict):
    conversations: list[TestConversation] = Field(default_factory=list)


@dataclass
class ConversationResult:
    name: str
    file: str
    passed: bool
    failure: str | None = None
    transcript: list[str] = field(default_factory=list)


def load_conversation_tests(bot_dir: str | Path) -> list[tuple[str, TestConversation, Location | None]]:
    from ..domain.loader import validate_data
    from ..rasa.test_stories import is_story_file
    from ..yamlio import load_yaml
    from .nlu_testing import is_nlu_test_file

    tests_dir = Path(bot_dir) / "tests"
    out = []
    for path in sorted(tests_dir.glob("*.y*ml")) if tests_dir.is_dir() else []:
        doc = load_yaml(path)
        if is_story_file(doc.data):
            continue  # Rasa test stories: framework.rasa.test_stories runs them
        if is_nlu_test_file(doc.data):
            continue  # NLU examples (Rasa's test_nlu.yml): nlu_testing.run_nlu_files evaluates them
        parsed = validate_data(TestFile, doc.data, doc.positions, str(path))
        for i, conv in enumerate(parsed.conversations):
            out.append((str(path), conv, doc.positions.find(("conversations", i))))
    return out


def bot_matches(expected: str, msg: dict[str, Any], responses: Any) -> bool:
    """A ``bot:`` step names a response (any wording of it passes: the way to test a reply
    the generator may vary) or gives the text the user must read, compared exactly."""
    if expected in responses or expected == msg.get("response"):
        return expected == msg.get("response")
    return expected == msg.get("text")


def _mismatch(expected: str, msg: dict[str, Any], responses: Any) -> str:
    how = "generated" if msg.get("generated") else "template"
    if expected in responses:
        return f"expected bot '{expected}', got '{msg.get('response')}' ({msg.get('text')!r}, {how})"
    hint = f"; `bot: {msg['response']}` accepts any wording of that response" if msg.get("generated") and msg.get("response") else ""
    return f"expected bot to say {expected!r}, got {msg.get('text')!r} ({msg.get('response', '-')}, {how}{hint})"


def run_conversations(agent: Any, tests: list[tuple[str, TestConversation, Location | None]]) -> list[ConversationResult]:
    results = []
    for n, (file, conv, loc) in enumerate(tests):
        result = ConversationResult(conv.name, f"{loc}" if loc else file, True)
        clock = agent.clock
        if conv.now is not None:
            at = conv.now.timestamp()
            agent.clock = lambda at=at: at
        try:
            _run_steps(agent, conv, f"test-{n}-{conv.name}", result)
        finally:
            agent.clock = clock
        results.append(result)
    return results


def _run_steps(agent: Any, conv: TestConversation, cid: str, result: ConversationResult) -> None:
    """Send the conversation's user turns and check its expectations; the first failure ends it."""
    messages: list[dict[str, Any]] = []
    actions: list[str] = []
    turn_no = 0
    for step in conv.steps:
        text = step.message()
        if text is not None:
            turn_no += 1
            start = len(agent.tracker(cid).events)
            turn = agent.handle_turn(text, cid)
            messages = list(turn.messages)
            new = agent.tracker(cid).events[start:]
            actions = [e.name for e in new if isinstance(e, ActionExecuted)]
            result.transcript.append(f"user: {text}")
            result.transcript += [f"  bot: {m.get('text')}  [{m.get('response', '-')}]" for m in messages]
            got_intent = next((e.parse.get("intent") or {} for e in new if isinstance(e, UserUttered)), {}).get("name")
            if step.user is not None and step.intent is not None and got_intent != step.intent:
                result.passed, result.failure = False, f"turn {turn_no} ({step.user!r}): expected intent {step.intent}, got {got_intent}"
                return
        elif step.bot is not None:
            if not messages:
                result.passed, result.failure = False, f"turn {turn_no}: expected bot '{step.bot}', but the bot said nothing more"
                return
            msg = messages.pop(0)
            if not bot_matches(step.bot, msg, agent.domain.responses):
                result.passed, result.failure = False, f"turn {turn_no}: " + _mismatch(step.bot, msg, agent.domain.responses)
                return
        elif step.action is not None:
            if step.action not in actions:
                result.passed, result.failure = False, f"turn {turn_no}: expected action '{step.action}', ran {actions or 'none'}"
                return
            actions.remove(step.action)
        elif step.slots is not None:
            slots = agent.tracker(cid).slots
            wrong = {k: slots.get(k) for k, v in step.slots.items() if slots.get(k) != v}
            if wrong:
                expected = {k: step.slots[k] for k in wrong}
                result.passed, result.failure = False, f"turn {turn_no}: expected slots {expected}, got {wrong}"
                return


def run_cli(bot_dir: str, model: str | None = None, out: str | None = None, stories_out: str = "results", endpoints: str | None = None,
            story_mode: str = "replay") -> int:
    """``dialogkit test DIR``: conversation tests and Rasa test stories of a dialogkit bot or a
    Rasa project (imported on the fly); ``story_mode``: Rasa's ``replay`` or ``e2e``. Without ``model`` a bot's own model (``models/<bot
    name>``) is used, trained or brought up to date first; a Rasa project trains a throwaway one."""
    from ..rasa.importer import bot_source
    from ..rasa.test_stories import (
        load_test_stories,
        run_test_stories,
        write_reports,
    )
    from ..runtime.agent import Agent
    from .nlu_testing import nlu_test_files

    with tempfile.TemporaryDirectory(prefix="dialogkit-test-") as tmp, bot_source(bot_dir) as src:
        source = Path(src)
        tests = load_conversation_tests(source)
        stories = load_test_stories(source)
        nlu_files = nlu_test_files(source)
        for story in stories:  # name the project's own file, not the temporary import
            story.location = story.location.replace(str(source), str(bot_dir))
            story.file = story.file.replace(str(source), str(bot_dir))
        if not tests and not stories and not nlu_files:
            raise DomainError(message("DK101", Location(str(Path(bot_dir) / "tests")), path=str(Path(bot_dir) / "tests/*.yml")))
        if model is None and source == Path(bot_dir):  # the bot's own model, brought up to date
            from ..build.bot_models import ready_model

            model = ready_model(str(bot_dir))
        elif model is None:  # a Rasa project imported on the fly: a throwaway model, removed afterwards
            from ..build.training import train

            train(source, Path(tmp) / "model")
            model = str(Path(tmp) / "model")
        agent = Agent.load(model)
        if endpoints:
            agent.use_endpoints(endpoints)
        failed_any = False
        if tests:
            failed_any |= _report_conversations(run_conversations(agent, tests), out)
        if stories:
            results = run_test_stories(agent, stories, story_mode)
            data = write_reports(results, stories_out)
            for r in results:
                print(f"{'PASS' if r.passed else 'FAIL'}  story {r.story.name}  ({r.story.location})")
                if not r.passed:
                    print(f"      {r.failure}")
            how = "end to end" if story_mode == "e2e" else "replayed as `rasa test` does; --e2e runs them end to end"
            print(f"{data['passed']}/{data['stories']} test stories passed ({how}; conversation accuracy {data['conversation_accuracy']:.3f}, "
                  f"action accuracy {data['action_accuracy']:.3f}, weighted action P/R {data['action_precision_weighted']:.3f}/{data['action_recall_weighted']:.3f}); "
                  f"reports in {stories_out}/ (story_report.json, failed_test_stories.yml)")
            failed_any |= data["passed"] < data["stories"]
        if nlu_files:  # reported, as `rasa test` does; an imperfect score does not fail the run
            from .nlu_testing import print_summary, run_nlu_files

            report = run_nlu_files(agent, nlu_files, Path(stories_out) / "nlu")
            print_summary(report, str(Path(stories_out) / "nlu"))
    sys.stdout.flush()
    return 1 if failed_any else 0


def _report_conversations(results: list[ConversationResult], out: str | None) -> bool:
    failed = [r for r in results if not r.passed]
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name}  ({r.file})")
        if not r.passed:
            print(f"      {r.failure}")
            for line in r.transcript:
                print(f"      | {line}")
    print(f"{len(results) - len(failed)}/{len(results)} conversations passed")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps([r.__dict__ for r in results], indent=2), encoding="utf-8")
    return bool(failed)
