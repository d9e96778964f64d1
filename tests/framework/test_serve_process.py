"""`dialogkit serve` as a real process: SIGKILL mid-conversation loses no acknowledged
message; the web chat page works in headless Chromium."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(model: Path, port: int, *options: str) -> subprocess.Popen:
    """`dialogkit serve` in its own process group (so a test can signal all its workers)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "dialogkit", "serve", str(model), "--port", str(port), *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_healthy(procs_ports: list[tuple[subprocess.Popen, int]], seconds: float = 90) -> None:
    """Wait until every server answers /health; fail with its output if one exits or is too slow."""
    deadline = time.time() + seconds
    for proc, port in procs_ports:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise AssertionError(f"server did not start: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.1)


def start(model: Path, port: int, store: Path) -> subprocess.Popen:
    proc = launch(model, port, "--store-path", str(store))
    wait_healthy([(proc, port)])
    return proc


def test_sigkill_loses_no_acknowledged_message(light_model, tmp_path):
    port, store = free_port(), tmp_path / "trackers.sqlite"
    url = f"http://127.0.0.1:{port}"
    proc = start(light_model, port, store)
    try:
        assert store.is_file()  # --store-path is where the conversations go
        sent = ["I'd like to book a table", "thai", "for 4 people"]
        for text in sent:
            r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": "k", "message": text}, timeout=30)
            assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    proc = start(light_model, port, store)
    try:
        tracker = httpx.get(f"{url}/conversations/k/tracker", timeout=10).json()
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == sent
        assert tracker["slots"]["cuisine"] == "thai" and tracker["slots"]["party_size"] == 4
        r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": "k", "message": "in the north"}, timeout=30)
        assert r.json()[0]["response"] == "utter_ask_time"  # the conversation goes on where it was
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (make browser installs Debian's chromium)")
def test_web_chat_page_in_headless_chromium(light_model, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    port = free_port()
    proc = start(light_model, port, tmp_path / "t.sqlite")
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/?sender=browser")
            page.wait_for_selector(".msg.hint")  # a first hint in a new conversation
            page.wait_for_function("document.title.startsWith('restaurant')")  # the bot's name, not "dialogkit chat"
            assert page.locator("#name").inner_text() == "restaurant"
            page.fill("#text", "hello")
            page.click("#send")
            page.wait_for_selector(".msg.bot")
            assert page.locator(".msg.user").first.inner_text() == "hello"
            page.fill("#text", '/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "8pm"}')
            page.press("#text", "Enter")
            page.wait_for_selector(".buttons button:has-text('Yes')")
            page.click(".buttons button:has-text('Yes')")
            page.wait_for_selector("text=Your table is booked")
            page.reload()  # the conversation is still there: the sender id is kept, the history comes from the tracker
            page.wait_for_selector("text=Your table is booked")
            assert page.locator(".msg.user").first.inner_text() == "hello"
            assert page.locator(".msg.hint").count() == 0
            page.fill("#text", "thanks")
            page.press("#text", "Enter")
            page.wait_for_function("document.querySelectorAll('.msg.user').length >= 4")
            page.screenshot(path=str(tmp_path / "chat.png"))
            browser.close()
        tracker = httpx.get(f"http://127.0.0.1:{port}/conversations/browser/tracker", timeout=10).json()
        assert any(e["event"] == "action" and e["name"] == "action_book_table" for e in tracker["events"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
