"""Reminders set by an action (rasa-sdk's event JSON) fire once, when due, as the intent they name:
cancelled by name or intent, replaced by a later one of the same name, killed by a user message
when asked; they wait in the tracker store (SQLite here; Redis and PostgreSQL in
test_reminders_served.py), so another agent on the same store fires them. The server fires them
and delivers their messages on the channel of the message that set them."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from dialogkit.framework.stores import SQLiteTrackerStore
from tests.conftest import STAND_IN, trained_bot

DOMAIN = """
version: "1"
""" + STAND_IN + """intents:
  remind_me:
    examples: |
      - remind me later
      - set a reminder
  remind_quietly:
    examples: |
      - remind me whatever I say
  forget_it:
    examples: |
      - forget the reminder
  chat:
    examples: |
      - nice weather
  reminder_due:
    examples: |
      - EXTERNAL reminder due
entities:
  topic: {}
actions:
  action_set_reminder: actions:set_reminder
  action_set_quiet_reminder: actions:set_quiet_reminder
  action_forget: actions:forget
responses:
  utter_reminder_set:
    - "I'll remind you."
  utter_chat:
    - "Indeed."
  utter_reminder:
    - "Time for {topic}!"
slots:
  topic:
    type: text
    mappings:
      - type: from_entity
        entity: topic
flows:
  remind_me:
    when: {intent: remind_me}
    steps:
      - action: action_set_reminder
      - say: utter_reminder_set
  remind_quietly:
    when: {intent: remind_quietly}
    steps:
      - action: action_set_quiet_reminder
      - say: utter_reminder_set
  forget_it:
    when: {intent: forget_it}
    steps:
      - action: action_forget
  chat:
    when: {intent: chat}
    steps:
      - say: utter_chat
  reminder_due:
    when: {intent: reminder_due}
    steps:
      - say: utter_reminder
