"""The socketio channel with a real socket.io client (python-socketio) against `dialogkit serve`'s
app on a local port: Rasa's session handshake and events, buttons as quick replies, a session kept
across a reconnect, the bot speaking first through `trigger_intent`, JWT on connect, and refusals
as `error` events."""

import queue
import threading
import time

import httpx
import jwt
import pytest
import socketio
import uvicorn

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from dialogkit.framework.server.channels import load_credentials
from dialogkit.framework.server.socketio_channel import socketio_messages


class LiveServer:
    """``app`` served by uvicorn in a thread on a free 127.0.0.1 port."""

    def __init__(self, app):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


class Client:
    """A socket.io client that records every event it receives."""

    def __init__(self, url, auth=None, transports=("websocket",)):
        self.events: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "error"):
            self.sio.on(name, lambda data, name=name: self.events.put((name, data)))
        self.sio.connect(url, auth=auth, transports=list(transports), wait_timeout=10)

    def next(self, name, timeout=10):
        got, data = self.events.get(timeout=timeout)
        assert got == name, (got, data)
        return data

    def bot_messages(self, quiet=0.5):
        """The bot messages that arrive until none comes for ``quiet`` seconds."""
        out = [self.next("bot_uttered")]
        while True:
            try:
                out.append(self.next("bot_uttered", timeout=quiet))
            except queue.Empty:
                return out


def serve(model, tmp_path, credentials, **kwargs):
    path = tmp_path / "credentials.yml"
    path.write_text(credentials, encoding="utf-8")
    channels, skipped = load_credentials(path)
    assert skipped == []
    agent = Agent.load(model)
    return agent, LiveServer(create_app(agent, channels=channels, **kwargs))


def test_a_socketio_client_holds_a_conversation_in_rasas_protocol(light_model, tmp_path):
    agent, server = serve(light_model, tmp_path, "socketio:\n  session_persistence: true\n  metadata_key: customData\n")
    with server:
        client = Client(server.url)
        client.sio.emit("session_request", {"session_id": None})
        session = client.next("session_confirm")
        assert isinstance(session, str) and session
        client.sio.emit("user_uttered", {"message": "hello", "session_id": session, "customData": {"lang": "en"}})
        replies = client.bot_messages()
        said = [e for e in agent.tracker(session).events if e.event == "bot"]
        assert [r.get("text") for r in replies] == [e.text for e in said]
        user = next(e for e in agent.tracker(session).events if e.event == "user")
        assert user.input_channel == "socketio" and user.metadata == {"lang": "en"}
        client.sio.disconnect()

        # a reload: a new connection asks for the session it kept, and the conversation goes on
        again = Client(server.url)
        again.sio.emit("session_request", {"session_id": session})
        assert again.next("session_confirm") == session
        again.sio.emit("user_uttered", {"message": "bye", "session_id": session})
        assert again.bot_messages()
        assert [e.text for e in agent.tracker(session).events if e.event == "user"] == ["hello", "bye"]

        # the bot speaks first on the session's connection
        r = httpx.post(f"{server.url}/conversations/{session}/trigger_intent?output_channel=latest",
                       json={"name": "greet"}, timeout=10)
        assert r.status_code == 200
        pushed = again.bot_messages()
        assert [p.get("text") for p in pushed] == [m.get("text") for m in r.json()["messages"]]

        # a message naming a session this connection never asked for is refused, and not kept
        stranger = Client(server.url)
        stranger.sio.emit("user_uttered", {"message": "hi", "session_id": session})
        assert stranger.next("error")["error"] == "unknown_session"
        assert len([e for e in agent.tracker(session).events if e.event == "user"]) == 3
        for c in (again, stranger):
            c.sio.disconnect()


def test_without_session_persistence_each_connection_is_its_own_conversation(light_model, tmp_path):
    agent, server = serve(light_model, tmp_path, "socketio:\n", max_message_chars=20)
    with server:
        client = Client(server.url, transports=("polling", "websocket"))
        client.sio.emit("user_uttered", {"message": "hello"})
        assert client.bot_messages()
        assert agent.store.get(client.sio.get_sid()) is not None
        client.sio.emit("user_uttered", {"message": "x" * 50})
        assert client.next("error")["error"] == "message_too_long"
        client.sio.disconnect()


KEY = "a-signing-key-of-at-least-32-bytes!"


def token(key):
    return {"token": jwt.encode({"sub": "a"}, key, algorithm="HS256")}


def test_with_a_jwt_key_only_a_client_with_a_signed_token_connects(light_model, tmp_path):
    _, server = serve(light_model, tmp_path, f"socketio:\n  jwt_key: {KEY}\n")
    with server:
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(server.url)
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(server.url, auth=token("another-signing-key-32-bytes-long!!"))
        client = Client(server.url, auth=token(KEY))
        client.sio.emit("user_uttered", {"message": "hello"})
        assert client.bot_messages()
        client.sio.disconnect()


def test_bot_messages_take_rasas_socketio_shapes():
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    assert socketio_messages({"text": "One.\n\nTwo.", "buttons": buttons}) == [
        {"text": "One."},
        {"text": "Two.", "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}]},
    ]
    assert socketio_messages({"image": "http://x/y.png"}) == [{"attachment": {"type": "image",
                                                                             "payload": {"src": "http://x/y.png"}}}]
    assert socketio_messages({"custom": {"data": {"k": 1}}}) == [{"k": 1}]
    assert socketio_messages({"custom": {"k": 1}}) == [{"k": 1}]


@pytest.mark.slow
def test_with_a_message_queue_a_push_from_another_process_reaches_the_client(light_model, tmp_path):
    import uuid

    from tests.framework.test_serve_process import free_port, launch, wait_healthy
    from tests.framework.test_stores import REDIS_URL, need

    redis_url = need(REDIS_URL, "Redis")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(f"socketio:\n  session_persistence: true\n  message_queue: {redis_url}\n", encoding="utf-8")
    ports = [free_port(), free_port()]
    options = ["--store", "redis", "--store-url", redis_url, "--credentials", str(credentials)]
    procs = [launch(light_model, p, *options) for p in ports]
    try:
        wait_healthy(list(zip(procs, ports)))
        client = Client(f"http://127.0.0.1:{ports[0]}")
        session = f"mq-{uuid.uuid4().hex[:8]}"
        client.sio.emit("session_request", {"session_id": session})
        assert client.next("session_confirm") == session
        client.sio.emit("user_uttered", {"message": "hello", "session_id": session})
        assert client.bot_messages()
        # the other process answers the trigger; its emit reaches the client through Redis
        r = httpx.post(f"http://127.0.0.1:{ports[1]}/conversations/{session}/trigger_intent?output_channel=latest",
                       json={"name": "greet"}, timeout=10)
        assert r.status_code == 200
        assert [m.get("text") for m in client.bot_messages()] == [m["text"] for m in r.json()["messages"]]
        client.sio.disconnect()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
