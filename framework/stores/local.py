"""Tracker stores: where conversations live between messages.

- :class:`InMemoryTrackerStore`: a dict; the default for the Python API.
- :class:`SQLiteTrackerStore`: one append-only ``events`` table in a SQLite file (WAL
  mode); the default for ``dialogkit serve``. Each ``save`` appends only the events the
  store has not seen and commits before the caller answers, so a killed server loses
  no acknowledged message.

A store implements ``get(conversation_id) -> Tracker | None`` (what the next turn needs),
``history(conversation_id)`` (every event, for the tracker API), ``save(tracker)`` and
``keys()``; Redis or PostgreSQL stores plug in with the same methods. The SQLite store keeps
each cached conversation to a window of recent events (the state of older ones folded into
the tracker's base), so a long conversation costs bounded memory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter

from framework.stores.shared import StoreConflict, mark_stored, stored_events
from framework.tracker import Event, Tracker

__all__ = ["InMemoryTrackerStore", "SQLiteTrackerStore", "TrackerStore"]

_EVENT = TypeAdapter(Event)


class TrackerStore(Protocol):
    def get(self, conversation_id: str) -> Tracker | None: ...

    def history(self, conversation_id: str) -> Tracker | None: ...

    def save(self, tracker: Tracker) -> None: ...

    def keys(self) -> Iterable[str]: ...


class InMemoryTrackerStore:
    """Trackers in a dict; the default for the Python API."""

    def __init__(self) -> None:
        self._trackers: dict[str, Tracker] = {}

    def get(self, conversation_id: str) -> Tracker | None:
        return self._trackers.get(conversation_id)

    def history(self, conversation_id: str) -> Tracker | None:
        return self._trackers.get(conversation_id)  # the store is this memory: nothing is ever dropped

    def save(self, tracker: Tracker) -> None:
        self._trackers[tracker.conversation_id] = tracker

    def keys(self) -> Iterable[str]:
        return list(self._trackers)


class SQLiteTrackerStore:
    """Events in SQLite: ``conversations(id, initial_slots)`` and ``events(conversation_id, seq, body)``.

    Trackers this process has read or written are kept in a small LRU cache, so a
    message costs one indexed query for newer events and one append, not a re-read of
    the whole conversation; writes are compare-and-append on ``(conversation_id, seq)``.
    """

    def __init__(self, path: str | Path, cache_size: int = 10_000, window: int = 200):
        self.path = str(path)
        self.cache_size = cache_size
        self.window = window  # events of a cached conversation kept in memory
        self._cache: OrderedDict[str, Tracker] = OrderedDict()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        with self._conn() as db:
            db.execute("CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, initial_slots TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS events (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (conversation_id, seq))")

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode: a lone SELECT reads a WAL snapshot
        without taking the write lock."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
            self._local.conn = conn
        return conn

    def _conn(self) -> _Tx:
        return _Tx(self._connection())

    def get(self, conversation_id: str) -> Tracker | None:
        with self._lock:
            tracker = self._cache.get(conversation_id)
        if tracker is None:
            tracker = self.history(conversation_id)
            if tracker is None:
                return None
        else:  # events another process added since (one indexed read, no write lock): never stale
            rows = self._connection().execute("SELECT body FROM events WHERE conversation_id = ? AND seq >= ? ORDER BY seq", (conversation_id, stored_events(tracker))).fetchall()
            tracker.events.extend(_EVENT.validate_json(body) for (body,) in rows)
        self._remember(tracker)
        return tracker

    def history(self, conversation_id: str) -> Tracker | None:
        """The whole conversation as stored (not cached, not windowed)."""
        with _Tx(self._connection(), write=False) as db:  # one snapshot for both reads
            row = db.execute("SELECT initial_slots FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                return None
            rows = db.execute("SELECT body FROM events WHERE conversation_id = ? ORDER BY seq", (conversation_id,)).fetchall()
        return Tracker(conversation_id, json.loads(row[0]), [_EVENT.validate_json(body) for (body,) in rows])

    def _remember(self, tracker: Tracker) -> None:
        mark_stored(tracker)
        tracker.compact(self.window)  # only ever after its events are safely stored
        with self._lock:
            self._cache[tracker.conversation_id] = tracker
            self._cache.move_to_end(tracker.conversation_id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def save(self, tracker: Tracker) -> None:
        cid = tracker.conversation_id
        start = stored_events(tracker)
        try:
            with self._conn() as db:
                db.execute("INSERT OR IGNORE INTO conversations (id, initial_slots) VALUES (?, ?)", (cid, json.dumps(tracker.initial_slots)))
                db.executemany(
                    "INSERT INTO events (conversation_id, seq, body) VALUES (?, ?, ?)",
                    [(cid, start + i, e.model_dump_json()) for i, e in enumerate(tracker.events[start - tracker.offset:])],
                )
        except sqlite3.IntegrityError:  # those sequence numbers were written by another process first
            with self._lock:
                self._cache.pop(cid, None)
            raise StoreConflict.of(cid, start, -1) from None
        self._remember(tracker)

    def keys(self) -> Iterable[str]:
        with self._conn() as db:
            return [r[0] for r in db.execute("SELECT id FROM conversations ORDER BY id")]


class _Tx:
    """``with store._conn() as db:`` runs the block in one transaction (a write transaction
    from the start, or with ``write=False`` a read snapshot that takes no lock)."""

    def __init__(self, conn: sqlite3.Connection, write: bool = True):
        self.conn, self.write = conn, write

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
