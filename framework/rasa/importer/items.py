"""Stage helper: a Rasa rule's or story's steps as a flat list of items (user turns, bot actions,
slot tests), with the interruptions of forms cut out as paths of their own; and the conditions
those paths start under (slot tests, a form that must be running)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...domain.builtins import ACTION_LISTEN
from ...domain.syntax import NAME_RE
from ...domain.training_data import AnnotationError, format_example, parse_example
from ...errors import Location
from .reading import Doc
from .state import ImportState, slot_condition

SET = "__set__"  # a `slot_was_set` naming a slot with no value: it has one, whatever it is
@dataclass(frozen=True)
class Start:
    """What a path of the prefix tree starts under (its flow's ``when:`` besides the intent): a
    slot ``condition``, a form that must be running (``during``), the session's first message
    (``conversation_start``)."""

    condition: str | None = None
    during: str | None = None
    conversation_start: bool = False

    def when(self, intent: str) -> dict[str, Any]:
        """The flow's ``when:`` for a path starting with ``intent`` under this."""
        when: dict[str, Any] = {"intent": intent}
        if self.during:
            when["during"] = self.during
        if self.condition:
            when["condition"] = self.condition
        if self.conversation_start:
            when["conversation_start"] = True
        return when


def slot_test(st: ImportState, slot: str, value: Any) -> str:
    """A condition matching a story's `slot_was_set`: text-like slots by being set (Rasa
    featurizes them as set / not set), the others by value."""
    if value is None:
        return f"{slot} is not set"
    if st.slots.get(slot, {}).get("type") in ("text", "list", "any") or value == SET:
        return f"{slot} is set"
    return slot_condition(slot, value)


def parse_items(
    st: ImportState,
    name: str,
    steps: list[Any],
    d: Doc,
    path: tuple[Any, ...],
    kind: str,
    segments: list[tuple[str, list[tuple[Any, Location | None]]]] | None = None,
) -> list[tuple[Any, Location | None]] | None:
    """Steps → a flat list of items with their locations: ``("intent", [names])`` for a user
    turn (several with `or`), ``("act", name)`` for a bot action, ``("slot", name, condition)``
    for a `slot_was_set` outside forms. A form's own turns (inside its active_loop) are
    skipped: the form flow runs them. A user turn inside the form that other actions answer
    interrupts it: from there to where the form runs again (or, when the story ends the form
    with action_deactivate_loop, to the story's end) is a path of its own, added to
    ``segments`` (it becomes part of the interrupting intent's flow)."""
    items: list[tuple[Any, Location | None]] = []
    target = items  # where the steps go: the story's path, or the interruption being read
    in_form: str | None = None
    inner: str | None = None  # a form an interruption of ``in_form`` starts
    for i, s in enumerate(steps):
        spath = (*path, "steps", i)
        where = d.at(*spath)
        if not isinstance(s, dict):
            st.report.add("dropped", f"{kind} `{name}`: step {s!r}", where)
            continue
        if in_form and target is not items:  # inside an interruption of the form
            if s.get("action") == in_form:  # the form runs again: the story goes on in it
                target = items
                continue
            if s.get("action") in st.forms:  # the interruption starts a form of its own
                inner = s["action"]
            elif s.get("active_loop", "x") is None and inner:  # ... which is done: the interruption goes on
                inner = None
                continue
            elif s.get("active_loop", "x") is None:  # ended (action_deactivate_loop): the rest follows the interruption
                in_form = None
                continue
        elif in_form:
            if s.get("active_loop", "x") is None:
                in_form = None
            elif _turn_intents(s) and segments is not None and _answered_by_other(steps, i, in_form):
                target = [(("intent", _turn_intents(s)), where)]
                segments.append((in_form, target))
                inner = None
                said = "`, `".join(_turn_intents(s))
                st.report.add(
                    "mapped",
                    f"{kind} `{name}`: `{said}` interrupts form `{in_form}` → a path of the `{said}` flow (the form "
                    "resumes after it, or ends with action_deactivate_loop)",
                    where,
                )
            elif "action" in s and s["action"] != in_form and "intent" not in s:
                st.report.add(
                    "mapped",
                    f"{kind} `{name}`: `{s['action']}` inside form `{in_form}` — an interruption; dialogkit resumes "
                    "the form by itself",
                    where,
                )
            continue
        if "intent" in s or "or" in s or "user" in s:
            if "or" in s:
                intents = [o["intent"] for o in s["or"] if isinstance(o, dict) and "intent" in o]
                if len(intents) != len(s["or"]):
                    st.report.add(
                        "dropped", f"{kind} `{name}`: `or` alternatives other than intents (slot_was_set)", where
                    )
            else:
                intents = (
                    [s["intent"]]
                    if s.get("intent")
                    else [e2e_intent(st, str(s.get("user") or ""), f"{kind} `{name}`", where)]
                )
            target.append((("intent", tuple(intents)), where))
        elif "action" in s:
            action = s["action"]
            if action == ACTION_LISTEN:
                continue
            target.append((("act", action), where))
            nxt = steps[i + 1] if i + 1 < len(steps) else {}
            if action in st.forms and isinstance(nxt, dict) and nxt.get("active_loop") == action:
                in_form = action
        elif "slot_was_set" in s:
            for item in s["slot_was_set"] if isinstance(s["slot_was_set"], list) else [s["slot_was_set"]]:
                for slot, value in (item.items() if isinstance(item, dict) else [(item, SET)]):
                    if slot != "requested_slot" and slot in st.slots:
                        # keyed as Rasa featurizes it
                        target.append((("slot", slot, slot_test(st, slot, value)), where))
        elif "bot" in s:
            target.append((("act", e2e_response(st, str(s["bot"]), f"{kind} `{name}`", where)), where))
        elif "active_loop" in s or "checkpoint" in s:
            continue
        else:
            st.report.add("dropped", f"{kind} `{name}`: step with keys {sorted(s)}", where)
    return items


def _answered_by_other(steps: list[Any], i: int, form: str) -> bool:
    """Whether the user turn at ``steps[i]``, inside ``form``, is answered by an action other than the form."""
    for s in steps[i + 1:]:
        if isinstance(s, dict) and "action" in s:
            return s["action"] not in (form, ACTION_LISTEN)
        if isinstance(s, dict) and ("intent" in s or "user" in s or "or" in s):
            return False
    return False


def _turn_intents(s: dict[str, Any]) -> tuple[str, ...]:
    """The intents of a user turn: its `intent`, or those of its `or` alternatives."""
    if s.get("intent"):
        return (str(s["intent"]),)
    return tuple(str(o["intent"]) for o in s.get("or") or [] if isinstance(o, dict) and o.get("intent"))


def _slug(text: str, prefix: str, taken: Any) -> str:
    """A name for an end-to-end turn: ``prefix`` and the text's first words, unique among ``taken``."""
    words = re.findall(r"[a-z0-9]+", text.casefold())[:5]
    base = prefix + ("_".join(words) or "turn")
    name, n = base, 2
    while name in taken or not NAME_RE.match(name):
        name, n = f"{base}_{n}", n + 1
        if n > 1000:
            break
    return name


def e2e_intent(st: ImportState, text: str, source: str, where: Location | None) -> str:
    """An end-to-end story's user turn (`user:` text, no intent): the intent whose NLU examples
    hold that text, else an intent made for it with the text as its one example (Rasa reads the
    text itself: dialogkit's NLU learns it as that intent)."""
    try:
        plain, spans = parse_example(text.strip())
    except AnnotationError:
        plain, spans = text.strip(), []
    key = plain.casefold()
    for block in st.nlu:
        for example in block["examples"]:
            try:
                if parse_example(example)[0].casefold() == key:
                    return str(block["intent"])
            except AnnotationError:
                continue
    name = _slug(plain, "e2e_", st.intents)
    st.intents[name] = {}
    st.nlu.append({"intent": name, "examples": [format_example(plain, spans)]})
    st.report.add(
        "mapped",
        f"{source}: `user: {plain}` (end-to-end, no intent) → intent `{name}` with this text as its example",
        where,
    )
    return name


def e2e_response(st: ImportState, text: str, source: str, where: Location | None) -> str:
    """An end-to-end story's bot turn (`bot:` text): the response that always says that text, else one made for it."""
    said = text.strip()
    for name, variations in st.responses.items():
        if (
            isinstance(variations, list)
            and variations
            and all(isinstance(v, dict) and v.get("text") == said for v in variations)
        ):
            return str(name)
    name = _slug(said, "utter_e2e_", st.responses)
    st.responses[name] = [{"text": said}]
    st.report.add("mapped", f"{source}: `bot: {said}` (end-to-end) → response `{name}`", where)
    return name
