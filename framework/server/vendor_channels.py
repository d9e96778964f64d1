"""Messaging apps' webhooks: ``telegram``, ``slack`` and ``twilio`` (SMS and WhatsApp), configured
with Rasa's credentials.yml keys. Each checks that a request comes from its vendor before anything
is read (Telegram's secret token; slack-sdk's ``SignatureVerifier``; twilio's ``RequestValidator``),
answers through the vendor's API (``api_url`` points it elsewhere, e.g. a stand-in in tests), and
maps the bot's buttons, images and custom payloads to the app's own form:

===========  ======================================  ====================================  ========================
channel      buttons                                 image                                 custom payload
===========  ======================================  ====================================  ========================
telegram     inline keyboard (a tap sends the        ``sendPhoto``                         ``sendMessage`` with its
             payload; over 64 bytes, the title)                                            fields (``reply_markup``...)
slack        Block Kit ``actions`` (a click sends    an ``image`` block                    ``chat.postMessage`` with its
             the payload)                                                                  fields (``blocks``...)
twilio       the titles listed under the text        ``media_url`` (MMS, WhatsApp)         ``messages.create`` with its
             (SMS has no buttons)                                                          fields (``media_url``...)
===========  ======================================  ====================================  ========================
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .channels import Channel, ChannelError, NoMessage, UserMessage, read_json

__all__ = ["SlackChannel", "TelegramChannel", "TwilioChannel"]

logger = logging.getLogger(__name__)

TELEGRAM_CALLBACK_BYTES = 64  # Telegram's limit on a button's callback_data


def _refused(vendor: str) -> ChannelError:
    return ChannelError(403, "invalid_signature", f"the request is not signed as {vendor} signs its requests")


class TelegramChannel(Channel):
    """Telegram's Bot API webhook (``setWebhook`` with ``secret_token``): updates in, ``sendMessage``
    out; the conversation is the chat."""

    name = "telegram"

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        access_token: str = Field(min_length=1)
        verify: str | None = None  # the bot's username (Rasa's key)
        webhook_url: str | None = None  # where Telegram posts (Rasa's key; set it with setWebhook)
        secret_token: str | None = None  # setWebhook's secret_token: checked on every request
        api_url: str = Field("https://api.telegram.org", pattern=r"^https?://")
        timeout: float = Field(10.0, gt=0)

    config: Config

    def __init__(self, config: BaseModel):
        super().__init__(config)
        if self.config.secret_token is None:
            logger.warning("telegram: no secret_token in credentials.yml: anyone who knows the webhook's URL can "
                           "write as any chat; set one, and pass it to setWebhook as secret_token")

    async def read(self, request: Request) -> UserMessage:
        if self.config.secret_token is not None:
            given = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not hmac.compare_digest(given.encode(), self.config.secret_token.encode()):
                raise _refused("Telegram")
        update = await read_json(request)
        if not isinstance(update, dict):
            raise ChannelError(422, "invalid_request", "a Telegram update is a JSON object")
        query = update.get("callback_query")
        if isinstance(query, dict):  # a button tapped: its payload is the message
            chat = ((query.get("message") or {}).get("chat") or {}).get("id")
            await self._call("answerCallbackQuery", {"callback_query_id": query.get("id")})
            return self._message(chat, query.get("data"), update)
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict):
            raise NoMessage()  # a channel post, a member joining...: nothing to answer
        return self._message((message.get("chat") or {}).get("id"), message.get("text"), update)

    def _message(self, chat: Any, text: Any, update: dict[str, Any]) -> UserMessage:
        if chat is None or not isinstance(text, str) or not text:
            raise NoMessage()  # a sticker, a photo without a caption
        return UserMessage(str(chat), text, {"telegram": {"update_id": update.get("update_id")}})

    async def reply(self, message: UserMessage, messages: list[dict[str, Any]]) -> Any:
        await self.send(message.sender, messages)
        return PlainTextResponse("success")

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            for method, body in self.requests(recipient_id, m):
                await self._call(method, body)

    @staticmethod
    def requests(chat_id: str, m: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The Bot API calls that say one bot message."""
        calls: list[tuple[str, dict[str, Any]]] = []
        if m.get("text"):
            body: dict[str, Any] = {"chat_id": chat_id, "text": m["text"]}
            if m.get("buttons"):
                body["reply_markup"] = {"inline_keyboard": [[_telegram_button(b)] for b in m["buttons"]]}
            calls.append(("sendMessage", body))
        if m.get("image"):
            calls.append(("sendPhoto", {"chat_id": chat_id, "photo": m["image"]}))
        if isinstance(m.get("custom"), dict):
            calls.append(("sendMessage", {"chat_id": chat_id, **m["custom"]}))
        return calls

    async def _call(self, method: str, body: dict[str, Any]) -> None:
        import httpx

        url = f"{self.config.api_url.rstrip('/')}/bot{self.config.access_token}/{method}"
        try:
            async with httpx.AsyncClient(timeout=self.config.timeout) as client:
                (await client.post(url, json=body)).raise_for_status()
        except httpx.HTTPError as e:
            logger.warning("telegram: %s failed: %s", method, str(e).replace(self.config.access_token, "***"))


