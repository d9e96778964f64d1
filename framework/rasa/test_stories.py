"""Rasa test stories (``tests/test_stories.yml``) run against a dialogkit bot, like ``rasa test``.

Two semantics (``mode``):

- ``replay`` (the default, Rasa's verdict): the state at every step is the story's (its
  user steps with their intents and entities, no NLU; its ``slot_was_set`` and
  ``active_loop`` steps; the actions it lists), and at each action step the dialogue manager
  predicts the next action from that state (framework/rasa/replay.py). Custom actions are not
  run: what they did is what the story says after them. A wrong prediction is recorded and
  the replay goes on from the story's state.
- ``e2e`` (``dialogkit test --e2e``): each ``user:`` text goes through the whole bot (NLU
  included) and custom actions run for real; an action that fails (an unreachable action
  server, an exception) fails the story. The intent, the entities, the actions the bot runs
  after each message, and its slots and active form are compared with the story.
Rasa's default actions are compared through :data:`RASA_ACTION_ALIASES`; forms count
as their form action, once per turn they run (as in Rasa stories).

Reports, as ``rasa test`` writes them: ``story_report.json`` (per-action precision,
recall, F1 and support, plus accuracy and averages), ``failed_test_stories.yml``
(each failed story with ``# predicted: ...`` at every divergence),
``successful_test_stories.yml`` and ``results.json`` (conversation accuracy).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogkit.framework.dialogue import Policy
from dialogkit.framework.errors import DomainError, Location, message
from dialogkit.framework.rasa.importer import RASA_ACTION_ALIASES
from dialogkit.framework.rasa.replay import replay_turn
from dialogkit.framework.rasa.retrieval import (
    action_matches,
    dialogkit_name,
    family,
    intent_matches,
)
from dialogkit.framework.tracker import ActionFailed, UserUttered
from dialogkit.framework.training_data import AnnotationError, parse_example
from dialogkit.framework.turn import Parse
from dialogkit.framework.yamlio import load_yaml

__all__ = ["MODES", "StoryResult", "TestStory", "load_test_stories", "run_test_stories", "write_reports"]

LISTEN = "action_listen"
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
                raise DomainError(message("DK702", loc, problem="a test story needs `story:` and a list of `steps:`", fix="see https://rasa.com/docs/rasa/testing-your-assistant for the format"))
            steps = story["steps"]
            for j, s in enumerate(steps):
                if not isinstance(s, dict) or not ({"user", "intent", "action", "slot_was_set", "active_loop", "checkpoint", "or"} & set(s)):
                    raise DomainError(message("DK702", doc.positions.find(("stories", i, "steps", j)), problem=f"unknown test story step {s!r}", fix="steps are `user:` (+ `intent:`), `action:`, `slot_was_set:` or `active_loop:`"))
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


MODES = ("replay", "e2e")


def run_test_stories(agent: Any, stories: list[TestStory], mode: str = "replay") -> list[StoryResult]:
    """Run ``stories`` against ``agent`` with Rasa's replay semantics or end to end (``mode``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    forms = {name for name, flow in agent.domain.flows.items() if flow.form}
    return [_run_story(agent, f"rasa-test-{mode}-{n}-{story.name}", story, forms, mode) for n, story in enumerate(stories)]


def _run_story(agent: Any, cid: str, story: TestStory, forms: set[str], mode: str = "replay") -> StoryResult:
    if mode == "replay":
        return _replay_story(agent, cid, story)
    result = StoryResult(story, True)
    result.lines += [f"- story: {_q(story.name)}  # {story.location}", "  steps:"]
    for turn in _turns(story):
        step = turn["step"]
        predicted = _user_step(agent, cid, story, step, result) if step is not None else []
        predicted.append(LISTEN)
        k = 0  # position in predicted
        for s in turn["after"]:
            if "action" in s and s["action"] != LISTEN:
                want = RASA_ACTION_ALIASES.get(s["action"], s["action"])
                got = predicted[k] if k < len(predicted) else "None"
                if action_matches(want, got, agent.domain.responses):  # `utter_faq`: the sub-intent's response
                    want = got
                _action_step(result, step, s["action"], want, got)
                k += 1
            elif "slot_was_set" in s:
                _slot_steps(s["slot_was_set"], agent.tracker(cid).slots, turn["after"], result)
            elif "active_loop" in s:
                want_loop = s["active_loop"]
                active = next((f.flow for f in reversed(agent.tracker(cid).stack) if f.flow in forms), None)
                wrong = want_loop is not None and want_loop != active and want_loop not in predicted
                if wrong:
                    result.diverged(f"active_loop: expected {want_loop}, active {active}")
                result.lines.append(f"  - active_loop: {want_loop if want_loop is not None else 'null'}" + (f"  # predicted: {active}" if wrong else ""))
        if k < len(predicted):
            _closing(result, [(LISTEN, got) for got in predicted[k:]])
        else:  # the story listed more actions than the bot ran: already marked
            result.pairs.append((LISTEN, "None"))
    return result


