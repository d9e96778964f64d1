"""Conversation tests: run ``<bot>/tests/*.yml`` (the format: :mod:`.conversation_format`)
against an agent, and report each conversation's first divergence at its step's file:line."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DomainError, Location, message
from ..runtime.tracker import (
    ActionExecuted,
    FlowCancelled,
    FlowCompleted,
    FlowInterrupted,
    FlowStarted,
    SlotSet,
    UserUttered,
)
from .conversation_format import BotExpect, ButtonExpect, Stub, TestConversation, TestStep, load_conversation_tests

__all__ = ["ConversationResult", "load_conversation_tests", "run_cli", "run_conversations"]

FlowEvent = FlowStarted | FlowCompleted | FlowCancelled | FlowInterrupted
FLOW_EVENTS: dict[str, type[FlowEvent]] = {
    "flow_started": FlowStarted,
    "flow_completed": FlowCompleted,
    "flow_cancelled": FlowCancelled,
    "flow_interrupted": FlowInterrupted,
}


@dataclass
class ConversationResult:
    name: str
    file: str
    passed: bool
    failure: str | None = None
    transcript: list[str] = field(default_factory=list)
    conversation_id: str = ""  # where the agent kept it (each run of the tests starts new ones)


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
    hint = (
        f"; `bot: {msg['response']}` accepts any wording of that response"
        if msg.get("generated") and msg.get("response")
        else ""
    )
    return f"expected bot to say {expected!r}, got {msg.get('text')!r} ({msg.get('response', '-')}, {how}{hint})"


def run_conversations(
    agent: Any, tests: list[tuple[str, TestConversation, Location | None]]
) -> list[ConversationResult]:
    results = []
    run = uuid.uuid4().hex[:8]  # a second run on the same agent starts new conversations
    for n, (file, conv, loc) in enumerate(tests):
        result = ConversationResult(
            conv.name, f"{loc}" if loc else file, True, conversation_id=f"test-{run}-{n}-{conv.name}"
        )
        clock = agent.clock
        if conv.now is not None:
            at = conv.now.timestamp()
            agent.clock = lambda at=at: at
        try:
            _run_steps(agent, conv, result.conversation_id, result)
        except _Diverged as d:
            where = conv.where(d.step)
            result.passed, result.failure = False, f"{where}: {d}" if where else str(d)
        finally:
            agent.clock = clock
        results.append(result)
    return results


class _Diverged(Exception):
    """The conversation went another way than step ``step`` says (the message says how)."""

    def __init__(self, step: int, text: str):
        super().__init__(text)
        self.step = step


@dataclass
class _Turn:
    """What the latest user turn did, as the expectations after it read it."""

    number: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)  # left to `bot:` steps, in order
    said: list[dict[str, Any]] = field(default_factory=list)  # all of them (`bot_not:`)
    actions: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


def _run_steps(agent: Any, conv: TestConversation, cid: str, result: ConversationResult) -> None:
    """Send the conversation's user turns and check its expectations; the first divergence raises."""
    executor = _StubbedActions(agent.executor, conv.stubs, agent.domain) if conv.stubs else None
    if conv.fixtures:
        _set_fixtures(agent, cid, conv.fixtures)
    turn = _Turn()
    for i, step in enumerate(conv.steps):
        text = step.message()
        if text is not None:
            start = len(agent.tracker(cid).events)
            handled = agent.handle_turn(text, cid, executor=executor)
            new = agent.tracker(cid).events[start:]
            turn = _Turn(turn.number + 1, list(handled.messages), list(handled.messages),
                         [e.name for e in new if isinstance(e, ActionExecuted)], new)
            result.transcript.append(f"user: {text}")
            result.transcript += [f"  bot: {m.get('text')}  [{m.get('response', '-')}]" for m in turn.said]
            got = next((e.parse.get("intent") or {} for e in new if isinstance(e, UserUttered)), {}).get("name")
            if step.user is not None and step.intent is not None and got != step.intent:
                raise _Diverged(i, f"turn {turn.number} ({step.user!r}): expected intent {step.intent}, got {got}")
        else:
            problem = _check(agent, cid, step, turn)
            if problem is not None:
                raise _Diverged(i, f"turn {turn.number}: {problem}")


