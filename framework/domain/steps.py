"""Flows and their steps as pydantic models: one class per step kind, told apart by the key
it has (``collect:``, ``say:``...). A step kind's class says everything about it the schema
knows: its key (``KEY``), the kind of its node in the policy graph (``NODE``), how it is drawn
(:meth:`label`) and the step lists it holds (:meth:`branches`). What it adds to the graph is
its rule in :mod:`dialogkit.framework.domain.flowgraph` and what it does at run time its runner in
:mod:`dialogkit.components.dm.flow_runtime`; both tables are checked against
:data:`STEP_CLASSES` when their modules load."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from .base import Strict, as_list

__all__ = ["ActionStep", "CallStep", "CollectStep", "EndStep", "ExpectStep", "Flow", "GotoStep", "IfStep", "LinkStep",
           "STEP_CLASSES", "STEP_KINDS", "SayStep", "SetStep", "Step", "Trigger"]


def _yaml(value: Any) -> str:
    """A value as the domain file writes it (null, true, 3, 'text'), never Python's None/True."""
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


class _StepBase(Strict):
    KEY: ClassVar[str]  # the key that makes a step of this kind (`collect:`)
    NODE: ClassVar[str]  # its node's kind in the policy graph
    id: str | None = None

    def label(self) -> str:
        """The step in a few words, as diagrams and debug views show it."""
        raise NotImplementedError

    def branches(self) -> list[tuple[tuple[str, ...], list[Step]]]:
        """The step lists this step holds, each with its path below the step (``("then",)``)."""
        return []


class CollectStep(_StepBase):
    KEY = NODE = "collect"
    collect: str
    ask: str | None = None
    ask_before_filling: bool = False
    skippable: bool = False  # `skip` (the intent) moves on with the slot unset (the skip pattern)

    def label(self) -> str:
        return f"collect {self.collect}"


class SayStep(_StepBase):
    KEY = NODE = "say"
    say: str

    def label(self) -> str:
        return f"say {self.say}"


class ActionStep(_StepBase):
    """Run a custom action. When it fails (raises, cannot be imported, times out, its action
    server errs) the flow's next steps never run: it follows ``on_error`` when given (and ends
    after it unless it jumps on with ``goto``/``link``), otherwise it ends with ``utter_error``."""

    KEY = NODE = "action"
    action: str
    on_error: list[Step] | None = None

    def label(self) -> str:
        return f"action {self.action}"

    def branches(self) -> list[tuple[tuple[str, ...], list[Step]]]:
        return [(("on_error",), self.on_error)] if self.on_error else []


class SetStep(_StepBase):
    KEY = NODE = "set"
    set: dict[str, Any]

    def label(self) -> str:
        return "set " + ", ".join(f"{k}={_yaml(v)}" for k, v in self.set.items())


class LinkStep(_StepBase):
    """Hand over to another flow: this one ends."""

    KEY = NODE = "link"
    link: str

    def label(self) -> str:
        return f"link {self.link}"

    @property
    def target(self) -> str:
        return self.link


class CallStep(_StepBase):
    """Run another flow, then go on here."""

    KEY = NODE = "call"
    call: str

    def label(self) -> str:
        return f"call {self.call}"

    @property
    def target(self) -> str:
        return self.call


class GotoStep(_StepBase):
    KEY = NODE = "goto"
    goto: str

    def label(self) -> str:
        return f"goto {self.goto}"


class EndStep(_StepBase):
    KEY, NODE = "end", "end_step"  # the graph's `end` is each flow's END node
    end: Literal[True] = True

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return {"end": True} if data == "end" else data

    def label(self) -> str:
        return "end"


class ExpectStep(_StepBase):
    """Wait for the user's next message and branch on its intent. An intent with no branch
    ends the flow, and the message is handled as if the flow were not there."""

    KEY = NODE = "expect"
    expect: dict[str, list[Step]] = Field(min_length=1)

    def label(self) -> str:
        return "expect " + " | ".join(self.expect)

    def branches(self) -> list[tuple[tuple[str, ...], list[Step]]]:
        return [(("expect", intent), branch) for intent, branch in self.expect.items()]


class IfStep(_StepBase):
    KEY = NODE = "if"
    if_: str = Field(alias="if")
    then: list[Step]
    else_: list[Step] = Field(default_factory=list, alias="else")

    def label(self) -> str:
        return f"if {self.if_}"

    def branches(self) -> list[tuple[tuple[str, ...], list[Step]]]:
        return [(("then",), self.then), (("else",), self.else_)]


STEP_CLASSES: tuple[type[_StepBase], ...] = (
    CollectStep,
    SayStep,
    ActionStep,
    SetStep,
    IfStep,
    ExpectStep,
    LinkStep,
    CallStep,
    GotoStep,
    EndStep,
)
STEP_KINDS = tuple(c.KEY for c in STEP_CLASSES)


def _step_kind(data: Any) -> str | None:
    if data == "end":
        return "end"
    if isinstance(data, dict):
        kinds = [k for k in STEP_KINDS if k in data]
        return kinds[0] if len(kinds) == 1 else None
    if isinstance(data, _StepBase):
        return data.KEY
    return None


Step = Annotated[
    Annotated[CollectStep, Tag("collect")]
    | Annotated[SayStep, Tag("say")]
    | Annotated[ActionStep, Tag("action")]
    | Annotated[SetStep, Tag("set")]
    | Annotated[IfStep, Tag("if")]
    | Annotated[ExpectStep, Tag("expect")]
    | Annotated[LinkStep, Tag("link")]
    | Annotated[CallStep, Tag("call")]
    | Annotated[GotoStep, Tag("goto")]
    | Annotated[EndStep, Tag("end")],
    Discriminator(_step_kind, custom_error_type="step_kind", custom_error_message="a step needs exactly one kind"),
]
IfStep.model_rebuild()
ExpectStep.model_rebuild()
ActionStep.model_rebuild()


class Trigger(Strict):
    """What starts a flow: an intent (or several) and/or a condition on slots."""

    intent: list[str] | str | None = None
    condition: str | None = None
    during: str | None = None  # only while this flow (a form) runs: the flow handles the intent in its context
    # only on the first message of a session (or after a restart), as Rasa's rule option
    conversation_start: bool = False

    def intents(self) -> list[str]:
        return as_list(self.intent)


class Flow(Strict):
    description: str | None = None
    when: Trigger | None = None
    steps: list[Step] = Field(min_length=1)
    interruptible: bool = True
    # having interrupted a form, it ends at an `expect` step and the form asks again (Rasa's way)
    yield_to_form: bool = False
    # an action run after the user's message fills this flow's slots
    validate_: str | None = Field(None, alias="validate")
    form: bool = False  # shown to Rasa action servers and Rasa test stories as a form (active_loop, requested_slot)
    # when it completes with no flow below it, the completed pattern asks "Anything else?" (if the bot has
    # it); None: after flows that ask something or run an action, not after greetings and FAQ answers
    anything_else: bool | None = None
