"""The HTTP server with FastAPI's test client, on the restaurant bot with the light pipeline."""

import json
import threading

import pytest
from fastapi.testclient import TestClient

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.tracker import BACK_REACH
from dialogkit.framework.server.app import create_app
from dialogkit.framework.stores import InMemoryTrackerStore, SQLiteTrackerStore


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


def test_model_parse_over_http(client):
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
    assert (
        "<script>" in page and "webhooks/rest/webhook" in page and "http://" not in page and "https://cdn" not in page
    )


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
    assert (
        client.post("/webhooks/rest/webhook", json=msg, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    )
    assert client.get("/health").status_code == 200  # health stays open for load balancers


def test_cors_lets_a_chat_widget_on_another_site_call_in(light_model):
    client = TestClient(create_app(Agent.load(light_model), auth_token="s3cret", cors=["https://shop.example"]))
    pre = client.options(
        "/webhooks/rest/webhook",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    # before the token check
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://shop.example"
    r = client.post("/webhooks/rest/webhook?token=s3cret", json={"sender": "w", "message": "hi"}, headers={"Origin": "https://shop.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"
    other = client.post(
        "/webhooks/rest/webhook?token=s3cret",
        json={"sender": "w", "message": "hi"},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers
    plain = TestClient(create_app(Agent.load(light_model)))  # no --cors: no CORS headers at all
    assert (
        "access-control-allow-origin"
        not in plain.post(
            "/webhooks/rest/webhook", json={"sender": "w", "message": "hi"}, headers={"Origin": "https://shop.example"}
        ).headers
    )


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
    assert [e.model_dump(mode="json") for e in fresh.events] == [
        e.model_dump(mode="json") for e in agent.store.get("same").events
    ]


# --- hardening: one user's bad input never hurts another user or a later turn --------------

POISON = [
    '/greet{"x": "\\ud800"}',  # a payload whose JSON escapes a lone surrogate
    "/greet{" + '"a": ' + "[" * 2400 + "]" * 2400 + "}",  # nesting past json's recursion limit
    '/greet{"n": ' + "9" * 4400 + "}",  # an integer past Python's digit limit
    '/greet{"x": NaN, "y": Infinity}',
]


@pytest.mark.parametrize("message", POISON)
def test_bad_message_never_poisons_its_conversation(light_model, tmp_path, message):
    agent = Agent.load(light_model, store=SQLiteTrackerStore(tmp_path / "p.sqlite"))
    client = TestClient(create_app(agent, max_body_bytes=64 * 1024, max_message_chars=20_000))
    r = client.post("/webhooks/rest/webhook", json={"sender": "p", "message": message})
    assert r.status_code == 200, r.text
    assert client.post("/webhooks/rest/webhook", json={"sender": "p", "message": "/restart"}).status_code == 200
    ok = client.post("/webhooks/rest/webhook", json={"sender": "p", "message": "hello"})  # the conversation goes on
    assert ok.status_code == 200 and ok.json()[0]["text"], ok.text
    t = client.get("/conversations/p/tracker")
    assert t.status_code == 200
    stored = SQLiteTrackerStore(tmp_path / "p.sqlite").get("p")  # and what is stored reads back
    assert [e.text for e in stored.events if e.event == "user"][-1] == "hello"


def test_surrogate_text_is_stored_as_replacement_character(light_model):
    agent = Agent.load(light_model)
    agent.handle("hi \ud800", "s")
    assert agent.tracker("s").latest_message.text == "hi \ufffd"
    assert agent.parse("a\udfffb")["text"] == "a\ufffdb"


def test_json_strings_with_lone_surrogates_are_refused_or_cleaned(client):
    """A JSON string escaping a lone surrogate is not valid Unicode: a sender id is refused (two
    ids must never merge), a message is cleaned; neither becomes an event that cannot be stored."""
    r = client.post(
        "/webhooks/rest/webhook",
        content=b'{"sender": "\\ud800", "message": "hi"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    r = client.post(
        "/webhooks/rest/webhook",
        content=b'{"sender": "sur", "message": "hello \\ud800 there"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    user = [e for e in client.get("/conversations/sur/tracker").json()["events"] if e["event"] == "user"]
    assert user[-1]["text"] == "hello \ufffd there"
    assert client.post("/webhooks/rest/webhook", json={"sender": "sur", "message": "hello"}).status_code == 200


def test_turn_that_cannot_be_saved_is_rolled_back_whole(light_model):
    class FlakyStore(InMemoryTrackerStore):
        """A store whose save fails when told to (a full disk, a lost database)."""

        fail = False

        def save(self, tracker):
            if self.fail:
                raise OSError("disk full")
            super().save(tracker)

    agent = Agent.load(light_model, store=FlakyStore())
    agent.handle("hello", "r")
    before = [e.model_dump(mode="json") for e in agent.tracker("r").events]
    agent.store.fail = True
    with pytest.raises(OSError):
        agent.handle("I'd like to book a table", "r")
    assert [e.model_dump(mode="json") for e in agent.tracker("r").events] == before  # no trace of the failed turn
    agent.store.fail = False
    assert agent.handle("I'd like to book a table", "r")[0]["response"] == "utter_ask_cuisine"
    assert [e.event for e in agent.tracker("r").events].count("user") == 2


@pytest.mark.parametrize("body", [
    b'{"sender": "x", "message": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # deeper than json can parse
    b'{"sender": "x", "message": "hi", "metadata": {"n": ' + b"9" * 5000 + b"}}",  # a huge number
    b'{"sender": "x", "message": "caf\xe9"}',  # not UTF-8
])
def test_unreadable_bodies_get_the_documented_422(light_model, body):
    client = TestClient(create_app(Agent.load(light_model), max_body_bytes=64 * 1024))
    r = client.post("/webhooks/rest/webhook", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "detail"} and r.json()["error"] == "invalid_request"


def test_chunked_body_is_refused_while_it_streams():
    """A body without a length is counted as it arrives and refused past the limit: the server
    stops reading and never holds it whole (it used to read 256 MB before answering 413)."""
    import asyncio

    from dialogkit.framework.server.guards import BodyLimit

    received, sent, reached_app = [], [], []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}  # an endless chunked body

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        reached_app.append(1)

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", b"application/json")],
        "path": "/webhooks/rest/webhook",
    }
    asyncio.run(BodyLimit(app, max_bytes=4096)(scope, receive, send))
    assert not reached_app and len(received) == 5
    assert sent[0]["status"] == 413 and b"request_too_large" in sent[1]["body"]


def test_any_sender_id_can_fetch_its_tracker(client):
    for sender in ("team/alice", "a b?c", "ünï/códe"):
        assert client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hello"}).status_code == 200
        from urllib.parse import quote

        r = client.get(f"/conversations/{quote(sender, safe='')}/tracker")
        assert r.status_code == 200 and r.json()["sender_id"] == sender, r.text


def test_error_bodies_are_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/webhooks/rest/webhook"]["post"]["responses"]
    assert post["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "413" in post and "404" in spec["paths"]["/conversations/{conversation_id}/tracker"]["get"]["responses"]
    assert client.get("/no/such/path").json()["error"] == "not_found"


def test_one_bad_message_in_a_batch_never_fails_the_others(light_model):
    """The NLU batcher parses concurrent messages together; one that breaks a component must
    fail alone (it used to hand its exception to every caller in the batch)."""
    agent = Agent.load(light_model)
    nlu = next(c for c in agent.components if c.stage == "nlu" and c.name == "keyword_intent_classifier")
    real = nlu.process_batch

    def fragile(turns):
        if any("BOOM" in t.text for t in turns):
            raise RuntimeError("a component bug triggered by one message")
        real(turns)

    nlu.process_batch = fragile
    agent.enable_batching(max_batch=16, max_wait_ms=50)
    results: dict[str, object] = {}

    def send(cid, text):
        try:
            results[cid] = agent.handle(text, cid)
        except Exception as e:  # noqa: BLE001
            results[cid] = e

    threads = [threading.Thread(target=send, args=(f"u{i}", "BOOM" if i == 0 else "hello")) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert isinstance(results["u0"], Exception)
    failed = [cid for cid, r in results.items() if cid != "u0" and isinstance(r, Exception)]
    assert failed == [] and all(results[f"u{i}"][0]["text"] for i in range(1, 16))


def test_long_conversation_is_kept_to_a_window_in_memory_and_whole_in_the_store(light_model, tmp_path):
    store = SQLiteTrackerStore(tmp_path / "long.sqlite", window=40)
    agent = Agent.load(light_model, store=store)
    client = TestClient(create_app(agent))
    booking = '/book_table{"cuisine": "thai", "party_size": 2}'
    texts = [booking] + [f"hello {i}" for i in range(60)]
    for text in texts:
        assert client.post("/webhooks/rest/webhook", json={"sender": "long", "message": text}).status_code == 200
    cached = store.get("long")
    full = store.history("long")
    # bounded (it used to hold every event): the last 40 events, or the last 5 user turns if longer (`/back` reaches
    # them)
    users = [i for i, e in enumerate(full.events) if e.event == "user"]
    assert len(cached.events) <= max(40, len(full.events) - users[-BACK_REACH]) and cached.offset > 0
    assert len(full.events) == cached.offset + len(cached.events)
    assert cached.slots == full.slots and cached.slots["cuisine"] == "thai"
    assert [f.__dict__ for f in cached.stack] == [f.__dict__ for f in full.stack]
    assert cached.latest_message.text == "hello 59"
    events = client.get("/conversations/long/tracker?format=dialogkit").json()["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == texts  # the API shows the whole conversation
    fresh = SQLiteTrackerStore(tmp_path / "long.sqlite", window=40).get("long")  # a restarted server
    assert fresh.slots == full.slots and len(fresh.events) <= max(40, len(full.events) - users[-BACK_REACH])


def test_a_served_process_freezes_what_loading_left_out_of_garbage_collection():
    """`dialogkit serve` (serve_app) calls tune_gc once the model is loaded: objects alive then are
    never walked by a collection again, and young collections are rarer."""
    import gc

    from dialogkit.framework.server.serving import tune_gc

    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == (10_000, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_metadata_sent_with_a_message_is_kept_with_it(client):
    metadata = {"country": "DE", "user": {"id": 7, "tz": "Europe/Berlin"}}
    assert (
        client.post(
            "/webhooks/rest/webhook", json={"sender": "md", "message": "hello", "metadata": metadata}
        ).status_code
        == 200
    )
    client.post("/webhooks/rest/webhook", json={"sender": "md", "message": "hello again"})
    t = client.get("/conversations/md/tracker").json()
    assert [e.get("metadata") for e in t["events"] if e["event"] == "user"] == [metadata, {}]
    assert t["latest_message"]["metadata"] == {}


def test_trigger_intent_makes_the_bot_speak_first_with_entities(client):
    # a new conversation: the bot starts the booking as if the user had asked, with what the caller knows
    r = client.post("/conversations/t9/trigger_intent", json={"name": "book_table", "entities": {"cuisine": "thai"}})
    assert r.status_code == 200
    body = r.json()
    assert [m["response"] for m in body["messages"]] == ["utter_ask_party_size"]
    assert body["messages"][0]["recipient_id"] == "t9" and body["messages"][0]["text"]
    assert body["tracker"]["slots"]["cuisine"] == "thai" and body["tracker"]["active_loop"] == {"name": "book_table"}
    users = [e for e in body["tracker"]["events"] if e["event"] == "user"]
    assert [u["text"] for u in users] == ["EXTERNAL: book_table"]
    # the user answers the question the bot asked
    answer = client.post("/webhooks/rest/webhook", json={"sender": "t9", "message": "we are 2"}).json()
    assert answer[0]["response"] == "utter_ask_area"


def test_trigger_intent_refuses_an_intent_the_bot_does_not_have(client):
    r = client.post("/conversations/t10/trigger_intent", json={"name": "order_pizza"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    # the intents it has
    assert r.json()["detail"][0]["field"] == "name" and "'book_table'" in r.json()["detail"][0]["problem"]
    assert client.get("/conversations/t10/tracker").status_code == 404  # nothing was started
    r = client.post("/conversations/t10/trigger_intent", json={"entities": {}})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_put_model_replaces_the_model_while_serving(light_model, minimal_bot, tmp_path, monkeypatch):
    import threading
    import time

    from dialogkit.framework.build.training import train

    other = tmp_path / "other"
    train(minimal_bot, other)
    agent = Agent.load(light_model)
    client = TestClient(create_app(agent, auth_token="s3cret"))
    auth = {"Authorization": "Bearer s3cret"}
    hello = {"sender": "m1", "message": "hello"}
    before = client.post("/webhooks/rest/webhook", json=hello, headers=auth).json()
    assert before and before[0]["text"] != "Hi!"
    assert client.post("/conversations/m1/trigger_intent", json={"name": "book"}, headers=auth).status_code == 422

    # the new model loads slowly: the old one keeps answering meanwhile
    real_load = Agent.load

    def slow_load(*args, **kwargs):
        time.sleep(1.0)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(Agent, "load", slow_load)
    done = {}
    swap = threading.Thread(target=lambda: done.setdefault("r", client.put(
        "/model", json={"model_file": str(other)}, headers=auth)))
    swap.start()
    time.sleep(0.2)
    during = client.post("/webhooks/rest/webhook", json={"sender": "m2", "message": "hello"}, headers=auth)
    assert during.status_code == 200 and during.json()[0]["text"] != "Hi!"
    swap.join(10)
    assert done["r"].status_code == 204
    after = client.post("/webhooks/rest/webhook", json=hello, headers=auth).json()
    assert [m["text"] for m in after] == ["Hi!"]
    assert len([e for e in agent.store.history("m1").events if e.event == "user"]) == 2  # the same conversation
    # the conversation routes' schemas are the new model's
    assert client.post("/conversations/m1/trigger_intent", json={"name": "book"}, headers=auth).status_code == 200
    assert client.get("/version").json()["model"] != agent.manifest.get("domain_name")
    # a model that does not load leaves the current one serving
    monkeypatch.setattr(Agent, "load", real_load)
    bad = client.put("/model", json={"model_file": str(tmp_path / "nothing-here")}, headers=auth)
    assert bad.status_code == 422 and bad.json()["error"] == "model_not_loaded"
    assert client.post("/webhooks/rest/webhook", json=hello, headers=auth).json()[0]["text"] == "Hi!"
    # without auth configured, the route is refused
    open_client = TestClient(create_app(Agent.load(light_model)))
    assert open_client.put("/model", json={"model_file": str(other)}).status_code == 403


def test_jwt_auth_as_rasas(light_model):
    import jwt

    key = "a-jwt-signing-key-of-32-bytes-or-more"

    def bearer(payload, secret=key):
        return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}

    client = TestClient(create_app(Agent.load(light_model), jwt_secret=key))
    msg = {"sender": "j1", "message": "hello"}
    assert client.post("/webhooks/rest/webhook", json=msg).status_code == 401
    r = client.post("/webhooks/rest/webhook", json=msg, headers=bearer({"user": {"username": "x"}}, "wrong-key-" * 4))
    assert r.status_code == 401 and "Signature verification failed" in r.json()["detail"]
    r = client.post("/webhooks/rest/webhook", json=msg, headers=bearer({"user": {"username": "x"}}))
    assert r.status_code == 200
    # a conversation's routes: its own user, or an admin
    assert client.get("/conversations/j1/tracker", headers=bearer({"user": {"username": "j1"}})).status_code == 200
    r = client.get("/conversations/j1/tracker", headers=bearer({"user": {"username": "j2"}}))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert client.get("/conversations/j1/story", headers=bearer({"user": {"role": "admin"}})).status_code == 200
    assert client.get("/health").status_code == 200
    # replacing the model: the admin role only
    r = client.put("/model", json={"model_file": str(light_model)}, headers=bearer({"user": {"username": "j1"}}))
    assert r.status_code == 403
    assert client.put("/model", json={"model_file": str(light_model)},
                      headers=bearer({"user": {"role": "admin"}})).status_code == 204
    # with a token as well, either one does
    both = TestClient(create_app(Agent.load(light_model), auth_token="s3cret", jwt_secret=key))
    assert both.post("/webhooks/rest/webhook?token=s3cret", json=msg).status_code == 200
    assert both.post("/webhooks/rest/webhook", json=msg, headers=bearer({})).status_code == 200
    assert both.post("/webhooks/rest/webhook?token=nope", json=msg).status_code == 401
