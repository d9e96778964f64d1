"""Calls custom actions on a Rasa action server (rasa-sdk or any server speaking its protocol).

``endpoints.yml`` (Rasa's file) names the server::

    action_endpoint:
      url: "http://localhost:5055/webhook"
      token: ${ACTION_TOKEN}        # optional: sent as ?token=... (``token_name`` to rename)
      headers: {X-Team: bots}       # optional
      timeout: 10                   # dialogkit's addition: seconds per call (default 10)

Each call is ``POST url {"next_action", "sender_id", "tracker", "domain", "version"}``
exactly as Rasa sends it. A 200 answer's ``events`` and ``responses`` are applied; a
400 is the action rejecting itself (nothing applied, the flow goes on); a 404 means
the server has no such action; time-outs and connection errors raise
:class:`ActionServerError` with what happened and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import DialogkitError, Location, message
from ..runtime.action_code import ActionRejected
from ..yamlio import interpolate_env, load_yaml
from .protocol import RASA_VERSION, RemoteResult, from_rasa_events, rasa_domain, rasa_tracker

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = ["ActionEndpoint", "ActionRejected", "ActionServerError", "RemoteActions", "load_endpoints"]

class ActionServerError(DialogkitError):
    """The action server could not run an action (unreachable, time-out, unknown action, bad answer)."""

    @classmethod
    def of(cls, problem: str, fix: str, path: str | None = None, line: int | None = None) -> ActionServerError:
        return cls(message("DK701", Location(path, line) if path else None, problem=problem, fix=fix))


class ActionEndpoint:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        token_name: str = "token",
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        source: str = "endpoints.yml",
    ):
        self.url, self.token, self.token_name = url, token, token_name
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.source = source


def _interpolate(value: Any, path: str) -> Any:
    """Replace ``${VAR}`` with the environment variable, as Rasa does in endpoints.yml."""

    def missing(name: str) -> None:
        raise ActionServerError.of(
            f"environment variable {name} is not set (used under action_endpoint)",
            "set it, or write the value in the file",
            path,
        )

    return interpolate_env(value, missing)


def load_endpoints(path: str | Path) -> ActionEndpoint | None:
    """The action endpoint named in a Rasa ``endpoints.yml``; None if the file names none."""
    path = Path(path)
    data = load_yaml(path).data or {}
    if not isinstance(data, dict):
        raise ActionServerError.of(
            "expected a mapping with `action_endpoint:`", "fix the file's top level", str(path), 1
        )
    ep = data.get("action_endpoint")
    if ep is None:
        return None
    if not isinstance(ep, dict) or not ep.get("url"):
        raise ActionServerError.of(
            "`action_endpoint` needs a `url:`", "add e.g. `url: http://localhost:5055/webhook`", str(path)
        )
    known = {"url", "token", "token_name", "headers", "timeout", "params", "basic_auth", "cafile"}
    unknown = sorted(set(ep) - known)
    if unknown:
        raise ActionServerError.of(
            f"unknown key(s) under action_endpoint: {', '.join(unknown)}",
            f"valid keys: {', '.join(sorted(known))}",
            str(path),
        )
    try:
        timeout = float(ep.get("timeout", 10))
    except (TypeError, ValueError):
        raise ActionServerError.of(
            f"action_endpoint.timeout must be a number of seconds, got {ep.get('timeout')!r}",
            "write e.g. `timeout: 10`",
            str(path),
        ) from None
    headers = {str(k): str(_interpolate(v, str(path))) for k, v in (ep.get("headers") or {}).items()}
    return ActionEndpoint(
        url=str(_interpolate(ep["url"], str(path))),
        token=_interpolate(ep.get("token"), str(path)),
        token_name=str(ep.get("token_name", "token")),
        headers=headers,
        timeout=timeout,
        source=str(path),
    )


class RemoteActions:
    """Runs actions on one action server; a single HTTP client (keep-alive) per process."""

    def __init__(self, endpoint: ActionEndpoint):
        self.endpoint = endpoint
        self._client = httpx.Client(timeout=endpoint.timeout, headers=endpoint.headers)
        self._domain_json: tuple[Any, dict[str, Any]] | None = None  # the domain never changes: serialise it once

    def run(
        self,
        name: str,
        tracker: Any,
        domain: Domain,
        active_form: str | None = None,
        requested_slot: str | None = None,
        candidates: list[Any] | None = None,
    ) -> RemoteResult:
        payload = {
            "next_action": name,
            "sender_id": tracker.conversation_id,
            "tracker": rasa_tracker(tracker, domain, active_form, requested_slot, candidates),
            "domain": self._domain_for(domain),
            "version": RASA_VERSION,
        }
        ep = self.endpoint
        params = {ep.token_name: ep.token} if ep.token else None
        try:
            resp = self._client.post(ep.url, json=payload, params=params)
        except httpx.TimeoutException:
            raise ActionServerError.of(
                f"action '{name}': the action server at {ep.url} did not answer within {ep.timeout:g} s",
                f"make the action faster or raise `timeout:` under action_endpoint in {ep.source}",
            ) from None
        except httpx.HTTPError as e:
            raise ActionServerError.of(
                f"action '{name}': cannot reach the action server at {ep.url} ({type(e).__name__}: {e})",
                f"start it (e.g. `python -m rasa_sdk --actions actions`) or fix the url in {ep.source}",
            ) from None
        if resp.status_code == 404:
            raise ActionServerError.of(
                f"action '{name}': the action server at {ep.url} has no action of that name (404)",
                "check the action's name() in your actions code, and that the server loaded that module",
            )
        if resp.status_code == 400:
            try:
                detail = resp.json().get("error")
            except ValueError:
                detail = resp.text[:200]
            raise ActionRejected(f"action '{name}' rejected its execution: {detail}")
        if resp.status_code != 200:
            raise ActionServerError.of(
                f"action '{name}': the action server at {ep.url} answered HTTP {resp.status_code}: {resp.text[:200]}",
                "see the action server's log",
            )
        try:
            body = resp.json()
        except ValueError:
            raise ActionServerError.of(
                f"action '{name}': the answer is not JSON: {resp.text[:120]!r}",
                "the server must answer Rasa's `{events, responses}` JSON",
            ) from None
        if not isinstance(body, dict):
            raise ActionServerError.of(
                f"action '{name}': expected a JSON object with `events` and `responses`, got {type(body).__name__}",
                "the server must answer Rasa's `{events, responses}` JSON",
            )
        return from_rasa_events(body, domain)

    def _domain_for(self, domain: Domain) -> dict[str, Any]:
        if self._domain_json is None or self._domain_json[0] is not domain:
            self._domain_json = (domain, rasa_domain(domain))
        return self._domain_json[1]

    def close(self) -> None:
        self._client.close()
