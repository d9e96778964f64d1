"""Tracker store, lock store and event stream from ``endpoints.yml`` (Rasa's keys), or from
``dialogkit serve --store ...``.

    tracker_store:
      type: redis            # or: sql (dialect: postgresql | sqlite), sqlite, memory
      url: localhost         # a host (Rasa) or a full URL (redis://..., postgresql+psycopg://...)
      port: 6379
      db: 0                  # redis db number, or the SQL database name
      password: ${REDIS_PASSWORD}
      key_prefix: "dialogkit:"
    lock_store:
      type: redis
      url: localhost
      lock_lifetime: 10      # seconds; a dead process never blocks a conversation longer
      wait: 20               # seconds a message waits for its conversation's lock
    event_broker:
      type: redis            # every event on a Redis Stream, in order
      url: localhost
      stream: dialogkit:events

``${VAR}`` is replaced by the environment variable. Every problem is a located DK801 error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DialogkitError, Location, message
from ..yamlio import interpolate_env, load_yaml

__all__ = ["StoreSettings", "create_event_broker", "create_lock_store", "create_tracker_store", "load_store_settings"]

_KEYS = {
    "tracker_store": {
        "type",
        "url",
        "host",
        "port",
        "db",
        "username",
        "password",
        "dialect",
        "query",
        "key_prefix",
        "use_ssl",
        "path",
        "window",
        "cache_size",
    },
    "lock_store": {"type", "url", "host", "port", "db", "password", "key_prefix", "use_ssl", "lock_lifetime", "wait"},
    "event_broker": {"type", "url", "host", "port", "db", "password", "use_ssl", "stream", "max_length"},
}
_TYPES = {
    "tracker_store": ("memory", "sqlite", "redis", "sql"),
    "lock_store": ("in_memory", "redis"),
    "event_broker": ("redis",),
}


@dataclass
class StoreSettings:
    """The three sections, each a plain dict after checking (None when absent)."""

    tracker_store: dict[str, Any] | None = None
    lock_store: dict[str, Any] | None = None
    event_broker: dict[str, Any] | None = None
    source: str = "endpoints.yml"

    @property
    def shared(self) -> bool:
        """Whether several processes can serve this bot together."""
        ts, ls = self.tracker_store or {}, self.lock_store or {}
        return ts.get("type") in ("redis", "sql") and ls.get("type") == "redis"


def _error(path: str, section: str, problem: str, fix: str, line: int | None = None) -> DialogkitError:
    return DialogkitError(message("DK801", Location(path, line), section=section, problem=problem, fix=fix))


def load_store_settings(path: str | Path) -> StoreSettings:
    """Read ``tracker_store``, ``lock_store`` and ``event_broker`` from an endpoints.yml."""
    doc = load_yaml(path)
    spath = str(path)
    out = StoreSettings(source=spath)
    for section in ("tracker_store", "lock_store", "event_broker"):
        raw = doc.data.get(section)
        if raw is None:
            continue
        loc = doc.positions.find((section,))
        line = loc.line if loc else None
        if not isinstance(raw, dict):
            raise _error(
                spath,
                section,
                "must be a mapping of keys",
                f"write e.g. `{section}: {{type: redis, url: localhost}}`",
                line,
            )
        unknown = sorted(set(raw) - _KEYS[section])
        if unknown:
            raise _error(
                spath,
                section,
                f"unknown key(s) {', '.join(unknown)}",
                f"valid keys: {', '.join(sorted(_KEYS[section]))}",
                line,
            )
        kind = str(raw.get("type", "")).lower()
        if kind not in _TYPES[section]:
            raise _error(
                spath,
                section,
                f"type {raw.get('type')!r} is not supported",
                f"use one of: {', '.join(_TYPES[section])}",
                line,
            )

        def missing(name: str, section: str = section, line: int | None = line) -> None:
            raise _error(
                spath,
                section,
                f"environment variable {name} is not set",
                "set it, or write the value in the file",
                line,
            )

        setattr(out, section, {k: interpolate_env(v, missing) for k, v in raw.items()} | {"type": kind})
    return out


def _redis_url(cfg: dict[str, Any]) -> str:
    url = str(cfg.get("url") or cfg.get("host") or "localhost")
    if "://" in url:
        return url
    scheme = "rediss" if cfg.get("use_ssl") else "redis"
    auth = f":{cfg['password']}@" if cfg.get("password") else ""
    return f"{scheme}://{auth}{url}:{int(cfg.get('port') or 6379)}/{int(cfg.get('db') or 0)}"


def _sql_url(cfg: dict[str, Any]) -> str:
    url = str(cfg.get("url") or cfg.get("host") or "")
    if "://" in url:
        return url
    from sqlalchemy.engine import URL

    dialect = str(cfg.get("dialect") or "postgresql").lower()
    if dialect == "sqlite":
        return f"sqlite:///{cfg.get('db') or 'trackers.db'}"
    driver = {"postgresql": "postgresql+psycopg"}.get(dialect, dialect)
    return URL.create(
        driver,
        username=cfg.get("username"),
        password=cfg.get("password"),
        host=url or "localhost",
        port=int(cfg["port"]) if cfg.get("port") else None,
        database=cfg.get("db"),
        query=cfg.get("query") or {},
    ).render_as_string(hide_password=False)


def create_tracker_store(cfg: dict[str, Any] | None, default_sqlite: Path | None = None) -> tuple[Any, str]:
    """The tracker store a section describes (SQLite at ``default_sqlite`` when none), and a
    description for the start-up line (no password)."""
    from .local import InMemoryTrackerStore, SQLiteTrackerStore

    cfg = cfg or {"type": "sqlite" if default_sqlite else "memory"}
    sizes = {k: int(cfg[k]) for k in ("window", "cache_size") if cfg.get(k) is not None}
    kind = cfg["type"]
    if kind == "memory":
        return InMemoryTrackerStore(), "memory"
    if kind == "sqlite":
        path = Path(cfg.get("path") or cfg.get("db") or default_sqlite or "trackers.sqlite")
        return SQLiteTrackerStore(path, **sizes), f"sqlite {path}"
    if kind == "redis":
        from .shared import RedisTrackerStore

        url = _redis_url(cfg)
        return RedisTrackerStore.from_url(
            url, key_prefix=str(cfg.get("key_prefix") or "dialogkit:"), **sizes
        ), f"redis {_safe(url)}"
    from .shared import SQLTrackerStore

    url = _sql_url(cfg)
    return SQLTrackerStore(url, **sizes), f"sql {_safe(url)}"


def create_lock_store(cfg: dict[str, Any] | None) -> Any:
    from .locks import InProcessLockStore, RedisLockStore

    if not cfg or cfg["type"] == "in_memory":
        return InProcessLockStore()
    return RedisLockStore.from_url(_redis_url(cfg), key_prefix=str(cfg.get("key_prefix") or "dialogkit:lock:"),
                                   lifetime=float(cfg.get("lock_lifetime") or 10), wait=float(cfg.get("wait") or 20))


def create_event_broker(cfg: dict[str, Any] | None) -> Any:
    if not cfg:
        return None
    from .events import RedisStreamBroker

    return RedisStreamBroker.from_url(
        _redis_url(cfg),
        stream=str(cfg.get("stream") or "dialogkit:events"),
        max_length=int(cfg.get("max_length") or 1_000_000),
    )


def _safe(url: str) -> str:
    """``url`` without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
