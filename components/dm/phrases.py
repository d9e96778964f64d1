"""What the DM writes by itself, when the bot has no response of its own for it, in the bot's
language: "Did you mean A or B?" (near-miss values, close intents) and the escalation after
messages not understood again and again. Other languages get the English text."""

from __future__ import annotations

from dialogkit.framework.domain.builtins import UTTER_ESCALATE
from dialogkit.framework.domain.schema import RUNTIME_RESPONSES

__all__ = ["did_you_mean", "escalation", "one_of"]

_DID_YOU_MEAN = {"en": "Did you mean {options}?", "zh": "您是说{options}吗？"}
_JOINERS = {"en": (", ", " or "), "zh": ("、", "还是")}  # between the first options, before the last
_ESCALATION = {"en": RUNTIME_RESPONSES[UTTER_ESCALATE], "zh": "抱歉，我一直没听懂。我们重新开始吧：您想做什么？"}


def one_of(language: str, options: list[str]) -> str:
    """``options`` as one alternative: "a or b", "a, b or c" (Chinese: "a还是b", "a、b还是c")."""
    comma, last = _JOINERS.get(language, _JOINERS["en"])
    return options[0] if len(options) == 1 else comma.join(options[:-1]) + last + options[-1]


def did_you_mean(language: str, options: list[str]) -> str:
    return _DID_YOU_MEAN.get(language, _DID_YOU_MEAN["en"]).format(options=one_of(language, options))


def escalation(language: str) -> str:
    return _ESCALATION.get(language, _ESCALATION["en"])
