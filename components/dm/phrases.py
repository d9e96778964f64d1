"""What the DM writes by itself, when the bot has no response of its own for it, in the bot's
language: "Did you mean A or B?" (near-miss values, close intents), the escalation after
messages not understood again and again, and the repair patterns' texts (skip, correction,
completed). Other languages get the English text."""

from __future__ import annotations

from typing import Any

from dialogkit.framework.domain.builtins import UTTER_ESCALATE
from dialogkit.framework.domain.schema import RUNTIME_RESPONSES
from dialogkit.framework.domain.syntax import value_text

__all__ = ["confirm_correction", "corrected", "did_you_mean", "escalation", "one_of", "phrase", "yes_no"]

_DID_YOU_MEAN = {"en": "Did you mean {options}?", "zh": "您是说{options}吗？"}
_JOINERS = {"en": (", ", " or "), "zh": ("、", "还是")}  # between the first options, before the last
_AND = {"en": (", ", " and "), "zh": ("、", "和")}
_ESCALATION = {"en": RUNTIME_RESPONSES[UTTER_ESCALATE], "zh": "抱歉，我一直没听懂。我们重新开始吧：您想做什么？"}
_PHRASES = {
    "skipped": {"en": "Okay, let's skip that.", "zh": "好的，跳过这个问题。"},
    "cannot_skip": {"en": "Sorry, I need an answer to that one to go on.", "zh": "抱歉，这个问题需要您回答才能继续。"},
    "correction_kept": {"en": "Okay, I'll leave it as it was.", "zh": "好的，保持不变。"},
    "anything_else": {"en": "Is there anything else I can help you with?", "zh": "还有什么可以帮您的吗？"},
}
_CORRECTED = {"en": "Okay, I've changed {changes}.", "zh": "好的，已改为{changes}。"}
_CONFIRM = {"en": "Do you want to change {changes}?", "zh": "您是要把{changes}吗？"}
_YES_NO = {"en": ("Yes", "No"), "zh": ("是", "否")}


def one_of(language: str, options: list[str]) -> str:
    """``options`` as one alternative: "a or b", "a, b or c" (Chinese: "a还是b", "a、b还是c")."""
    return _joined(_JOINERS, language, options)


def _joined(joiners: dict[str, tuple[str, str]], language: str, items: list[str]) -> str:
    comma, last = joiners.get(language, joiners["en"])
    return items[0] if len(items) == 1 else comma.join(items[:-1]) + last + items[-1]


def did_you_mean(language: str, options: list[str]) -> str:
    return _DID_YOU_MEAN.get(language, _DID_YOU_MEAN["en"]).format(options=one_of(language, options))


def escalation(language: str) -> str:
    return _ESCALATION.get(language, _ESCALATION["en"])


def phrase(name: str, language: str) -> str:
    """A fixed repair text: ``skipped``, ``cannot_skip``, ``correction_kept``, ``anything_else``."""
    texts = _PHRASES[name]
    return texts.get(language, texts["en"])


def yes_no(language: str) -> tuple[str, str]:
    return _YES_NO.get(language, _YES_NO["en"])


def _slot_words(slot: str) -> str:
    return slot.replace("_", " ")


def corrected(language: str, changes: dict[str, Any]) -> str:
    """"Okay, I've changed the time to 8pm and the party size to 4." (Chinese: the new values)."""
    if language == "zh":
        items = [value_text(v) for v in changes.values()]
    else:
        items = [f"the {_slot_words(slot)} to {value_text(v)}" for slot, v in changes.items()]
    return _CORRECTED.get(language, _CORRECTED["en"]).format(changes=_joined(_AND, language, items))


def confirm_correction(language: str, changes: dict[str, tuple[Any, Any]]) -> str:
    """"Do you want to change the time from 7pm to 8pm?" (``changes``: slot -> (old, new))."""
    if language == "zh":
        items = [f"{value_text(old)}改成{value_text(new)}" for old, new in changes.values()]
    else:
        items = [f"the {_slot_words(s)} from {value_text(a)} to {value_text(b)}" for s, (a, b) in changes.items()]
    return _CONFIRM.get(language, _CONFIRM["en"]).format(changes=_joined(_AND, language, items))
