"""Reminders with `dialogkit serve` as real processes: one set before a restart fires after it, on
time; with two server processes on one Redis store, each reminder fires once, on time."""

import time
import uuid
from datetime import datetime

import httpx
import pytest

from tests.framework.test_reminders import reminder_model  # noqa: F401 - the fixture
from tests.framework.test_serve_process import free_port, launch, wait_healthy
from tests.framework.test_stores import REDIS_URL, need

pytestmark = pytest.mark.slow

ON_TIME = 1.0  # seconds either side of the reminder's time


def post(port, sender, text, **metadata):
    r = httpx.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                   json={"sender": sender, "message": text, "metadata": metadata}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def due_at(port, sender):
    """When the reminder ``sender``'s action set is due (its `date_time`, the server's local time)."""
    r = httpx.get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker", timeout=10)
    (reminder,) = [e for e in r.json()["events"] if e["event"] == "reminder"]
    return datetime.fromisoformat(reminder["date_time"]).timestamp()


def fired_at(port, sender):
    """When each reminder of ``sender`` fired: the times of its `EXTERNAL: reminder_due` messages."""
    r = httpx.get(f"http://127.0.0.1:{port}/conversations/{sender}/tracker", timeout=10)
    return [e["timestamp"] for e in r.json()["events"]
            if e["event"] == "user" and e["text"] == "EXTERNAL: reminder_due"]


def wait_for(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not condition():
        time.sleep(0.2)
    return condition()


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=15)


def test_a_reminder_set_before_a_restart_fires_after_it_on_time(reminder_model, tmp_path):  # noqa: F811
    store = tmp_path / "t.sqlite"
    port = free_port()
    proc = launch(reminder_model, port, "--store-path", str(store))
    wait_healthy([(proc, port)])
    try:
        assert post(port, "r1", "remind me later", seconds=6)[0]["text"] == "I'll remind you."
        due = due_at(port, "r1")
    finally:
        stop([proc])
    assert time.time() < due - 1, "the server took too long to stop for this test"
    port = free_port()
    proc = launch(reminder_model, port, "--store-path", str(store))
    wait_healthy([(proc, port)])
    try:
        assert wait_for(lambda: fired_at(port, "r1"), due - time.time() + 5)
        time.sleep(1)  # nothing more comes
        (at,) = fired_at(port, "r1")
        assert abs(at - due) <= ON_TIME, at - due
    finally:
        stop([proc])


def test_two_server_processes_fire_each_reminder_once(reminder_model, tmp_path):  # noqa: F811
    redis_url = need(REDIS_URL, "Redis")
    endpoints = tmp_path / "endpoints.yml"
    prefix = f"dk-remind-{uuid.uuid4().hex[:8]}:"  # this test's reminders only
    endpoints.write_text(f"tracker_store:\n  type: redis\n  url: {redis_url}\n  key_prefix: '{prefix}'\n"
                         f"lock_store:\n  type: redis\n  url: {redis_url}\n", encoding="utf-8")
    ports = [free_port(), free_port()]
    procs = [launch(reminder_model, p, "--endpoints", str(endpoints)) for p in ports]
    try:
        wait_healthy(list(zip(procs, ports)))
        dues = {}
        for i in range(6):
            sender = f"two-{i}"
            post(ports[i % 2], sender, "remind me later", seconds=3)
            dues[sender] = due_at(ports[i % 2], sender)
        assert wait_for(lambda: all(fired_at(ports[0], s) for s in dues), 10)
        time.sleep(1.5)  # a second firing would have come by now
        for sender, due in dues.items():
            times = fired_at(ports[1], sender)
            assert len(times) == 1, (sender, times)
            assert abs(times[0] - due) <= ON_TIME, (sender, times[0] - due)
    finally:
        stop(procs)
