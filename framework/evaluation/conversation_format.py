"""The conversation-test format: ``<bot>/tests/*.yml`` read into typed, located steps.

::

    conversations:
      - name: booking with an FAQ in the middle
        now: 2026-12-05T10:00:00+08:00    # optional: when it happens ("tomorrow" reads from it)
        fixtures: {vip: true}              # optional: slots set before the first message
        stubs:                             # optional: what an action returns instead of running it
          action_check_availability:
            events: [{event: slot, name: available, value: true}]   # as an action server answers
            responses: [{text: "We have a table."}]
          action_charge_card: {error: "card declined"}               # ... or that it failed
        steps:
          - user: I'd like to book a table
            intent: book_table            # optional: the intent NLU must find
          - flow_started: book_table      # the turn started (completed, cancelled, interrupted) a flow
          - bot: utter_ask_cuisine        # a response name, or the exact text
          - bot: {matches: "Which (cuisine|food)"}                 # a regular expression (search)
          - bot: {response: utter_ask_size, buttons: [Small, Large]}   # the buttons offered
          - bot_not: utter_default        # the turn did not say this (a response name or text)
          - user: /inform{"cuisine": "thai"}   # a payload skips NLU
          - slots: {cuisine: thai}
          - action: action_book_table

``bot`` steps take the turn's messages in order; ``action`` steps its actions; ``bot_not`` and
the ``flow_*`` steps look at the whole turn. The first divergence ends the conversation and
is reported at the step's file:line.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Field, PrivateAttr, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..domain.schema import Strict
from ..errors import Location

FLOW_STEPS = ("flow_started", "flow_completed", "flow_cancelled", "flow_interrupted")
STEP_KINDS = ("user", "bot", "bot_not", "action", "slots", *FLOW_STEPS)


class ButtonExpect(Strict):
    title: str
    payload: str | None = None


class BotExpect(Strict):
    """One bot message: its response name, its exact text, a pattern it contains, words it says, its buttons,
    whether the generator wrote it."""

    response: str | None = None
    text: str | None = None
    matches: str | None = None
    says: list[str] | None = None
    buttons: list[str | ButtonExpect] | None = None
    generated: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> BotExpect:
        if all(v is None for v in (self.response, self.text, self.matches, self.says, self.buttons, self.generated)):
            raise PydanticCustomError("slot_rule", "a `bot:` mapping needs response, text, matches, says, buttons or "
                                      "generated",
                                      {"fix": "e.g. `bot: {matches: 'table for \\\\d+'}`"})
        return self

    @field_validator("matches")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as e:
                raise PydanticCustomError("slot_rule", "invalid regex {pattern}: {problem}",
                                          {"pattern": repr(pattern), "problem": str(e),
                                           "fix": "write a Python regular expression (quote it in YAML)"}) from None
        return pattern


def _bot_kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict | BotExpect) else "text"


# a response name or text, or a mapping: only the form written is checked (one error, not two)
BotStep = Annotated[Annotated[str, Tag("text")] | Annotated[BotExpect, Tag("mapping")], Discriminator(_bot_kind)]


class TestStep(Strict):
    """One step: a user turn (text, or `intent` + `entities` to skip NLU) or an expectation."""

    user: str | None = None
    intent: str | None = None
    entities: dict[str, Any] | None = None
    bot: BotStep | None = None
    bot_not: str | None = None
    action: str | None = None
    slots: dict[str, Any] | None = None
    flow_started: str | None = None
    flow_completed: str | None = None
    flow_cancelled: str | None = None
    flow_interrupted: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TestStep:
        kinds = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if self.user is None and self.intent is not None:
            kinds.append("intent")
        if len(kinds) != 1:
            raise PydanticCustomError("slot_rule", "a test step needs exactly one of {kinds} (got {got})",
                                      {"kinds": ", ".join((*STEP_KINDS, "intent")), "got": kinds or "none",
                                       "fix": "split it into separate steps"})
        if self.entities is not None and self.intent is None:
            raise PydanticCustomError("slot_rule", "`entities` belongs to an `intent` step",
                                      {"fix": "add `intent:` to the step, or write the entities in the user text"})
        return self

    def message(self) -> str | None:
        """The text sent to the bot: the user's words, or a payload that skips NLU."""
        if self.user is not None:
            return self.user
        if self.intent is not None:
            return f"/{self.intent}" + (json.dumps(self.entities) if self.entities else "")
        return None

    def flow_check(self) -> tuple[str, str] | None:
        """``(kind, flow)`` of a ``flow_*`` step."""
        return next(((k, v) for k in FLOW_STEPS if (v := getattr(self, k)) is not None), None)


class Stub(Strict):
    """What a stubbed action returns, in an action server's shape (``events``, ``responses``),
    or ``error``: the action fails with this message (its ``on_error`` path runs)."""

    events: list[dict[str, Any]] = Field(default_factory=list)
    responses: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None


class TestConversation(Strict):
    name: str
    now: datetime | None = None  # when the conversation happens: relative dates read from it
    fixtures: dict[str, Any] | None = None  # slots set before the first message
    stubs: dict[str, Stub] | None = None  # actions answered by the test instead of run
    steps: list[TestStep] = Field(min_length=1)
    _where: list[Location | None] = PrivateAttr(default_factory=list)  # each step's file:line

    @field_validator("now")
    @classmethod
    def _zoned(cls, now: datetime | None) -> datetime | None:
        if now is not None and now.tzinfo is None:
            raise PydanticCustomError("slot_rule", "`now` needs its time zone",
                                      {"fix": "add an offset, e.g. 2026-12-05T10:00:00+08:00"})
        return now

    def where(self, step: int) -> Location | None:
        """The file:line of step ``step`` (0-based)."""
        return self._where[step] if step < len(self._where) else None


class TestFile(Strict):
    conversations: list[TestConversation] = Field(default_factory=list)


def load_conversation_tests(bot_dir: str | Path) -> list[tuple[str, TestConversation, Location | None]]:
    """Every conversation of ``<bot_dir>/tests/*.yml`` (Rasa test stories and NLU test files
    there are left to their own runners): ``(file, conversation, its file:line)``."""
    from ..domain.loader import validate_data
    from ..rasa.test_stories import is_story_file
    from ..yamlio import load_yaml
    from .nlu_testing import is_nlu_test_file

    tests_dir = Path(bot_dir) / "tests"
    out = []
    for path in sorted(tests_dir.glob("*.y*ml")) if tests_dir.is_dir() else []:
        doc = load_yaml(path)
        if is_story_file(doc.data) or is_nlu_test_file(doc.data):
            continue
        parsed = validate_data(TestFile, doc.data, doc.positions, str(path))
        for i, conv in enumerate(parsed.conversations):
            conv._where = [doc.positions.find(("conversations", i, "steps", j)) for j in range(len(conv.steps))]
            out.append((str(path), conv, doc.positions.find(("conversations", i))))
    return out
