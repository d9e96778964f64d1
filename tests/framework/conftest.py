"""Fixtures the server tests share."""

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from dialogkit.framework.build.training import train
from tests.conftest import DOMAINS, STAND_IN


@pytest.fixture(scope="session")
def light_model(tmp_path_factory):
    """The restaurant bot with the light pipeline (the BERT NLU is tested elsewhere)."""
    root = tmp_path_factory.mktemp("bots")
    bot = root / "restaurant"
    shutil.copytree(DOMAINS / "restaurant", bot)
    text = (bot / "domain.yml").read_text()
    start, end = text.index("pipeline:"), text.index("session:")
    (bot / "domain.yml").write_text(text[:start] + STAND_IN + "\n" + text[end:])
    out = root / "model"
    train(bot, out)
    return out


class StandIn:
    """A local HTTP server on 127.0.0.1 standing in for someone else's endpoint (a callback URL, a
    handoff webhook, a vendor's API): records each POST as ``(path, body)`` (JSON, or form
    fields) and answers ``answer(path)`` = (status, JSON body)."""

    def __init__(self, answer=lambda path: (200, {})):
        self.calls = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                is_json = "json" in (self.headers.get("Content-Type") or "")
                calls.append((self.path, json.loads(raw) if is_json else dict(parse_qsl(raw))))
                status, body = answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @property
    def received(self):
        """The bodies posted, in order."""
        return [body for _, body in self.calls]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()