def _telegram_button(b: dict[str, Any]) -> dict[str, Any]:
    payload = str(b.get("payload") or b.get("title") or "")
    if len(payload.encode()) > TELEGRAM_CALLBACK_BYTES:
        payload = str(b.get("title") or "")[:TELEGRAM_CALLBACK_BYTES]
    return {"text": b.get("title"), "callback_data": payload}


class SlackChannel(Channel):
    """Slack's Events API and interactivity webhook (both at this URL): messages and button clicks
    in, ``chat.postMessage`` out. The conversation is the user (``conversation_granularity:
    sender``), the Slack channel (``channel``) or the thread (``thread``)."""

    name = "slack"
    requires = {"slack_sdk": "slack-sdk"}

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        slack_token: str = Field(min_length=1)
        slack_signing_secret: str = Field(min_length=1)
        slack_channel: str | None = None  # answer there instead of where the message came from
        use_threads: bool = False
        conversation_granularity: str = Field("sender", pattern="^(sender|channel|thread)$")
        # Rasa's retry settings: a retry Slack sends because the answer was late is not run again
        slack_retry_reason_header: str = "x-slack-retry-reason"
        slack_retry_number_header: str = "x-slack-retry-num"
        errors_ignore_retry: list[str] = Field(default_factory=lambda: ["http_timeout"])
        proxy: str | None = None
        api_url: str = Field("https://slack.com/api/", pattern=r"^https?://")

    config: Config

    async def read(self, request: Request) -> UserMessage:
        from slack_sdk.signature import SignatureVerifier

        body = await request.body()
        headers = request.headers
        if not SignatureVerifier(self.config.slack_signing_secret).is_valid(
            body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        ):
            raise _refused("Slack")
        retry = headers.get(self.config.slack_retry_number_header)
        if retry and headers.get(self.config.slack_retry_reason_header) in self.config.errors_ignore_retry:
            raise NoMessage()  # the first delivery is being answered
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self._interaction(dict(parse_qsl(body.decode(errors="replace"))).get("payload"))
        try:
            data = json.loads(body)
        except ValueError:
            raise ChannelError(400, "invalid_json", "the body is not a JSON document this server can read") from None
        if not isinstance(data, dict):
            raise ChannelError(422, "invalid_request", "a Slack event is a JSON object")
        if data.get("type") == "url_verification":
            raise NoMessage(JSONResponse({"challenge": data.get("challenge")}))
        event = data.get("event")
        if not isinstance(event, dict) or event.get("type") not in ("message", "app_mention") or event.get("bot_id") \
                or event.get("subtype") not in (None, "file_share") or not isinstance(event.get("text"), str):
            raise NoMessage()  # the bot's own message, an edit, a reaction...
        text = re.sub(r"<@[A-Z0-9]+>\s*", "", event["text"]).strip()  # a mention of the bot
        if not text:
            raise NoMessage()
        return self._user(event.get("user"), event.get("channel"), event.get("thread_ts") or event.get("ts"), text)

    def _interaction(self, payload: str | None) -> UserMessage:
        try:
            data = json.loads(payload or "")
        except ValueError:
            raise ChannelError(422, "invalid_request", "an interaction carries a JSON `payload`") from None
        actions = data.get("actions") if isinstance(data, dict) else None
        if not actions or not isinstance(actions[0], dict):
            raise NoMessage()
        container = data.get("container") or {}
        return self._user((data.get("user") or {}).get("id"), (data.get("channel") or {}).get("id"),
                          container.get("thread_ts") or container.get("message_ts"),
                          str(actions[0].get("value") or (actions[0].get("text") or {}).get("text") or ""))

    def _user(self, user: Any, channel: Any, thread: Any, text: str) -> UserMessage:
        if not user or not channel or not text:
            raise NoMessage()
        sender = {"sender": user, "channel": channel, "thread": f"{channel}:{thread}"}[
            self.config.conversation_granularity]
        return UserMessage(str(sender), text, {"out_channel": channel, "thread_id": thread, "users": [user]})

    async def reply(self, message: UserMessage, messages: list[dict[str, Any]]) -> Any:
        channel = self.config.slack_channel or message.metadata.get("out_channel") or message.sender
        thread = message.metadata.get("thread_id") if self.config.use_threads else None
        await self._post(channel, thread, messages)
        return Response(status_code=200)

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        # a user's id opens a direct message; a channel's id posts there; a thread's is "channel:ts"
        channel, _, thread = recipient_id.partition(":")
        await self._post(self.config.slack_channel or channel, thread or None, messages)

    async def _post(self, channel: str, thread: str | None, messages: list[dict[str, Any]]) -> None:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackClientError

        client = WebClient(token=self.config.slack_token, base_url=self.config.api_url, proxy=self.config.proxy)
        for m in messages:
            for body in self.requests(m):
                try:
                    await asyncio.to_thread(client.chat_postMessage, channel=channel, thread_ts=thread, **body)
                except SlackClientError as e:
                    logger.warning("slack: chat.postMessage to %s failed: %s", channel, e)

    @staticmethod
    def requests(m: dict[str, Any]) -> list[dict[str, Any]]:
        """The ``chat.postMessage`` arguments that say one bot message."""
        out: list[dict[str, Any]] = []
        text, buttons = m.get("text") or "", m.get("buttons") or []
        if buttons:
            out.append({"text": text, "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}},
                {"type": "actions", "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": str(b.get("title"))},
                     "value": str(b.get("payload") or b.get("title"))} for b in buttons]},
            ]})
        elif text:
            out.append({"text": text})
        if m.get("image"):
            out.append({"text": "image", "blocks": [{"type": "image", "image_url": m["image"], "alt_text": "image"}]})
        if isinstance(m.get("custom"), dict):
            out.append(dict(m["custom"]))
        return out


