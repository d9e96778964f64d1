"""The names every bot has without defining them, each defined once: special intents, built-in
actions and the responses the dialogue manager says on its own (with default texts in
:data:`dialogkit.framework.domain.schema.DEFAULT_RESPONSES`).

What a built-in action does is the DM's business (``components/dm/builtin_actions.py``:
``BUILTIN_RUNNERS``, one entry per name here); validation accepts these names in any domain.
"""

from __future__ import annotations

__all__ = [
    "ACTION_BACK",
    "ACTION_CANCEL_FLOW",
    "ACTION_DEACTIVATE_LOOP",
    "ACTION_HUMAN_HANDOFF",
    "ACTION_LISTEN",
    "ACTION_RESTART",
    "ACTION_SESSION_START",
    "ACTION_UNLIKELY_INTENT",
    "BUILTIN_ACTIONS",
    "BACK",
    "BUILTIN_INTENTS",
    "CANCEL",
    "DEFAULT_RULES",
    "INFORM",
    "NLU_FALLBACK",
    "OFFER",
    "OUT_OF_SCOPE",
    "RESTART",
    "UTTER_BACK",
    "UTTER_CONTINUE_INTERRUPTED",
    "UTTER_DID_YOU_MEAN",
    "UTTER_DEFAULT",
    "UTTER_ERROR",
    "UTTER_ESCALATE",
    "UTTER_FLOW_CANCELLED",
    "SKIP",
    "AFFIRM",
    "DENY",
    "PATTERNS",
    "PATTERN_PREFIX",
    "UTTER_SKIPPED",
    "UTTER_CANNOT_SKIP",
    "UTTER_CORRECTED",
    "UTTER_CONFIRM_CORRECTION",
    "UTTER_CORRECTION_KEPT",
    "UTTER_ANYTHING_ELSE",
    "DM_RESPONSES",
]

# --- intents ------------------------------------------------------------------------------
NLU_FALLBACK = "nlu_fallback"  # the NLU is unsure (or found no intent at all)
RESTART = "restart"  # `/restart`: the conversation starts over
CANCEL = "cancel"  # the active flow ends, the one below resumes
BACK = "back"  # `/back`: the user's previous message is taken back (Rasa's)
SKIP = "skip"  # the question asked is not answered: a `skippable` collect moves on (the skip pattern)
BUILTIN_INTENTS = frozenset({NLU_FALLBACK, RESTART, CANCEL, BACK, SKIP})  # known to every bot; examples teach the NLU
AFFIRM, DENY = "affirm", "deny"  # the answers to a confirmation the DM asks itself (confirm_correction)
INFORM = "inform"  # how the DM routes an unsure message that answered the question asked
OUT_OF_SCOPE = "out_of_scope"  # the two-stage fallback's *No* button (as in Rasa)

# --- actions (Rasa's default actions that dialogkit runs itself) -------------------------------
ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_SESSION_START = "action_session_start"
ACTION_CANCEL_FLOW = "action_cancel_flow"  # the top flow ends
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"  # the active form ends; nothing when no form is active (Rasa's)
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"  # Rasa's UnexpecTED policy hint: nothing to do here
ACTION_BACK = "action_back"  # says utter_back if the bot has it, and takes back the message before `/back`
ACTION_HUMAN_HANDOFF = "action_human_handoff"  # the conversation is paused for a human (runtime/handoff.py)
BUILTIN_ACTIONS = frozenset(
    {
        ACTION_LISTEN,
        ACTION_RESTART,
        ACTION_SESSION_START,
        ACTION_CANCEL_FLOW,
        ACTION_DEACTIVATE_LOOP,
        ACTION_UNLIKELY_INTENT,
        ACTION_BACK,
        ACTION_HUMAN_HANDOFF,
    }
)

# Rasa's default rules: these intents run their built-in action, whatever the flows say
DEFAULT_RULES = {RESTART: ACTION_RESTART, BACK: ACTION_BACK}

# --- responses the DM says on its own ----------------------------------------------------------
UTTER_DEFAULT = "utter_default"  # a message nothing handles (flow_policy's fallback_response)
UTTER_ERROR = "utter_error"  # an action failed and its flow stopped
UTTER_FLOW_CANCELLED = "utter_flow_cancelled"  # after `cancel`
# said (when the bot defines it, or utter_continue_<flow>) as an interrupted flow resumes
UTTER_CONTINUE_INTERRUPTED = "utter_continue_interrupted"
UTTER_ESCALATE = "utter_escalate"  # flow_policy's `max_fallbacks` reached with `escalation: end`
UTTER_BACK = "utter_back"  # said by action_back only when the bot defines it (Rasa's)
# a refused value close to allowed ones: its text, with `{suggestion}`, when the bot defines it
UTTER_DID_YOU_MEAN = "utter_did_you_mean"
OFFER = "offer"  # in a "Did you mean ...?" message: {"slot", "values"} it offered (the DM's state; not shown)

# --- repair patterns (components/dm/repairs.py) -------------------------------------------------
# Each is built in, with texts in the bot's language; a bot overrides one with a response of the
# name below, or replaces it with a flow named `pattern_<name>` (as Rasa Pro's pattern flows).
PATTERN_PREFIX = "pattern_"
PATTERNS = ("skip", "correction", "completed", "cannot_handle", "continue_interrupted", "clarify", "session_start")
UTTER_SKIPPED = "utter_skipped"  # a skippable question was skipped
UTTER_CANNOT_SKIP = "utter_cannot_skip"  # `skip` at a question that is not skippable: it is asked again
UTTER_CORRECTED = "utter_corrected"  # a slot was corrected (said when acknowledge_corrections is on)
UTTER_CONFIRM_CORRECTION = "utter_confirm_correction"  # "Change X to Y?" for slots with confirm_correction
UTTER_CORRECTION_KEPT = "utter_correction_kept"  # the user said no to that: the value stays
UTTER_ANYTHING_ELSE = "utter_anything_else"  # the completed pattern: the last flow has completed

# responses the DM says when the bot defines them (else a built-in text, or nothing): never "unused"
DM_RESPONSES = frozenset(
    {
        UTTER_BACK,
        UTTER_DID_YOU_MEAN,
        UTTER_CONTINUE_INTERRUPTED,
        UTTER_SKIPPED,
        UTTER_CANNOT_SKIP,
        UTTER_CORRECTED,
        UTTER_CONFIRM_CORRECTION,
        UTTER_CORRECTION_KEPT,
        UTTER_ANYTHING_ELSE,
    }
)
