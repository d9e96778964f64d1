"""`dialogkit serve`: the HTTP interface (FastAPI).

Routes (Rasa-compatible where Rasa has them):

- ``POST /webhooks/rest/webhook`` ``{"sender", "message", "metadata"?}`` →
  ``[{"recipient_id", "text", "buttons"?, "image"?, "custom"?}]``
- ``POST /model/parse`` ``{"text"}`` → ``{"text", "intent", "entities", "intent_ranking"}``
- ``POST /conversations/{id}/trigger_intent`` ``{"name", "entities"?}`` → ``{"tracker", "messages"}``:
  the bot acts as if the user had said the intent (Rasa's endpoint: reminders, the bot speaking first)
- ``GET /conversations/{id}/tracker`` → the conversation in Rasa's shape (``?format=dialogkit``: dialogkit's events);
  404 if unknown
- ``GET /health``, ``GET /version``, ``GET /`` (web chat page), OpenAPI at ``/docs``.

Optional token auth (``?token=`` or ``Authorization: Bearer``), request size and
message length limits (413 / 422), and JSON errors for every bad request: never a 500
for bad input. Overload is refused, not queued: past ``max_in_flight`` messages being
answered, or when one has waited ``max_wait_ms`` for a worker, the answer is 503
``overloaded`` with ``Retry-After`` at once (the message was not read: nothing of it is kept). Messages for one
conversation are serialised by the Agent's lock and
saved to the tracker store before the answer is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import DialogkitError
from ..runtime.agent import Agent
from ..stores.locks import LockTimeout
from ..stores.shared import StoreConflict
from ..version import __version__
from .channels import Channel, ChannelError, NoMessage, RestChannel, UserMessage
from .conversations import add_conversation_routes, replace_conversation_routes
from .guards import (
    ADMITTED,
    RETRY_AFTER_SECONDS,
    Admission,
    BodyLimit,
    InFlight,
    Overloaded,
    TokenCheck,
    error_response,
)
from .turns import Turns

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

class WebhookMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sender: str = Field(min_length=1, max_length=200)
    message: str
    metadata: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every error answer: a short machine-readable ``error`` code and a human ``detail``."""

    error: str
    detail: Any


# documented for every route, so clients (and schema checkers) know the one error shape
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "missing or wrong token"),
        (404, "unknown conversation or path"),
        (413, "request body over the size limit"),
        (409, "another process wrote this conversation during the turn (nothing was saved; send again)"),
        (422, "invalid request body or message"),
        (500, "a server bug (logged); the conversation is unchanged"),
        (503, "the server is overloaded, or the conversation is busy with another message for too long "
              "(nothing was kept; send again, after Retry-After when given)"),
    )
}


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    message_id: str | None = None


def create_app(
    agent: Agent,
    auth_token: str | None = None,
    jwt_secret: str | None = None,
    jwt_method: str = "HS256",
    max_body_bytes: int = 64 * 1024,
    max_message_chars: int = 5_000,
    cors: list[str] | None = None,
    max_in_flight: int = 64,
    max_wait_ms: float = 1000.0,
    channels: list[Channel] | None = None,
    fire_reminders: bool = True,
) -> FastAPI:
    """The FastAPI app serving ``agent``. ``cors``: origins a chat widget on another site may
    call from (``["*"]`` for any), as ``rasa run --cors``. ``auth_token`` and ``jwt_secret``
    (with ``jwt_method``, as ``rasa run --jwt-secret``): what a request must carry (either).
    ``max_in_flight``: messages (and parses) answered at once, past it 503 at once (0: no bound);
    ``max_wait_ms``: the longest a let-in message waits for a worker before it is refused the same way (0: no bound).
    ``channels``: the channels besides ``rest`` (credentials.yml), each at ``/webhooks/<name>/webhook``.
    ``fire_reminders``: while serving, fire the reminders that come due (every process of a
    shared store may: each reminder fires once)."""
    in_flight = InFlight(max_in_flight)
    turns = Turns(agent, in_flight, max_wait_ms / 1000, max_message_chars, max_body_bytes, cors)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reminders = asyncio.create_task(turns.fire_reminders()) if fire_reminders else None
        try:
            yield
        finally:
            if reminders is not None:
                reminders.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reminders

    app = FastAPI(
        title="dialogkit",
        version=__version__,
        description="Talk to a dialogkit bot over HTTP (Rasa-compatible REST channel).",
        responses=ERROR_RESPONSES,
        lifespan=lifespan,
    )
    turns.channels = {"rest": RestChannel(RestChannel.Config())} | {c.name: c for c in channels or []}
    app.state.turns = turns
    _add_guards(app, (auth_token, jwt_secret, jwt_method), max_body_bytes, cors, in_flight)
    _add_error_handlers(app)
    _add_routes(app, turns, model_api=bool(auth_token or jwt_secret))
    for channel in turns.channels.values():
        if not channel.webhook:  # outermost: its connections have their own limits and auth
            app.add_middleware(_Attached, channel=channel, turns=turns)
    return app


class _Attached:
    """The app as a channel with connections of its own wraps it (:meth:`Channel.attach`)."""

    def __init__(self, app: Any, channel: Channel, turns: Turns):
        self.inner = channel.attach(app, turns)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.inner(scope, receive, send)


def _add_guards(
    app: FastAPI, auth: tuple[str | None, str | None, str], max_body_bytes: int, cors: list[str] | None,
    in_flight: InFlight
) -> None:
    """The admission bound, the token check, the body limit and CORS (plain ASGI layers: no
    per-request task or stream)."""
    app.add_middleware(Admission, in_flight=in_flight)  # innermost: only requests that passed the others count
    token, jwt_secret, jwt_method = auth
    if token or jwt_secret:
        app.add_middleware(TokenCheck, token=token, jwt_secret=jwt_secret, jwt_method=jwt_method)
    # outside the token check: bodies are bounded before anything reads them
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    if cors:
        from fastapi.middleware.cors import CORSMiddleware

        # added last, so it is the outermost layer: preflight requests are answered before the token check
        app.add_middleware(
            CORSMiddleware, allow_origins=cors, allow_methods=["GET", "POST", "PUT", "OPTIONS"], allow_headers=["*"]
        )