def _action_step(result: StoryResult, step: dict[str, Any] | None, written: str, want: str, got: str) -> None:
    """One of the story's actions compared with the one predicted, marked where they differ."""
    result.pairs.append((want, got))
    if got != want:
        result.diverged(f"after {_q(step.get('user', step.get('intent')) if step else '(start)')}: expected {want}, predicted {got}")
    result.lines.append(f"  - action: {written}" + (f"  # predicted: {got}" if got != want else ""))


def _closing(result: StoryResult, pairs: list[tuple[str, str]]) -> None:
    """The listen that closes a turn, after whatever the bot did beyond the story's actions."""
    for want, got in pairs:
        result.pairs.append((want, got))
        if got != want:
            result.lines.append(f"  - action: action_listen  # predicted: {got}")
            result.diverged(f"unexpected action {got}")


def _canonical(domain: Any, entity: str, text: str) -> str:
    """The value an annotated entity text stands for: its synonym's canonical value, as Rasa's
    EntitySynonymMapper (and dialogkit's NLU) would give it, else the text."""
    ent = domain.entities.get(entity)
    folded = text.casefold()
    for canonical, variants in (ent.synonyms.items() if ent is not None else ()):
        if folded == str(canonical).casefold() or any(folded == str(v).casefold() for v in variants):
            return str(canonical)
    return text


def _concrete(agent: Any, intent: str, text: str | None) -> str:
    """The dialogkit intent a story's intent stands for: ``faq/ask_hours`` → ``faq.ask_hours``;
    a retrieval intent ``faq`` alone → the sub-intent the NLU picks for ``text`` (the first one
    when it picks none of them), as Rasa's ResponseSelector would."""
    name = dialogkit_name(intent)
    if name not in agent.domain.intents and "/" in intent and not family(agent.domain.intents, name):
        name = intent.split("/", 1)[0]  # a sub-intent the project does not have: Rasa's rules see the retrieval intent
    subs = family(agent.domain.intents, name) if name not in agent.domain.intents else []
    if not subs:
        return name
    picked = agent.parse(text)["intent"]["name"] if text else None
    return picked if picked in subs else subs[0]


def _story_text(agent: Any, story: TestStory, step: dict[str, Any]) -> tuple[str, list[Any]]:
    """A story's user step as the message a user sends: its text and annotated spans. An intent
    step with no text is a ``/intent{...}`` payload."""
    if "user" not in step:
        values = {k: v for e in step.get("entities") or [] for k, v in (e.items() if isinstance(e, dict) else [])}
        return f"/{_concrete(agent, str(step.get('intent')), None)}" + (json.dumps(values) if values else ""), []
    annotated = str(step.get("user", "")).strip()
    try:
        return parse_example(annotated)
    except AnnotationError as e:  # Rasa reads an annotation it cannot parse as plain text
        logger.warning("%s: story '%s': %s in %r: read as plain text, with no entities (annotate as [text](entity))", story.file, story.name, e, annotated)
        return annotated, []


