"""Handing a conversation to a human: while it is paused (``ConversationPaused``, Rasa's
``pause``: from a local or remote action, the built-in ``action_human_handoff``, or appended
through ``tracker/events``) the bot keeps each user message without answering it, and forwards
it to the handoff webhook configured in ``endpoints.yml``:

.. code-block:: yaml

    handoff:
      url: https://helpdesk.example.com/dialogkit   # ${VAR} is read from the environment
      token: ${HANDOFF_TOKEN}                        # sent as `Authorization: Bearer ...` (optional)
      timeout: 5                                     # seconds per POST

What is POSTed (JSON): when the conversation is paused, ``{"event": "handoff", "conversation_id",
"input_channel", "transcript": [{"sender": "user" | "bot", "text", "timestamp"}...]}``; then for
each message, ``{"event": "user", "conversation_id", "text", "metadata", "input_channel",
"timestamp"}``. The human answers through ``POST /conversations/{id}/tracker/events
?output_channel=latest&execute_side_effects=true`` with ``bot`` events, and gives the
conversation back with ``{"event": "resume"}``. A message the webhook does not take is logged;
the conversation keeps it (nothing is lost: ``GET /conversations/{id}/tracker`` has every one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import BotUttered, ConversationPaused, UserUttered

__all__ = ["Handoff", "HandoffEndpoint", "load_handoff"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandoffEndpoint:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 5.0


def load_handoff(path: str | Path) -> HandoffEndpoint | None:
    """The ``handoff:`` section of an ``endpoints.yml``; None when it has none."""
    from ..errors import DialogkitError, Location, message
    from ..yamlio import interpolate_env, load_yaml

    def missing(name: str) -> None:
        raise DialogkitError(message("DK801", Location(str(path)), section="handoff",
                                     problem=f"environment variable {name} is not set",
                                     fix="set it, or write the value in the file"))

    doc = load_yaml(path, allow_empty=True)
    section = (doc.data or {}).get("handoff") if isinstance(doc.data, dict) else None
    if section is None:
        return None
    where = doc.positions.find(("handoff",)) or Location(str(path))
    unknown = sorted(set(section) - {"url", "token", "timeout"}) if isinstance(section, dict) else []
    url = section.get("url") if isinstance(section, dict) else None
    timeout = section.get("timeout", 5) if isinstance(section, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or unknown \
            or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DialogkitError(message(
            "DK801", where, section="handoff",
            problem=f"unknown key(s) {', '.join(unknown)}" if unknown else "needs `url: http(s)://...` and a positive "
            "`timeout` (seconds)",
            fix="write e.g. `handoff: {url: https://helpdesk.example.com/dialogkit, token: ${HANDOFF_TOKEN}}`",
        ))
    token = interpolate_env(section.get("token"), missing)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return HandoffEndpoint(str(interpolate_env(url, missing)), headers, float(timeout))


class Handoff:
    """Forwards a paused conversation's messages to the handoff webhook."""

    def __init__(self, endpoint: HandoffEndpoint):
        import httpx

        self.endpoint = endpoint
        self._client = httpx.Client(timeout=endpoint.timeout, headers=endpoint.headers)

    def forward(self, tracker: Any, new: list[Any]) -> None:
        """Called with a conversation's events just saved: POSTs the handoff and the messages kept."""
        cid = tracker.conversation_id
        if any(isinstance(e, ConversationPaused) for e in new):
            latest = tracker.latest_message
            transcript = [
                {"sender": "user" if isinstance(e, UserUttered) else "bot", "text": e.text, "timestamp": e.timestamp}
                for e in tracker.events if isinstance(e, (UserUttered, BotUttered)) and e.text
            ]
            self._post({"event": "handoff", "conversation_id": cid,
                        "input_channel": latest.input_channel if latest else None, "transcript": transcript})
        elif tracker.paused:
            for e in new:
                if isinstance(e, UserUttered):
                    self._post({"event": "user", "conversation_id": cid, "text": e.text, "metadata": e.metadata,
                                "input_channel": e.input_channel, "timestamp": e.timestamp})

    def _post(self, body: dict[str, Any]) -> None:
        import httpx

        try:
            self._client.post(self.endpoint.url, json=body).raise_for_status()
        except httpx.HTTPError as e:
            logger.warning("handoff webhook %s did not take the %s of conversation %s (kept in the conversation): %s",
                           self.endpoint.url, body["event"], body["conversation_id"], e)
