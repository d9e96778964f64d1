"""`dialogkit serve`'s app from its options: the tracker, lock and event stores (endpoints.yml or
the command line), the channels (credentials.yml), the handoff and action endpoints, the garbage
collector tuned for serving; and the factory each worker process builds its app with."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..errors import DialogkitError, Location, message
from ..runtime.agent import Agent
from .app import create_app
from .channels import Channel, load_credentials

__all__ = ["SERVE_OPTIONS_ENV", "app_from_env", "serve_app", "tune_gc"]

logger = logging.getLogger(__name__)


def serve_app(options: dict[str, Any]) -> tuple[FastAPI, str]:
    """The app ``dialogkit serve`` runs, from its options (a JSON-able dict: the same dict
    builds each worker process's app); returns it and a description of its stores."""
    import os

    from ..stores.config import (
        StoreSettings,
        create_event_broker,
        create_lock_store,
        create_tracker_store,
        load_store_settings,
    )

    model = Path(options["model"])
    settings = load_store_settings(options["endpoints"]) if options.get("endpoints") else StoreSettings()
    kind = options.get("store") or ("sqlite" if options.get("store_path") else None)
    if kind:  # the command line wins over endpoints.yml
        if kind in ("redis", "sql") and not options.get("store_url"):
            raise DialogkitError(message("DK801", None, section=f"serve --store {kind}", problem="needs --store-url",
                                         fix="e.g. --store-url redis://127.0.0.1:6379/0 or postgresql+psycopg://user:pass@127.0.0.1/dialogkit"))
        settings.tracker_store = {"type": kind, "url": options.get("store_url"), "path": options.get("store_path")}
    if options.get("lock_url"):
        settings.lock_store = {"type": "redis", "url": options["lock_url"]}
    elif (
        settings.lock_store is None
        and settings.tracker_store is not None
        and settings.tracker_store.get("type") == "redis"
    ):
        store = settings.tracker_store
        settings.lock_store = {
            "type": "redis",
            "url": store.get("url"),
            "port": store.get("port"),
            "db": store.get("db"),
            "password": store.get("password"),
        }
    if options.get("event_stream"):
        settings.event_broker = {"type": "redis", "url": options["event_stream"]}
    if options.get("workers", 1) > 1 and not settings.shared:
        raise DialogkitError(
            message(
                "DK801",
                Location(settings.source),
                section="serve --workers",
                problem="several processes need a shared tracker store and a Redis lock store",
                fix="use --store redis --store-url redis://HOST:6379/0 (or --store sql --store-url "
                "postgresql+psycopg://... --lock-url redis://...), or tracker_store/lock_store in endpoints.yml",
            )
        )
    default_sqlite = model.with_name(model.name.removesuffix(".tar.gz") + ".trackers.sqlite")
    store, where = create_tracker_store(settings.tracker_store, default_sqlite)
    lock_store = create_lock_store(settings.lock_store) if settings.lock_store else None
    agent = Agent.load(model, store=store, lock_store=lock_store, broker=create_event_broker(settings.event_broker))
    tune_gc()
    if options.get("endpoints"):
        agent.use_endpoints(options["endpoints"])
    if options.get("batch_size", 32) > 1:
        agent.enable_batching(options.get("batch_size", 32), options.get("batch_wait_ms", 5.0))
    channels: list[Channel] = []
    if options.get("credentials"):
        channels, skipped = load_credentials(options["credentials"])
        for issue in skipped:
            logger.warning("%s", issue)
    app = create_app(
        agent,
        auth_token=options.get("auth_token") or os.environ.get("DIALOGKIT_AUTH_TOKEN"),
        jwt_secret=options.get("jwt_secret") or os.environ.get("DIALOGKIT_JWT_SECRET"),
        jwt_method=options.get("jwt_method") or "HS256",
        max_body_bytes=options.get("max_body_bytes", 64 * 1024),
        max_message_chars=options.get("max_message_chars", 5000),
        cors=options.get("cors"),
        max_in_flight=options.get("max_in_flight", 64),
        max_wait_ms=options.get("max_wait_ms", 1000.0),
        channels=channels,
    )
    where += f"; locks: {'redis' if lock_store else 'in-process'}" + (
        "; events: redis stream" if settings.event_broker else ""
    )
    return app, where


def tune_gc() -> None:
    """The garbage collector of a server process, once its model is loaded: everything loading
    left (model, domain, libraries) is frozen out of later collections, and young collections
    run every 10,000 allocations instead of 700. A full collection walks every live object with
    the GIL held, so every request in flight waited for it: in ``make bench-serve`` they made
    most of the p99 latency."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


SERVE_OPTIONS_ENV = "DIALOGKIT_SERVE_OPTIONS"


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` worker processes (``dialogkit serve --workers N``)."""
    import json
    import os

    return serve_app(json.loads(os.environ[SERVE_OPTIONS_ENV]))[0]