def _story_parse(agent: Any, step: dict[str, Any], text: str, spans: list[Any]) -> Parse:
    """The parse a replay gives a story's user step: its intent and entities (no NLU), and no
    slots of its own to fill (the story's slot_was_set steps say what it filled). A payload is
    read as the agent reads payloads; a text with no intent (an end-to-end step) goes through the
    NLU, as Rasa's does, and fills slots as a message does."""
    if "user" not in step:
        parsed = agent.parse(text)
        return Parse(text, parsed["intent"], (parsed["intent"],), tuple(parsed["entities"]), payload=True, fills_slots=False)
    values = {k: v for e in step.get("entities") or [] for k, v in (e.items() if isinstance(e, dict) else [])}
    entities = [{"entity": s.entity, "value": s.value if s.value is not None else _canonical(agent.domain, s.entity, s.text), "start": s.start, "end": s.end,
                 "role": s.role, "group": s.group, "confidence": 1.0, "extractor": "story"} for s in spans]
    entities += [{"entity": k, "value": v, "start": None, "end": None, "confidence": 1.0, "extractor": "story"} for k, v in values.items()]
    if not step.get("intent"):
        parsed = agent.parse(text)
        return Parse(text, parsed["intent"], (parsed["intent"],), tuple(entities or parsed["entities"]))
    intent = {"name": _concrete(agent, str(step["intent"]), text), "confidence": 1.0}
    return Parse(text, intent, (intent,), tuple(entities), fills_slots=False)


def _user_lines(step: dict[str, Any], comment: str = "") -> list[str]:
    if "user" in step:
        return [f"  - user: {_q(str(step.get('user', '')).strip())}", f"    intent: {step.get('intent')}{comment}"]
    return [f"  - intent: {step.get('intent')}{comment}"]


def _user_step(agent: Any, cid: str, story: TestStory, step: dict[str, Any], result: StoryResult) -> list[str]:
    """Send a story's user step through the whole bot (end to end); check its intent and
    entities; return the actions the bot ran."""
    expected_intent = step.get("intent")
    text, spans = _story_text(agent, story, step)
    t = agent.handle_turn(text, cid)
    for event in t.events:  # end to end: an action that could not run fails the story
        if isinstance(event, ActionFailed) and not event.error.startswith("ActionRejected"):
            result.diverged(f"{_q(text)}: action {event.name} failed: {event.error}")
    got_intent = (t.intent or {}).get("name")
    comment = ""
    if expected_intent and not intent_matches(expected_intent, got_intent, agent.domain.intents):
        comment = f"  # predicted: {got_intent}: {text}"
        result.diverged(f"{_q(text)}: expected intent {expected_intent}, predicted {got_intent}")
    expected_entities = sorted((s.entity, s.text) for s in spans)
    got_entities = sorted((e["entity"], text[e["start"]:e["end"]] if e.get("start") is not None else str(e.get("value"))) for e in t.entities)
    if "user" in step and expected_entities != got_entities:
        comment += f"  # predicted entities: {got_entities}"
        result.diverged(f"{_q(text)}: expected entities {expected_entities}, predicted {got_entities}")
    result.intent_pairs.append((str(expected_intent), str(got_intent)))
    result.lines += _user_lines(step, comment)
    return list(t.actions)


def _replay_story(agent: Any, cid: str, story: TestStory) -> StoryResult:
    """``rasa test``'s replay: the state at every step is the story's (framework/rasa/replay.py)."""
    result = StoryResult(story, True)
    result.lines += [f"- story: {_q(story.name)}  # {story.location}", "  steps:"]
    policy = next((c for c in agent.components if isinstance(c, Policy)), None)
    if policy is None:
        raise DomainError(message("DK702", Location(story.file), problem="the bot's pipeline has no dialogue policy to replay test stories with",
                                  fix="add flow_policy to the pipeline"))
    responses = agent.domain.responses

    def resolve(action: str) -> str:
        return RASA_ACTION_ALIASES.get(action, action)

    def same(want: str, got: str) -> bool:
        return want == got or action_matches(want, got, responses)  # `utter_faq`: the sub-intent's response

    tracker = agent.new_tracker(cid)
    for turn in _turns(story):
        step, parse = turn["step"], None
        if step is not None:
            parse = _story_parse(agent, step, *_story_text(agent, story, step))
            tracker.add(UserUttered(text=parse.text, parse={"intent": parse.intent, "entities": list(parse.entities)}))
            result.intent_pairs.append((str(step.get("intent")), parse.intent_name))
            result.lines += _user_lines(step)
        pairs = replay_turn(policy, tracker, parse, turn["after"], resolve, same)
        k = 0
        for s in turn["after"]:
            if "action" in s and s["action"] != LISTEN:
                want, got = pairs[k] if k < len(pairs) else (resolve(str(s["action"])), "None")
                k += 1
                _action_step(result, step, s["action"], want, got)
            elif "slot_was_set" in s:
                _slot_steps(s["slot_was_set"], {}, [], result)
            elif "active_loop" in s:
                result.lines.append(f"  - active_loop: {s['active_loop'] if s['active_loop'] is not None else 'null'}")
        _closing(result, pairs[k:])
    return result


