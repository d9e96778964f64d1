"""The repair patterns in the example bots, through the shell and the HTTP API: banking (English)
skips the payment reference and confirms a new amount first; tickets_zh (Chinese) confirms a new
destination first, acknowledges it and asks whether anything else is needed; a bot's own
`pattern_<name>` flow replaces a built-in pattern. The bots run with the light pipeline (their
BERT NLU is tested with their conversation tests); the user's messages are button payloads."""

import shutil

import pytest
from fastapi.testclient import TestClient

from dialogkit.framework.build.training import train
from dialogkit.framework.cli.main import main
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.server.app import create_app
from tests.conftest import DOMAINS, STAND_IN


def light_copy(name, root, *, flows="", responses=""):
    """The example bot ``name`` with the light pipeline (and ``flows``/``responses`` added), trained."""
    bot = root / name
    shutil.copytree(DOMAINS / name, bot)
    text = (bot / "domain.yml").read_text(encoding="utf-8")
    start, end = text.index("pipeline:"), text.index("session:")
    text = text[:start] + STAND_IN + "\n" + text[end:]
    text = text.replace("\nflows:\n", "\nflows:\n" + flows, 1)
    text = text.replace("\nresponses:\n", "\nresponses:\n" + responses, 1)
    (bot / "domain.yml").write_text(text, encoding="utf-8")
    train(bot, root / f"{name}-model")
    return root / f"{name}-model"


@pytest.fixture(scope="module")
def banking(tmp_path_factory):
    return light_copy("banking", tmp_path_factory.mktemp("banking"))


@pytest.fixture(scope="module")
def tickets(tmp_path_factory):
    return light_copy("tickets_zh", tmp_path_factory.mktemp("tickets"))


def shell(model, lines, tmp_path, capsys):
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["shell", str(model), "--script", str(script)]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith(("you> ", "bot> ", "  "))]


def post(client, sender, message):
    r = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert r.status_code == 200, r.text
    return r.json()


TRANSFER = '/transfer_money{"recipient": "Emma", "amount": 40}'


def test_banking_skip_and_a_confirmed_correction_in_the_shell(banking, tmp_path, capsys):
    lines = shell(
        banking,
        [TRANSFER, "/skip", "/give_pin{\"pin\": \"9876\"}", '/inform{"amount": 60}', "/affirm", "/affirm"],
        tmp_path,
        capsys,
    )
    bot = [line[5:] for line in lines if line.startswith("bot> ")]
    assert bot == [
        "Any reference for the payment to Emma? You can also say skip.",
        "Okay, let's skip that.",
        "For your security, please type your PIN.",
        "Thanks, you're verified.",
        "Send $40 to Emma from your checking account?",
        "Do you want to change the amount from 40 to 60?",
        "Okay, I've changed the amount to 60.",
        "Send $60 to Emma from your checking account?",
        "Done: $60 sent to Emma.",
    ]
    assert "      [Yes]  [No]" in lines  # the confirmation's buttons


