"""Per-conversation locks, so one conversation's messages are handled one at a time.

- :class:`InProcessLockStore`: a ``threading.Lock`` per conversation (one server process).
- :class:`RedisLockStore`: a lock in Redis shared by every process (``SET key token NX PX``
  to acquire, a compare-and-delete script to release, so a process only ever frees its
  own lock). Each lock expires after ``lifetime`` seconds (10): a process that dies holding
  one blocks its conversation for that long at most; a message waits up to ``wait`` (20 s). A turn that outlives its
  lock cannot
  corrupt the conversation either: the shared tracker stores append with
  compare-and-append (:mod:`dialogkit.framework.stores.shared`), so the late writer's turn is
  refused and rolled back instead of interleaving with the next holder's.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

from ..errors import DialogkitError, message

__all__ = ["InProcessLockStore", "LockStore", "LockTimeout", "RedisLockStore"]


class LockTimeout(DialogkitError):
    """A conversation stayed locked by another message for too long."""


class LockStore(Protocol):
    def lock(self, conversation_id: str) -> contextlib.AbstractContextManager[None]: ...


class InProcessLockStore:
    """One ``threading.Lock`` per conversation; locks of idle conversations are dropped."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[threading.Lock, int]] = {}  # lock, holders and waiters
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def lock(self, conversation_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(conversation_id, (None, 0))
            lock = lock or threading.Lock()
            self._locks[conversation_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[conversation_id]
                if users == 1:
                    del self._locks[conversation_id]  # bounded by the conversations in flight, not all ever seen
                else:
                    self._locks[conversation_id] = (lock, users - 1)


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLockStore:
    """A per-conversation lock in Redis, for several server processes."""

    def __init__(self, client: Any, key_prefix: str = "dialogkit:lock:", lifetime: float = 10.0, wait: float = 20.0):
        self.client, self.prefix, self.lifetime, self.wait = client, key_prefix, lifetime, wait
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisLockStore:
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    @contextlib.contextmanager
    def lock(self, conversation_id: str) -> Iterator[None]:
        key, token = self.prefix + conversation_id, uuid.uuid4().hex
        deadline, delay = time.monotonic() + self.wait, 0.001
        while not self.client.set(key, token, nx=True, px=int(self.lifetime * 1000)):
            if time.monotonic() > deadline:
                raise LockTimeout(message("DK803", conversation_id=conversation_id, seconds=f"{self.wait:g}"))
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        try:
            yield
        finally:
            self._release(keys=[key], args=[token])
