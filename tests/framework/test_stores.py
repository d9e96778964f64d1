"""One contract for every tracker store: memory, SQLite, Redis and PostgreSQL (and SQL on SQLite).

Redis and PostgreSQL come from `make services` (.ci/services.sh), which `make test` and CI
run; without them these cases are skipped locally, and fail when DIALOGKIT_REQUIRE_SERVICES
is set (as `make test` does), so CI never skips a store.
"""

import os
import threading
import uuid

import pytest

from dialogkit.framework.runtime.tracker import FlowStarted, SessionStarted, SlotSet, Tracker, UserUttered
from dialogkit.framework.stores import InMemoryTrackerStore, InProcessLockStore, SQLiteTrackerStore

REDIS_URL = os.environ.get("DIALOGKIT_TEST_REDIS_URL")
POSTGRES_URL = os.environ.get("DIALOGKIT_TEST_POSTGRES_URL")


def need(url, what):
    if url:
        return url
    if os.environ.get("DIALOGKIT_REQUIRE_SERVICES"):
        pytest.fail(f"{what} is required here (DIALOGKIT_REQUIRE_SERVICES): run `make services`")
    pytest.skip(f"{what} not running: `make services` starts it")


@pytest.fixture(params=["memory", "sqlite", "redis", "postgresql", "sql-sqlite"])
def backend(request, tmp_path):
    """A factory of store instances over one backend: each call is like another process."""
    kind = request.param
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    if kind == "memory":
        shared = InMemoryTrackerStore()
        return kind, lambda **kw: shared
    if kind == "sqlite":
        return kind, lambda **kw: SQLiteTrackerStore(tmp_path / "t.sqlite", **kw)
    if kind == "redis":
        from dialogkit.framework.stores.shared import RedisTrackerStore

        url = need(REDIS_URL, "Redis")
        return kind, lambda **kw: RedisTrackerStore.from_url(url, key_prefix=prefix, **kw)
    from dialogkit.framework.stores.shared import SQLTrackerStore

    url = need(POSTGRES_URL, "PostgreSQL") if kind == "postgresql" else f"sqlite:///{tmp_path / 'sql.db'}"
    return kind, lambda **kw: SQLTrackerStore(url, **kw)


def cid():
    return f"c-{uuid.uuid4().hex[:10]}/ü"  # any id: slashes, non-ASCII


def turn(tracker, text, **slots):
    tracker.add(UserUttered(text=text, parse={"intent": {"name": "inform"}}))
    for k, v in slots.items():
        tracker.add(SlotSet(name=k, value=v))


def test_round_trip_append_only_and_keys(backend):
    kind, make = backend
    a, c = make(), cid()
    assert a.get(c) is None and a.history(c) is None
    t = Tracker(c, {"size": None})
    t.add(SessionStarted())
    turn(t, "hi ✓ 你好", size=3)
    a.save(t)
    turn(t, "again", size={"nested": [1, 2.5, None, "x"]})
    t.add(FlowStarted(flow="book"))
    a.save(t)
    other = make()  # another process
    got = other.get(c)
    assert [e.model_dump(mode="json") for e in got.events] == [e.model_dump(mode="json") for e in t.events]
    assert got.slots == {"size": {"nested": [1, 2.5, None, "x"]}} and got.active_flow == "book"
    assert got.initial_slots == {"size": None}
    assert c in list(other.keys())
    assert len(other.history(c).events) == len(t.events)


def test_never_serves_a_stale_tracker(backend):
    kind, make = backend
    a, b, c = make(), make(), cid()
    t = Tracker(c)
    turn(t, "one")
    a.save(t)
    assert len(a.get(c).events) == 1  # cached in a
    tb = b.get(c)
    turn(tb, "two", n=2)
    b.save(tb)
    seen = a.get(c)  # a must see what b wrote
    assert [e.text for e in seen.events if e.event == "user"] == ["one", "two"] and seen.slots["n"] == 2
    turn(seen, "three")
    a.save(seen)
    assert [e.text for e in make().history(c).events if e.event == "user"] == ["one", "two", "three"]