def test_banking_over_http_a_question_that_cannot_be_skipped_and_no_to_a_change(banking):
    client = TestClient(create_app(Agent.load(banking)))
    assert [m["text"] for m in post(client, "h1", TRANSFER)] == [
        "Any reference for the payment to Emma? You can also say skip."
    ]
    asked = post(client, "h1", '/inform{"amount": 70}')
    assert [m["text"] for m in asked] == ["Do you want to change the amount from 40 to 70?"]
    assert asked[0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert [m["text"] for m in post(client, "h1", "/deny")] == [
        "Okay, I'll leave it as it was.",
        "Any reference for the payment to Emma? You can also say skip.",
    ]
    post(client, "h1", "/skip")
    assert [m["text"] for m in post(client, "h1", "/skip")] == [  # the PIN question
        "Sorry, I need an answer to that one to go on.",
        "For your security, please type your PIN.",
    ]
    tracker = client.get("/conversations/h1/tracker").json()
    assert tracker["slots"]["amount"] == 40 and tracker["slots"]["reference"] is None


OWN_FLOWS = """  pattern_skip:
    steps:
      - say: utter_no_reference
  pattern_completed:
    steps:
      - say: utter_more
"""
OWN_RESPONSES = """  utter_no_reference:
    - "No reference, then: the payment shows your name only."
  utter_more:
    - "Anything else for your accounts today?"
"""


def test_the_bots_own_pattern_flows_replace_the_built_in_ones_over_http(tmp_path):
    model = light_copy("banking", tmp_path, flows=OWN_FLOWS, responses=OWN_RESPONSES)
    client = TestClient(create_app(Agent.load(model)))
    post(client, "o1", TRANSFER)
    assert [m["text"] for m in post(client, "o1", "/skip")] == [
        "No reference, then: the payment shows your name only.",
        "For your security, please type your PIN.",
    ]
    post(client, "o1", '/give_pin{"pin": "1357"}')
    assert [m["text"] for m in post(client, "o1", "/affirm")] == [
        "Done: $40 sent to Emma.",
        "Anything else for your accounts today?",
    ]


def test_banking_misunderstood_three_times_in_a_row_starts_over(banking):
    client = TestClient(create_app(Agent.load(banking)))
    post(client, "m1", TRANSFER)
    replies = [[m["text"] for m in post(client, "m1", "/nlu_fallback")] for _ in range(3)]
    default = "Sorry, I didn't understand. You can check a balance, send money or block a card."
    reference = "Any reference for the payment to Emma? You can also say skip."
    assert replies[:2] == [[default, reference]] * 2
    assert replies[2] == ["Sorry, I keep misunderstanding you. Let's start over: what would you like to do?"]
    events = client.get("/conversations/m1/tracker?format=dialogkit").json()["events"]
    assert any(e["event"] == "flow_cancelled" and e["flow"] == "transfer_money" for e in events)


CITY_QUESTION = {"您要去哪个城市？", "请问目的地是哪里？"}  # utter_ask_city's variations
BOOKING = '/book_ticket{"city": "北京", "date": "明天", "seat": "二等座", "tickets": 1}'


def test_tickets_zh_confirms_a_new_destination_in_chinese_over_http(tickets):
    client = TestClient(create_app(Agent.load(tickets)))
    assert [m["text"] for m in post(client, "z1", BOOKING)] == ["明天去北京，二等座，1张。确认订票吗？"]
    asked = post(client, "z1", '/inform{"city": "上海"}')
    assert [m["text"] for m in asked] == ["您是要把北京改成上海吗？"]
    assert [b["title"] for b in asked[0]["buttons"]] == ["是", "否"]
    changed = ["好的，已为您改好。", "明天去上海，二等座，1张。确认订票吗？"]
    assert [m["text"] for m in post(client, "z1", "/affirm")] == changed
    booked = ["订好了！明天去上海的二等座1张。", "还需要别的帮助吗？"]  # then the completed pattern
    assert [m["text"] for m in post(client, "z1", "/affirm")] == booked


def test_tickets_zh_in_the_shell_keeps_the_city(tickets, tmp_path, capsys):
    lines = shell(tickets, ["/book_ticket", "/skip", BOOKING, '/inform{"city": "南京"}', "/deny"], tmp_path, capsys)
    bot = [line[5:] for line in lines if line.startswith("bot> ")]
    # no question of this bot is skippable: `skip` is an intent like any other, the question is asked again
    assert bot[0] in CITY_QUESTION and bot[1] in CITY_QUESTION
    assert bot[-3:] == ["您是要把北京改成南京吗？", "好的，保持不变。", "明天去北京，二等座，1张。确认订票吗？"]


def test_tickets_zh_own_continue_interrupted_flow(tmp_path, capsys):
    model = light_copy(
        "tickets_zh",
        tmp_path,
        flows="  pattern_continue_interrupted:\n    steps:\n      - say: utter_back_to_booking\n",
        responses='  utter_back_to_booking:\n    - "我们继续订票。"\n',
    )
    bot = [line[5:] for line in shell(model, ["/book_ticket", "/ask_refund"], tmp_path, capsys) if line[:5] == "bot> "]
    assert bot[1:3] == ["开车前可以在线退票，开车前8天以上免费，之后收5%到20%的手续费。", "我们继续订票。"]
    assert bot[0] in CITY_QUESTION and bot[3] in CITY_QUESTION and len(bot) == 4
