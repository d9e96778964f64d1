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
from pathlib import Path
from typing import Any

from ..errors import DomainError, Location, message
from ..runtime.decisions import Policy
from ..runtime.tracker import UserUttered
from ..runtime.turn import Intent, Parse, entity
from .importer import RASA_ACTION_ALIASES
from .live_stories import AgentBot, run_live_story
from .replay import replay_turn
from .retrieval import action_matches
from .stories import (
    LISTEN,
    StoryResult,
    TestStory,
    _action_step,
    _canonical,
    _closing,
    _concrete,
    _q,
    _slot_steps,
    _story_text,
    _turns,
    _user_lines,
    is_story_file,
    load_test_stories,
)

__all__ = [
    "MODES",
    "StoryResult",
    "TestStory",
    "is_story_file",
    "load_test_stories",
    "run_test_stories",
    "summary",
    "write_reports",
]

MODES = ("replay", "e2e")


def run_test_stories(agent: Any, stories: list[TestStory], mode: str = "replay") -> list[StoryResult]:
    """Run ``stories`` against ``agent`` with Rasa's replay semantics or end to end (``mode``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode == "replay":
        return [_replay_story(agent, f"rasa-test-replay-{n}-{story.name}", story) for n, story in enumerate(stories)]
    bot = AgentBot(agent)
    results = []
    for n, story in enumerate(stories):
        cid = f"rasa-test-e2e-{n}-{story.name}"
        results.append(run_live_story(bot, agent.domain, cid, story))
        results[-1].events = list(agent.tracker(cid).events)
    return results


def _story_parse(agent: Any, step: dict[str, Any], text: str, spans: list[Any]) -> Parse:
    """The parse a replay gives a story's user step: its intent and entities (no NLU), and no
    slots of its own to fill (the story's slot_was_set steps say what it filled). A payload is
    read as the agent reads payloads; a text with no intent (an end-to-end step) goes through the
    NLU, as Rasa's does, and fills slots as a message does."""
    if "user" not in step:
        parsed = agent.parse(text)
        return Parse(
            text, parsed["intent"], (parsed["intent"],), tuple(parsed["entities"]), payload=True, fills_slots=False
        )
    values = {k: v for e in step.get("entities") or [] for k, v in (e.items() if isinstance(e, dict) else [])}
    entities = [
        entity(
            s.entity,
            s.value if s.value is not None else _canonical(agent.domain, s.entity, s.text),
            "story",
            s.start,
            s.end,
            role=s.role,
            group=s.group,
        )
        for s in spans
    ]
    entities += [entity(k, v, "story") for k, v in values.items()]
    if not step.get("intent"):
        parsed = agent.parse(text)
        return Parse(text, parsed["intent"], (parsed["intent"],), tuple(entities or parsed["entities"]))
    intent = Intent(name=_concrete(agent.domain, str(step["intent"]), text, agent.parse), confidence=1.0)
    return Parse(text, intent, (intent,), tuple(entities), fills_slots=False)


def _replay_story(agent: Any, cid: str, story: TestStory) -> StoryResult:
    """``rasa test``'s replay: the state at every step is the story's (framework/rasa/replay.py)."""
    result = StoryResult(story, True)
    result.lines += [f"- story: {_q(story.name)}  # {story.location}", "  steps:"]
    policy = next((c for c in agent.components if isinstance(c, Policy)), None)
    if policy is None:
        raise DomainError(
            message(
                "DK702",
                Location(story.file),
                problem="the bot's pipeline has no dialogue policy to replay test stories with",
                fix="add flow_policy to the pipeline",
            )
        )
    responses = agent.domain.responses

    def resolve(action: str) -> str:
        return RASA_ACTION_ALIASES.get(action, action)

    def same(want: str, got: str) -> bool:
        return want == got or action_matches(want, got, responses)  # `utter_faq`: the sub-intent's response

    tracker = agent.new_tracker(cid)
    for turn in _turns(story):
        step, parse = turn["step"], None
        if step is not None:
            parse = _story_parse(agent, step, *_story_text(agent.domain, story, step))
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
    result.events = list(tracker.events)
    return result


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
        report[avg] = {
            k: sum(report[lab][k] * weight(lab) for lab in real) / w for k in ("precision", "recall", "f1-score")
        }
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
        "failed": [
            {"story": r.story.name, "where": r.story.location, "failure": r.failure} for r in results if not r.passed
        ],
    }


def write_reports(results: list[StoryResult], out: str | Path) -> dict[str, Any]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "story_report.json").write_text(
        json.dumps(classification_report([p for r in results for p in r.pairs]), indent=2) + "\n", encoding="utf-8"
    )
    for name, keep in (("failed_test_stories.yml", False), ("successful_test_stories.yml", True)):
        chosen = [r for r in results if r.passed == keep]
        body = "\n".join("\n".join(r.lines) for r in chosen) if chosen else ""
        (out / name).write_text(
            'version: "3.1"\nstories:' + ("\n" + body + "\n" if body else " []\n"), encoding="utf-8"
        )
    data = summary(results)
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data
