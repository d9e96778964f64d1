"""One message in, the bot's messages out, the same way for every channel: the length check,
the bound on work in flight (shared by HTTP requests and socket.io events), the wait bound, the
turn in a worker thread; and the way back to a user the bot speaks to first (``push``: a
``trigger_intent`` with an output channel, a reminder)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..runtime.agent import Agent
from .channels import Channel, ChannelError, UserMessage
from .guards import RETRY_AFTER_SECONDS, InFlight, Overloaded

__all__ = ["REMINDER_POLL_SECONDS", "Turns", "rasa_message"]

logger = logging.getLogger(__name__)

REMINDER_POLL_SECONDS = 0.2  # how often a server looks for due reminders (they fire within this of their time)
LATEST = "latest"  # Rasa's output_channel value: the channel the conversation's latest message came in on


def rasa_message(msg: dict[str, Any]) -> dict[str, Any]:
    """A bot message in Rasa's shape (what a channel receives)."""
    out = {
        k: msg[k]
        for k in ("text", "buttons", "image", "custom", "attachment", "elements", "quick_replies")
        if msg.get(k) is not None
    }
    if msg.get("response"):
        out["response"] = msg["response"]
    return out


class Turns:
    """How the server runs a user's message, whichever channel it came in on."""

    def __init__(self, agent: Agent, in_flight: InFlight, max_wait: float, max_message_chars: int,
                 max_body_bytes: int = 64 * 1024, cors: list[str] | None = None):
        self.agent, self.in_flight, self.max_wait = agent, in_flight, max_wait
        self.max_message_chars = max_message_chars
        # what a channel with connections of its own applies the same way (socket.io)
        self.max_body_bytes, self.cors = max_body_bytes, cors
        self.channels: dict[str, Channel] = {}

    def check_length(self, text: str) -> None:
        if len(text) > self.max_message_chars:
            raise ChannelError(422, "message_too_long", f"messages are limited to {self.max_message_chars} characters")

    def in_time(self, admitted: float | None, work: Callable[..., Any], *args: Any) -> Any:
        """``work(*args)`` (in a worker thread), unless the message waited past the bound for one."""
        if self.max_wait and admitted is not None and time.monotonic() - admitted > self.max_wait:
            raise Overloaded(
                f"the server is busy: the message waited over {self.max_wait * 1000:.0f} ms for a worker and was "
                f"not read; send it again in {RETRY_AFTER_SECONDS} s"
            )
        return work(*args)

    async def answer(self, channel: str, message: UserMessage, admitted: float | None) -> list[dict[str, Any]]:
        """The bot's messages (Rasa's shape) for ``message``, which came in on ``channel``."""
        self.check_length(message.text)
        messages = await run_in_threadpool(
            self.in_time, admitted, self.agent.handle, message.text, message.sender, channel, message.metadata
        )
        return [rasa_message(m) for m in messages]

    async def admit_and_answer(self, channel: str, message: UserMessage) -> list[dict[str, Any]]:
        """:meth:`answer` for a message that did not come through the HTTP admission layer
        (a socket.io event): counted against the same bound, refused the same way past it."""
        if self.in_flight.full():
            raise Overloaded(self.in_flight.refusal())
        self.in_flight.count += 1
        try:
            return await self.answer(channel, message, time.monotonic())
        finally:
            self.in_flight.count -= 1

    def output_channel(self, name: str | None, conversation_id: str) -> Channel | None:
        """The channel ``name`` names (``latest``: the one the conversation's latest message came in on)."""
        if name == LATEST:
            tracker = self.agent.store.get(conversation_id)
            latest = next((e for e in reversed(tracker.events) if e.event == "user"), None) if tracker else None
            name = getattr(latest, "input_channel", None)
        return self.channels.get(name or "")

    async def push(self, channel: Channel | None, recipient: str, messages: list[dict[str, Any]]) -> None:
        """Send messages the user did not ask for through ``channel`` (nothing for a channel that
        cannot reach its users unasked, such as ``rest``: the messages stay in the conversation)."""
        if channel is None or not messages:
            return
        try:
            await channel.send(recipient, [rasa_message(m) for m in messages])
        except Exception:  # a channel that cannot deliver: logged; the conversation keeps the messages
            logger.exception("channel %s could not deliver %d messages to %s", channel.name, len(messages), recipient)

    async def fire_reminders(self, poll: float = REMINDER_POLL_SECONDS) -> None:
        """Fire due reminders until cancelled (the server runs it while it serves): each one this
        process claims runs in a worker thread, and its messages go out on the channel of the
        message that set it."""
        while True:
            try:
                for fired in await run_in_threadpool(self.agent.fire_reminders):
                    await self.push(self.channels.get(fired.channel or ""), fired.conversation_id, fired.messages)
            except asyncio.CancelledError:
                raise
            except Exception:  # a store that is down for a moment: try again at the next poll
                logger.exception("looking for due reminders failed")
            await asyncio.sleep(poll)