def test_two_writers_never_interleave(backend):
    """Both read the conversation; the first to save wins, the second is refused (shared stores)."""
    kind, make = backend
    if kind == "memory":
        pytest.skip("one process's memory: the agent's in-process lock serialises writers")
    from dialogkit.framework.stores.shared import StoreConflict

    a, b, c = make(), make(), cid()
    t = Tracker(c)
    turn(t, "start")
    a.save(t)
    ta, tb = a.get(c), b.get(c)
    turn(ta, "from a")
    turn(tb, "from b")
    a.save(ta)
    with pytest.raises(StoreConflict) as e:
        b.save(tb)
    assert e.value.codes == ["DK802"]
    assert [e.text for e in make().history(c).events if e.event == "user"] == ["start", "from a"]
    fresh = b.get(c)  # b re-reads and goes on
    turn(fresh, "from b again")
    b.save(fresh)
    assert [e.text for e in make().history(c).events if e.event == "user"] == ["start", "from a", "from b again"]


def test_threads_of_one_process_write_sqlite_together(tmp_path):
    """A server's worker threads share one SQLite store: their writes queue in the process (not
    on SQLite's sleeping busy handler), and every turn of every conversation lands, in order."""
    import threading

    store = SQLiteTrackerStore(tmp_path / "t.sqlite")
    ids = [cid() for _ in range(12)]

    def talk(c):
        for i in range(15):
            t = store.get(c) or Tracker(c)
            turn(t, f"m{i}")
            store.save(t)

    threads = [threading.Thread(target=talk, args=(c,)) for c in ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    fresh = SQLiteTrackerStore(tmp_path / "t.sqlite")
    assert all(
        [e.text for e in fresh.history(c).events if e.event == "user"] == [f"m{i}" for i in range(15)] for c in ids
    )
    assert not store._write_lock.locked()


def test_cached_conversations_are_windowed(backend):
    kind, make = backend
    if kind == "memory":
        pytest.skip("the in-memory store is the memory: it keeps everything")
    a, c = make(window=10), cid()
    t = Tracker(c)
    for i in range(30):
        turn(t, f"m{i}", n=i)
        a.save(t)
    cached = a.get(c)
    # 5 turns: what `/back` may reach (BACK_REACH) and cached.latest_message.text == "m29"
    assert len(cached.events) == 10 and cached.slots["n"] == 29
    turn(cached, "after", n=99)
    a.save(cached)
    full = make().history(c)
    assert len(full.events) == 62 and full.slots["n"] == 99


def test_in_process_lock_forgets_idle_conversations():
    locks = InProcessLockStore()
    order = []

    def work(i):
        with locks.lock("same"):
            order.append(("in", i))
            order.append(("out", i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(order[k][0] == "in" and order[k + 1] == ("out", order[k][1]) for k in range(0, 40, 2))
    assert locks._locks == {}


def test_redis_lock_serialises_and_expires():
    import time

    from dialogkit.framework.stores.locks import LockTimeout, RedisLockStore

    url = need(REDIS_URL, "Redis")
    prefix = f"lock-{uuid.uuid4().hex[:8]}:"
    a = RedisLockStore.from_url(url, key_prefix=prefix, lifetime=0.5, wait=0.2)
    b = RedisLockStore.from_url(url, key_prefix=prefix, lifetime=0.5, wait=2)
    with a.lock("c"):
        with pytest.raises(LockTimeout):  # held by a
            with RedisLockStore.from_url(url, key_prefix=prefix, wait=0.1).lock("c"):
                pass
    with b.lock("c"):  # released: free at once
        pass
    # a process that dies holding the lock (never releases) blocks the conversation only until expiry
    a.client.set(prefix + "c", "dead-process", px=500)
    t0 = time.monotonic()
    with b.lock("c"):
        waited = time.monotonic() - t0
    assert 0.2 < waited < 1.5
    # releasing never frees a lock someone else holds now
    a.client.set(prefix + "d", "other", px=5000)
    a._release(keys=[prefix + "d"], args=["not-mine"])
    assert a.client.get(prefix + "d") == b"other"


def test_agent_runs_a_turn_again_after_a_conflict(tmp_path):
    """A conflict means nothing of the turn was kept: the agent re-reads the conversation and
    runs the message once more, so the user's message is neither lost nor doubled."""
    from dialogkit.framework.stores.shared import StoreConflict
    from tests.components.dm.test_action_failures import make_agent

    class Conflicting(InMemoryTrackerStore):
        conflicts = 1

        def save(self, tracker):
            if self.conflicts:
                self.conflicts -= 1
                raise StoreConflict.of(tracker.conversation_id, 0, 1)
            super().save(tracker)

    agent = make_agent("tests.components.dm.test_action_failures:ok_action")
    agent.store = Conflicting()
    assert [m["text"] for m in agent.handle("/greet", "c")] == ["utter_hi"]
    assert [e.text for e in agent.tracker("c").events if e.event == "user"] == ["/greet"]


def test_stores_from_endpoints_yml_with_rasas_keys(tmp_path, monkeypatch):
    from dialogkit.framework.stores.config import create_lock_store, create_tracker_store, load_store_settings
    from dialogkit.framework.stores.locks import RedisLockStore
    from dialogkit.framework.stores.shared import RedisTrackerStore, SQLTrackerStore

    url = need(REDIS_URL, "Redis")
    host, port_db = url.split("://")[1].split(":")
    port, db = port_db.split("/")
    monkeypatch.setenv("DK_TEST_REDIS_HOST", host)
    ep = tmp_path / "endpoints.yml"
    ep.write_text(
        f"tracker_store:\n  type: redis\n  url: ${{DK_TEST_REDIS_HOST}}\n  port: {port}\n  db: {db}\n  key_prefix: "
        f"'ep-{uuid.uuid4().hex[:6]}:'\n"
        f"lock_store:\n  type: redis\n  url: {host}\n  port: {port}\n  lock_lifetime: 5\n",
        encoding="utf-8",
    )
    settings = load_store_settings(ep)
    assert settings.shared
    store, where = create_tracker_store(settings.tracker_store)
    assert isinstance(store, RedisTrackerStore) and where.startswith("redis redis://")
    lock = create_lock_store(settings.lock_store)
    assert isinstance(lock, RedisLockStore) and lock.lifetime == 5
    t = Tracker(cid())
    turn(t, "via endpoints")
    store.save(t)
    assert store.get(t.conversation_id).latest_message.text == "via endpoints"
    sql = tmp_path / "sql.yml"
    sql.write_text(f"tracker_store:\n  type: sql\n  dialect: sqlite\n  db: {tmp_path / 'x.db'}\n", encoding="utf-8")
    store, _ = create_tracker_store(load_store_settings(sql).tracker_store)
    assert isinstance(store, SQLTrackerStore)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tracker_store:\n  type: mongod\n", "type 'mongod' is not supported"),
        ("tracker_store:\n  type: redis\n  hots: x\n", "unknown key(s) hots"),
        (
            "lock_store:\n  type: redis\n  url: ${DK_NO_SUCH_VARIABLE}\n",
            "environment variable DK_NO_SUCH_VARIABLE is not set",
        ),
        ("event_broker: redis\n", "must be a mapping"),
    ],
)
def test_bad_store_settings_are_located_errors(tmp_path, text, expected):
    from dialogkit.framework.errors import DialogkitError
    from dialogkit.framework.stores.config import load_store_settings

    ep = tmp_path / "endpoints.yml"
    ep.write_text(text, encoding="utf-8")
    with pytest.raises(DialogkitError) as e:
        load_store_settings(ep)
    assert e.value.codes == ["DK801"] and expected in str(e.value) and f"{ep}:" in str(e.value)
