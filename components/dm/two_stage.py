"""Two-stage fallback (Rasa's ``action_two_stage_fallback``), switched on with flow_policy's
``two_stage_fallback: true``.

When the NLU is unsure (``nlu_fallback``), the bot does not give up at once:

1. it asks "Did you mean '<the likeliest intent>'?" (its description, else its name) with
   the buttons *Yes* (the payload ``/<intent>`` with the message's entities: the conversation
   goes on as if the user had said it) and *No* (``/out_of_scope``);
2. on *No* (or ``deny``, or another unsure message), or when no other intent was likely at
   all, it asks the user to rephrase (``utter_ask_rephrase``); a rephrasing it understands
   goes on as usual, an unsure one starts again at 1;
3. a *No* (or nothing to propose) after it already asked to rephrase says the fallback
   response (``utter_default``).

While it asks, the active flow waits; it re-asks its own question after step 3. The DM
records ``action_two_stage_fallback`` for each question and for the message that ends the
rounds (what ``rasa test`` expects to see).
"""

from __future__ import annotations

import json
from typing import Literal

from dialogkit.framework.domain.builtins import NLU_FALLBACK, OUT_OF_SCOPE
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.runtime.tracker import BotUttered, UserUttered

from .draft import Draft

__all__ = ["ACTION", "AFFIRM", "DENY_INTENT", "REPHRASE", "TwoStageFallback"]

ACTION = "action_two_stage_fallback"
AFFIRM = "utter_ask_affirmation"  # "Did you mean ...?" (built by the DM: its buttons name the intent)
REPHRASE = "utter_ask_rephrase"
DENY_INTENT = OUT_OF_SCOPE  # the payload of the *No* button, as in Rasa
UNSURE = (NLU_FALLBACK, DENY_INTENT)
NOT_UNDERSTOOD = (*UNSURE, "deny")  # what a user says that does not end the rounds


class TwoStageFallback:
    def __init__(self, domain: Domain):
        self.domain = domain

    def handle(self, draft: Draft, intent: str) -> Literal["wait", "give_up"] | None:
        """What the fallback does with this message: None when it is not its business,
        ``"wait"`` when it asked something (the flow waits), ``"give_up"`` when the caller
        should say the fallback response and let the flow re-ask."""
        last = _last_asked(draft)
        denied = last == AFFIRM and intent in NOT_UNDERSTOOD
        if intent != NLU_FALLBACK and not denied:
            if last is not None:  # understood after a fallback question: the loop ends, the message goes on as usual
                draft.record(ACTION)
            return None
        parse = draft.parse
        guess = next(
            (
                r["name"]
                for r in parse.intent_ranking
                if r.get("name") not in UNSURE and r.get("name") in self.domain.intents
            ),
            None,
        )
        if (denied or guess is None) and _rephrased(draft):
            return "give_up"
        draft.record(ACTION)
        if denied or guess is None:  # nothing (left) to propose: ask to rephrase
            draft.say(REPHRASE, record=False)
            return "wait"
        values = {e["entity"]: e["value"] for e in parse.entities if e.get("entity")}
        label = self.domain.intents[guess].description or guess
        draft.write(
            {
                "response": AFFIRM,
                "text": f"Did you mean '{label}'?",
                "buttons": [
                    {
                        "title": "Yes",
                        "payload": f"/{guess}" + (json.dumps(values, ensure_ascii=False) if values else ""),
                    },
                    {"title": "No", "payload": f"/{DENY_INTENT}"},
                ],
            }
        )
        return "wait"


def _last_asked(draft: Draft) -> str | None:
    """The fallback question the bot asked last turn, if that is what it said last."""
    said = draft.said_last()
    return said.response if said is not None and said.response in (AFFIRM, REPHRASE) else None


def _rephrased(draft: Draft) -> bool:
    """Whether the bot already asked to rephrase since the user last said something it understood."""
    for e in draft.before_this_message():
        if isinstance(e, BotUttered) and e.response == REPHRASE:
            return True
        if isinstance(e, UserUttered) and (e.parse or {}).get("intent", {}).get("name") not in NOT_UNDERSTOOD:
            return False
    return False
