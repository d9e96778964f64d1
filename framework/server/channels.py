"""Channels: where users talk to the bot, each a small adapter over one contract.

A channel turns a request to ``POST /webhooks/<name>/webhook`` into a :class:`UserMessage`
(:meth:`Channel.read`: parse, check the sender's signature) and the bot's answer into what that
channel wants back (:meth:`Channel.reply`: the HTTP answer, and any messages it sends elsewhere).
:meth:`Channel.send` reaches a user the bot speaks to first (``trigger_intent`` with an output
channel, a reminder). A channel that keeps connections of its own instead of webhooks
(socket.io) sets ``webhook = False`` and wraps the app in :meth:`Channel.attach`.
The server does the rest the same way for every channel: the body limit, the token, admission
under load, the message length, the turn itself (``Agent.handle`` with the channel's name as the
input channel and the request's metadata) and the error answers.

Built in:

- ``rest``: Rasa's REST channel, ``{"sender", "message", "metadata"?}`` in, the bot's messages
  (``recipient_id``, ``text``, ``buttons``, ``image``, ``custom``) out. Always on.
- ``callback``: the same request, answered ``"success"``; the bot's messages are POSTed one by one
  to the configured ``url`` (Rasa's callback channel).
- ``socketio``: Rasa's socket.io protocol (:mod:`.socketio_channel`), what Rasa's chat widgets speak.

Channels are configured in ``credentials.yml`` as in Rasa (``dialogkit serve --credentials FILE``):
a top-level key per channel with its settings. A key naming a class (``mymodule.MyChannel`` or
``mymodule:MyChannel``, importable from the file's folder) adds a channel of one's own: a subclass
of :class:`Channel` (docs/interfaces.md has an example). Rasa channels dialogkit does not have yet
(``facebook``, ``mattermost``...) and Rasa X's ``rasa:`` are skipped with a warning, so a Rasa
project's file carries over.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from ..errors import DialogkitError, Issue, Location, did_you_mean, message

__all__ = ["CallbackChannel", "Channel", "ChannelError", "NoMessage", "RestChannel", "UserMessage", "load_credentials"]

logger = logging.getLogger(__name__)

# Rasa's channels dialogkit has no adapter for yet: skipped (with a warning), not refused
NOT_YET = {
    "twilio_voice", "facebook", "mattermost", "rocketchat",
    "botframework", "webexteams", "hangouts", "cisco_spark",
}
IGNORED = {"rasa"}  # Rasa X / Enterprise: no counterpart
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class UserMessage:
    """What a channel read from a request: who sent what, and what the channel sent with it."""

    sender: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


class NoMessage(Exception):  # noqa: N818 - a request, not an error
    """A request with no user message in it (a vendor's verification challenge, a retry, the
    bot's own message echoed back): answered with ``response`` (default: 200, empty), no turn runs."""

    def __init__(self, response: Any = None):
        super().__init__("no user message in this request")
        self.response = response


class ChannelError(Exception):
    """A request the channel cannot take: answered with ``status`` and ``{"error": code, "detail": problem}``."""

    def __init__(self, status: int, code: str, problem: Any):
        super().__init__(str(problem))
        self.status, self.code, self.problem = status, code, problem


class Channel:
    """The contract every channel implements (subclass it for a channel of your own).

    ``name`` is the URL segment (``/webhooks/<name>/webhook``) and the input channel recorded with
    each message; ``Config`` the settings it takes from credentials.yml (unknown keys refused).
    """

    name: ClassVar[str] = ""
    webhook: ClassVar[bool] = True  # served at /webhooks/<name>/webhook (read → reply)
    requires: ClassVar[dict[str, str]] = {}  # modules it imports → the package that has them

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")

    def __init__(self, config: BaseModel):
        self.config = config

    async def read(self, request: Request) -> UserMessage:
        """The user's message in ``request``; raise :class:`ChannelError` for a request it cannot take."""
        raise NotImplementedError

    async def reply(self, message: UserMessage, messages: list[dict[str, Any]]) -> Any:
        """What the webhook answers, given the bot's ``messages`` (Rasa's shape: ``text``,
        ``buttons``, ``image``, ``custom``...). Send them elsewhere here if the channel does."""
        return [{"recipient_id": message.sender, **m} for m in messages]

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        """Deliver messages the user did not ask for (the bot speaking first, a reminder). The
        default does nothing: a channel that only answers requests cannot reach its users unasked,
        and the messages stay in the conversation (its tracker)."""

    def attach(self, app: Any, turns: Any) -> Any:
        """The ASGI app to serve: ``app`` itself for a webhook channel; a channel with connections
        of its own wraps it, and answers each message with ``await turns.admit_and_answer(self.name,
        UserMessage(...))`` (:class:`~dialogkit.framework.server.turns.Turns`)."""
        return app


class _RestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sender: str = Field(min_length=1, max_length=200)
    message: str
    metadata: dict[str, Any] | None = None


async def read_json(request: Request) -> Any:
    """The request's JSON body, or a 400 that says what is wrong with it."""
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):
        raise ChannelError(400, "invalid_json", "the body is not a JSON document this server can read") from None


