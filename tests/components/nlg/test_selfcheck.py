"""The generator earns its place at training time (the gate), and what the user then sees.

A pizza bot reproduces the repeated-word failure (its menu said "hawaiian, hawaiian") and a
small Chinese bot the punctuation-only failure: candidates are injected into a real tiny
generator's decoder, so each failure is what the generator writes, deterministically.
"""

from __future__ import annotations

import json

import pytest

from dialogkit.components.nlg import selfcheck
from dialogkit.components.nlg.generator import T5NLG
from dialogkit.components.nlg.plans import training_targets
from dialogkit.framework import Agent
from dialogkit.framework.cli.main import main
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations

TINY = """  - name: t5_nlg
    d_model: 32
    d_ff: 64
    d_kv: 8
    num_heads: 4
    min_steps: 20
    epochs: 2
    init_embeddings: false
    decoding: greedy
"""

# the light stand-in NLU and the tiny generator: these tests are about the gate, not the models
PIPELINE = """pipeline:
  - name: rule_entity_extractor
  - name: keyword_intent_classifier
  - name: flow_policy
""" + TINY

PIZZA = """
version: "1"
""" + PIPELINE + """
intents:
  greet:
    examples: |
      - hi
      - hello
  ask_menu:
    examples: |
      - what pizzas do you have
      - show me the menu
  order:
    examples: |
      - I want a [margherita](pizza)
      - a [pepperoni](pizza) please
entities:
  pizza:
    lookup: [margherita, pepperoni, hawaiian, veggie]
slots:
  pizza:
    type: categorical
    values: [margherita, pepperoni, hawaiian, veggie]
    mappings:
      - type: from_entity
        entity: pizza
responses:
  utter_greet:
    - "Hello! Hungry?"
    - "Hi there! What can I get you?"
  utter_menu:
    - "We have margherita, pepperoni, hawaiian and veggie pizzas."
  utter_ordered:
    - "One {pizza} coming up."
    - "A {pizza} pizza, on its way."
  utter_ask_pizza:
    - "Which pizza would you like?"
    - "What pizza can I get you?"
flows:
  greet:
    when: {intent: greet}
    steps:
      - say: utter_greet
  menu:
    when: {intent: ask_menu}
    steps:
      - say: utter_menu
  order:
    when: {intent: order}
    steps:
      - collect: pizza
      - say: utter_ordered
"""

PIZZA_TESTS = """
conversations:
  - name: the menu is read as written
    steps:
      - user: show me the menu
      - bot: "We have margherita, pepperoni, hawaiian and veggie pizzas."
  - name: an order, by response name
    steps:
      - user: a pepperoni please
      - bot: utter_ordered
      - slots: {pizza: pepperoni}
"""

ZH = """
version: "1"
language: zh
""" + PIPELINE + """
intents:
  greet:
    examples: |
      - 你好
      - 您好
  weather:
    examples: |
      - [南京](city)天气怎么样
      - [上海](city)的天气
entities:
  city:
    lookup: [南京, 上海, 西安]
slots:
  city:
    type: text
    mappings:
      - type: from_entity
        entity: city
responses:
  utter_greet:
    - "你好！有什么可以帮您？"
    - "您好！很高兴见到您。"
  utter_weather:
    - "{city}今天晴。"
    - "{city}的天气很好。"
  utter_ask_city:
    - "哪个城市？"
    - "请问是哪个城市？"
flows:
  greet:
    when: {intent: greet}
    steps:
      - say: utter_greet
  weather:
    when: {intent: weather}
    steps:
      - collect: city
      - say: utter_weather
"""


def inject(monkeypatch, domain_texts: dict[str, str]) -> None:
    """The generator writes each response's first training text, except for the responses in
    ``domain_texts``, for which it writes the given (bad) template."""

    def generate(self, inputs):
        first = {}
        for t in training_targets(self.domain, self.plans):
            first.setdefault(t.response, t.text)
        out = []
        for x in inputs:
            name = next(n for n in self.plans if x.split(" | ")[0] == n.replace("_", " "))
            out.append([(domain_texts.get(name, first[name]), -0.1)])
        return out

    monkeypatch.setattr(T5NLG, "generate", generate)


@pytest.fixture
def pizza_model(write_bot, tmp_path, monkeypatch, capsys):
    bot = write_bot({"domain.yml": PIZZA, "tests/conversations.yml": PIZZA_TESTS}, name="pizza")
    inject(monkeypatch, {"utter_menu": "We have margherita, pepperoni, hawaiian, hawaiian, veggie pizzas."})
    assert main(["train", str(bot), "--out", str(tmp_path / "pizza-model")]) == 0
    return bot, tmp_path / "pizza-model", capsys.readouterr()