"""

ACTIONS = '''
from datetime import datetime, timedelta


def _in(seconds):
    return (datetime.now() + timedelta(seconds=seconds)).isoformat()


def set_reminder(tracker, dispatcher):
    seconds = float(tracker.latest_message["metadata"].get("seconds", 2))
    return [{"event": "reminder", "intent": "reminder_due", "date_time": _in(seconds), "name": "tea",
             "entities": [{"entity": "topic", "value": "tea"}], "kill_on_user_msg": True}]


def set_quiet_reminder(tracker, dispatcher):
    return [{"event": "reminder", "intent": "reminder_due", "date_time": _in(2), "name": "quiet",
             "entities": {"topic": "a walk"}, "kill_on_user_msg": False}]


def forget(tracker, dispatcher):
    return [{"event": "cancel_reminder", "intent": "reminder_due"}]
'''


@pytest.fixture(scope="module")
def reminder_model(tmp_path_factory):
    return trained_bot(tmp_path_factory.mktemp("reminders"), {"domain.yml": DOMAIN, "actions.py": ACTIONS})


def said(agent, cid):
    return [e.text for e in agent.store.history(cid).events if e.event == "bot"]


def test_a_reminder_fires_once_when_due_as_its_intent(reminder_model, tmp_path):
    agent = Agent.load(reminder_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    assert [m["text"] for m in agent.handle("remind me later", "u1")] == ["I'll remind you."]
    assert agent.fire_reminders() == []  # not due yet
    fired = agent.fire_reminders(now=time.time() + 5)
    assert [(f.conversation_id, f.name, [m["text"] for m in f.messages]) for f in fired] == [
        ("u1", "tea", ["Time for tea!"])]
    assert agent.fire_reminders(now=time.time() + 10) == []  # once
    user = [e for e in agent.store.history("u1").events if e.event == "user"]
    assert user[-1].text == "EXTERNAL: reminder_due" and user[-1].parse["entities"][0]["value"] == "tea"


def test_a_user_message_kills_a_reminder_that_asks_for_it_and_not_one_that_does_not(reminder_model):
    agent = Agent.load(reminder_model)
    agent.handle("remind me later", "u2")
    agent.handle("remind me whatever I say", "u2")
    agent.handle("nice weather", "u2")
    fired = agent.fire_reminders(now=time.time() + 5)
    assert [f.name for f in fired] == ["quiet"] and said(agent, "u2")[-1] == "Time for a walk!"


def test_cancelled_and_replaced_reminders_do_not_fire(reminder_model):
    agent = Agent.load(reminder_model)
    agent.handle("remind me whatever I say", "u3")
    agent.handle("forget the reminder", "u3")  # every reminder for intent reminder_due
    assert agent.fire_reminders(now=time.time() + 5) == []
    agent.handle("remind me later", "u4", metadata={"seconds": 1})
    agent.handle("remind me later", "u4", metadata={"seconds": 3})  # the same name: replaces the first
    assert [f.name for f in agent.fire_reminders(now=time.time() + 2)] == []
    assert [f.name for f in agent.fire_reminders(now=time.time() + 5)] == ["tea"]


def test_reminders_wait_in_the_store_for_another_agent(reminder_model, tmp_path):
    first = Agent.load(reminder_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    first.handle("remind me later", "u5")
    second = Agent.load(reminder_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))  # after a restart
    assert [f.name for f in second.fire_reminders(now=time.time() + 5)] == ["tea"]
    assert first.fire_reminders(now=time.time() + 5) == []


def test_a_bad_reminder_from_an_action_is_not_kept(reminder_model, tmp_path, caplog):
    from dialogkit.framework.rasa.protocol import from_rasa_events

    agent = Agent.load(reminder_model)
    result = from_rasa_events({"events": [{"event": "reminder", "intent": "reminder_due", "date_time": "soon"}]},
                              agent.domain)
    assert result.events == [] and "reminder" in result.ignored[0]


def test_the_server_fires_reminders_and_appended_ones_too(reminder_model, tmp_path):
    agent = Agent.load(reminder_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    with TestClient(create_app(agent)) as client:  # the lifespan runs the reminder loop
        r = client.post("/webhooks/rest/webhook",
                        json={"sender": "s1", "message": "remind me later", "metadata": {"seconds": 0.5}})
        assert r.json()[0]["text"] == "I'll remind you."
        due = (datetime.now() + timedelta(seconds=0.5)).isoformat()
        event = {"event": "reminder", "intent": "reminder_due", "date_time": due, "entities": {"topic": "lunch"}}
        r = client.post("/conversations/s2/tracker/events?execute_side_effects=true", json=event)
        assert r.status_code == 200, r.text
        r = client.post("/conversations/s3/tracker/events", json=event)  # kept, not scheduled (Rasa's default)
        assert r.status_code == 200
        deadline = time.time() + 5
        while time.time() < deadline and not (said(agent, "s1")[-1:] == ["Time for tea!"]
                                              and said(agent, "s2")[-1:] == ["Time for lunch!"]):
            time.sleep(0.1)
        assert said(agent, "s1")[-1] == "Time for tea!" and said(agent, "s2")[-1] == "Time for lunch!"
        assert said(agent, "s3") == []
        tracker = client.get("/conversations/s3/tracker").json()
        assert [e["event"] for e in tracker["events"]][-1] == "reminder"
        bad = client.post("/conversations/s3/tracker/events", json={**event, "date_time": "next week"})
        assert bad.status_code == 422 and "date_time" in json.dumps(bad.json())


def test_reminder_events_take_what_the_openapi_schema_documents(reminder_model, tmp_path):
    """The schema says RFC 3339 `date-time` and entities as a list or an object: a lower-case `t`
    and `z` are accepted and fire at that instant, a date the local clock cannot express (the year
    1) is kept, and a number for the time or entities of another type are refused by name."""
    agent = Agent.load(reminder_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    with TestClient(create_app(agent)) as client:
        spec = client.get("/openapi.json").json()
        entities = spec["components"]["schemas"]["ReminderEvent"]["properties"]["entities"]
        assert {k.get("type") for k in entities["anyOf"]} == {"array", "object", "null"}
        lower = {"event": "reminder", "intent": "reminder_due", "date_time": "2030-01-02t03:04:05z"}
        r = client.post("/conversations/u1/tracker/events", json=lower)
        assert r.status_code == 200, r.text
        kept = [e for e in client.get("/conversations/u1/tracker").json()["events"] if e["event"] == "reminder"]
        assert datetime.fromisoformat(kept[0]["date_time"]) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        r = client.put("/conversations/u2/tracker/events",
                       json=[{"event": "reminder", "intent": "reminder_due", "date_time": "0001-01-01T00:00:00"}])
        assert r.status_code == 200, r.text
        for field, bad in (("entities", -1789), ("date_time", -1.5)):  # not a UNIX time either: a string, as said
            r = client.post("/conversations/u3/tracker/events", json={**lower, field: bad})
            assert r.status_code == 422 and field in json.dumps(r.json())
        assert client.get("/conversations/u3/tracker").status_code == 404  # nothing kept
