"""Handoff to a human: `action_human_handoff` pauses the conversation; the user's messages are kept
and forwarded to the handoff webhook (endpoints.yml), not answered; the human answers through
`tracker/events` with side effects (delivered on the user's channel) and resumes it; nothing is
lost. And a `pattern_session_start` flow greets before a session's first message is read."""

import pytest
from fastapi.testclient import TestClient

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.handoff import load_handoff
from dialogkit.framework.server.app import create_app
from dialogkit.framework.server.channels import load_credentials
from tests.conftest import STAND_IN, trained_bot
from tests.framework.conftest import StandIn

DOMAIN = """
version: "1"
""" + STAND_IN + """intents:
  greet:
    examples: |
      - hello
      - hi there
  human:
    examples: |
      - I want to talk to a human
      - a real person please
responses:
  utter_greet:
    - "Hi! I'm the bot."
  utter_handoff:
    - "I'm passing you to a colleague."
  utter_welcome:
    - "Welcome back to the shop."
flows:
  greet:
    when: {intent: greet}
    steps:
      - say: utter_greet
  human:
    when: {intent: human}
    steps:
      - say: utter_handoff
      - action: action_human_handoff
  pattern_session_start:
    steps:
      - say: utter_welcome
"""


@pytest.fixture(scope="module")
def handoff_model(tmp_path_factory):
    return trained_bot(tmp_path_factory.mktemp("handoff"), {"domain.yml": DOMAIN})


def texts(messages):
    return [m.get("text") for m in messages]


def test_a_session_start_flow_speaks_before_the_first_message_is_answered(handoff_model):
    agent = Agent.load(handoff_model)
    assert texts(agent.handle("hello", "s")) == ["Welcome back to the shop.", "Hi! I'm the bot."]
    assert texts(agent.handle("hello", "s")) == ["Hi! I'm the bot."]  # once per session


def test_a_paused_conversation_is_forwarded_and_resumed_with_nothing_lost(handoff_model, tmp_path, stand_in,
                                                                         monkeypatch):
    receiver = stand_in
    monkeypatch.setenv("HANDOFF_TOKEN", "t0k")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"handoff:\n  url: {receiver.url}/hook\n  token: ${{HANDOFF_TOKEN}}\n", encoding="utf-8")
    callback = StandIn()
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(f"callback:\n  url: {callback.url}/bot\n", encoding="utf-8")
    agent = Agent.load(handoff_model)
    agent.use_endpoints(endpoints)
    channels, _ = load_credentials(credentials)
    client = TestClient(create_app(agent, channels=channels))

    def say(text):
        r = client.post("/webhooks/callback/webhook", json={"sender": "h1", "message": text})
        assert r.status_code == 200 and r.text == "success"

    say("hello")
    say("I want to talk to a human")
    assert callback.received[-1]["text"] == "I'm passing you to a colleague."
    handoff = receiver.received[-1]
    assert handoff["event"] == "handoff" and handoff["conversation_id"] == "h1"
    assert [t["text"] for t in handoff["transcript"] if t["sender"] == "user"] == ["hello", "I want to talk to a human"]
    before = len(callback.received)
    say("is anyone there?")  # kept and forwarded, not answered
    assert len(callback.received) == before
    assert receiver.received[-1] == {**receiver.received[-1], "event": "user", "text": "is anyone there?",
                                     "input_channel": "callback"}
    assert client.get("/conversations/h1/tracker").json()["paused"] is True

    # the human answers on the user's channel, then gives the conversation back
    r = client.post("/conversations/h1/tracker/events?execute_side_effects=true&output_channel=latest",
                    json=[{"event": "bot", "text": "Hi, this is Sam. How can I help?"}, {"event": "resume"}])
    assert r.status_code == 200 and r.json()["paused"] is False
    assert callback.received[-1] == {"recipient_id": "h1", "text": "Hi, this is Sam. How can I help?"}
    say("hello")
    assert callback.received[-1]["text"] == "Hi! I'm the bot."
    users = [e["text"] for e in client.get("/conversations/h1/tracker").json()["events"] if e["event"] == "user"]
    assert users == ["hello", "I want to talk to a human", "is anyone there?", "hello"]
    callback.close()


def test_pause_and_resume_through_the_events_api(handoff_model):
    agent = Agent.load(handoff_model)
    client = TestClient(create_app(agent))
    assert client.post("/conversations/p1/tracker/events", json={"event": "pause"}).json()["paused"] is True
    assert client.post("/webhooks/rest/webhook", json={"sender": "p1", "message": "hello"}).json() == []
    client.post("/conversations/p1/tracker/events", json={"event": "resume"})
    assert texts(client.post("/webhooks/rest/webhook", json={"sender": "p1", "message": "hello"}).json()) == [
        "Hi! I'm the bot."]


@pytest.mark.parametrize("text, problem", [
    ("handoff:\n  uri: http://x\n", "unknown key(s) uri"),
    ("handoff:\n  url: ftp://x\n", "needs `url: http(s)://...`"),
    ("handoff:\n  url: http://x\n  token: ${NO_SUCH_VARIABLE_HERE}\n", "NO_SUCH_VARIABLE_HERE is not set"),
])
def test_a_bad_handoff_section_is_a_located_error(tmp_path, text, problem):
    path = tmp_path / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DialogkitError) as e:
        load_handoff(path)
    assert problem in e.value.issues[0].text and e.value.issues[0].location.path == str(path)