def _check(agent: Any, cid: str, step: TestStep, turn: _Turn) -> str | None:
    """What is wrong with ``step`` after ``turn`` (None: it holds)."""
    responses = agent.domain.responses
    if step.bot is not None:
        if not turn.messages:
            return f"expected bot {_show(step.bot)}, but the bot said nothing more"
        msg = turn.messages.pop(0)
        if isinstance(step.bot, str):
            return None if bot_matches(step.bot, msg, responses) else _mismatch(step.bot, msg, responses)
        return _message_problem(step.bot, msg)
    if step.bot_not is not None:
        said = [m for m in turn.said if bot_matches(step.bot_not, m, responses)]
        return f"expected the bot not to say {step.bot_not!r}, but it said {said[0].get('text')!r}" if said else None
    if step.action is not None:
        if step.action not in turn.actions:
            return f"expected action '{step.action}', ran {turn.actions or 'none'}"
        turn.actions.remove(step.action)
        return None
    if step.slots is not None:
        slots = agent.tracker(cid).slots
        wrong = {k: slots.get(k) for k, v in step.slots.items() if slots.get(k) != v}
        return f"expected slots {({k: step.slots[k] for k in wrong})}, got {wrong}" if wrong else None
    kind, flow = step.flow_check() or ("", "")
    event = FLOW_EVENTS[kind]
    if any(isinstance(e, event) and e.flow == flow for e in turn.events):
        return None
    happened = [f"{type(e).__name__} {e.flow}" for e in turn.events if isinstance(e, FlowEvent)]
    return f"expected {kind.replace('_', ' ')} '{flow}', the turn had {', '.join(happened) or 'no flow events'}"


def _message_problem(expected: BotExpect, msg: dict[str, Any]) -> str | None:
    got = f"got {msg.get('text')!r} ({msg.get('response', '-')})"
    if expected.response is not None and msg.get("response") != expected.response:
        return f"expected response '{expected.response}', {got}"
    if expected.text is not None and msg.get("text") != expected.text:
        return f"expected the text {expected.text!r}, {got}"
    if expected.matches is not None and not re.search(expected.matches, msg.get("text") or ""):
        return f"expected a message matching /{expected.matches}/, {got}"
    missing = [w for w in expected.says or [] if w not in (msg.get("text") or "")]
    if missing:
        return f"expected the message to say {', '.join(map(repr, missing))}, {got}"
    if expected.generated is not None and bool(msg.get("generated")) != expected.generated:
        why = f"; fallback: {msg['fallback']}" if msg.get("fallback") else ""
        return f"expected a {'generated' if expected.generated else 'template'} reply, {got}{why}"
    if expected.buttons is not None:
        want = [b if isinstance(b, str) else b.title for b in expected.buttons]
        offered = msg.get("buttons") or []
        titles = [b.get("title") for b in offered]
        if titles != want:
            return f"expected buttons {want}, {got} with buttons {titles}"
        for b, o in zip(expected.buttons, offered, strict=True):
            if isinstance(b, ButtonExpect) and b.payload is not None and o.get("payload") != b.payload:
                return f"expected button '{b.title}' to send {b.payload!r}, it sends {o.get('payload')!r}"
    return None


def _show(expected: str | BotExpect) -> str:
    return f"'{expected}'" if isinstance(expected, str) else json.dumps(expected.model_dump(exclude_none=True))


def _set_fixtures(agent: Any, cid: str, fixtures: dict[str, Any]) -> None:
    """The slots a conversation starts with (set before its first message, as if it had said them)."""
    unknown = sorted(set(fixtures) - set(agent.domain.slots))
    if unknown:
        raise _Diverged(
            0, f"fixtures: no slot {', '.join(unknown)} in the domain (slots: {', '.join(agent.domain.slots)})"
        )
    tracker = agent.new_tracker(cid)
    for name, value in fixtures.items():
        tracker.add(SlotSet(name=name, value=value))
    agent.store.save(tracker)


