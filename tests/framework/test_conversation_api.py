"""Rasa's conversation API beyond the webhook: events from another system appended to a
conversation (`POST /conversations/{id}/tracker/events`; the dialogue manager goes on from
them), and the conversation read back as a Rasa story (`GET /conversations/{id}/story`)."""

import pytest
import yaml
from fastapi.testclient import TestClient

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.external_events import EventsError, append_events
from dialogkit.framework.server.app import create_app


def client_for(light_model):
    agent = Agent.load(light_model)
    return agent, TestClient(create_app(agent))


def say(client, sender, message):
    answer = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    return [m.get("text") for m in answer.json()]


def test_an_appended_slot_is_one_the_flow_no_longer_asks_for(light_model):
    agent, client = client_for(light_model)
    assert [m["response"] for m in agent.handle("/book_table", conversation_id="e1")] == ["utter_ask_cuisine"]
    r = client.post("/conversations/e1/tracker/events", json={"event": "slot", "name": "cuisine", "value": "thai"})
    assert r.status_code == 200 and r.json()["slots"]["cuisine"] == "thai"
    # the next answer fills the party size, and the flow goes past the cuisine the other system set
    reply = agent.handle('/inform{"party_size": 2}', conversation_id="e1")
    assert [m["response"] for m in reply] == ["utter_ask_area"]


def test_a_list_of_events_is_appended_in_order_in_rasas_shape(light_model):
    agent, client = client_for(light_model)
    events = [
        {"event": "user", "text": "hi from the app", "parse_data": {"intent": {"name": "greet", "confidence": 1}}},
        {"event": "bot", "text": "Hello from the app!"},
        {"event": "slot", "name": "area", "value": "north"},
    ]
    r = client.post("/conversations/e2/tracker/events", json=events)
    assert r.status_code == 200
    kinds = [(e["event"], e.get("text") or e.get("name")) for e in r.json()["events"]]
    assert kinds[-3:] == [("user", "hi from the app"), ("bot", "Hello from the app!"), ("slot", "area")]
    assert agent.tracker("e2").slots["area"] == "north"


def test_events_it_cannot_apply_are_refused_whole(light_model):
    agent, client = client_for(light_model)
    say(client, "e3", "hello")
    before = len(agent.store.history("e3").events)
    r = client.post(
        "/conversations/e3/tracker/events",
        json=[{"event": "slot", "name": "area", "value": "east"}, {"event": "slot", "name": "nope"},
              {"event": "followup", "name": "x"}, "text"],
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    said = {p["field"]: p["problem"] for p in r.json()["detail"]}
    assert set(said) == {"events.1.slot.name", "events.2", "events.3"}
    assert said["events.1.slot.name"].startswith("Input should be 'area', 'booking_reference', 'confirmed'")
    assert "'followup' found using 'event' does not match any of the expected tags: 'user', 'bot'" in said["events.2"]
    assert len(agent.store.history("e3").events) == before and agent.tracker("e3").slots["area"] is None
    assert client.post("/conversations/e3/tracker/events", json=[]).status_code == 422
    # the Python API says the same, event by event
    with pytest.raises(EventsError) as e:
        append_events(agent, "e3", [{"event": "slot", "name": "area", "value": "east"}, {"event": "followup"}])
    assert e.value.problems == [
        {"event": 1, "problem": "event 'followup' is not one dialogkit applies (it applies user, bot, slot, "
         "reset_slots, action, active_loop, restart, session_started, rewind, undo, reminder, cancel_reminder, pause, "
         "resume)"}
    ]
    assert len(agent.store.history("e3").events) == before


def test_the_conversation_as_a_rasa_story(light_model):
    agent, client = client_for(light_model)
    say(client, "s1", "hello")
    say(client, "s1", '/book_table{"cuisine": "thai"}')
    r = client.get("/conversations/s1/story")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-yaml")
    data = yaml.safe_load(r.text)
    assert data["version"] == "3.1"
    (story,) = data["stories"]
    assert story["story"] == "s1"
    steps = story["steps"]
    assert steps[0]["intent"] == "greet" and steps[0]["user"] == "hello"
    assert {"action": "utter_greet"} in steps
    book = next(i for i, s in enumerate(steps) if s.get("intent") == "book_table")
    assert steps[book]["entities"] == [{"cuisine": "thai"}]
    assert {"slot_was_set": [{"cuisine": "thai"}]} in steps[book:]
    assert {"action": "utter_ask_party_size"} in steps[book:]
    assert client.get("/conversations/nobody/story").status_code == 404


def test_replace_predict_and_execute_as_rasas_endpoints(light_model):
    agent, client = client_for(light_model)
    say(client, "x1", "hello")
    say(client, "x1", "I want to book")
    old = len(agent.store.history("x1").events)
    # predict: what the bot would do next, without doing it
    r = client.post("/conversations/x1/predict")
    assert r.status_code == 200 and r.json()["scores"][0] == {"action": "action_listen", "score": 1.0}
    assert len(agent.store.history("x1").events) == old
    # after a user message appended from outside: what the bot would answer
    client.post("/conversations/x1/tracker/events", json={"event": "user", "text": "hi",
                                                           "parse_data": {"intent": {"name": "greet"}}})
    # (the greeting, then the booking's question again)
    assert client.post("/conversations/x1/predict").json()["next_actions"] == ["utter_greet", "utter_ask_cuisine"]
    # replace: the conversation becomes these events (the old ones stay stored, no longer counted)
    r = client.put("/conversations/x1/tracker/events", json=[
        {"event": "user", "text": "book a thai table", "parse_data": {"intent": {"name": "book_table"}}},
        {"event": "slot", "name": "cuisine", "value": "thai"},
    ])
    assert r.status_code == 200, r.text
    tracker = r.json()
    assert [e["event"] for e in tracker["events"]] == ["action", "user", "slot"]
    assert tracker["slots"]["cuisine"] == "thai" and tracker["latest_message"]["text"] == "book a thai table"
    assert len(agent.store.history("x1").events) > old  # nothing deleted
    assert client.put("/conversations/x1/tracker/events", json=[{"event": "slot", "name": "nope"}]).status_code == 422
    # execute: an action or a response run now
    r = client.post("/conversations/x1/execute", json={"name": "utter_greet"})
    assert r.status_code == 200 and r.json()["messages"][0]["text"]
    assert [e["event"] for e in r.json()["tracker"]["events"]][-2:] == ["action", "bot"]
    r = client.post("/conversations/x1/execute", json={"name": "action_nothing_like_it"})
    assert r.status_code == 422 and "utter_greet" in r.json()["detail"][0]["problem"]
    # as typed as the schema says: a bool is not a number (the confidence), a number not a bool
    r = client.post("/conversations/x1/execute", json={"name": "utter_greet", "confidence": True})
    assert r.status_code == 422 and "confidence" in r.text
    r = client.post("/conversations/x1/tracker/events", json={
        "event": "reminder", "intent": "greet", "date_time": "2030-01-01T00:00:00Z", "kill_on_user_msg": 1})
    assert r.status_code == 422 and "kill_on_user_msg" in r.text
    # an emptied conversation starts over
    assert client.put("/conversations/x1/tracker/events", json=[]).json()["events"] == []
    assert say(client, "x1", "hello")
