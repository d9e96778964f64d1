"""Answers to the question asked, typed with a slip: what the user sees in a conversation.

For each example bot, trained once with its own pipeline: every point in its conversation tests
where the bot asks for a slot with known values (a categorical slot's values, else the lookup
values of the entity it is filled from) is reached again by replaying the test up to that
question, and the user answers with a value alone, typed right and with one slip (bench/typos.py's
slips: a letter dropped, two neighbours swapped or a letter doubled, seed 28; for Chinese the same
with characters, and separately a character replaced by one read the same, a pinyin input
method's slip). The conversation judges: the slot filled with the value meant; "Did you mean ...?"
offered with it among the buttons; another value filled; or nothing (asked again or refused).
Where the value meant was the one value offered, the user then says yes (the shortest example of
the bot's `affirm` intent) and the conversation is judged again: filled by the yes, or not.
The bench-typos table scores messages out of context; this one scores the turn the bot asked for.
Usage: ``make bench-answers`` (``--no-write`` prints the JSON).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUTCOMES = ("filled", "offered", "other value", "nothing")


def values_asked(domain: Any, slot: str) -> list[str]:
    """The values a user may answer the slot's question with: a categorical slot's, else the lookup
    values of the entities it is filled from (none: the slot is left out)."""
    spec = domain.slots[slot]
    if spec.values:
        return [str(v) for v in spec.values]
    entities = [m.entity for m in spec.mappings if getattr(m, "entity", None) in domain.entities]
    return [v for e in entities for v in domain.entities[e].lookup]


def questions(loaded: Any, tests: list[Any]) -> list[tuple[str, Any, int]]:
    """(slot, conversation, index of the step that expects its question), once per distinct replay."""
    from dialogkit.framework.domain.schema import ask_response

    domain = loaded.domain
    asks = {ask: s for s in domain.slots if values_asked(domain, s) and (ask := ask_response(s, domain))}
    seen, out = set(), []
    for _file, conv, _loc in tests:
        for i, step in enumerate(conv.steps):
            expected = step.bot if isinstance(step.bot, str) else getattr(step.bot, "response", None)
            if expected is None or expected not in asks:
                continue
            key = (asks[expected], tuple(s.message() for s in conv.steps[:i] if s.message() is not None))
            if key not in seen:
                seen.add(key)
                out.append((asks[expected], conv, i))
    return out


def judge(agent: Any, cid: str, slot: str, value: str) -> str:
    """What the answer did: the slot filled with ``value``, the value offered, another value, nothing."""
    from dialogkit.framework.domain.builtins import UTTER_DID_YOU_MEAN
    from dialogkit.framework.runtime.events import BotUttered, UserUttered

    tracker = agent.tracker(cid)
    got = tracker.slots.get(slot)
    if got is not None and str(got).lower() == value.lower():
        return "filled"
    events = tracker.events
    last_user = max(i for i, e in enumerate(events) if isinstance(e, UserUttered))
    for e in events[last_user:]:
        if isinstance(e, BotUttered) and e.response == UTTER_DID_YOU_MEAN:
            said = json.dumps(e.data.get("buttons") or [], ensure_ascii=False).lower()
            if value.lower() in said:
                return "offered"
    return "other value" if got is not None else "nothing"


def offered_alone(agent: Any, cid: str, value: str) -> bool:
    """Whether the bot's last "Did you mean ...?" offered ``value`` and nothing else."""
    from dialogkit.framework.domain.builtins import UTTER_DID_YOU_MEAN
    from dialogkit.framework.runtime.events import BotUttered

    offers = [e for e in agent.tracker(cid).events if isinstance(e, BotUttered) and e.response == UTTER_DID_YOU_MEAN]
    buttons = (offers[-1].data.get("buttons") or []) if offers else []
    return len(buttons) == 1 and value.lower() in json.dumps(buttons, ensure_ascii=False).lower()


def yes_of(loaded: Any) -> str | None:
    """How the bot's users say yes: the shortest example of its ``affirm`` intent (None: it has none)."""
    from dialogkit.framework.domain.training_data import collect_examples

    said = [ex.text for ex in collect_examples(loaded) if ex.intent == "affirm" and not ex.entities]
    return min(said, key=len) if said else None


def slipped(value: str, language: str, rng: random.Random, kinds: tuple[str, ...]) -> str | None:
    """``value`` with one slip of ``kinds`` in one of its words long enough to slip, or None."""
    from dialogkit.components.nlu.noise import slip, slip_spots

    spots = slip_spots(value, language)
    if not spots:
        return None
    start, end = rng.choice(spots)
    word, _, _ = slip(value[start:end], rng, kinds)
    return value[:start] + word + value[end:]


