"""Custom actions and slot validators: Python callables referenced as ``module:function``.

An action is called as ``fn(tracker, dispatcher)`` with a read-only
:class:`TrackerView` and a :class:`Dispatcher`; it returns a list of events (event
objects or their JSON dicts) or None, and may be ``async``. A slot validator is
called as ``fn(value, tracker)`` and returns the (possibly normalised) value, or
None to reject it.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter

from .tracker import Event, Tracker

__all__ = ["ActionRejected", "ActionRunner", "ActionTimeout", "Dispatcher", "TrackerView"]

_EVENT = TypeAdapter(Event)
_IMPORT_LOCK = threading.Lock()


class ActionRejected(Exception):
    """An action declined to run (Rasa's ActionExecutionRejection, HTTP 400 from an action
    server): nothing is applied, no error is said, the flow goes on."""


class TrackerView:
    """What a custom action may read: slots, the latest message, events (copies)."""

    def __init__(self, tracker: Tracker):
        self._slots = MappingProxyType(dict(tracker.slots))
        self._events = tuple(e.model_copy(deep=True) for e in tracker.events)
        self.conversation_id = tracker.conversation_id
        latest = tracker.latest_message
        self.latest_message = (
            MappingProxyType({"text": latest.text, **latest.parse, "metadata": dict(latest.metadata)})
            if latest
            else MappingProxyType({})
        )
        self.active_flow = tracker.active_flow

    @property
    def slots(self) -> MappingProxyType[str, Any]:
        return self._slots

    @property
    def events(self) -> tuple[Any, ...]:
        return self._events

    def get_slot(self, name: str) -> Any:
        return self._slots.get(name)


class Dispatcher:
    """Collects the messages an action wants to send."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter(self, response: str | None = None, text: str | None = None, **data: Any) -> None:
        """Send a domain response by name (keyword values fill its placeholders over the slots,
        as Rasa's ``utter_message(response=..., **kwargs)``), or a literal ``text`` (with optional
        buttons, custom...)."""
        if response is not None:
            self.messages.append({"response": response, "slots": {**data.pop("slots", {}), **data}})
        elif text is not None:
            self.messages.append({"text": text, **data})
        else:
            raise ValueError("utter() needs a response name or a text")


class ActionTimeout(Exception):
    """A custom action or validator did not finish in time (it goes on in the background,
    and whatever it returns is ignored)."""


class ActionRunner:
    """Imports and calls custom actions, with the bot's action code on ``sys.path``.
    With ``timeout`` (seconds) a call that has not returned by then fails with
    :class:`ActionTimeout`."""

    def __init__(self, refs: dict[str, str], code_dirs: list[Path], timeout: float | None = None):
        self.refs = refs
        self.code_dirs = [str(d) for d in code_dirs if d.is_dir()]
        self.timeout = timeout
        self._cache: dict[str, Callable[..., Any]] = {}
        self._packages: dict[str, str] = {}  # code folder -> its private package name

    def resolve(self, ref: str) -> Callable[..., Any]:
        if ref not in self._cache:
            module, _, attr = ref.partition(":")
            with _IMPORT_LOCK:
                # no __pycache__ inside a model archive: it is verified file by file, and a
                # cached .pyc there would make the next load refuse it
                writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
                try:
                    mod = importlib.import_module(self._qualified(module))
                finally:
                    sys.dont_write_bytecode = writes
            fn = getattr(mod, attr)
            if not callable(fn):
                raise TypeError(f"{ref} is not callable")
            self._cache[ref] = fn
        return self._cache[ref]

    def _qualified(self, module: str) -> str:
        """Import path for ``module``: inside a private package per code directory when the
        module lives there, so two bots' ``actions.py`` never collide in ``sys.modules``."""
        top = module.split(".")[0]
        for d in self.code_dirs:
            if (Path(d) / f"{top}.py").is_file() or (Path(d) / top / "__init__.py").is_file():
                if d not in self._packages:  # the folder's files are read once per runner
                    self._packages[d] = "_dialogkit_code_" + _code_key(d)
                pkg = self._packages[d]
                if pkg not in sys.modules:
                    namespace = types.ModuleType(pkg)
                    namespace.__path__ = [d]
                    sys.modules[pkg] = namespace
                return f"{pkg}.{module}"
        return module  # an installed package

    def run(self, name: str, tracker: Tracker, timeout: float | None = None) -> tuple[list[Any], list[dict[str, Any]]]:
        """Run action ``name``; return its events and messages. Exceptions propagate to the caller.
        ``timeout`` (seconds) overrides the runner's for this call."""
        fn = self.resolve(self.refs[name])
        dispatcher = Dispatcher()
        result = self._call(fn, timeout, TrackerView(tracker), dispatcher)
        events = [e if not isinstance(e, dict) else _EVENT.validate_python(e) for e in (result or [])]
        for e in events:  # an event the store cannot save would fail the whole turn: the action fails instead
            e.model_dump_json()
        return events, dispatcher.messages

    def validate(self, ref: str, value: Any, tracker: Tracker, timeout: float | None = None) -> Any:
        return self._call(self.resolve(ref), timeout, value, TrackerView(tracker))

    def _call(self, fn: Callable[..., Any], timeout: float | None, *args: Any) -> Any:
        timeout = timeout if timeout is not None else self.timeout
        if timeout is None:
            return _call(fn, *args)
        out: dict[str, Any] = {}

        def target() -> None:
            try:
                out["v"] = _call(fn, *args)
            except BaseException as e:  # noqa: BLE001 - re-raised below in the caller thread
                out["e"] = e

        worker = threading.Thread(
            target=target, name=f"dialogkit-action-{getattr(fn, '__name__', 'call')}", daemon=True
        )
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise ActionTimeout(f"'{getattr(fn, '__qualname__', fn)}' did not finish within {timeout:g} s")
        if "e" in out:
            raise out["e"]
        return out.get("v")


def _code_key(directory: str) -> str:
    """A package name part for the code in ``directory``: its path and its files' contents, so a
    model retrained into the same folder with changed actions imports the new code."""
    h = hashlib.sha256(directory.encode())
    for p in sorted(Path(directory).rglob("*.py")):
        h.update(str(p.relative_to(directory)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_await(result))
        # inside a running loop (async handle): run the coroutine in a helper thread
        out: dict[str, Any] = {}

        def target() -> None:
            try:
                out["v"] = asyncio.run(_await(result))
            except BaseException as e:  # noqa: BLE001 - re-raised below in the caller thread
                out["e"] = e

        t = threading.Thread(target=target)
        t.start()
        t.join()
        if "e" in out:
            raise out["e"]
        return out.get("v")
    return result


async def _await(aw: Any) -> Any:
    return await aw
