"""Several `dialogkit serve` processes over one Redis or PostgreSQL store: one conversation's
messages sent concurrently to different processes lose nothing, duplicate nothing and never
interleave; every event also reaches the Redis Stream in order; a killed worker's
conversations go on in the others."""

import json
import os
import signal
import subprocess
import threading
import uuid

import httpx
import pytest

from tests.framework.test_serve_process import free_port, launch, wait_healthy
from tests.framework.test_stores import POSTGRES_URL, REDIS_URL, need

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)


def stop(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def hammer(ports, sender, texts):
    """Send ``texts`` for one conversation at once, each to another process; return answers by text."""
    answers, errors = {}, []

    def send(i, text):
        try:
            r = httpx.post(
                f"http://127.0.0.1:{ports[i % len(ports)]}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=60,
            )
            assert r.status_code == 200, r.text
            answers[text] = [m.get("text") for m in r.json()]
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=send, args=(i, t)) for i, t in enumerate(texts)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    return answers


def check_history(port, sender, texts, answers):
    events = httpx.get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker?format=dialogkit", timeout=30).json()[
        "events"
    ]
    users = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(users) == sorted(texts) and len(users) == len(set(users))  # none lost, none duplicated
    # never interleaved: the bot events after each user event (up to the next) are exactly what that request got back
    for i, e in enumerate(events):
        if e["event"] == "user":
            following = []
            for later in events[i + 1:]:
                if later["event"] == "user":
                    break
                if later["event"] == "bot":
                    following.append(later["text"])
            assert following == answers[e["text"]], (e["text"], following, answers[e["text"]])
    return events


@pytest.mark.parametrize("store", ["redis", "postgresql"])
def test_one_conversation_across_processes(light_model, store, tmp_path, monkeypatch):
    """Redis is configured on the command line; PostgreSQL through endpoints.yml with Rasa's keys and ${VAR}."""
    redis_url = need(REDIS_URL, "Redis")
    if store == "redis":
        options = ["--store", "redis", "--store-url", redis_url, "--event-stream", redis_url]
    else:
        monkeypatch.setenv("DK_TEST_PG_URL", need(POSTGRES_URL, "PostgreSQL"))
        endpoints = tmp_path / "endpoints.yml"
        endpoints.write_text("tracker_store:\n  type: sql\n  url: ${DK_TEST_PG_URL}\n"
                             f"lock_store:\n  type: redis\n  url: {redis_url}\n"
                             f"event_broker:\n  type: redis\n  url: {redis_url}\n", encoding="utf-8")
        options = ["--endpoints", str(endpoints)]
    ports = [free_port(), free_port()]
    procs = [launch(light_model, ports[0], *options, "--workers", "2"), launch(light_model, ports[1], *options)]
    try:
        wait_healthy(list(zip(procs, ports)))
        sender = f"multi-{store}-{uuid.uuid4().hex[:6]}"
        texts = [f"hello number {i}" for i in range(24)] + ["I want to book", "a table for [4]"]
        answers = hammer(ports, sender, texts)
        events = check_history(ports[1], sender, texts, answers)
        import redis

        stream = [
            json.loads(fields[b"event"])
            for _, fields in redis.Redis.from_url(redis_url).xrange("dialogkit:events")
            if fields[b"sender_id"].decode() == sender
        ]
        # every event, in order
        assert [(e["event"], e.get("text")) for e in stream] == [(e["event"], e.get("text")) for e in events]
    finally:
        stop(procs)


def test_a_killed_worker_loses_nothing_and_its_conversations_go_on(light_model):
    redis_url = need(REDIS_URL, "Redis")
    options = ["--store", "redis", "--store-url", redis_url]
    ports = [free_port(), free_port()]
    procs = [launch(light_model, p, *options) for p in ports]
    try:
        wait_healthy(list(zip(procs, ports)))
        sender = f"kill-{uuid.uuid4().hex[:6]}"
        first = [f"before {i}" for i in range(6)]
        answers = {
            t: [
                m.get("text")
                for m in httpx.post(
                    f"http://127.0.0.1:{ports[0]}/webhooks/rest/webhook",
                    json={"sender": sender, "message": t},
                    timeout=30,
                ).json()
            ]
            for t in first
        }
        os.killpg(procs[0].pid, signal.SIGKILL)
        procs[0].wait(timeout=10)
        after = [f"after {i}" for i in range(6)]
        answers.update(hammer([ports[1]], sender, after))
        check_history(ports[1], sender, first + after, answers)
    finally:
        stop(procs)


def test_workers_without_a_shared_store_are_refused(light_model, capsys):
    from dialogkit.framework.cli.main import main

    assert main(["serve", str(light_model), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "error DK801" in err and "shared tracker store" in err and "Traceback" not in err
