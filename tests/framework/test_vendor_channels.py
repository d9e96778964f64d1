"""The telegram, slack and twilio channels with recorded payloads (channel_payloads/), each
request signed as its vendor signs (slack-sdk's SignatureVerifier, twilio's RequestValidator,
Telegram's secret token) and the replies sent to a local stand-in for the vendor's API on
127.0.0.1: a request that is not signed is refused with nothing kept; buttons and images take
each app's own form; the bot can speak first on each."""

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from dialogkit.framework.server.channels import load_credentials
from tests.framework.conftest import StandIn

PAYLOADS = Path(__file__).parent / "channel_payloads"
BOOK = '/book_table{"cuisine": "thai", "party_size": 2, "area": "north", "time": "8pm"}'
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TWILIO_SID, TWILIO_TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-auth-token-for-tests"


def vendor_answer(path):
    """What the vendors' APIs answer: Telegram's and Slack's ok, a Twilio message resource."""
    if "/Messages.json" in path:
        return 201, {"sid": "SM" + "0" * 32, "status": "queued"}
    return 200, {"ok": True, "result": True, "channel": "D024BE91L", "ts": "1.0"}


@pytest.fixture
def vendor():
    api = StandIn(vendor_answer)
    yield api
    api.close()


def serve(light_model, tmp_path, credentials):
    path = tmp_path / "credentials.yml"
    path.write_text(credentials, encoding="utf-8")
    channels, skipped = load_credentials(path)
    assert skipped == []
    agent = Agent.load(light_model)
    return agent, TestClient(create_app(agent, channels=channels))


def users(agent, cid):
    t = agent.store.get(cid)
    return [e.text for e in t.events if e.event == "user"] if t else []


# --- telegram ---------------------------------------------------------------------------


