"""Overload is refused at once, not queued: past the bound of messages in flight, or after the
longest wait for a worker, a message gets 503 `overloaded` with Retry-After, and nothing of it
is kept (the client sends it again)."""

import asyncio
import threading

import anyio.to_thread
import httpx

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from dialogkit.framework.stores import InMemoryTrackerStore


class HeldAgent(Agent):
    """The restaurant bot, except that answering waits until the test lets it go."""

    release: threading.Event

    def handle(self, text, conversation_id="default", channel=None, metadata=None):
        self.release.wait(10)
        return super().handle(text, conversation_id, channel, metadata)


def held_agent(light_model):
    agent = Agent.load(light_model, store=InMemoryTrackerStore())
    agent.__class__ = HeldAgent
    agent.release = threading.Event()
    return agent


async def send_many(app, agent, senders, then_release_after=0.2):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async def one(sender):
            return await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hello"})

        tasks = [asyncio.create_task(one(s)) for s in senders]
        await asyncio.sleep(then_release_after)
        agent.release.set()
        answers = await asyncio.gather(*tasks)
        trackers = {s: (await client.get(f"/conversations/{s}/tracker")).status_code for s in senders}
    return answers, trackers


def test_past_the_bound_in_flight_a_message_gets_503_with_retry_after_and_leaves_no_trace(light_model):
    agent = held_agent(light_model)
    app = create_app(agent, max_in_flight=2, max_wait_ms=0)
    answers, trackers = asyncio.run(send_many(app, agent, [f"u{i}" for i in range(5)]))
    served = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 503]
    assert len(served) == 2 and len(refused) == 3
    for a in refused:
        assert a.headers["retry-after"] == "1"
        assert a.json()["error"] == "overloaded" and "send it again in 1 s" in a.json()["detail"]
    # the served conversations were answered and kept; the refused ones were never started
    assert sorted(trackers.values()) == [200, 200, 404, 404, 404]
    assert all(a.json()[0]["text"] for a in served)


def test_a_message_that_waited_too_long_for_a_worker_is_refused_unread(light_model):
    agent = held_agent(light_model)
    app = create_app(agent, max_in_flight=0, max_wait_ms=50)

    async def one_worker():
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1  # one worker thread: the second message waits
        return await send_many(app, agent, ["first", "second"], then_release_after=0.3)

    answers, trackers = asyncio.run(one_worker())
    assert [a.status_code for a in answers] == [200, 503]
    assert answers[1].headers["retry-after"] == "1" and "waited over 50 ms for a worker" in answers[1].json()["detail"]
    assert trackers == {"first": 200, "second": 404}


def test_health_and_reads_are_never_refused(light_model):
    agent = held_agent(light_model)
    app = create_app(agent, max_in_flight=1, max_wait_ms=0)

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            busy = asyncio.create_task(client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"}))
            await asyncio.sleep(0.1)
            health = await client.get("/health")
            version = await client.get("/version")
            agent.release.set()
            await busy
            return health.status_code, version.status_code

    assert asyncio.run(run()) == (200, 200)
