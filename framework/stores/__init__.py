"""Where conversations live between messages, and how processes share them.

- :mod:`dialogkit.framework.stores.local`: in memory (the Python API's default) and SQLite (one
  server process; ``dialogkit serve``'s default).
- :mod:`dialogkit.framework.stores.shared`: Redis and SQL (PostgreSQL), for several processes:
  never-stale caches and compare-and-append writes.
- :mod:`dialogkit.framework.stores.locks`: per-conversation locks, in-process or in Redis.
- :mod:`dialogkit.framework.stores.events`: every event on a Redis Stream for analytics.
- :mod:`dialogkit.framework.stores.config`: all of it from ``endpoints.yml`` (Rasa's keys).

Shared stores and the Redis pieces import their client libraries (redis-py, SQLAlchemy)
only when used.
"""

from .local import InMemoryTrackerStore, SQLiteTrackerStore, TrackerStore
from .locks import InProcessLockStore, LockStore, LockTimeout

__all__ = [
    "InMemoryTrackerStore",
    "InProcessLockStore",
    "LockStore",
    "LockTimeout",
    "SQLiteTrackerStore",
    "TrackerStore",
]
