"""Tracker stores several server processes can share: Redis (redis-py) and SQL (SQLAlchemy:
PostgreSQL through psycopg, or any other database SQLAlchemy speaks); the SQLite store of
:mod:`dialogkit.framework.stores.local` is a backend of the same base.

They keep a conversation as an append-only list of events and share one set of rules, in
:class:`SharedTrackerStore`:

- **never stale**: a cached tracker is only a starting point; every ``get`` asks the store
  for the events after the ones cached (one round trip) and appends them, so a
  conversation that another process moved on is always read as it is now;
- **compare-and-append**: ``save`` appends the new events only if the store still holds
  exactly the events this tracker was read with, in one atomic step (a Lua script in
  Redis, the ``(conversation, seq)`` primary key in SQL). Two processes can therefore
  never interleave or duplicate a conversation's events, even if a lock expired under a
  slow turn: the late writer gets :class:`StoreConflict` and its turn is rolled back;
- **bounded memory**: the cache holds at most ``cache_size`` conversations, each compacted
  to its last ``window`` events (the state of older ones folded into the tracker's base).
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter

from ..errors import DialogkitError, message
from ..runtime.tracker import Event, Tracker
from .reminders import RedisReminders, SQLReminders

__all__ = [
    "RedisTrackerStore",
    "SQLTrackerStore",
    "SharedTrackerStore",
    "StoreConflict",
    "mark_stored",
    "stored_events",
]

_EVENT = TypeAdapter(Event)


class StoreConflict(DialogkitError):
    """Another process appended to the conversation since this one read it (its turn is rolled back)."""

    @classmethod
    def of(cls, conversation_id: str, expected: int, found: int) -> StoreConflict:
        return cls(message("DK802", conversation_id=conversation_id, expected=expected, found=found))


class SharedTrackerStore(ABC):
    """The cache, window and compare-and-append rules; subclasses read and append events."""

    def __init__(self, cache_size: int = 10_000, window: int = 200):
        self.cache_size, self.window = cache_size, window
        self._cache: OrderedDict[str, Tracker] = OrderedDict()
        self._lock = threading.Lock()

    # --- what a backend provides -----------------------------------------------------------

    @abstractmethod
    def _read(
        self, conversation_id: str, start: int, with_initial: bool
    ) -> tuple[dict[str, Any] | None, list[str]] | None:
        """Initial slots (when asked) and the JSON of events ``start..``; None for an unknown conversation."""

    @abstractmethod
    def _append(self, conversation_id: str, initial_slots: dict[str, Any], start: int, bodies: list[str]) -> None:
        """Append ``bodies`` as events ``start..`` if the store holds exactly ``start`` events, else raise
        StoreConflict."""

    @abstractmethod
    def keys(self) -> Iterable[str]: ...

    # --- the store protocol --------------------------------------------------------------

    def get(self, conversation_id: str) -> Tracker | None:
        with self._lock:
            tracker = self._cache.get(conversation_id)
        if tracker is None:
            tracker = self.history(conversation_id)
            if tracker is None:
                return None
        else:
            found = self._read(conversation_id, stored_events(tracker), with_initial=False)
            # what other processes added: never stale
            tracker.events.extend(_EVENT.validate_json(b) for b in (found[1] if found else []))
        self._remember(tracker)
        return tracker

    def history(self, conversation_id: str) -> Tracker | None:
        found = self._read(conversation_id, 0, with_initial=True)
        if found is None:
            return None
        initial, bodies = found
        return Tracker(conversation_id, dict(initial or {}), [_EVENT.validate_json(b) for b in bodies])

    def save(self, tracker: Tracker) -> None:
        cid = tracker.conversation_id
        stored = stored_events(tracker)
        new = tracker.events[stored - tracker.offset:]
        if new:
            try:
                self._append(cid, tracker.initial_slots, stored, [e.model_dump_json() for e in new])
            except StoreConflict:
                with self._lock:
                    self._cache.pop(cid, None)  # re-read it next time
                raise
        self._remember(tracker)

    def _remember(self, tracker: Tracker) -> None:
        mark_stored(tracker)
        tracker.compact(self.window)
        with self._lock:
            self._cache[tracker.conversation_id] = tracker
            self._cache.move_to_end(tracker.conversation_id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


_STORED = "_events_stored"  # on a tracker: how many of its events (offset included) the store holds


def stored_events(tracker: Tracker) -> int:
    """Events of ``tracker`` its store holds: all it was read or last saved with; none for a new one."""
    return int(tracker.__dict__.get(_STORED, 0))


def mark_stored(tracker: Tracker) -> None:
    """Record that the store now holds every event of ``tracker``."""
    tracker.__dict__[_STORED] = tracker.offset + len(tracker.events)


# --- Redis ------------------------------------------------------------------------------

# KEYS: events list, initial-slots key, conversation set; ARGV: expected length, initial slots, id, events...
_APPEND = """
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return -1 - n end
if n == 0 then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[3])
end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return n + #ARGV - 3
"""


class RedisTrackerStore(SharedTrackerStore):
    """Events in a Redis list per conversation (``<prefix><id>:events``), appended by a Lua script."""

    def __init__(self, client: Any, key_prefix: str = "dialogkit:", **kwargs: Any):
        super().__init__(**kwargs)
        self.client, self.prefix = client, key_prefix
        self._append_script = client.register_script(_APPEND)
        self.reminders = RedisReminders(client, key_prefix)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisTrackerStore:
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    def _keys(self, cid: str) -> list[str]:
        return [f"{self.prefix}{cid}:events", f"{self.prefix}{cid}:initial", f"{self.prefix}conversations"]

    def _read(
        self, conversation_id: str, start: int, with_initial: bool
    ) -> tuple[dict[str, Any] | None, list[str]] | None:
        events_key, initial_key, _ = self._keys(conversation_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.get(initial_key)
        pipe.lrange(events_key, start, -1)
        initial, bodies = pipe.execute()
        if initial is None:
            return None
        return (json.loads(initial) if with_initial else None), [b.decode() for b in bodies]

    def _append(self, conversation_id: str, initial_slots: dict[str, Any], start: int, bodies: list[str]) -> None:
        result = int(
            self._append_script(
                keys=self._keys(conversation_id), args=[start, json.dumps(initial_slots), conversation_id, *bodies]
            )
        )
        if result < 0:
            raise StoreConflict.of(conversation_id, start, -1 - result)

    def keys(self) -> Iterable[str]:
        return sorted(k.decode() for k in self.client.smembers(f"{self.prefix}conversations"))


# --- SQL --------------------------------------------------------------------------------


_SCHEMA_LOCK = 0x646B5F7363686D  # the advisory lock taken while the tables are created ("dk_schm")


class SQLTrackerStore(SharedTrackerStore):
    """Events in ``dialogkit_events(conversation_id, seq, body)``, primary key ``(conversation_id, seq)``."""

    def __init__(self, url: str, **kwargs: Any):
        import sqlalchemy as sa

        super().__init__(**kwargs)
        self.engine = (
            sa.create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
            if not url.startswith("sqlite")
            else sa.create_engine(url)
        )
        meta = sa.MetaData()
        self.conversations = sa.Table(
            "dialogkit_conversations",
            meta,
            sa.Column("id", sa.String(255), primary_key=True),
            sa.Column("initial_slots", sa.Text, nullable=False),
        )
        self.events = sa.Table(
            "dialogkit_events", meta,
            sa.Column("conversation_id", sa.String(255), primary_key=True),
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("body", sa.Text, nullable=False),
        )
        self.reminders = SQLReminders(self.engine, SQLReminders.make_table(meta))
        with self.engine.begin() as db:
            if db.dialect.name == "postgresql":
                # several processes may start together: create_all checks, then creates, so two
                # could both create (UniqueViolation on pg_type); one at a time, until commit
                db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            meta.create_all(db)  # IF NOT EXISTS
        self._sa = sa

    def _read(
        self, conversation_id: str, start: int, with_initial: bool
    ) -> tuple[dict[str, Any] | None, list[str]] | None:
        sa, c, e = self._sa, self.conversations, self.events
        with self.engine.connect() as db:
            if with_initial or start == 0:
                row = db.execute(sa.select(c.c.initial_slots).where(c.c.id == conversation_id)).first()
                if row is None:
                    return None
                initial = json.loads(row[0])
            else:
                initial = None
            bodies = (
                db.execute(
                    sa.select(e.c.body)
                    .where(e.c.conversation_id == conversation_id, e.c.seq >= start)
                    .order_by(e.c.seq)
                )
                .scalars()
                .all()
            )
        return initial, list(bodies)

    def _append(self, conversation_id: str, initial_slots: dict[str, Any], start: int, bodies: list[str]) -> None:
        sa, c, e = self._sa, self.conversations, self.events
        try:
            with self.engine.begin() as db:
                if start == 0:
                    db.execute(c.insert().values(id=conversation_id, initial_slots=json.dumps(initial_slots)))
                else:
                    count = db.execute(
                        sa.select(sa.func.count())
                        .select_from(e)
                        .where(e.c.conversation_id == conversation_id, e.c.seq >= start)
                    ).scalar()
                    if count:
                        raise StoreConflict.of(conversation_id, start, start + count)
                db.execute(
                    e.insert(),
                    [{"conversation_id": conversation_id, "seq": start + i, "body": b} for i, b in enumerate(bodies)],
                )
        except sa.exc.IntegrityError:  # another process wrote these sequence numbers first
            raise StoreConflict.of(conversation_id, start, -1) from None

    def keys(self) -> Iterable[str]:
        with self.engine.connect() as db:
            return list(
                db.execute(self._sa.select(self.conversations.c.id).order_by(self.conversations.c.id)).scalars()
            )
