"""Tracker stores: where conversations live between messages.

- :class:`InMemoryTrackerStore`: a dict; the default for the Python API.
- :class:`SQLiteTrackerStore`: one append-only ``events`` table in a SQLite file (WAL
  mode); the default for ``dialogkit serve``. Each ``save`` appends only the events the
  store has not seen and commits before the caller answers, so a killed server loses
  no acknowledged message.

A store implements ``get(conversation_id) -> Tracker | None`` (what the next turn needs),
``history(conversation_id)`` (every event, for the tracker API), ``save(tracker)`` and
``keys()``, and ``reminders`` (where reminders wait: :mod:`.reminders`; a store without it
cannot keep reminders); Redis or PostgreSQL stores plug in with the same methods. The SQLite store keeps
each cached conversation to a window of recent events (the state of older ones folded into
the tracker's base), so a long conversation costs bounded memory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..runtime.tracker import Tracker
from .reminders import MemoryReminders, SQLiteReminders
from .shared import SharedTrackerStore, StoreConflict

__all__ = ["InMemoryTrackerStore", "SQLiteTrackerStore", "TrackerStore"]


class TrackerStore(Protocol):
    def get(self, conversation_id: str) -> Tracker | None: ...

    def history(self, conversation_id: str) -> Tracker | None: ...

    def save(self, tracker: Tracker) -> None: ...

    def keys(self) -> Iterable[str]: ...


class InMemoryTrackerStore:
    """Trackers in a dict; the default for the Python API."""

    def __init__(self) -> None:
        self._trackers: dict[str, Tracker] = {}
        self.reminders = MemoryReminders()

    def get(self, conversation_id: str) -> Tracker | None:
        return self._trackers.get(conversation_id)

    def history(self, conversation_id: str) -> Tracker | None:
        return self._trackers.get(conversation_id)  # the store is this memory: nothing is ever dropped

    def save(self, tracker: Tracker) -> None:
        self._trackers[tracker.conversation_id] = tracker

    def keys(self) -> Iterable[str]:
        return list(self._trackers)


class SQLiteTrackerStore(SharedTrackerStore):
    """Events in SQLite: ``conversations(id, initial_slots)`` and ``events(conversation_id, seq, body)``.

    Trackers this process has read or written are kept in a small LRU cache, so a
    message costs one indexed read for newer events and one append, not a re-read of
    the whole conversation; writes are compare-and-append on ``(conversation_id, seq)``
    (the rules of :class:`~framework.stores.shared.SharedTrackerStore`).
    """

    def __init__(self, path: str | Path, cache_size: int = 10_000, window: int = 200):
        super().__init__(cache_size=cache_size, window=window)
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # one writer at a time in this process: threads queue on a lock that wakes the next one
        # when the transaction ends, instead of SQLite's busy handler, which polls with sleeps of
        # up to 100 ms (other processes' writers still wait on SQLite's lock, up to ``timeout``)
        self._write_lock = threading.Lock()
        with self._conn() as db:
            db.execute("CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, initial_slots TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS events (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT "
                "NOT NULL, PRIMARY KEY (conversation_id, seq))"
            )
        self.reminders = SQLiteReminders(self)

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
        return _Tx(self._connection(), lock=self._write_lock)

    def _read(
        self, conversation_id: str, start: int, with_initial: bool
    ) -> tuple[dict[str, Any] | None, list[str]] | None:
        if not with_initial:  # the never-stale check on every message: one indexed read, no write lock
            rows = (
                self._connection()
                .execute(
                    "SELECT body FROM events WHERE conversation_id = ? AND seq >= ? ORDER BY seq",
                    (conversation_id, start),
                )
                .fetchall()
            )
            return None, [body for (body,) in rows]
        with _Tx(self._connection(), write=False) as db:  # one snapshot for both reads
            row = db.execute("SELECT initial_slots FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                return None
            rows = db.execute(
                "SELECT body FROM events WHERE conversation_id = ? AND seq >= ? ORDER BY seq", (conversation_id, start)
            ).fetchall()
        return json.loads(row[0]), [body for (body,) in rows]

    def _append(self, conversation_id: str, initial_slots: dict[str, Any], start: int, bodies: list[str]) -> None:
        try:
            with self._conn() as db:
                db.execute(
                    "INSERT OR IGNORE INTO conversations (id, initial_slots) VALUES (?, ?)",
                    (conversation_id, json.dumps(initial_slots)),
                )
                db.executemany(
                    "INSERT INTO events (conversation_id, seq, body) VALUES (?, ?, ?)",
                    [(conversation_id, start + i, b) for i, b in enumerate(bodies)],
                )
        except sqlite3.IntegrityError:  # those sequence numbers were written by another process first
            raise StoreConflict.of(conversation_id, start, -1) from None

    def keys(self) -> Iterable[str]:
        with self._conn() as db:
            return [r[0] for r in db.execute("SELECT id FROM conversations ORDER BY id")]


class _Tx:
    """``with store._conn() as db:`` runs the block in one transaction (a write transaction
    from the start, holding ``lock`` while it lasts, or with ``write=False`` a read snapshot
    that takes no lock)."""

    def __init__(self, conn: sqlite3.Connection, write: bool = True, lock: threading.Lock | None = None):
        self.conn, self.write = conn, write
        self.lock = lock if write else None

    def __enter__(self) -> sqlite3.Connection:
        if self.lock is not None:
            self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        except BaseException:
            if self.lock is not None:
                self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            if self.lock is not None:
                self.lock.release()