def test_train_says_which_responses_keep_their_templates_and_why(pizza_model):
    bot, model, out = pizza_model
    text = out.out + out.err
    assert "DK608" in text and "1 of 4 responses" in text
    assert "utter_menu (repetition: 'hawaiian' twice in a row)" in text
    assert "gate: false" in text  # how to force it
    manifest = json.loads((model / "manifest.json").read_text())
    entry = next(c for c in manifest["components"] if c["name"] == "t5_nlg")
    assert entry["summary"]["replies"].startswith(
        "generated for 3 of 4 responses; templates for utter_menu (repetition"
    )
    gate = json.loads((model / entry["dir"] / "gate.json").read_text())
    assert gate["on"] is True and list(gate["off"]) == ["utter_menu"] and gate["problems"]["repetition"] == 1


def test_a_refused_reply_never_reaches_the_user(pizza_model, monkeypatch):
    bot, model, _ = pizza_model
    agent = Agent.load(model)
    menu = agent.handle("show me the menu", "u1")[0]
    assert menu["text"] == "We have margherita, pepperoni, hawaiian and veggie pizzas."
    assert menu["generated"] is False and menu["fallback"].startswith("off: repetition: 'hawaiian'")
    assert agent.describe()["t5_nlg"]["replies"].startswith("generated for 3 of 4 responses")
    results = run_conversations(agent, load_conversation_tests(bot))
    assert [r.passed for r in results] == [True, True], [r.failure for r in results]


