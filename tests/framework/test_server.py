"""The HTTP server with FastAPI's test client, on the restaurant bot with the light pipeline."""

import json
import threading

import pytest
from fastapi.testclient import TestClient

from framework.agent import Agent
from framework.server import create_app
from framework.stores import SQLiteTrackerStore
from framework.training import train
from tests.conftest import DOMAINS, STAND_IN


@pytest.fixture(scope="module")
def light_model(tmp_path_factory):
    """The restaurant bot with the light pipeline (the BERT NLU is tested elsewhere)."""
    root = tmp_path_factory.mktemp("bots")
    import shutil

    bot = root / "restaurant"
    shutil.copytree(DOMAINS / "restaurant", bot)
    text = (bot / "domain.yml").read_text()
    start, end = text.index("pipeline:"), text.index("session:")
    (bot / "domain.yml").write_text(text[:start] + STAND_IN + "\n" + text[end:])
    out = root / "model"
    train(bot, out)
    return out


@pytest.fixture
def client(light_model, tmp_path):
    agent = Agent.load(light_model, store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    return TestClient(create_app(agent, max_body_bytes=2048, max_message_chars=300))


def test_rest_channel_rasa_shape(client):
    r = client.post("/webhooks/rest/webhook", json={"sender": "u1", "message": "hello"})
    assert r.status_code == 200
    body = r.json()
    assert body[0]["recipient_id"] == "u1" and body[0]["text"]
    booking = '/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "8pm"}'
    r = client.post("/webhooks/rest/webhook", json={"sender": "u1", "message": booking, "metadata": {"x": 1}})
    assert r.json()[0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_parse_shape(client):
    r = client.post("/model/parse", json={"text": "book a table for 4"})
    body = r.json()
    assert body["intent"]["name"] == "book_table" and body["entities"][0]["entity"] == "party_size"
    assert body["intent_ranking"] and body["text"] == "book a table for 4"


def test_tracker_rasa_shape_and_unknown_conversation(client):
    client.post("/webhooks/rest/webhook", json={"sender": "t1", "message": "book a table for 2"})
    t = client.get("/conversations/t1/tracker").json()
    assert t["sender_id"] == "t1" and t["slots"]["party_size"] == 2
    assert t["latest_message"]["intent"]["name"] == "book_table"
    user = [e for e in t["events"] if e["event"] == "user"]
    assert user and user[0]["parse_data"]["intent"]["name"] == "book_table"
    assert t["active_loop"] == {"name": "book_table"}
    r = client.get("/conversations/nobody/tracker")
    assert r.status_code == 404 and r.json()["error"] == "unknown_conversation"


def test_health_version_openapi_and_chat_page(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/version").json()["model"] == "restaurant"
    assert "/webhooks/rest/webhook" in client.get("/openapi.json").json()["paths"]
    page = client.get("/").text
    assert "<script>" in page and "webhooks/rest/webhook" in page and "http://" not in page and "https://cdn" not in page


@pytest.mark.parametrize(
    "payload, status, error",
    [
        (b"{not json", 422, "invalid_request"),
        (json.dumps({"sender": "x"}).encode(), 422, "invalid_request"),
        (json.dumps({"sender": 5, "message": ["a"]}).encode(), 422, "invalid_request"),
        (json.dumps({"sender": "x", "message": "a" * 301}).encode(), 422, "message_too_long"),
        (json.dumps({"sender": "x", "message": "a" * 3000}).encode(), 413, "request_too_large"),
        (b"[]", 422, "invalid_request"),
    ],
)
def test_bad_requests_get_clear_json_errors(client, payload, status, error):
    r = client.post("/webhooks/rest/webhook", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"] == error


def test_token_auth(light_model):
    client = TestClient(create_app(Agent.load(light_model), auth_token="s3cret"))
    msg = {"sender": "a", "message": "hi"}
    assert client.post("/webhooks/rest/webhook", json=msg).status_code == 401
    assert client.post("/webhooks/rest/webhook?token=wrong", json=msg).status_code == 401
    assert client.post("/webhooks/rest/webhook?token=s3cret", json=msg).status_code == 200
    assert client.post("/webhooks/rest/webhook", json=msg, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/health").status_code == 200  # health stays open for load balancers


def test_cors_lets_a_chat_widget_on_another_site_call_in(light_model):
    client = TestClient(create_app(Agent.load(light_model), auth_token="s3cret", cors=["https://shop.example"]))
    pre = client.options("/webhooks/rest/webhook", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
                                                             "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://shop.example"  # before the token check
    r = client.post("/webhooks/rest/webhook?token=s3cret", json={"sender": "w", "message": "hi"}, headers={"Origin": "https://shop.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"
    other = client.post("/webhooks/rest/webhook?token=s3cret", json={"sender": "w", "message": "hi"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    plain = TestClient(create_app(Agent.load(light_model)))  # no --cors: no CORS headers at all
    assert "access-control-allow-origin" not in plain.post("/webhooks/rest/webhook", json={"sender": "w", "message": "hi"}, headers={"Origin": "https://shop.example"}).headers


def test_concurrent_messages_to_one_conversation_lose_nothing(light_model, tmp_path):
    agent = Agent.load(light_model, store=SQLiteTrackerStore(tmp_path / "c.sqlite"))
    agent.enable_batching(8, 2)
    client = TestClient(create_app(agent))
    texts = [f"message number {i}" for i in range(40)]

    def send(t):
        assert client.post("/webhooks/rest/webhook", json={"sender": "same", "message": t}).status_code == 200

    threads = [threading.Thread(target=send, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    events = client.get("/conversations/same/tracker").json()["events"]
    user = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(user) == sorted(texts)
    # every user event is followed by its own bot answers before the next user event: no interleaving
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    assert kinds.count("user") == 40 and kinds[0] == "user"
    fresh = SQLiteTrackerStore(tmp_path / "c.sqlite").get("same")
    assert [e.model_dump(mode="json") for e in fresh.events] == [e.model_dump(mode="json") for e in agent.store.get("same").events]