def run_bot(path: Path, seed: int) -> dict[str, Any]:
    from dialogkit.framework.build.training import train
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.evaluation.conversation_format import TestStep, load_conversation_tests
    from dialogkit.framework.evaluation.conversation_tests import run_conversations
    from dialogkit.framework.runtime.agent import Agent

    loaded = load_domain(path)
    language = loaded.domain.language
    kinds = {"typed right": None, "letters": ("drop", "swap", "double")}
    if language.startswith("zh"):
        kinds["homophones"] = ("homophone",)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        train(path, Path(tmp) / "model", seed=42)
        trained = time.perf_counter() - t0
        agent = Agent.load(Path(tmp) / "model")
        asked = questions(loaded, load_conversation_tests(path))
        yes = yes_of(loaded)
        result: dict[str, Any] = {"language": language, "questions": len(asked), "train_seconds": round(trained)}
        for kind, slips in kinds.items():
            rng = random.Random(seed)
            cases, convs = [], []
            for slot, conv, at in asked:
                for value in values_asked(loaded.domain, slot):
                    answer = value if slips is None else slipped(value, language, rng, slips)
                    if answer is None:
                        continue
                    steps = [*conv.steps[: at + 1], TestStep(user=answer)]
                    convs.append(("bench", conv.model_copy(update={"steps": steps}), None))
                    cases.append((slot, value, answer))
            counts = dict.fromkeys(OUTCOMES, 0)
            examples: dict[str, list[str]] = {o: [] for o in OUTCOMES if o != "filled"}  # "typed (meant)"
            replayed, then_yes = 0, []  # offers of the value meant alone, answered yes next
            for (slot, value, answer), conv, res in zip(cases, convs, run_conversations(agent, convs), strict=True):
                if not res.passed:
                    continue  # the replay went another way before the question: not counted
                replayed += 1
                outcome = judge(agent, res.conversation_id, slot, value)
                counts[outcome] += 1
                shown = examples.get(outcome)
                if shown is not None and len(shown) < 20 and f"{answer} ({value})" not in shown:
                    shown.append(f"{answer} ({value})")
                if outcome == "offered" and yes and offered_alone(agent, res.conversation_id, value):
                    steps = [*conv[1].steps, TestStep(user=yes)]
                    then_yes.append((slot, value, ("bench", conv[1].model_copy(update={"steps": steps}), None)))
            yes_filled = sum(
                res.passed and judge(agent, res.conversation_id, slot, value) == "filled"
                for (slot, value, _), res in zip(then_yes, run_conversations(agent, [c for *_, c in then_yes]),
                                                 strict=True))
            result[kind] = {"answers": replayed, **{k: v / max(replayed, 1) for k, v in counts.items()},
                            "offered_alone": len(then_yes), "filled_by_yes": yes_filled, "examples": examples}
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bots", nargs="*", default=["restaurant", "banking", "tickets_zh"])
    p.add_argument("--seed", type=int, default=28)
    p.add_argument("--no-write", action="store_true", help="print the results as JSON (BENCHMARKS.md untouched)")
    args = p.parse_args()

    import torch

    from bench.report import write

    torch.set_num_threads(2)
    results, rows = {}, []
    for bot in args.bots:
        path = Path(bot) if Path(bot).is_dir() else ROOT / "domains" / bot
        r = results[path.name] = run_bot(path, args.seed)
        for kind in ("typed right", "letters", "homophones"):
            if kind not in r:
                continue
            k = r[kind]
            rows.append((f"{path.name} ({r['language']}, {r['questions']} questions asked): answers {kind} "
                         f"({k['answers']}): slot filled with the value meant / offered in 'Did you mean' / another "
                         "value / nothing", " / ".join(f"{k[o] * 100:.1f} %" for o in OUTCOMES), "-"))
            if k["offered_alone"]:
                rows.append((f"{path.name}: answers {kind} offered alone in 'Did you mean', then 'yes': slot filled",
                             f"{k['filled_by_yes']} of {k['offered_alone']}", "all"))
        print(json.dumps({path.name: r}, ensure_ascii=False, indent=1), flush=True)
    if args.no_write:
        return
    write(
        "answers",
        "Conversations: the answer to the question asked, typed with a slip (the example bots)",
        "make bench-answers",
        rows,
        results,
        notes="Each bot trained once with its own pipeline; every question its conversation tests reach for a slot "
        "with known values (a categorical slot's, else its entity's lookup values) is reached again by replaying "
        "the test, and answered with each value alone: typed right, and with one slip (bench/typos.py's: a letter "
        f"dropped, swapped or doubled, seed {args.seed}; Chinese: characters, and separately homophones). Values "
        "without a word long enough to slip (4+ letters, 2+ characters) are left out of the slipped rows. Judged "
        "on the conversation: the slot holds the value meant; or the bot's 'Did you mean ...?' names it among its "
        "buttons (one click fills it; where it was the one value offered, the user's yes next, the shortest of the "
        "bot's affirm examples, is judged again); or another value was filled; or nothing. Replays that went "
        "another way "
        "before the question are not counted. Answers offered or not taken (first 20 of each, as typed with the "
        "value meant): the JSON.",
    )


if __name__ == "__main__":
    main()
