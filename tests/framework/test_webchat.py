"""A published Rasa chat widget (rasa-webchat, from the npm registry: `make webchat`) in headless
Chromium holds a conversation with `dialogkit serve --credentials` over socket.io: the greeting
sent on load, a payload message, buttons clicked, a reload that keeps the session, and the
conversation stored under that session. The page comes from a site of its own on another port
(`--cors` lets it in). A screenshot is saved in test-artifacts/webchat.png."""

import functools
import json
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.conftest import ROOT
from tests.framework.test_serve_process import CHROMIUM, free_port, launch, wait_healthy

pytestmark = pytest.mark.slow

WEBCHAT = ROOT / ".cache" / "webchat" / "rasa-webchat-1.0.1.js"
ARTIFACTS = ROOT / "test-artifacts"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>a site with a Rasa chat widget</title></head>
<body><div id="webchat"></div><script src="/webchat.js"></script><script>
WebChat.default({selector: "#webchat", initPayload: "/greet", customData: {page: "home"},
  socketUrl: "SOCKET_URL", socketPath: "/socket.io/", title: "restaurant", embedded: true,
  params: {storage: "local"}}, null);
</script></body></html>"""


@pytest.fixture
def site(tmp_path):
    """A web site with the widget on its page, on its own port: (its origin, the folder it serves)."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(WEBCHAT, root / "webchat.js")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", root
    httpd.shutdown()


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (make browser installs Debian's chromium)")
def test_rasa_webchat_holds_a_conversation_over_socketio(light_model, tmp_path, request):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    assert WEBCHAT.exists(), "the chat widget is missing: run `make webchat` (make browser and make test do)"
    origin, root = request.getfixturevalue("site")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("socketio:\n  session_persistence: true\n  metadata_key: customData\n", encoding="utf-8")
    port = free_port()
    proc = launch(light_model, port, "--store-path", str(tmp_path / "t.sqlite"), "--credentials", str(credentials),
                  "--cors", origin)
    wait_healthy([(proc, port)])
    server = f"http://127.0.0.1:{port}"
    (root / "index.html").write_text(PAGE.replace("SOCKET_URL", server), encoding="utf-8")
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"{origin}/index.html")
            said = ".rw-response .rw-message-text"  # a bot message shown (not the typing dots)
            page.wait_for_selector(said)  # the answer to the greeting sent on load
            typed = '/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "8pm"}'
            page.fill(".rw-new-message", typed)
            page.press(".rw-new-message", "Enter")
            page.wait_for_selector(".rw-reply:has-text('Yes')")  # the booking's confirm buttons
            page.click(".rw-reply:has-text('Yes')")
            page.wait_for_selector("text=Your table is booked")
            session = page.evaluate("JSON.parse(localStorage.getItem('chat_session')).session_id")

            page.reload()  # the widget asks for the session it kept; the conversation goes on
            page.wait_for_selector("text=Your table is booked")
            before = page.locator(said).count()
            page.fill(".rw-new-message", "bye")
            page.press(".rw-new-message", "Enter")
            page.wait_for_function(f"document.querySelectorAll('{said}').length > {before}")
            assert page.evaluate("JSON.parse(localStorage.getItem('chat_session')).session_id") == session
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(tmp_path / "webchat.png"), full_page=True)
            shutil.copy(tmp_path / "webchat.png", ARTIFACTS / "webchat.png")
            browser.close()
        tracker = httpx.get(f"{server}/conversations/{session}/tracker", timeout=10).json()
        users = [e for e in tracker["events"] if e["event"] == "user"]
        assert [u["text"] for u in users][0] == "/greet" and users[-1]["text"] == "bye"
        assert all(u["input_channel"] == "socketio" for u in users)
        assert users[0]["metadata"] == {"page": "home"}
        assert any(e["event"] == "action" and e["name"] == "action_book_table" for e in tracker["events"])
        said = [e["text"] for e in tracker["events"] if e["event"] == "bot"]
        assert "Your table is booked" in json.dumps(said)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
