"""The plain ASGI layers in front of the app: the token check, the body limit and the admission
bound (no per-request task or stream), and the one error shape every refusal answers in."""

from __future__ import annotations

import hmac
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi.responses import JSONResponse

__all__ = [
    "ADMITTED",
    "Admission",
    "BodyLimit",
    "InFlight",
    "OPEN_PATHS",
    "Overloaded",
    "RETRY_AFTER_SECONDS",
    "TokenCheck",
    "WORK_PATHS",
    "error_response",
]

OPEN_PATHS = {"/", "/health", "/version", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"}


def error_response(status: int, code: str, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "detail": detail}, headers=headers)


class Overloaded(Exception):
    """A message waited longer than the bound for a worker: refused before it was read."""


RETRY_AFTER_SECONDS = 1
ADMITTED = "dialogkit.admitted"  # the scope key: when the admission layer let a request in (monotonic seconds)
WORK_PATHS = {"/webhooks/rest/webhook", "/model/parse"}  # the requests that take a worker (and trigger_intent)


WORK_ROUTES = ("/trigger_intent", "/tracker/events", "/execute", "/predict")  # a conversation's that take one


def takes_a_worker(path: str) -> bool:
    return (
        path in WORK_PATHS
        or path.startswith("/webhooks/")  # every channel's
        or (path.startswith("/conversations/") and path.endswith(WORK_ROUTES))
    )


class TokenCheck:
    """ASGI middleware: refuse a request to any path but the open ones (401) unless it carries the
    token (``?token=`` or an ``Authorization: Bearer`` header, compared in constant time) or a JWT
    signed with ``jwt_secret`` (``Authorization: Bearer <jwt>``, as ``rasa run --jwt-secret``). A
    JWT reaches a conversation's routes (``/conversations/<id>/...``) only when its payload says
    ``{"user": {"role": "admin"}}`` or ``{"user": {"username": "<id>"}}`` (403 otherwise), as in
    Rasa, and ``PUT /model`` only with the admin role; every other route takes any valid one."""

    def __init__(self, app: Any, token: str | None = None, jwt_secret: str | None = None, jwt_method: str = "HS256"):
        self.app, self.token = app, token.encode() if token else None
        self.jwt_secret, self.jwt_method = jwt_secret, jwt_method

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[-1]
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if header.lower().startswith("bearer "):
            given = header[7:].strip()
        if self.token is not None and hmac.compare_digest(given.encode(errors="replace"), self.token):
            await self.app(scope, receive, send)
            return
        problem = self._jwt_problem(given, scope["path"]) if self.jwt_secret and given else None
        if self.jwt_secret and given and problem is None:
            await self.app(scope, receive, send)
            return
        if problem is not None and problem[0] == 403:
            await error_response(403, "forbidden", problem[1])(scope, receive, send)
            return
        how = "?token=... or an `Authorization: Bearer ...` header" if self.token else "`Authorization: Bearer <JWT>`"
        detail = f"missing or wrong {'token' if self.token else 'JWT'}: pass {how}"
        if problem is not None:
            detail += f" ({problem[1]})"
        await error_response(401, "unauthorized", detail)(scope, receive, send)

    def _jwt_problem(self, given: str, path: str) -> tuple[int, str] | None:
        """None when ``given`` is a JWT that may call ``path``; else the status and why not."""
        import jwt

        try:
            payload = jwt.decode(given, self.jwt_secret, algorithms=[self.jwt_method])
        except jwt.PyJWTError as e:
            return 401, f"JWT: {e}"
        user = payload.get("user") if isinstance(payload, dict) else None
        user = user if isinstance(user, dict) else {}
        if path in ADMIN_PATHS:
            return None if user.get("role") == "admin" else (403, "replacing the model needs a JWT of role admin")
        if not path.startswith("/conversations/"):
            return None
        if user.get("role") == "admin" or (user.get("username") is not None
                                            and conversation_of(path) == str(user["username"])):
            return None
        return 403, "this JWT's user may only reach its own conversation (user.username) unless user.role is admin"


ADMIN_PATHS = {"/model"}  # a JWT reaches them only with user.role admin
CONVERSATION_ROUTES = ("/tracker/events", "/trigger_intent", "/tracker", "/story", "/predict", "/execute")


def conversation_of(path: str) -> str | None:
    """The conversation id in a ``/conversations/<id>/<route>`` path (an id may hold ``/``)."""
    rest = unquote(path.removeprefix("/conversations/"))
    route = next((r for r in CONVERSATION_ROUTES if rest.endswith(r)), None)
    return rest[: -len(route)] if route else None


class InFlight:
    """The messages a process is answering, over every way they come in (HTTP requests and
    socket.io events share it): at most ``bound`` at once (0: no bound). One event loop per
    process, so no lock is needed."""

    def __init__(self, bound: int):
        self.bound, self.count = bound, 0

    def full(self) -> bool:
        return bool(self.bound) and self.count >= self.bound

    def refusal(self) -> str:
        return (f"the server is answering {self.count} messages, its bound (--max-in-flight); "
                f"this one was not read: send it again in {RETRY_AFTER_SECONDS} s")


class Admission:
    """ASGI middleware: at most ``in_flight.bound`` message and parse requests at once (0: no
    bound); one more is answered 503 ``overloaded`` with ``Retry-After`` at once instead of
    queueing, so the wait of those let in stays bounded. Each let-in request carries the time it
    was let in (``scope[ADMITTED]``) for the wait bound."""

    def __init__(self, app: Any, in_flight: InFlight):
        self.app, self.in_flight = app, in_flight

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not takes_a_worker(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_flight.full():
            await error_response(
                503, "overloaded", self.in_flight.refusal(), {"Retry-After": str(RETRY_AFTER_SECONDS)}
            )(scope, receive, send)
            return
        self.in_flight.count += 1
        scope[ADMITTED] = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.count -= 1


class BodyLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` (413) while it streams in,
    whether or not it announces its length, so an oversized or chunked body is never held whole."""

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await error_response(413, "request_too_large", f"request bodies are limited to {self.max_bytes} bytes")(
            scope, receive, send
        )