def _add_error_handlers(app: FastAPI) -> None:
    """Every failure answers in the one error shape (``ErrorBody``); never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]} for e in exc.errors()
        ]
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not read the body: not UTF-8, nested too deeply, a huge number
            return error_response(
                422,
                "invalid_request",
                [
                    {
                        "field": "",
                        "problem": "the body is not a JSON document this server can read "
                        "(UTF-8, nesting and number size are limited)",
                    }
                ],
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, exc.detail)

    @app.exception_handler(Overloaded)
    async def overloaded(_: Request, exc: Overloaded) -> JSONResponse:
        return error_response(503, "overloaded", str(exc), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(LockTimeout)
    async def busy(_: Request, exc: LockTimeout) -> JSONResponse:
        return error_response(503, "conversation_busy", exc.issues[0].text)

    @app.exception_handler(StoreConflict)
    async def conflict(_: Request, exc: StoreConflict) -> JSONResponse:
        return error_response(409, "conversation_conflict", exc.issues[0].text)

    @app.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> JSONResponse:  # a bug: say so, keep serving
        logger.exception("request failed")
        return error_response(500, "internal_error", f"{type(exc).__name__}; see the server log")


def _add_routes(app: FastAPI, turns: Turns, model_api: bool) -> None:
    """The routes; each reads ``turns.agent`` when it runs (``PUT /model`` replaces it)."""
    chat_page = resources.files("dialogkit.framework.server").joinpath("static/chat.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def chat() -> HTMLResponse:
        return HTMLResponse(chat_page)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/version")
    async def version() -> dict[str, Any]:
        agent = turns.agent
        return {
            "version": __version__,
            "model": agent.manifest.get("domain_name"),
            "archive_format": agent.manifest.get("format"),
            "language": agent.domain.language,
            "components": agent.describe(),
        }

    def in_time(request: Request, work: Any, *args: Any) -> Any:
        """``work(*args)`` in a worker thread, unless the request waited past the bound for one."""
        return turns.in_time(request.scope.get(ADMITTED), work, *args)

    @app.post("/webhooks/rest/webhook")
    async def webhook(body: WebhookMessage, request: Request) -> Any:
        try:
            messages = await turns.answer(
                "rest", UserMessage(body.sender, body.message, body.metadata or {}), request.scope.get(ADMITTED)
            )
        except ChannelError as e:
            return error_response(e.status, e.code, e.problem)
        return [{"recipient_id": body.sender, **m} for m in messages]

    for channel in turns.channels.values():
        if channel.webhook and channel.name != "rest":  # the route above is rest's (with its schema)
            app.post(f"/webhooks/{channel.name}/webhook", summary=f"the {channel.name} channel")(
                _channel_route(channel, turns)
            )

    @app.post("/model/parse")
    async def parse(body: ParseRequest, request: Request) -> Any:
        try:
            turns.check_length(body.text)
        except ChannelError as e:
            return error_response(e.status, e.code, e.problem)
        result = await run_in_threadpool(in_time, request, turns.agent.parse, body.text)
        return {
            "text": result["text"],
            "intent": result["intent"],
            "entities": result["entities"],
            "intent_ranking": result["intent_ranking"],
            "message_id": body.message_id,
        }

    add_conversation_routes(app, turns, in_time)
    _add_model_route(app, turns, in_time, model_api)


class ModelRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model_file: str = Field(min_length=1, description="a model archive (folder or .tar.gz) on the server's disk")


def _add_model_route(app: FastAPI, turns: Turns, in_time: Any, enabled: bool) -> None:
    swapping = asyncio.Lock()

    @app.put("/model", status_code=204, response_class=Response, response_model=None,
             responses={403: {"model": ErrorBody, "description": "no auth configured, or a JWT not an admin's"}})
    async def replace_model(body: ModelRequest) -> Any:
        """Serve another model (Rasa's ``PUT /model``): it loads in a worker thread while the current
        one keeps answering, then takes over at once; conversations carry on. A model that does not
        load leaves the current one serving (422 with why). Only on a server with ``--auth-token``
        or ``--jwt-secret``: a model's action code runs in the server."""
        if not enabled:
            return error_response(403, "forbidden", "PUT /model needs a server started with --auth-token or "
                                  "--jwt-secret (loading a model runs its action code)")
        async with swapping:  # one replacement at a time
            try:
                new = await run_in_threadpool(turns.agent.successor, body.model_file)
            except DialogkitError as e:
                return error_response(422, "model_not_loaded", [str(i) for i in e.issues])
            except OSError as e:
                return error_response(422, "model_not_loaded", [f"{body.model_file}: {e.strerror or e}"])
            turns.agent = new
            replace_conversation_routes(app, turns, in_time)
        logger.info("now serving %s", body.model_file)
        return Response(status_code=204)


def _channel_route(channel: Channel, turns: Turns) -> Any:
    async def hook(request: Request) -> Any:
        try:
            msg = await channel.read(request)
            messages = await turns.answer(channel.name, msg, request.scope.get(ADMITTED))
        except NoMessage as e:  # a verification challenge, a retry, the bot's own message: no turn
            return e.response if e.response is not None else PlainTextResponse("")
        except ChannelError as e:
            return error_response(e.status, e.code, e.problem)
        return await channel.reply(msg, messages)

    return hook
