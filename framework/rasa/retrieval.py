"""Rasa's retrieval intents (ResponseSelector) in dialogkit's terms, for the importer and for
``dialogkit test``.

In Rasa, ``faq/ask_hours`` and ``faq/ask_location`` are sub-intents of the retrieval intent
``faq``: the intent classifier says ``faq``, a ResponseSelector picks the sub-intent, and the
one action ``utter_faq`` says ``utter_faq/ask_hours`` or ``utter_faq/ask_location``. dialogkit
makes each sub-intent an intent of its own, ``faq.ask_hours`` (the BERT classifier picks it
directly), and each response ``utter_faq.ask_hours``; a rule or story on ``faq`` followed by
``utter_faq`` becomes one path per sub-intent that says that sub-intent's response.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_VARIANTS", "dialogkit_name", "expand_steps", "intent_matches", "action_matches", "family"]

MAX_VARIANTS = 200  # paths one story may become (a story with several retrieval turns multiplies)


def dialogkit_name(name: str) -> str:
    """``faq/ask_hours`` → ``faq.ask_hours`` (also ``utter_faq/ask_hours``); other names as they are."""
    return name.replace("/", ".", 1) if "/" in name else name


def family(names: Iterable[str], base: str) -> list[str]:
    """The sub-intents (or responses) of retrieval intent (or response) ``base`` among ``names``."""
    return [n for n in names if n.startswith(base + ".")]


def intent_matches(expected: str, got: str | None, intents: Iterable[str]) -> bool:
    """Whether the predicted intent ``got`` is what a Rasa test story expects: the same intent,
    its sub-intent written ``faq/ask_hours``, or any sub-intent of a retrieval intent ``faq``."""
    want = dialogkit_name(expected)
    return got == want or (got is not None and want not in set(intents) and got.startswith(want + "."))


def action_matches(expected: str, got: str, responses: Iterable[str]) -> bool:
    """Whether the bot's action ``got`` is what a story expects: the same, or for the retrieval
    action ``utter_faq`` (no response of that name) any ``utter_faq.<sub-intent>``."""
    want = dialogkit_name(expected)
    return got == want or (want not in set(responses) and got.startswith(want + "."))


def expand_steps(steps: list[Any], subs: dict[str, list[str]], responses: Iterable[str]) -> list[list[Any]]:
    """The paths a rule's or story's ``steps`` stand for: each ``intent: faq`` step (``faq`` a
    retrieval intent with sub-intents ``subs["faq"]``) becomes one path per sub-intent, and the
    ``action: utter_faq`` after it (up to the next user step) that sub-intent's response. Names
    written ``faq/ask_hours`` become ``faq.ask_hours``. At most :data:`MAX_VARIANTS` paths."""
    known = set(responses)
    sub_intents = {n for names in subs.values() for n in names}
    paths: list[tuple[list[Any], str | None]] = [([], None)]  # (steps so far, the sub-intent of the current user turn)
    for step in steps:
        if not isinstance(step, dict):
            paths = [(p + [step], sub) for p, sub in paths]
            continue
        if "intent" in step and "action" not in step:
            paths = [
                (p + [{**step, "intent": c}], c if c in sub_intents else None)
                for p, _ in paths
                for c in _choices(step, subs)
            ][:MAX_VARIANTS]
        elif "action" in step:
            paths = [(p + [{**step, "action": _action(str(step["action"]), sub, known)}], sub) for p, sub in paths]
        elif "or" in step and isinstance(step["or"], list) and any(_base_of(a, subs) for a in step["or"]):
            # one path per alternative, a retrieval intent's per sub-intent, so each says its response
            alternatives = [({**a, "intent": c}, c if c in sub_intents else None)
                            for a in step["or"] if isinstance(a, dict) and "intent" in a for c in _choices(a, subs)]
            paths = [(p + [alt], sub) for p, _ in paths for alt, sub in alternatives][:MAX_VARIANTS]
        else:
            paths = [(p + [step], sub) for p, sub in paths]
    return [p for p, _ in paths]


def _choices(step: dict[str, Any], subs: dict[str, list[str]]) -> list[str]:
    """The intents a step's ``intent`` stands for: a retrieval intent's sub-intents, else itself."""
    intent = dialogkit_name(str(step["intent"]))
    return subs.get(intent) or [intent]


def _base_of(step: Any, subs: dict[str, list[str]]) -> bool:
    return isinstance(step, dict) and "intent" in step and dialogkit_name(str(step["intent"])) in subs


def _action(name: str, sub: str | None, responses: set[str]) -> str:
    name = dialogkit_name(name)
    if sub is not None and name not in responses:
        base = sub.split(".", 1)[0]
        if name == f"utter_{base}" and f"utter_{sub}" in responses:
            return f"utter_{sub}"
    return name