def test_telegram(light_model, tmp_path, vendor):
    agent, client = serve(light_model, tmp_path, f"telegram:\n  access_token: '123:ABC'\n  verify: table_bot\n"
                                                 f"  secret_token: s3cr3t-t0ken\n  api_url: {vendor.url}\n")
    message = json.loads((PAYLOADS / "telegram_message.json").read_text())
    signed = {"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-t0ken"}
    r = client.post("/webhooks/telegram/webhook", json=message, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
    assert r.status_code == 403 and users(agent, "111222333") == []  # not Telegram: nothing kept
    assert client.post("/webhooks/telegram/webhook", json=message, headers=signed).status_code == 200
    (path, body), = vendor.calls
    assert path == "/bot123:ABC/sendMessage" and body["chat_id"] == "111222333" and body["text"]
    # buttons: an inline keyboard whose taps send the payload
    client.post("/webhooks/telegram/webhook", headers=signed,
                json={**message, "message": {**message["message"], "text": BOOK}})
    keyboard = vendor.calls[-1][1]["reply_markup"]["inline_keyboard"]
    assert [row[0] for row in keyboard] == [{"text": "Yes", "callback_data": "/affirm"},
                                            {"text": "No", "callback_data": "/deny"}]
    callback = json.loads((PAYLOADS / "telegram_callback.json").read_text())
    assert client.post("/webhooks/telegram/webhook", json=callback, headers=signed).status_code == 200
    assert ("/bot123:ABC/answerCallbackQuery", {"callback_query_id": "4382bfdwdsb323b2d9"}) in vendor.calls
    assert users(agent, "111222333")[-1] == "/affirm" and "booked" in vendor.calls[-1][1]["text"]
    # a sticker: nothing to answer
    n = len(vendor.calls)
    sticker = json.loads((PAYLOADS / "telegram_sticker.json").read_text())
    assert client.post("/webhooks/telegram/webhook", json=sticker, headers=signed).status_code == 200
    assert len(vendor.calls) == n
    # the bot speaks first
    r = client.post("/conversations/111222333/trigger_intent?output_channel=telegram", json={"name": "greet"})
    assert r.status_code == 200 and vendor.calls[-1][1]["text"] == r.json()["messages"][0]["text"]


def test_telegram_images_and_custom_payloads():
    from dialogkit.framework.server.vendor_channels import TelegramChannel

    calls = TelegramChannel.requests("42", {"text": "Look", "image": "https://x/y.png",
                                            "custom": {"text": "hi", "parse_mode": "MarkdownV2"}})
    assert calls == [("sendMessage", {"chat_id": "42", "text": "Look"}),
                     ("sendPhoto", {"chat_id": "42", "photo": "https://x/y.png"}),
                     ("sendMessage", {"chat_id": "42", "text": "hi", "parse_mode": "MarkdownV2"})]
    long = {"title": "Book it", "payload": "/book_table" + "x" * 80}
    assert TelegramChannel.requests("42", {"text": "?", "buttons": [long]})[0][1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Book it", "callback_data": "Book it"}]]}


# --- slack ------------------------------------------------------------------------------


def slack_post(client, body: bytes, content_type="application/json", secret=SLACK_SECRET, **headers):
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return client.post("/webhooks/slack/webhook", content=body, headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature,
        **headers})


def test_slack(light_model, tmp_path, vendor):
    credentials = (f"slack:\n  slack_token: xoxb-test\n  slack_signing_secret: {SLACK_SECRET}\n"
                   f"  api_url: {vendor.url}/api/\n")
    agent, client = serve(light_model, tmp_path, credentials)
    challenge = (PAYLOADS / "slack_url_verification.json").read_bytes()
    assert slack_post(client, challenge).json() == {"challenge": json.loads(challenge)["challenge"]}
    message = (PAYLOADS / "slack_message.json").read_bytes()
    assert slack_post(client, message, secret="not-the-secret").status_code == 403
    assert users(agent, "U2147483697") == []
    assert slack_post(client, message).status_code == 200
    (path, body), = vendor.calls
    assert path == "/api/chat.postMessage" and body["channel"] == "D024BE91L" and body["text"]
    assert slack_post(client, (PAYLOADS / "slack_bot_echo.json").read_bytes()).status_code == 200  # its own
    retried = slack_post(client, message, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retried.status_code == 200 and len(vendor.calls) == 1 and users(agent, "U2147483697") == ["hello"]
    # buttons: Block Kit actions; a click comes back as an interaction
    event = json.loads(message)
    event["event"]["text"] = BOOK
    slack_post(client, json.dumps(event).encode())
    blocks = vendor.calls[-1][1]["blocks"]
    assert [(b["text"]["text"], b["value"]) for b in blocks[1]["elements"]] == [("Yes", "/affirm"), ("No", "/deny")]
    from urllib.parse import urlencode

    click = urlencode({"payload": (PAYLOADS / "slack_block_actions.json").read_text()}).encode()
    assert slack_post(client, click, content_type="application/x-www-form-urlencoded").status_code == 200
    assert users(agent, "U2147483697")[-1] == "/affirm" and "booked" in vendor.calls[-1][1]["text"]
    # the bot speaks first (a user's id opens a direct message)
    client.post("/conversations/U2147483697/trigger_intent?output_channel=latest", json={"name": "greet"})
    assert vendor.calls[-1][1]["channel"] == "U2147483697"


# --- twilio -----------------------------------------------------------------------------


def twilio_post(client, form: dict, token=TWILIO_TOKEN):
    url = "http://testserver/webhooks/twilio/webhook"
    signature = RequestValidator(token).compute_signature(url, form)
    return client.post("/webhooks/twilio/webhook", data=form, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("recorded, number", [("twilio_sms.txt", "+14155550100"),
                                              ("twilio_whatsapp.txt", "whatsapp:+14155238886")])
def test_twilio(light_model, tmp_path, vendor, recorded, number):
    agent, client = serve(light_model, tmp_path, f"twilio:\n  account_sid: {TWILIO_SID}\n  auth_token: {TWILIO_TOKEN}\n"
                                                 f"  twilio_number: '{number}'\n  api_url: {vendor.url}\n")
    form = dict(parse_qsl((PAYLOADS / recorded).read_text().strip()))
    sender = form["From"]
    assert twilio_post(client, form, token="someone-else").status_code == 403 and users(agent, sender) == []
    r = twilio_post(client, form)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    (path, body), = vendor.calls
    assert path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert body["To"] == sender and body["From"] == number and body["Body"]
    # buttons: SMS has none, so their titles are listed for the user to type
    twilio_post(client, {**form, "Body": BOOK})
    assert vendor.calls[-1][1]["Body"].endswith("- Yes\n- No")
    twilio_post(client, {**form, "Body": "yes"})
    assert "booked" in vendor.calls[-1][1]["Body"]


def test_twilio_images_and_custom_payloads():
    from dialogkit.framework.server.vendor_channels import TwilioChannel

    assert TwilioChannel.requests({"text": "Here", "image": "https://x/y.png", "custom": {"body": "raw"}}) == [
        {"body": "Here", "media_url": ["https://x/y.png"]}, {"body": "raw"}]


def test_a_rasa_projects_credentials_for_these_channels_load(tmp_path):
    path = tmp_path / "credentials.yml"
    path.write_text("telegram:\n  access_token: '490161424:AAGlRxinBRtKGb21_rlOEMtDFZMXBl6EC0o'\n  verify: your_bot\n"
                    "  webhook_url: https://your_url.com/webhooks/telegram/webhook\n"
                    "slack:\n  slack_token: xoxb-286425452756\n  slack_channel: C012345\n"
                    "  slack_signing_secret: YOUR_SIGNING_SECRET\n  proxy: http://myProxy.online\n"
                    "twilio:\n  account_sid: ACbc2dxxxxxxxxxxxx19d54bdcd6e41186\n"
                    "  auth_token: e231c197493a7122d475b4xxxxxxxxxx\n"
                    "  twilio_number: '+440123456789'\n", encoding="utf-8")
    channels, skipped = load_credentials(path)
    assert [c.name for c in channels] == ["telegram", "slack", "twilio"] and skipped == []


def test_a_channel_whose_library_is_missing_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    from dialogkit.framework.errors import DialogkitError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "slack_sdk" else real(name, *a))
    path = tmp_path / "credentials.yml"
    path.write_text("slack:\n  slack_token: x\n  slack_signing_secret: y\n", encoding="utf-8")
    with pytest.raises(DialogkitError) as e:
        load_credentials(path)
    issue = e.value.issues[0]
    assert issue.code == "DK808" and issue.location.line == 1 and "slack-sdk" in issue.text
    assert "dialogkit[channels]" in str(e.value)


def test_a_channel_left_with_empty_credentials_is_skipped_with_a_warning(tmp_path):
    # as committed in a public Rasa project (AlessandroMele/ADMT_bot): the template's telegram, never filled in
    path = tmp_path / "credentials.yml"
    path.write_text('rest:\nrasa:\n  url: "http://localhost:5002/api"\ntelegram:\n  access_token: ""\n  verify: ""\n'
                    '  webhook_url: "/webhooks/telegram/webhook"\n', encoding="utf-8")
    channels, skipped = load_credentials(path)
    assert [c.name for c in channels] == ["rest"]
    assert [(i.code, i.location.line) for i in skipped] == [("DK809", 4)]
    assert skipped[0].text == "channel 'telegram' is skipped: access_token left empty"
