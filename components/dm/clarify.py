"""Clarify (flow_policy ``clarify_margin``): when the NLU ranks two or three of the bot's
intents within the margin of each other, the bot asks "Did you mean A or B?" with one button
per intent (its ``description``, else its name; the payload is the intent with the message's
entities) instead of guessing. The active flow waits; a button (or a clearer message) goes on
as usual. Not asked for a button payload, a message that answered the question asked, or
when the top intent is ``nlu_fallback``. A bot's own ``pattern_clarify`` flow runs instead of
the question (on top of the active flow, which goes on after it)."""

from __future__ import annotations

import json

from dialogkit.framework.domain.builtins import BUILTIN_INTENTS
from dialogkit.framework.domain.schema import Domain

from .draft import Draft
from .patterns import pattern_flow, start_on_top
from .phrases import did_you_mean

__all__ = ["CLARIFY", "clarify"]

CLARIFY = "utter_clarify"  # the message's response name (built by the DM: its buttons name the intents)
MAX_OPTIONS = 3


def clarify(domain: Domain, draft: Draft, margin: float) -> bool:
    """Ask which of the close intents the user meant; False when the ranking is clear."""
    parse = draft.parse
    ranking = [
        r for r in parse.intent_ranking if r.get("name") in domain.intents and r.get("name") not in BUILTIN_INTENTS
    ]
    if parse.payload or len(ranking) < 2 or ranking[0].get("name") != parse.intent_name:
        return False
    top = float(ranking[0].get("confidence") or 0.0)
    close = [r["name"] for r in ranking[:MAX_OPTIONS] if top - float(r.get("confidence") or 0.0) <= margin]
    if len(close) < 2:
        return False
    own = pattern_flow(domain, "clarify")
    if own is not None:
        start_on_top(draft, own)
        return True
    values = {e["entity"]: e["value"] for e in parse.entities if e.get("entity")}
    labels = [domain.intents[name].description or name for name in close]
    draft.write(
        {
            "response": CLARIFY,
            "text": did_you_mean(domain.language, labels),
            "buttons": [
                {"title": label, "payload": f"/{name}" + (json.dumps(values, ensure_ascii=False) if values else "")}
                for name, label in zip(close, labels, strict=True)
            ],
        }
    )
    return True