def test_shell_debug_and_version_show_where_replies_are_generated(pizza_model, capsys):
    bot, model, _ = pizza_model
    script = bot / "script.txt"
    script.write_text("show me the menu\n", encoding="utf-8")
    assert main(["shell", str(model), "--debug", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "t5_nlg: replies generated for 3 of 4 responses" in out
    assert "utter_menu (template, fallback: off: repetition: 'hawaiian' twice in a row)" in out
    from fastapi.testclient import TestClient

    from dialogkit.framework.server.app import create_app

    with TestClient(create_app(Agent.load(model))) as client:
        components = client.get("/version").json()["components"]
    assert components["t5_nlg"]["replies"].startswith("generated for 3 of 4 responses")


def test_test_nlg_flags_the_repetition(pizza_model, tmp_path, capsys):
    bot, model, _ = pizza_model
    assert main(["test", "nlg", str(bot), "--model", str(model), "--out", str(tmp_path / "nlg")]) == 0
    out = capsys.readouterr().out
    assert "refused candidates  repetition 1," in out
    assert "check at training   generated for 3 of 4 responses" in out
    report = json.loads((tmp_path / "nlg" / "results.json").read_text())
    assert any(f["response"] == "utter_menu" and f["guard"].startswith("repetition") for f in report["failures"])


def test_a_zh_generator_writing_punctuation_is_switched_off(write_bot, tmp_path, monkeypatch, capsys):
    bot = write_bot({"domain.yml": ZH}, name="zh")
    inject(monkeypatch, {"utter_greet": "！。", "utter_weather": "{city}，。", "utter_ask_city": "City?"})
    assert main(["train", str(bot), "--out", str(tmp_path / "zh-model")]) == 0
    text = capsys.readouterr()
    assert "DK607" in text.out + text.err and "refused on 3 of 3 responses" in text.out + text.err
    model = tmp_path / "zh-model"
    entry = next(c for c in json.loads((model / "manifest.json").read_text())["components"] if c["name"] == "t5_nlg")
    assert not (model / entry["dir"] / "t5").exists()  # off for the bot: no weights kept
    agent = Agent.load(model)
    assert agent.describe()["t5_nlg"]["replies"].startswith("templates only: refused on 3 of 3 responses")
    reply = agent.handle("你好", "u")[0]
    assert reply["text"] in ("你好！有什么可以帮您？", "您好！很高兴见到您。") and reply["generated"] is False
    assert main(["test", "nlg", str(bot), "--model", str(model), "--out", str(tmp_path / "nlg")]) == 0
    out = capsys.readouterr().out
    assert "language/script 3" in out


def test_the_real_tiny_generator_writes_chinese_it_was_trained_on(write_bot):
    """No injection: the codec writes every character of the bot's texts back (the gate's
    vocabulary check), so a trained generator can say them."""
    from dialogkit.components.nlg.codec import unwritable
    from dialogkit.framework.build.training import build_pipeline
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.runtime.pipeline import TrainingContext

    loaded = load_domain(write_bot({"domain.yml": ZH}, name="zh2"))
    gen = next(c for _, c in build_pipeline(loaded) if isinstance(c, T5NLG))
    gen.train(TrainingContext(loaded, collect_examples(loaded), 1))
    assert unwritable(gen.codec, [t for p in gen.plans.values() for t in p.texts]) is None
    assert gen.gate is not None and gen.gate.inputs == 3 and gen.gate.held_out == 3


def test_too_few_second_texts_keep_the_generator_off(write_bot, tmp_path, monkeypatch, capsys):
    one_text = PIZZA.replace('    - "Hi there! What can I get you?"\n', "").replace(
        '    - "What pizza can I get you?"\n', ""
    )
    bot = write_bot({"domain.yml": one_text}, name="few")
    inject(monkeypatch, {})
    assert main(["train", str(bot), "--out", str(tmp_path / "few-model")]) == 0
    out = capsys.readouterr()
    assert "DK607" in out.out + out.err and "only 1 of its inputs can be said two ways" in out.out + out.err
    assert "t5_nlg: done in 0." in out.out  # switched off before training: it costs nothing


def test_gate_false_keeps_the_generator_on_and_still_reports(write_bot, tmp_path, monkeypatch, capsys):
    bot = write_bot(
        {"domain.yml": PIZZA.replace("    decoding: greedy\n", "    decoding: greedy\n    gate: false\n")},
        name="forced",
    )
    inject(monkeypatch, {"utter_menu": "We have margherita, pepperoni, hawaiian, hawaiian, veggie pizzas."})
    assert main(["train", str(bot), "--out", str(tmp_path / "forced-model")]) == 0
    out = capsys.readouterr()
    assert "DK608" not in out.out + out.err
    assert "generated for all 4 responses (gate: false; the check would have generated for 3 of 4" in out.out
    agent = Agent.load(tmp_path / "forced-model")
    menu = agent.handle("show me the menu", "u")[0]
    assert menu["fallback"].startswith("repetition")  # the guard still refuses; the gate did not skip it


def test_decide_refuses_a_response_its_vocabulary_cannot_write():
    class Codec:
        def encode(self, text):
            return list(text)

        def decode(self, ids):
            return "".join(c for c in ids if c.isascii())

    from dialogkit.components.nlg.plans import ResponsePlan

    class Gen:
        plans = {"utter_a": ResponsePlan("utter_a", texts=["Hello"]),
                 "utter_b": ResponsePlan("utter_b", texts=["Grüße"])}
        codec = Codec()

    report = selfcheck.decide(Gen(), [], [], max_off=0.5, bleu_margin=1.0)
    assert report.off == {"utter_b": "its vocabulary cannot write 'Grüße'"}


def test_bot_steps_match_names_any_wording_and_texts_exactly():
    from dialogkit.framework.evaluation.conversation_tests import _mismatch, bot_matches

    responses = {"utter_ordered": None}
    generated = {
        "response": "utter_ordered",
        "text": "Your pepperoni is on its way!",
        "template": "One pepperoni coming up.",
        "generated": True,
    }
    assert bot_matches("utter_ordered", generated, responses)
    assert bot_matches("Your pepperoni is on its way!", generated, responses)
    assert not bot_matches("One pepperoni coming up.", generated, responses)  # the template is not what the user read
    why = _mismatch("One pepperoni coming up.", generated, responses)
    assert why == ("expected bot to say 'One pepperoni coming up.', got 'Your pepperoni is on its way!' "
                   "(utter_ordered, generated; `bot: utter_ordered` accepts any wording of that response)")


CLOSE = PIZZA.replace(
    '''  utter_greet:
    - "Hello! Hungry?"
    - "Hi there! What can I get you?"''',
    '''  utter_greet:
    - "Hello there, what would you like to order today?"
    - "Hello there, what would you like to eat today?"''',
).replace(
    '''  utter_ordered:
    - "One {pizza} coming up."
    - "A {pizza} pizza, on its way."''',
    '''  utter_ordered:
    - "One {pizza} pizza is coming up right now."
    - "One {pizza} pizza is coming up very soon."''',
).replace(
    '''  utter_ask_pizza:
    - "Which pizza would you like?"
    - "What pizza can I get you?"''',
    '''  utter_ask_pizza:
    - "Which pizza would you like to order today?"
    - "Which pizza would you like to have today?"''',
)


def test_a_generator_the_held_out_check_turns_off_is_not_trained_again(write_bot, tmp_path, monkeypatch, capsys):
    """Its replies to the variations held out score under the templates': learning those too could not turn it
    on (and an off generator's weights are not kept), so training ends there."""
    bot = write_bot({"domain.yml": CLOSE}, name="close")
    inject(monkeypatch, {"utter_greet": "Good evening, pick anything you fancy.",
                         "utter_ordered": "Your {pizza} arrives shortly.",
                         "utter_ask_pizza": "Name a pie for me please."})
    runs = []
    train_pairs = T5NLG.train_pairs
    monkeypatch.setattr(T5NLG, "train_pairs", lambda self, *a, **k: runs.append(k) or train_pairs(self, *a, **k))
    assert main(["train", str(bot), "--out", str(tmp_path / "close-model")]) == 0
    out = capsys.readouterr()
    assert "DK607" in out.out + out.err and "on held-out variations its replies score BLEU" in out.out + out.err
    assert len(runs) == 1 and not runs[0].get("resume")  # the check's training only
    agent = Agent.load(tmp_path / "close-model")
    assert agent.describe()["t5_nlg"]["replies"].startswith("templates only: on held-out variations")
    reply = agent.handle("hi", "u")[0]
    assert reply["text"].startswith("Hello there, what would you like to") and reply["generated"] is False
