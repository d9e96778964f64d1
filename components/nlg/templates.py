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
