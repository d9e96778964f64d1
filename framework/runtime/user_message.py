"""A user's message before the NLU reads it: cleaned so it can be stored and sent back, a
``/intent{...}`` payload read without the NLU, and messages from concurrent callers parsed in
batches (:class:`NLUBatcher`)."""

from __future__ import annotations

import json
import logging
import math
import queue
import re
import threading
import time
from typing import Any

from ..domain.syntax import PAYLOAD_RE
from .turn import Intent, Turn, entity

__all__ = ["MAX_MESSAGE_CHARS", "NLUBatcher", "clean_message", "clean_text", "read_payload"]

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 10_000
MAX_PAYLOAD_DEPTH = 20  # nesting of a payload's JSON (`/intent{"a": [[...]]}`); deeper ones are not parsed

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` as it can be stored and sent back: lone UTF-16 surrogates (which no UTF-8 store
    or JSON encoder accepts) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def clean_message(text: str) -> str:
    """A user's message as dialogkit reads it: a string, at most MAX_MESSAGE_CHARS, storable."""
    text = "" if text is None else str(text)
    if len(text) > MAX_MESSAGE_CHARS:
        logger.warning("message of %d characters truncated to %d", len(text), MAX_MESSAGE_CHARS)
        text = text[:MAX_MESSAGE_CHARS]
    return clean_text(text)


def _payload_values(raw: str) -> Any:
    """The JSON object of a ``/intent{...}`` payload, cleaned so it can be stored; ``{}`` (and a
    log line) when it is not valid JSON, nested too deeply or holds numbers too large to read."""
    depth = deepest = 0
    for ch in raw:  # json.loads recurses: bound the nesting before it runs
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    if deepest > MAX_PAYLOAD_DEPTH:
        logger.warning("payload nested %d deep (limit %d): entities ignored", deepest, MAX_PAYLOAD_DEPTH)
        return {}
    try:
        return _clean_json(json.loads(raw))
    except (ValueError, RecursionError) as e:  # JSONDecodeError, integers over Python's digit limit
        logger.warning("payload is not valid JSON (%s): entities ignored", str(e)[:100])
        return {}


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and Infinity are not JSON
    return value


def read_payload(turn: Turn) -> bool:
    """Fill ``turn`` from a ``/intent{...}`` payload; False if the text is not one."""
    payload = PAYLOAD_RE.match(turn.text.strip())
    if not payload:
        return False
    values = _payload_values(payload.group(2)) if payload.group(2) else {}
    entities = [entity(k, v, "payload") for k, v in values.items()] if isinstance(values, dict) else []
    turn.payload = True
    turn.intent = Intent(name=payload.group(1), confidence=1.0)
    turn.intent_ranking = [Intent(**turn.intent)]
    turn.entities = entities
    return True


class NLUBatcher:
    """Collects turns from concurrent callers and parses them in batches on one worker thread."""

    def __init__(self, run: Any, max_batch: int, max_wait: float):
        self.run, self.max_batch, self.max_wait = run, max_batch, max_wait
        self._queue: queue.Queue[tuple[Turn, threading.Event, list[BaseException]]] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="dialogkit-nlu-batcher", daemon=True)
        self._thread.start()

    def submit(self, turn: Turn) -> None:
        done, error = threading.Event(), list[BaseException]()
        self._queue.put((turn, done, error))
        done.wait()
        if error:
            raise error[0]

    def _work(self) -> None:
        while True:
            items = [self._queue.get()]
            deadline = time.monotonic() + self.max_wait
            while len(items) < self.max_batch:
                remaining = deadline - time.monotonic()
                try:
                    items.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.run([t for t, _, _ in items])
            except BaseException:  # noqa: BLE001 - isolate the failing turn: each caller gets its own outcome
                for turn, _, err in items:
                    _reset_nlu(turn)
                    try:
                        self.run([turn])
                    except BaseException as e:  # noqa: BLE001 - handed to this caller only
                        err.append(e)
            for _, done, _ in items:
                done.set()


def _reset_nlu(turn: Turn) -> None:
    """Forget what a failed batch left on ``turn`` before it is parsed again on its own."""
    turn.intent, turn.intent_ranking, turn.entities = None, [], []
    turn.timings.clear()