class RestChannel(Channel):
    """Rasa's REST channel: ``{"sender", "message", "metadata"?}``, answered with the bot's messages."""

    name = "rest"

    async def read(self, request: Request) -> UserMessage:
        try:
            body = _RestBody.model_validate(await read_json(request))
        except ValidationError as e:
            problems = [{"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in e.errors()]
            raise ChannelError(422, "invalid_request", problems) from None
        return UserMessage(body.sender, body.message, body.metadata or {})


class CallbackChannel(RestChannel):
    """Rasa's callback channel: the request as for ``rest``, answered ``success`` (text); each bot message
    is POSTed to ``url`` as ``{"recipient_id", "text", ...}`` (a message it cannot deliver is logged;
    the conversation keeps it)."""

    name = "callback"

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        url: str = Field(pattern=r"^https?://")
        timeout: float = Field(10.0, gt=0)

    config: Config

    async def reply(self, message: UserMessage, messages: list[dict[str, Any]]) -> Any:
        await self.send(message.sender, messages)
        return PlainTextResponse("success")  # Rasa's answer, as text

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        import httpx

        url = self.config.url
        async with httpx.AsyncClient(timeout=self.config.timeout) as client:
            for m in messages:
                try:
                    r = await client.post(url, json={"recipient_id": recipient_id, **m})
                    r.raise_for_status()
                except httpx.HTTPError as e:
                    logger.warning("callback channel: could not deliver a message to %s: %s", url, e)
                    break


def _builtin_channels() -> dict[str, type[Channel]]:
    from .socketio_channel import SocketIOChannel
    from .vendor_channels import SlackChannel, TelegramChannel, TwilioChannel

    return {"rest": RestChannel, "callback": CallbackChannel, "socketio": SocketIOChannel,
            "telegram": TelegramChannel, "slack": SlackChannel, "twilio": TwilioChannel}


def load_credentials(path: str | Path) -> tuple[list[Channel], list[Issue]]:
    """The channels ``path`` (credentials.yml) configures, and warnings for those skipped.
    Raises :class:`DialogkitError` with every problem, each at its file:line."""
    from ..yamlio import load_yaml

    doc = load_yaml(path, allow_empty=True)
    data = doc.data or {}
    channels: list[Channel] = []
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for key, settings in data.items():
        where = doc.positions.find((key,), key=True) or Location(str(path))
        if key in IGNORED:
            continue
        if key in NOT_YET:
            warnings.append(message("DK804", where, "warning", name=key))
            continue
        builtin = _builtin_channels()
        cls = builtin.get(key)
        if cls is None and ("." in key or ":" in key):
            cls = _custom(key, Path(path).resolve().parent, where, errors)
            if cls is None:
                continue
        elif cls is None:
            hint = did_you_mean(key, [*builtin, *NOT_YET])
            errors.append(message("DK805", where, name=key, hint=hint, known=", ".join(sorted(builtin))))
            continue
        blank = _blank_credentials(cls, settings)
        if blank:  # a template's channel never filled in (Rasa projects commit these): it cannot work
            warnings.append(message("DK809", where, "warning", name=key, keys=", ".join(blank)))
            continue
        missing = [package for module, package in cls.requires.items() if importlib.util.find_spec(module) is None]
        if missing:
            errors.append(message("DK808", where, name=key, package=missing[0]))
            continue
        try:
            config = cls.Config.model_validate(settings or {})
        except ValidationError as e:
            for err in e.errors():
                loc = doc.positions.find((key, *err["loc"])) or where
                errors.append(message("DK806", loc, name=key, field=".".join(map(str, err["loc"])), problem=err["msg"]))
            continue
        channels.append(cls(config))
    if errors:
        raise DialogkitError(errors)
    return channels, warnings


def _blank_credentials(cls: type[Channel], settings: Any) -> list[str]:
    """The settings ``cls`` requires that ``settings`` gives empty (``""`` or null)."""
    given = settings if isinstance(settings, dict) else {}
    return [name for name, field in cls.Config.model_fields.items()
            if field.is_required() and name in given and given[name] in ("", None)]


def _custom(key: str, folder: Path, where: Location, errors: list[Issue]) -> type[Channel] | None:
    """The channel class ``key`` names (``module.Class`` or ``module:Class``), imported with
    ``folder`` (the credentials file's) on the path."""
    module_name, _, attr = key.replace(":", ".").rpartition(".")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        errors.append(message("DK807", where, name=key, problem=f"{type(e).__name__}: {e}"))
        return None
    if not (isinstance(cls, type) and issubclass(cls, Channel)) or not NAME_RE.match(getattr(cls, "name", "") or ""):
        errors.append(
            message("DK807", where, name=key, problem="it is not a Channel subclass with a `name` such as 'mychat'")
        )
        return None
    return cls
