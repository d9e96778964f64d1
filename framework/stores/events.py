"""The event stream: every event of every conversation, in order, for analytics consumers
(Rasa's event broker).

:class:`RedisStreamBroker` appends each saved event to one Redis Stream
(``XADD dialogkit:events * sender_id <id> event <json>``) after the tracker store has
committed it, so a consumer never sees an event that is not stored. Consumers read with
``XREAD`` (or a consumer group, ``XREADGROUP``) from where they left off; see
docs/interfaces.md for an example. Publishing never fails a turn: if Redis is down the
events stay in the tracker store and the error is logged.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

__all__ = ["EventBroker", "RedisStreamBroker"]

logger = logging.getLogger(__name__)


class EventBroker(Protocol):
    def publish(self, conversation_id: str, events: list[Any]) -> None: ...


class RedisStreamBroker:
    """Events on a Redis Stream, trimmed to about ``max_length`` entries."""

    def __init__(self, client: Any, stream: str = "dialogkit:events", max_length: int = 1_000_000):
        self.client, self.stream, self.max_length = client, stream, max_length

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisStreamBroker:
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    def publish(self, conversation_id: str, events: list[Any]) -> None:
        if not events:
            return
        try:
            pipe = self.client.pipeline(transaction=True)  # one conversation's events stay together and in order
            for e in events:
                pipe.xadd(
                    self.stream,
                    {"sender_id": conversation_id, "event": e.model_dump_json()},
                    maxlen=self.max_length,
                    approximate=True,
                )
            pipe.execute()
        except Exception as e:  # noqa: BLE001 - the events are stored; the stream is best effort
            logger.error(
                "could not publish %d event(s) of %s to the Redis stream %s: %s",
                len(events),
                conversation_id,
                self.stream,
                e,
            )
