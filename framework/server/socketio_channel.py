"""The ``socketio`` channel: Rasa's socket.io protocol, what Rasa's chat widgets (rasa-webchat and
others) speak, on python-socketio.

The client connects to ``socketio_path`` (``/socket.io``), asks for a session
(``session_request {"session_id"?}``, confirmed with ``session_confirm <id>``) and sends
``user_uttered {"message", "session_id"?, <metadata_key>?}``; each bot message comes back as one
``bot_uttered`` event in Rasa's shape: ``{"text"}`` (a text with blank lines is sent as several),
``{"text", "quick_replies": [{"content_type": "text", "title", "payload"}]}`` for buttons,
``{"attachment": {"type": "image", "payload": {"src"}}}`` for an image, a custom payload as it is
(its ``data`` if it has one, as Rasa does).

With ``session_persistence: true`` the conversation is the session's id, so a reloaded page (the
widget sends the id it kept) goes on with the same conversation, and the bot can reach the user
later (``trigger_intent`` with ``output_channel``, reminders) on any connection of the session; a
message naming a session its connection did not ask for is refused. Without it every connection
is a conversation of its own. With ``jwt_key`` a client must connect with ``auth: {"token": <a
JWT signed with it>}``. With several server processes, ``message_queue: redis://...`` carries
each emit to the process that holds the client's connection (clients then connect with the
``websocket`` transport, or the processes sit behind sticky sessions). A message the server
cannot take (too long, overloaded, the conversation busy) is answered with an ``error`` event
``{"error", "detail"}``; the conversation keeps nothing of it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .channels import Channel, ChannelError, UserMessage

__all__ = ["SocketIOChannel", "socketio_messages"]

logger = logging.getLogger(__name__)

MAX_ID = 200  # a session id's length, as a REST sender's


def socketio_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    """One bot message (Rasa's shape) as the ``bot_uttered`` payloads Rasa's socket.io channel emits."""
    out: list[dict[str, Any]] = []
    text = message.get("text")
    if text:
        out.extend({"text": part} for part in str(text).strip().split("\n\n"))
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        if not out:
            out.append({"text": ""})
        out[-1]["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")} for b in buttons
        ]
    custom = message.get("custom")
    if custom is not None:
        out.append(custom["data"] if isinstance(custom, dict) and "data" in custom else custom)
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    if message.get("attachment"):
        out.append({"attachment": message["attachment"]})
    if message.get("elements"):
        out.append({"attachment": {"type": "template",
                                   "payload": {"template_type": "generic", "elements": message["elements"]}}})
    return out


class SocketIOChannel(Channel):
    """Rasa's ``socketio`` channel (credentials.yml keys as Rasa's)."""

    name = "socketio"
    webhook = False
    requires = {"socketio": "python-socketio"}

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        user_message_evt: str = Field("user_uttered", min_length=1)
        bot_message_evt: str = Field("bot_uttered", min_length=1)
        session_persistence: bool = False
        socketio_path: str = Field("/socket.io", pattern=r"^/?[A-Za-z0-9._~/-]+$")
        metadata_key: str = "metadata"
        jwt_key: str | None = None
        jwt_method: str = "HS256"
        # several server processes (serve --workers, or hosts): a Redis their emits go through, so
        # a message reaches a client whichever process answers or pushes it (reminders)
        message_queue: str | None = Field(None, pattern=r"^rediss?://")

    config: Config

    def __init__(self, config: BaseModel):
        super().__init__(config)
        self.sio: Any = None

    def attach(self, app: Any, turns: Any) -> Any:
        import socketio

        cors = turns.cors
        queue = socketio.AsyncRedisManager(self.config.message_queue) if self.config.message_queue else None
        self.sio = sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=queue,
            # the server's --cors; without it, pages of the server's own origin only
            cors_allowed_origins="*" if cors == ["*"] else (cors or None),
            max_http_buffer_size=turns.max_body_bytes,
            logger=False,
            engineio_logger=False,
        )
        config = self.config

        @sio.event
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            return config.jwt_key is None or self._token_ok(auth)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            given = data.get("session_id") if isinstance(data, dict) else None
            session_id = given if isinstance(given, str) and 0 < len(given) <= MAX_ID else uuid.uuid4().hex
            if config.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(config.user_message_evt)
        async def user_uttered(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or "message" not in data:
                return  # as Rasa: nothing to answer
            try:
                sender = self._sender(sid, data)
                metadata = data.get(config.metadata_key) or {}
                if not isinstance(metadata, dict):
                    raise ChannelError(422, "invalid_request", f"`{config.metadata_key}` must be an object")
                messages = await turns.admit_and_answer(self.name, UserMessage(sender, str(data["message"]), metadata))
            except Exception as e:  # every refusal reaches the client; nothing of the message was kept
                code, detail = _refusal(e)
                await sio.emit("error", {"error": code, "detail": detail}, room=sid)
                return
            await self._emit(sender, messages)

        return socketio.ASGIApp(sio, other_asgi_app=app, socketio_path=config.socketio_path)

    def _sender(self, sid: str, data: dict[str, Any]) -> str:
        if not self.config.session_persistence:
            return sid
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            return sid  # as Rasa: a message without its session is the connection's own
        if session_id not in self.sio.rooms(sid):
            raise ChannelError(403, "unknown_session", "ask for the session first (session_request)")
        return session_id

    def _token_ok(self, auth: Any) -> bool:
        import jwt

        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str):
            return False
        try:
            jwt.decode(token.removeprefix("Bearer "), self.config.jwt_key, algorithms=[self.config.jwt_method])
        except jwt.PyJWTError:
            return False
        return True

    async def _emit(self, recipient: str, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            for payload in socketio_messages(m):
                await self.sio.emit(self.config.bot_message_evt, payload, room=recipient)

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        if self.sio is not None:
            await self._emit(recipient_id, messages)


def _refusal(e: Exception) -> tuple[str, Any]:
    from ..stores.locks import LockTimeout
    from .guards import Overloaded

    if isinstance(e, ChannelError):
        return e.code, e.problem
    if isinstance(e, Overloaded):
        return "overloaded", str(e)
    if isinstance(e, LockTimeout):
        return "conversation_busy", e.issues[0].text
    logger.exception("socket.io message failed")
    return "internal_error", f"{type(e).__name__}; see the server log"
