"""Flows and their steps as pydantic models: one class per step kind, told apart by the key
it has (``collect:``, ``say:``...). A new step kind is a class here, a compile rule in
:mod:`dialogkit.framework.flowgraph` and a runner in :mod:`dialogkit.components.dm.flow_runtime`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator

from dialogkit.framework.domain.base import Strict, as_list

__all__ = ["ActionStep", "CallStep", "CollectStep", "EndStep", "ExpectStep", "Flow", "GotoStep", "IfStep", "LinkStep",
           "STEP_KINDS", "SayStep", "SetStep", "Step", "Trigger"]


class _StepBase(Strict):
    id: str | None = None


class CollectStep(_StepBase):
    collect: str
    ask: str | None = None
    ask_before_filling: bool = False


class SayStep(_StepBase):
    say: str


class ActionStep(_StepBase):
    """Run a custom action. When it fails (raises, cannot be imported, times out, its action
    server errs) the flow's next steps never run: it follows ``on_error`` when given (and ends
    after it unless it jumps on with ``goto``/``link``), otherwise it ends with ``utter_error``."""

    action: str
    on_error: list[Step] | None = None


class SetStep(_StepBase):
    set: dict[str, Any]


class LinkStep(_StepBase):
    link: str


class CallStep(_StepBase):
    call: str


class GotoStep(_StepBase):
    goto: str


class EndStep(_StepBase):
    end: Literal[True] = True

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return {"end": True} if data == "end" else data


class ExpectStep(_StepBase):
    """Wait for the user's next message and branch on its intent. An intent with no branch
    ends the flow, and the message is handled as if the flow were not there."""

    expect: dict[str, list[Step]] = Field(min_length=1)


class IfStep(_StepBase):
    if_: str = Field(alias="if")
    then: list[Step]
    else_: list[Step] = Field(default_factory=list, alias="else")


STEP_KINDS = ("collect", "say", "action", "set", "if", "expect", "link", "call", "goto", "end")


def _step_kind(data: Any) -> str | None:
    if data == "end":
        return "end"
    if isinstance(data, dict):
        kinds = [k for k in STEP_KINDS if k in data]
        return kinds[0] if len(kinds) == 1 else None
    if isinstance(data, BaseModel):
        return next(k for k in STEP_KINDS if hasattr(data, k) or hasattr(data, k + "_"))
    return None


Step = Annotated[
    Annotated[CollectStep, Tag("collect")] | Annotated[SayStep, Tag("say")] | Annotated[ActionStep, Tag("action")] | Annotated[SetStep, Tag("set")] | Annotated[IfStep, Tag("if")] | Annotated[ExpectStep, Tag("expect")] | Annotated[LinkStep, Tag("link")] | Annotated[CallStep, Tag("call")] | Annotated[GotoStep, Tag("goto")] | Annotated[EndStep, Tag("end")],
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
    conversation_start: bool = False  # only on the first message of a session (or after a restart), as Rasa's rule option

    def intents(self) -> list[str]:
        return as_list(self.intent)


class Flow(Strict):
    description: str | None = None
    when: Trigger | None = None
    steps: list[Step] = Field(min_length=1)
    interruptible: bool = True
    yield_to_form: bool = False  # having interrupted a form, it ends at an `expect` step and the form asks again (Rasa's way)
    validate_: str | None = Field(None, alias="validate")  # an action run after the user's message fills this flow's slots
    form: bool = False  # shown to Rasa action servers and Rasa test stories as a form (active_loop, requested_slot)
