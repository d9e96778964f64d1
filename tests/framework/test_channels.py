"""Channels configured in credentials.yml (`dialogkit serve --credentials`): Rasa's callback
channel POSTs the bot's messages to the user's URL; a channel of one's own plugs into the same
contract; a Rasa project's file carries over (channels without an adapter are skipped with a
warning); a mistake in the file is an error at its line."""

import textwrap

import pytest
from fastapi.testclient import TestClient

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from dialogkit.framework.server.channels import load_credentials
from dialogkit.framework.server.serving import serve_app


def write(tmp_path, text, name="credentials.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_the_callback_channel_posts_the_bots_messages_to_the_users_url(light_model, tmp_path, stand_in):
    url = f"{stand_in.url}/bot"
    credentials = write(tmp_path, f"rest:\ncallback:\n  url: {url}\n")
    channels, skipped = load_credentials(credentials)
    assert [c.name for c in channels] == ["rest", "callback"] and skipped == []
    agent = Agent.load(light_model)
    client = TestClient(create_app(agent, channels=channels))
    r = client.post("/webhooks/callback/webhook", json={"sender": "cb1", "message": "hello", "metadata": {"k": 1}})
    assert r.status_code == 200 and r.text == "success"
    received = stand_in.received
    assert received and all(m["recipient_id"] == "cb1" for m in received)
    said = [e.text for e in agent.tracker("cb1").events if e.event == "bot"]
    assert [m["text"] for m in received] == said
    user = next(e for e in agent.tracker("cb1").events if e.event == "user")
    assert user.input_channel == "callback" and user.metadata == {"k": 1}
    # the REST channel answers as always
    assert client.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "hello"}).json()[0]["recipient_id"]


def test_bad_requests_to_a_channel_get_json_errors(light_model, tmp_path, stand_in):
    channels, _ = load_credentials(write(tmp_path, f"callback:\n  url: {stand_in.url}/bot\n"))
    client = TestClient(create_app(Agent.load(light_model), channels=channels))
    r = client.post("/webhooks/callback/webhook", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    r = client.post("/webhooks/callback/webhook", json={"message": "hi"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "sender"
    assert stand_in.received == []


CUSTOM = '''
from dialogkit.framework.server.channels import Channel, ChannelError, UserMessage, read_json


class ShoutChannel(Channel):
    """A channel of one's own: {"from", "said"} in, the replies in capitals out."""

    name = "shout"

    class Config(Channel.Config):
        prefix: str = ">> "

    async def read(self, request):
        body = await read_json(request)
        if not isinstance(body, dict) or "from" not in body or "said" not in body:
            raise ChannelError(422, "invalid_request", "send {from, said}")
        return UserMessage(str(body["from"]), str(body["said"]))

    async def reply(self, message, messages):
        return {"to": message.sender, "lines": [self.config.prefix + (m.get("text") or "").upper() for m in messages]}
'''


def test_a_channel_of_ones_own_plugs_into_the_same_contract(light_model, tmp_path):
    (tmp_path / "shout_channel.py").write_text(CUSTOM, encoding="utf-8")
    channels, _ = load_credentials(write(tmp_path, "shout_channel.ShoutChannel:\n  prefix: 'bot: '\n"))
    agent = Agent.load(light_model)
    client = TestClient(create_app(agent, channels=channels))
    answer = client.post("/webhooks/shout/webhook", json={"from": "s1", "said": "hello"}).json()
    said = [e.text for e in agent.tracker("s1").events if e.event == "bot"]
    assert said and answer == {"to": "s1", "lines": ["bot: " + t.upper() for t in said]}
    assert next(e for e in agent.tracker("s1").events if e.event == "user").input_channel == "shout"
    r = client.post("/webhooks/shout/webhook", json={"said": "hello"})
    assert r.status_code == 422 and r.json() == {"error": "invalid_request", "detail": "send {from, said}"}


def test_a_rasa_projects_credentials_carry_over(tmp_path):
    path = write(tmp_path, """
        rest:
        socketio:
          user_message_evt: user_uttered
          bot_message_evt: bot_uttered
          session_persistence: true
        facebook:
          verify: my_bot
          secret: "123"
          page-access-token: "456"
        rasa:
          url: http://localhost:5002/api
        """)
    channels, skipped = load_credentials(path)
    assert [c.name for c in channels] == ["rest", "socketio"]
    assert channels[1].config.session_persistence is True
    assert [i.code for i in skipped] == ["DK804"]
    assert skipped[0].text == "channel 'facebook' is a Rasa channel dialogkit has no adapter for yet: it is skipped"
    assert skipped[0].location.line == 6


def test_mistakes_in_the_file_are_errors_at_their_line(tmp_path):
    path = write(tmp_path, """
        callbak:
          url: http://127.0.0.1:9/bot
        callback:
          url: not-a-url
          retries: 3
        nowhere.Channel:
        """)
    with pytest.raises(DialogkitError) as e:
        load_credentials(path)
    said = [(i.location.line, i.text) for i in e.value.issues]
    assert said[0] == (1, "unknown channel 'callbak' (did you mean 'callback'?)")
    assert said[1][0] == 4 and said[1][1].startswith("channel 'callback': url: String should match pattern")
    assert said[2] == (5, "channel 'callback': retries: Extra inputs are not permitted")
    assert said[3][0] == 6 and said[3][1].startswith("channel class 'nowhere.Channel' cannot be used")


def test_serve_reads_credentials(light_model, tmp_path, stand_in):
    options = {"model": str(light_model), "credentials": str(write(tmp_path, f"callback:\n  url: {stand_in.url}/b\n")),
               "store": "memory", "batch_size": 1}
    app, _ = serve_app(options)
    r = TestClient(app).post("/webhooks/callback/webhook", json={"sender": "s", "message": "hello"})
    assert r.text == "success" and stand_in.received
