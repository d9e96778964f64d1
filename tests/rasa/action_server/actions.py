"""rasa_sdk actions for the tests: the example projects' custom actions (as described in
../shared/rasa-examples/README.md) and a few that exercise the protocol's edge cases.

Runs in its own virtualenv (``make rasa-sdk-env``), started by ``tests/rasa/conftest.py``
as ``python -m rasa_sdk --actions actions`` on 127.0.0.1.
"""

import datetime
import re
import time
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    FollowupAction,
    ReminderCancelled,
    ReminderScheduled,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection
from rasa_sdk.types import DomainDict


class ActionShowTime(Action):
    def name(self) -> str:
        return "action_show_time"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=f"{datetime.datetime.now()}")
        return []


class ActionSayShirtSize(Action):
    def name(self) -> str:
        return "action_say_shirt_size"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        size = tracker.get_slot("shirt_size")
        if not size:
            dispatcher.utter_message(text="I don't know your shirt size.")
        else:
            dispatcher.utter_message(text=f"Your shirt size is {size}!")
        return []


def _letters(value: Any) -> str:
    return re.sub(r"[^A-Za-z]", "", str(value or ""))


class ValidateNameForm(FormValidationAction):
    def name(self) -> str:
        return "validate_name_form"

    def validate_first_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = _letters(slot_value)
        if not name:
            dispatcher.utter_message(text="That must've been a typo.")
            return {"first_name": None}
        return {"first_name": name}

    def validate_last_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = _letters(slot_value)
        if not name:
            dispatcher.utter_message(text="That must've been a typo.")
            return {"last_name": None}
        first = tracker.get_slot("first_name") or ""
        if len(first) + len(name) < 3:
            dispatcher.utter_message(text="That's a very short name. We fear a typo. Restarting!")
            return {"first_name": None, "last_name": None}
        return {"last_name": name}


class ValidateSizeForm(FormValidationAction):
    """A form slot with a custom mapping, extracted by the validation action itself."""

    def name(self) -> str:
        return "validate_size_form"

    async def extract_size_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "size_code":
            return {}
        text = (tracker.latest_message.get("text") or "").strip().upper()
        return {"size_code": text} if text in ("S", "M", "L") else {}


class ValidateSlotMappings(ValidationAction):
    """Rasa's global slot validation (action_validate_slot_mappings): runs after every message."""

    def validate_shirt_size(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        sizes = {"s": "small", "m": "medium", "l": "large"}
        value = sizes.get(str(slot_value).lower(), str(slot_value).lower())
        if value not in sizes.values():
            dispatcher.utter_message(text="We don't have that size.")
            return {"shirt_size": None}
        return {"shirt_size": value}


# --- protocol edge cases -------------------------------------------------------------------


class ActionSlow(Action):
    def name(self) -> str:
        return "action_slow"

    def run(self, dispatcher, tracker, domain):
        time.sleep(3)
        dispatcher.utter_message(text="too late")
        return []


class ActionReject(Action):
    def name(self) -> str:
        return "action_reject"

    def run(self, dispatcher, tracker, domain):
        raise ActionExecutionRejection("action_reject", "not now")


class ActionRich(Action):
    """Utters a domain response with a kwarg, a text with buttons, sets a slot and asks for a follow-up."""

    def name(self) -> str:
        return "action_rich"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_ask_shirt_size")
        dispatcher.utter_message(
            text="Pick one", buttons=[{"title": "Large", "payload": '/give_shirt_size{"shirt_size": "large"}'}]
        )
        return [SlotSet("shirt_size", "medium"), SlotSet("no_such_slot", 1), FollowupAction("action_say_shirt_size")]


class ActionEchoTracker(Action):
    """Says what it was sent: sender, latest intent, slots and domain facts."""

    def name(self) -> str:
        return "action_echo_tracker"

    def run(self, dispatcher, tracker, domain):
        intent = tracker.latest_message.get("intent", {}).get("name")
        events = [e["event"] for e in tracker.events]
        dispatcher.utter_message(
            text=f"sender={tracker.sender_id} intent={intent} shirt_size={tracker.get_slot('shirt_size')} "
            f"responses={'utter_greet' in domain.get('responses', {})} user_events={events.count('user')}"
        )
        return []


class ActionEchoMetadata(Action):
    """Says the metadata the channel sent with the latest message."""

    def name(self) -> str:
        return "action_echo_metadata"

    def run(self, dispatcher, tracker, domain):
        metadata = tracker.latest_message.get("metadata") or {}
        user_events = [e for e in tracker.events if e["event"] == "user"]
        dispatcher.utter_message(
            text=f"country={metadata.get('country')} in_events={user_events[-1].get('metadata') == metadata}"
        )
        return []


class ActionSubscribe(Action):
    """The `lenient` project's action: sets its `text` slot to a boolean, as Rasa allows."""

    def name(self) -> str:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return [SlotSet("subscribed", True)]


class ActionChooseBooking(Action):
    """The `form_triggers` project's action: it starts the booking form itself, with a
    FollowupAction when the user asked "for me", else with an ActiveLoop event."""

    def name(self) -> str:
        return "action_choose_booking"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Let me set that up.")
        if "for me" in (tracker.latest_message.get("text") or ""):
            return [FollowupAction("booking_form")]
        return [ActiveLoop("booking_form")]


class ActionSessionStart(Action):
    """A bot's own session start, as Rasa projects write it (RasaHQ's financial-demo): the
    session_started event, slots carried over or looked up, a greeting, then action_listen."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=f"Welcome back, {tracker.sender_id}!")
        return [SessionStarted(), SlotSet("shirt_size", "medium"), ActionExecuted("action_listen")]


class ActionTakeBack(Action):
    """Takes back the user's message before the one that ran it (rasa-sdk's UserUtteranceReverted)."""

    def name(self) -> str:
        return "action_take_back"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Taken back.")
        return [UserUtteranceReverted(), UserUtteranceReverted()]


class ActionRemindLater(Action):
    """A reminder in a second (rasa-sdk's ReminderScheduled), and one cancelled at once."""

    def name(self) -> str:
        return "action_remind_later"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        soon = datetime.datetime.now() + datetime.timedelta(seconds=1)
        return [
            ReminderScheduled("greet", trigger_date_time=soon, entities={"shirt_size": "large"}, name="nudge",
                              kill_on_user_message=False),
            ReminderScheduled("echo", trigger_date_time=soon, name="never"),
            ReminderCancelled(name="never"),
        ]


class ActionHandToHuman(Action):
    """Pauses the conversation for a human (rasa-sdk's ConversationPaused)."""

    def name(self) -> str:
        return "action_hand_to_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        dispatcher.utter_message(text="A person will answer you here.")
        return [ConversationPaused()]
