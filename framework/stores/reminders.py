"""Where reminders wait until they are due: an index beside each tracker store, so a reminder
survives a restart and fires once when several server processes share the store.

The conversation's events stay the truth (a reminder is a ``ReminderScheduled`` event; whether it
still fires is read from the events when it is due: :mod:`dialogkit.framework.runtime.reminders`);
the index only says *when* to look. Each entry is one reminder as it was set (its key holds the
conversation, the name and the time it was set), and :meth:`ReminderIndex.claim` removes it
atomically: of several processes that find it due, exactly one gets True and fires it.

- :class:`MemoryReminders`: a dict (the in-memory tracker store; lost with the process).
- :class:`SQLiteReminders`: a ``reminders`` table in the SQLite store's file.
- :class:`RedisReminders`: a sorted set of keys by due time and a hash of their bodies.
- :class:`SQLReminders`: a ``dialogkit_reminders`` table (PostgreSQL or any SQLAlchemy database).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Due", "MemoryReminders", "RedisReminders", "ReminderIndex", "SQLReminders", "SQLiteReminders"]


@dataclass(frozen=True)
class Due:
    """A reminder whose time has come: ``body`` is what was indexed (conversation, name, when it was set, channel)."""

    key: str
    due: float
    body: dict[str, Any]


class ReminderIndex(Protocol):
    def add(self, key: str, due: float, body: dict[str, Any]) -> None: ...

    def due(self, now: float, limit: int = 100) -> list[Due]: ...

    def claim(self, key: str) -> bool: ...

    def pending(self) -> int: ...


class MemoryReminders:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, due: float, body: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = (due, body)

    def due(self, now: float, limit: int = 100) -> list[Due]:
        with self._lock:
            ready = sorted((d, k, b) for k, (d, b) in self._entries.items() if d <= now)
        return [Due(k, d, b) for d, k, b in ready[:limit]]

    def claim(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def pending(self) -> int:
        return len(self._entries)


class SQLiteReminders:
    """``reminders(key, due, body)`` in the SQLite store's file, written through its connections."""

    def __init__(self, store: Any):
        self.store = store
        with store._conn() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS reminders (key TEXT PRIMARY KEY, due REAL NOT NULL, body TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS reminders_due ON reminders (due)")

    def add(self, key: str, due: float, body: dict[str, Any]) -> None:
        with self.store._conn() as db:
            db.execute(
                "INSERT OR REPLACE INTO reminders (key, due, body) VALUES (?, ?, ?)", (key, due, json.dumps(body))
            )

    def due(self, now: float, limit: int = 100) -> list[Due]:
        rows = self.store._connection().execute(
            "SELECT key, due, body FROM reminders WHERE due <= ? ORDER BY due LIMIT ?", (now, limit)
        ).fetchall()
        return [Due(k, d, json.loads(b)) for k, d, b in rows]

    def claim(self, key: str) -> bool:
        with self.store._conn() as db:
            return bool(db.execute("DELETE FROM reminders WHERE key = ?", (key,)).rowcount == 1)

    def pending(self) -> int:
        return int(self.store._connection().execute("SELECT COUNT(*) FROM reminders").fetchone()[0])


class RedisReminders:
    """``<prefix>reminders`` (a sorted set: key → due time) and ``<prefix>reminder_bodies`` (a hash)."""

    def __init__(self, client: Any, prefix: str):
        self.client, self.zset, self.bodies = client, f"{prefix}reminders", f"{prefix}reminder_bodies"

    def add(self, key: str, due: float, body: dict[str, Any]) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.bodies, key, json.dumps(body))
        pipe.zadd(self.zset, {key: due})
        pipe.execute()

    def due(self, now: float, limit: int = 100) -> list[Due]:
        found = self.client.zrangebyscore(self.zset, "-inf", now, start=0, num=limit, withscores=True)
        if not found:
            return []
        bodies = self.client.hmget(self.bodies, [k for k, _ in found])
        return [Due(k.decode(), float(d), json.loads(b)) for (k, d), b in zip(found, bodies, strict=True) if b]

    def claim(self, key: str) -> bool:
        if self.client.zrem(self.zset, key) != 1:  # atomic: one process removes it
            return False
        self.client.hdel(self.bodies, key)
        return True

    def pending(self) -> int:
        return int(self.client.zcard(self.zset))


class SQLReminders:
    """``dialogkit_reminders(key, due, body)``; the table is made with the store's others (:meth:`make_table`)."""

    def __init__(self, engine: Any, table: Any):
        import sqlalchemy as sa

        self.engine, self.table, self._sa = engine, table, sa

    @staticmethod
    def make_table(meta: Any) -> Any:
        import sqlalchemy as sa

        return sa.Table(
            "dialogkit_reminders", meta,
            sa.Column("key", sa.String(767), primary_key=True),
            sa.Column("due", sa.Float, nullable=False, index=True),
            sa.Column("body", sa.Text, nullable=False),
        )

    def add(self, key: str, due: float, body: dict[str, Any]) -> None:
        t = self.table
        with self.engine.begin() as db:
            db.execute(t.delete().where(t.c.key == key))
            db.execute(t.insert().values(key=key, due=due, body=json.dumps(body)))

    def due(self, now: float, limit: int = 100) -> list[Due]:
        t, sa = self.table, self._sa
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(t.c.key, t.c.due, t.c.body).where(t.c.due <= now).order_by(t.c.due).limit(limit)
            )
            return [Due(k, d, json.loads(b)) for k, d, b in rows]

    def claim(self, key: str) -> bool:
        t = self.table
        with self.engine.begin() as db:
            return bool(db.execute(t.delete().where(t.c.key == key)).rowcount == 1)

    def pending(self) -> int:
        t, sa = self.table, self._sa
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
