"""Template responses: pick a variation, fill `{slot}` placeholders once.

Placeholders are replaced with one regex pass over the template; a slot value that
itself contains ``{other}`` or format syntax is printed literally, never re-expanded.
Variations with a `condition` are eligible only when it holds; among eligible
variations the choice is seeded-random or round-robin.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Literal, cast

from dialogkit.framework.domain.expressions import parse_expression
from dialogkit.framework.domain.responses import said
from dialogkit.framework.domain.schema import RUNTIME_RESPONSES
from dialogkit.framework.domain.syntax import fill
from dialogkit.framework.runtime.pipeline import Component, ComponentConfig, Turn
from dialogkit.framework.runtime.turn import ActionMessage, Message

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain


class TemplateConfig(ComponentConfig):
    choice: Literal["random", "round_robin"] = "random"
    seed: int | None = None
    missing_slot_text: str = "(unknown)"


RECORD_KEY = "record"  # what an action passes a record response (dispatcher.utter(response=..., record=...))
NOTHING_FOUND = {"en": "Nothing matches.", "zh": "没有找到。"}


def record_template(spec: Any, record: dict[str, Any], language: str) -> str:
    """The sentence for ``record`` from its fields' phrases, values still ``{field}`` placeholders: the
    subject's phrase first, the rest joined ("{name} serves {food} food, is in the {area} and has cheap
    prices."; without the subject, all of them joined: "Serves {food} food and is in the {area}."). Fields the
    record lacks, leaves empty or sets false are left out; "" when it has none of them."""
    present = [f for f in spec.order if said(record.get(f))]
    if not present:
        return ""
    subject = spec.subject or spec.order[0]
    phrases = {f: spec.fields[f] for f in present}
    head = phrases.pop(subject) if subject in phrases else ""
    rest = list(phrases.values())
    if language == "zh":
        return head + "，".join(rest) + "。"
    tail = ", ".join(rest[:-1]) + " and " + rest[-1] if len(rest) > 1 else "".join(rest)
    text = f"{head} {tail}".strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def say_record(spec: Any, record: dict[str, Any], language: str) -> str:
    """:func:`record_template` filled with the record's values (once: a value is never re-expanded)."""
    text = fill(record_template(spec, record, language), record, "")
    return text[:1].upper() + text[1:]


def records_of(spec: Any, slots: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a response says: the one or the list an action passed (``slots[RECORD_KEY]``), else the
    slots of the fields' names."""
    given = slots.get(RECORD_KEY)
    if given is None:
        given = {f: slots.get(f) for f in spec.fields}
    if isinstance(given, dict):
        return [given]
    return [r for r in given if isinstance(r, dict)] if isinstance(given, list) else []


def record_text(spec: Any, slots: dict[str, Any], language: str) -> str:
    """What a record response says: one sentence per record (:func:`records_of`), one line each; ``none`` when
    there is nothing to say."""
    lines = [line for r in records_of(spec, slots) if (line := say_record(spec, r, language))]
    if not lines:
        return spec.none or NOTHING_FOUND.get(language, NOTHING_FOUND["en"])
    return "\n".join(lines)


class TemplateNLG(Component):
    name = "template_nlg"
    stage = "nlg"
    Config = TemplateConfig
    config: TemplateConfig
    requires = ("responses", "slots")
    assigns = ("messages",)

    def __init__(self, config: TemplateConfig, domain: Domain):
        super().__init__(config, domain)
        self._rng = random.Random(config.seed)
        self._turns: dict[str, int] = {}

    def _eligible(self, name: str, slots: dict[str, Any], channel: str | None = None) -> list[Any]:
        variations = self.domain.responses[name].variations
        # Rasa's rule: variations written for this channel if there are any, else the channel-free ones
        variations = (
            [v for v in variations if channel and v.channel == channel]
            or [v for v in variations if not v.channel]
            or list(variations)
        )
        conditional = [v for v in variations if v.condition and parse_expression(v.condition).evaluate(slots)]
        return conditional or [v for v in variations if not v.condition] or list(variations)

    def choose(self, name: str, slots: dict[str, Any], channel: str | None = None) -> Any:
        """The variation of response ``name`` to use now (seeded-random or round-robin among the eligible)."""
        options = self._eligible(name, slots, channel)
        if self.config.choice == "round_robin":
            i = self._turns.get(name, 0)
            self._turns[name] = i + 1
            return options[i % len(options)]
        return self._rng.choice(options)

    def render(self, name: str, slots: dict[str, Any], channel: str | None = None) -> dict[str, Any]:
        """One bot message for response ``name`` given ``slots`` (and the output ``channel``)."""
        if name not in self.domain.responses:  # a runtime response the domain leaves to its default
            return {"text": RUNTIME_RESPONSES.get(name, name), "response": name, "generated": False}
        spec = self.domain.responses[name].record
        if spec is not None:
            text = record_text(spec, slots, self.domain.language)
            return {"response": name, "text": text, "generated": False}
        v = self.choose(name, slots, channel)
        msg: dict[str, Any] = {
            "response": name,
            "text": fill(v.text, slots, self.config.missing_slot_text) if v.text else None,
            "generated": False,
        }
        if v.buttons:
            msg["buttons"] = [{"title": fill(b.title, slots, ""), "payload": b.payload} for b in v.buttons]
        if v.image:
            msg["image"] = v.image
        if v.custom:
            msg["custom"] = v.custom
        if v.channel:
            msg["channel"] = v.channel
        return msg

    def process(self, turn: Turn) -> None:
        slots = turn.slots
        for r in turn.responses:
            if isinstance(r, ActionMessage):  # already a message (from a custom action)
                turn.messages.append(cast(Message, dict(r.message)))
            else:
                turn.messages.append(cast(Message, self.render(r.name, r.render_slots(slots), turn.channel)))