class TwilioChannel(Channel):
    """Twilio's messaging webhook (SMS, or WhatsApp with ``twilio_number: whatsapp:+1...``): the
    message in (form fields ``From``, ``Body``), ``messages.create`` out; the conversation is the
    sender's number. ``webhook_url``: the public URL Twilio signs (behind a proxy it differs from
    the one the server sees)."""

    name = "twilio"
    requires = {"twilio": "twilio"}

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid")
        account_sid: str = Field(min_length=1)
        auth_token: str = Field(min_length=1)
        twilio_number: str = Field(min_length=1)
        webhook_url: str | None = None
        api_url: str = Field("https://api.twilio.com", pattern=r"^https?://")

    config: Config

    async def read(self, request: Request) -> UserMessage:
        from twilio.request_validator import RequestValidator

        form = dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))
        url = self.config.webhook_url or str(request.url)
        signature = request.headers.get("x-twilio-signature", "")
        if not RequestValidator(self.config.auth_token).validate(url, form, signature):
            raise _refused("Twilio")
        sender, text = form.get("From"), form.get("Body")
        if not sender or not text:
            raise NoMessage(_twiml())  # a delivery status, a media-only message
        return UserMessage(sender, text, {"twilio": {"message_sid": form.get("MessageSid"), "to": form.get("To")}})

    async def reply(self, message: UserMessage, messages: list[dict[str, Any]]) -> Any:
        await self.send(message.sender, messages)
        return _twiml()  # the replies went through the API: nothing more to say here

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        client = Client(self.config.account_sid, self.config.auth_token)
        client.api.base_url = self.config.api_url
        for m in messages:
            for body in self.requests(m):
                try:
                    await asyncio.to_thread(client.messages.create, to=recipient_id,
                                            from_=self.config.twilio_number, **body)
                except TwilioException as e:
                    logger.warning("twilio: a message to %s failed: %s", recipient_id, e)

    @staticmethod
    def requests(m: dict[str, Any]) -> list[dict[str, Any]]:
        """The ``messages.create`` arguments that say one bot message."""
        out: list[dict[str, Any]] = []
        text = m.get("text") or ""
        if m.get("buttons"):  # SMS has no buttons: the titles, for the user to type one
            text = (text + "\n" if text else "") + "\n".join(f"- {b.get('title')}" for b in m["buttons"])
        if text or m.get("image"):
            out.append({"body": text, **({"media_url": [m["image"]]} if m.get("image") else {})})
        if isinstance(m.get("custom"), dict):
            out.append(dict(m["custom"]))
        return out


def _twiml() -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', media_type="text/xml")
