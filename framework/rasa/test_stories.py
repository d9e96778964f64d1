"""Rasa test stories (``tests/test_stories.yml``) run against a dialogkit bot, like ``rasa test``.

Each story's ``user:`` steps (inline entity annotations allowed) are sent to the bot;
the intent, the entities and the actions the bot runs after each message are compared
with the story (``intent``, ``action``, ``slot_was_set``, ``active_loop`` steps).
Rasa's default actions are compared through :data:`RASA_ACTION_ALIASES`; forms count
as their form action, once per turn they run (as in Rasa stories).

Reports, as ``rasa test`` writes them: ``story_report.json`` (per-action precision,
recall, F1 and support, plus accuracy and averages), ``failed_test_stories.yml``
(each failed story with ``# predicted: ...`` at every divergence),
``successful_test_stories.yml`` and ``results.json`` (conversation accuracy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framework.errors import DomainError, Location, message
from framework.rasa.importer import RASA_ACTION_ALIASES
from framework.training_data import _AnnotationError, parse_example
from framework.yamlio import load_yaml

__all__ = ["StoryResult", "TestStory", "load_test_stories", "run_test_stories", "write_reports"]

LISTEN = "action_listen"


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


def run_test_stories(agent: Any, stories: list[TestStory]) -> list[StoryResult]:
    forms = {name for name, flow in agent.domain.flows.items() if flow.form}
    results = []
    for n, story in enumerate(stories):
        cid = f"rasa-test-{n}-{story.name}"
        result = StoryResult(story, True)
        lines = result.lines
        lines.append(f"- story: {_q(story.name)}  # {story.location}")
        lines.append("  steps:")
        for turn in _turns(story):
            step = turn["step"]
            predicted: list[str] = []
            if step is not None:
                annotated = str(step.get("user", "")).strip()
                expected_intent = step.get("intent")
                try:
                    text, spans = parse_example(annotated) if "user" in step else ("", [])
                except _AnnotationError as e:
                    raise DomainError(message("DK702", Location(story.file), problem=f"story '{story.name}': bad entity annotation in {annotated!r}: {e}", fix="annotate as [text](entity)")) from None
                if "user" not in step:
                    text = f"/{expected_intent}"
                    entities = step.get("entities") or []
                    if entities:
                        values = {k: v for e in entities for k, v in (e.items() if isinstance(e, dict) else [])}
                        text += json.dumps(values)
                t = agent.handle_turn(text, cid)
                got_intent = (t.intent or {}).get("name")
                predicted = list(t.actions)
                comment = ""
                if expected_intent and got_intent != expected_intent:
                    comment = f"  # predicted: {got_intent}: {text}"
                    result.passed = False
                    result.failure = result.failure or f"{_q(text)}: expected intent {expected_intent}, predicted {got_intent}"
                expected_entities = sorted((s.entity, s.text) for s in spans)
                got_entities = sorted((e["entity"], text[e["start"]:e["end"]] if e.get("start") is not None else str(e.get("value"))) for e in t.entities)
                if "user" in step and expected_entities != got_entities:
                    comment += f"  # predicted entities: {got_entities}"
                    result.passed = False
                    result.failure = result.failure or f"{_q(text)}: expected entities {expected_entities}, predicted {got_entities}"
                result.intent_pairs.append((str(expected_intent), str(got_intent)))
                if "user" in step:
                    lines.append(f"  - user: {_q(annotated)}")
                    lines.append(f"    intent: {expected_intent}{comment}")
                else:
                    lines.append(f"  - intent: {expected_intent}{comment}")
            expected = [RASA_ACTION_ALIASES.get(s["action"], s["action"]) for s in turn["after"] if "action" in s and s["action"] != LISTEN]
            expected.append(LISTEN)
            predicted.append(LISTEN)
            k = 0  # position in predicted
            for s in turn["after"]:
                if "action" in s:
                    if s["action"] == LISTEN:
                        continue
                    want = RASA_ACTION_ALIASES.get(s["action"], s["action"])
                    got = predicted[k] if k < len(predicted) else "None"
                    result.pairs.append((want, got))
                    mark = ""
                    if got != want:
                        mark = f"  # predicted: {got}"
                        result.passed = False
                        result.failure = result.failure or f"after {_q(step.get('user', step.get('intent')) if step else '(start)')}: expected {want}, predicted {got}"
                    lines.append(f"  - action: {s['action']}{mark}")
                    k += 1
                elif "slot_was_set" in s:
                    items = s["slot_was_set"] if isinstance(s["slot_was_set"], list) else [s["slot_was_set"]]
                    slots = agent.tracker(cid).slots
                    lines.append("  - slot_was_set:")
                    for item in items:
                        pairs = item.items() if isinstance(item, dict) else [(item, None)]
                        for name, value in pairs:
                            mark = ""
                            if name != "requested_slot" and isinstance(item, dict) and name in slots and slots.get(name) != value and not _later_set(turn["after"], name):
                                mark = f"  # predicted: {_q(slots.get(name))}"
                                result.passed = False
                                result.failure = result.failure or f"slot {name}: expected {value!r}, got {slots.get(name)!r}"
                            lines.append(f"    - {name}: {_q(value)}{mark}")
                elif "active_loop" in s:
                    want_loop = s["active_loop"]
                    stack = agent.tracker(cid).stack
                    active = next((f.flow for f in reversed(stack) if f.flow in forms), None)
                    mark = ""
                    if want_loop is not None and want_loop != active and want_loop not in predicted:
                        mark = f"  # predicted: {active}"
                        result.passed = False
                        result.failure = result.failure or f"active_loop: expected {want_loop}, active {active}"
                    lines.append(f"  - active_loop: {want_loop if want_loop is not None else 'null'}{mark}")
            # what the bot did beyond the story's actions (before listening again)
            for got in predicted[k:-1]:
                result.pairs.append((LISTEN, got))
                lines.append(f"  - action: action_listen  # predicted: {got}")
                result.passed = False
                result.failure = result.failure or f"unexpected action {got}"
                k += 1
            result.pairs.append((LISTEN, predicted[k] if k < len(predicted) else "None"))
        results.append(result)
    return results


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
