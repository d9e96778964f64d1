"""Runs the actions the dialogue manager decides on: the one place actions execute.

The agent owns one :class:`ActionExecutor` per loaded bot and runs each request the dialogue
manager's decisions carry through it (:func:`run_request`, which also appends what the action
did to the tracker). It runs

- local custom actions and slot validators (``module:function`` in the bot's code, copied
  into the model archive at training; :mod:`dialogkit.framework.runtime.action_code`);
- ``remote`` actions on a Rasa action server (``endpoints.yml``;
  :mod:`dialogkit.framework.rasa.action_server`, imported only when one is used);

and returns an :class:`ActionOutcome`: what the action asked for (events, messages, a
follow-up action, a form to start or stop), or that it declined or failed. The policy
decides what the flow does about it; nothing here touches the flow stack.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..domain.schema import REMOTE_ACTION
from ..errors import DialogkitError
from .action_code import ActionRejected, ActionRunner
from .decisions import Request, ValidateSlot
from .tracker import ActionExecuted, ActionFailed, SlotSet, Tracker
from .turn import Turn, from_action

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = ["ActionExecutor", "ActionOutcome", "Validated", "log_failure", "run_request"]

logger = logging.getLogger(__name__)


@dataclass
class ActionOutcome:
    """What running one action gave. ``status``: ``ok`` (apply ``events``, say ``messages``),
    ``rejected`` (it declined: nothing applied, the flow goes on) or ``failed`` (``error``)."""

    status: Literal["ok", "rejected", "failed"]
    events: list[Any] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    followup: str | None = None  # an action to run next (a Rasa action server's FollowupAction)
    activate_form: str | None = None  # a form the action started (Rasa's active_loop event)
    deactivate_form: bool = False  # the action ended the active form (active_loop: null)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Validated:
    """A slot validator's verdict: the value to store (None: refused), or ``error`` when it failed."""

    value: Any = None
    error: str | None = None


class ActionExecutor:
    """Runs a bot's actions: local code from ``code_dirs``, remote ones on ``endpoint``'s
    action server. ``use_endpoint`` swaps the action server (``serve --endpoints``)."""

    def __init__(self, domain: Domain, code_dirs: list[Path] | None = None, endpoint: Any = None):
        self.domain = domain
        self.local = ActionRunner(domain.actions, code_dirs or [])
        self._endpoint = endpoint
        self._remote: Any = None  # RemoteActions, made on first use

    @classmethod
    def from_archive(cls, root: Path, domain: Domain, legacy_dirs: Sequence[Path] = ()) -> ActionExecutor:
        """The executor for a model archive: the bot's action code under ``actions/`` and its
        ``endpoints.yml`` (archives before 0.3 kept both in a component's folder: ``legacy_dirs``,
        looked in after the archive's root)."""
        homes = [root, *legacy_dirs]
        code = [h / "actions" for h in homes if (h / "actions").is_dir()]
        endpoint = None
        endpoints = next((h / "endpoints.yml" for h in homes if (h / "endpoints.yml").is_file()), None)
        if endpoints is not None and any(ref == REMOTE_ACTION for ref in domain.actions.values()):
            from ..rasa.action_server import load_endpoints

            endpoint = load_endpoints(endpoints)
        return cls(domain, code, endpoint)

    def use_endpoint(self, endpoint: Any) -> None:
        """Serve ``remote`` actions from this action server (an ``ActionEndpoint``) from now on."""
        if self._remote is not None:
            self._remote.close()
        self._endpoint, self._remote = endpoint, None

    def run(self, name: str, tracker: Tracker, *, form: str | None = None, requested_slot: str | None = None,
            candidates: list[SlotSet] | None = None, timeout: float | None = None) -> ActionOutcome:
        """Run action ``name`` on the conversation as it is (never raises for the action's own
        failures). ``form``/``requested_slot``: the active form and the slot it asks for (an
        action server sees them); ``candidates``: the slots this message set (for validation
        actions); ``timeout``: seconds a local action may take."""
        try:
            if self.domain.actions.get(name) == REMOTE_ACTION:
                outcome = self._run_remote(name, tracker, form, requested_slot, candidates)
            else:
                events, messages = self.local.run(name, tracker, timeout)
                outcome = ActionOutcome("ok", events, messages)
        except ActionRejected as e:
            logger.info("%s", e)
            return ActionOutcome("rejected", error=f"{type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - a failing action is reported, the conversation goes on
            log_failure(f"custom action '{name}'", e)
            return ActionOutcome("failed", error=f"{type(e).__name__}: {e}")
        outcome.events = [e for e in outcome.events if self._known(name, e)]
        return outcome

    def validate(self, ref: str, slot: str, value: Any, tracker: Tracker, timeout: float | None = None) -> Validated:
        """Run slot validator ``ref`` on ``value`` for ``slot``."""
        try:
            return Validated(self.local.validate(ref, value, tracker, timeout))
        except Exception as e:  # noqa: BLE001 - reported; its flow stops instead of asking forever
            log_failure(f"slot validator {ref} for '{slot}'", e)
            return Validated(None, f"{type(e).__name__}: {e}")

    def _known(self, action: str, event: Any) -> bool:
        if isinstance(event, SlotSet) and event.name not in self.domain.slots:
            logger.warning("action '%s' set unknown slot '%s'; ignored", action, event.name)
            return False
        return True

    def _run_remote(self, name: str, tracker: Tracker, form: str | None, requested_slot: str | None,
                    candidates: list[SlotSet] | None) -> ActionOutcome:
        from ..rasa.action_server import ActionServerError, RemoteActions

        if self._remote is None:
            if self._endpoint is None:
                raise ActionServerError.of(
                    f"action '{name}' is served by an action server, but no `action_endpoint` is configured",
                    "add endpoints.yml next to domain.yml (action_endpoint: url: http://localhost:5055/webhook) and "
                    "retrain, or pass --endpoints",
                )
            self._remote = RemoteActions(self._endpoint)
        result = self._remote.run(name, tracker, self.domain, form, requested_slot, candidates)
        return ActionOutcome("ok", list(result.events), list(result.messages), result.followup,
                             result.activate_form, bool(result.deactivate_form))


def log_failure(what: str, error: Exception) -> None:
    """One line for the log; the traceback only at debug level (the shell shows it with --debug)."""
    logger.error("%s failed: %s: %s", what, type(error).__name__, error)
    if not isinstance(error, DialogkitError):
        logger.debug("traceback of the failure above", exc_info=error)


def run_request(executor: ActionExecutor, request: Request, tracker: Tracker, turn: Turn) -> ActionOutcome | Validated:
    """Run a policy's request and append what it did: ``ActionExecuted``, the messages it wrote
    (right after it, as Rasa logs them) and its events; ``ActionFailed`` when it failed or
    declined."""
    if isinstance(request, ValidateSlot):
        verdict = executor.validate(request.ref, request.slot, request.value, tracker, request.timeout)
        if verdict.error is not None:
            tracker.add(ActionFailed(name=request.ref, error=verdict.error))
        return verdict
    outcome = executor.run(request.name, tracker, form=request.form, requested_slot=request.requested_slot,
                           candidates=list(request.candidates), timeout=request.timeout)
    if not outcome.ok:
        tracker.add(ActionFailed(name=request.name, error=outcome.error or outcome.status))
        return outcome
    tracker.add(ActionExecuted(name=request.name))
    turn.responses.extend(from_action(m, len(tracker.events)) for m in outcome.messages)
    for event in outcome.events:
        tracker.add(event)
    return outcome