class _StubbedActions:
    """The agent's executor, except that the conversation's stubbed actions answer from the test
    (as an action server would: events and responses, or an error) instead of running."""

    def __init__(self, executor: Any, stubs: dict[str, Stub], domain: Any):
        unknown = sorted(set(stubs) - set(domain.actions))
        if unknown:
            raise _Diverged(0, f"stubs: no action {', '.join(unknown)} in the domain")
        self._executor, self._stubs, self._domain = executor, stubs, domain

    def run(self, name: str, tracker: Any, **kwargs: Any) -> Any:
        from ..rasa.protocol import from_rasa_events
        from ..runtime.action_executor import ActionOutcome

        stub = self._stubs.get(name)
        if stub is None:
            return self._executor.run(name, tracker, **kwargs)
        if stub.error is not None:
            return ActionOutcome("failed", error=f"stubbed: {stub.error}")
        r = from_rasa_events({"events": stub.events, "responses": stub.responses}, self._domain)
        return ActionOutcome("ok", r.events, r.messages, r.followup, r.activate_form, r.deactivate_form)

    def __getattr__(self, name: str) -> Any:  # validate(), use_endpoint(): the agent's executor
        return getattr(self._executor, name)


def run_cli(
    bot_dir: str,
    model: str | None = None,
    out: str | None = None,
    stories_out: str = "results",
    endpoints: str | None = None,
    story_mode: str = "replay",
    coverage: str | None = None,
    coverage_min: float | None = None,
) -> int:
    """``dialogkit test DIR``: conversation tests and Rasa test stories of a dialogkit bot or a
    Rasa project (imported on the fly); ``story_mode``: Rasa's ``replay`` or ``e2e``. Without ``model`` a bot's own
    model (``models/<bot name>``) is used, trained or brought up to date first; a Rasa project trains a throwaway
    one. ``coverage``: a folder for the flow coverage of the conversation tests (``coverage_min``: the least
    branch coverage in percent that passes)."""
    from ..rasa.importer import bot_source
    from ..rasa.test_stories import load_test_stories, run_test_stories, write_reports
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
            raise DomainError(
                message("DK101", Location(str(Path(bot_dir) / "tests")), path=str(Path(bot_dir) / "tests/*.yml"))
            )
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
        conversations: list[list[Any]] = []  # every conversation's events, for the flow coverage
        if tests:
            ran = run_conversations(agent, tests)
            failed_any |= _report_conversations(ran, out)
            conversations += [agent.tracker(r.conversation_id).events for r in ran]
        if stories:
            results = run_test_stories(agent, stories, story_mode)
            data = write_reports(results, stories_out)
            for r in results:
                print(f"{'PASS' if r.passed else 'FAIL'}  story {r.story.name}  ({r.story.location})")
                if not r.passed:
                    print(f"      {r.failure}")
            how = "end to end" if story_mode == "e2e" else "replayed as `rasa test` does; --e2e runs them end to end"
            print(
                f"{data['passed']}/{data['stories']} test stories passed ({how}; conversation accuracy "
                f"{data['conversation_accuracy']:.3f}, action accuracy {data['action_accuracy']:.3f}, weighted "
                f"action P/R {data['action_precision_weighted']:.3f}/{data['action_recall_weighted']:.3f}); reports "
                f"in {stories_out}/ (story_report.json, failed_test_stories.yml)"
            )
            failed_any |= data["passed"] < data["stories"]
            conversations += [r.events for r in results]
        if coverage is not None:
            bot = source if source == Path(bot_dir) else None  # an imported project's lines are in temporary files
            failed_any |= _report_coverage(agent, conversations, bot, coverage, coverage_min)
        if nlu_files:  # reported, as `rasa test` does; an imperfect score does not fail the run
            from .nlu_testing import print_summary, run_nlu_files

            report = run_nlu_files(agent, nlu_files, Path(stories_out) / "nlu")
            print_summary(report, str(Path(stories_out) / "nlu"))
    sys.stdout.flush()
    return 1 if failed_any else 0


def _report_coverage(
    agent: Any, conversations: list[list[Any]], bot: Path | None, out_dir: str, minimum: float | None
) -> bool:
    """Print the flow coverage of ``conversations`` (their events) and write its files; True when it is under
    ``minimum``."""
    from ..domain.loader import load_domain
    from .flow_coverage import measure, write

    locate = load_domain(bot).where if bot is not None else None
    report = measure(agent.domain, conversations, locate)
    for line in report.summary():
        print(line)
    json_path, html_path = write(report, agent.domain, out_dir)
    print(f"coverage in {json_path} and {html_path}")
    if minimum is not None and report.branch_percent() < minimum:
        print(f"FAIL  branch coverage {report.branch_percent():.1f}% is under --coverage-min {minimum:g}%")
        return True
    return False


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