def _slot_steps(raw: Any, slots: dict[str, Any], after: list[dict[str, Any]], result: StoryResult) -> None:
    result.lines.append("  - slot_was_set:")
    for item in raw if isinstance(raw, list) else [raw]:
        for name, value in item.items() if isinstance(item, dict) else [(item, None)]:
            wrong = name != "requested_slot" and isinstance(item, dict) and name in slots and slots.get(name) != value and not _later_set(after, name)
            if wrong:
                result.diverged(f"slot {name}: expected {value!r}, got {slots.get(name)!r}")
            result.lines.append(f"    - {name}: {_q(value)}" + (f"  # predicted: {_q(slots.get(name))}" if wrong else ""))


def _later_set(after: list[dict[str, Any]], name: str) -> bool:
    """A slot that a later step of the same turn sets again (forms set then validate)."""
    seen = 0
    for s in after:
        if "slot_was_set" in s:
            items = s["slot_was_set"] if isinstance(s["slot_was_set"], list) else [s["slot_was_set"]]
            seen += sum(1 for i in items if isinstance(i, dict) and name in i)
    return seen > 1


def classification_report(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Per-label precision/recall/F1/support with accuracy and macro/weighted averages (sklearn's layout)."""
    labels = sorted({e for e, _ in pairs} | {p for _, p in pairs})
    report: dict[str, Any] = {}
    for label in labels:
        tp = sum(1 for e, p in pairs if e == label and p == label)
        pred = sum(1 for _, p in pairs if p == label)
        support = sum(1 for e, _ in pairs if e == label)
        precision = tp / pred if pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {"precision": precision, "recall": recall, "f1-score": f1, "support": support}
    total = len(pairs)
    real = [label for label in labels if report[label]["support"] > 0]
    report["accuracy"] = sum(1 for e, p in pairs if e == p) / total if total else 0.0
    for avg, weight in (("macro avg", lambda lab: 1.0), ("weighted avg", lambda lab: report[lab]["support"])):
        w = sum(weight(lab) for lab in real) or 1.0
        report[avg] = {k: sum(report[lab][k] * weight(lab) for lab in real) / w for k in ("precision", "recall", "f1-score")}
        report[avg]["support"] = total
    return report


def summary(results: list[StoryResult]) -> dict[str, Any]:
    pairs = [p for r in results for p in r.pairs]
    actions = classification_report(pairs)
    passed = sum(r.passed for r in results)
    return {
        "stories": len(results),
        "passed": passed,
        "conversation_accuracy": passed / len(results) if results else 0.0,
        "action_accuracy": actions["accuracy"],
        "action_precision_weighted": actions["weighted avg"]["precision"],
        "action_recall_weighted": actions["weighted avg"]["recall"],
        "action_f1_weighted": actions["weighted avg"]["f1-score"],
        "failed": [{"story": r.story.name, "where": r.story.location, "failure": r.failure} for r in results if not r.passed],
    }


def write_reports(results: list[StoryResult], out: str | Path) -> dict[str, Any]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "story_report.json").write_text(json.dumps(classification_report([p for r in results for p in r.pairs]), indent=2) + "\n", encoding="utf-8")
    for name, keep in (("failed_test_stories.yml", False), ("successful_test_stories.yml", True)):
        chosen = [r for r in results if r.passed == keep]
        body = "\n".join("\n".join(r.lines) for r in chosen) if chosen else ""
        (out / name).write_text('version: "3.1"\nstories:' + ("\n" + body + "\n" if body else " []\n"), encoding="utf-8")
    data = summary(results)
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data
