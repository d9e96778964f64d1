"""What real users type at a question (issue 28): typos, a value alone, near misses."""

import pytest

from dialogkit.framework.agent import Agent
from dialogkit.framework.training import train
from tests.conftest import STAND_IN

PIZZA = """
version: "1"
""" + STAND_IN + """intents:
  order_pizza:
    examples: |
      - i want to order a pizza
      - can i get a [large](size) [pepperoni](pizza_type) pizza
      - order a [margherita](pizza_type)
      - i'd like a pizza please
  inform:
    examples: |
      - a [small](size) one
      - [hawaiian](pizza_type) please
      - make it [medium](size)
  greet:
    examples: |
      - hello
      - hi there
entities:
  pizza_type:
    lookup: [pepperoni, margherita, hawaiian, four cheese]
  size:
    lookup: [small, medium, large]
slots:
  pizza_type:
    type: categorical
    values: [pepperoni, margherita, hawaiian, four cheese]
    invalid_response: utter_no_such_pizza
    mappings:
      - type: from_entity
        entity: pizza_type
        intent: [order_pizza, inform]
  size:
    type: categorical
    values: [small, medium, large]
    mappings:
      - type: from_entity
        entity: size
        intent: [order_pizza, inform]
responses:
  utter_greet:
    - "Hello!"
  utter_ask_pizza_type:
    - "Which pizza?"
  utter_ask_size:
    - "Which size?"
  utter_no_such_pizza:
    - "Sorry, we don't have that pizza."
  utter_done:
    - "A {size} {pizza_type}, coming up."
flows:
  greet:
    when: {intent: greet}
    steps:
      - say: utter_greet
  order:
    when: {intent: order_pizza}
    steps:
      - collect: pizza_type
      - collect: size
      - say: utter_done
"""


@pytest.fixture(scope="module")
def pizza_agent(tmp_path_factory):
    root = tmp_path_factory.mktemp("pizza")
    (root / "bot").mkdir()
    (root / "bot" / "domain.yml").write_text(PIZZA, encoding="utf-8")
    train(root / "bot", root / "model")
    return Agent.load(root / "model")


def say(agent, text, user):
    return [m.get("text") for m in agent.handle(text, user)]


def test_typod_values_fill_the_slots_and_the_order_completes(pizza_agent):
    assert say(pizza_agent, "i want to ordr a piza", "typos") == ["Which pizza?"]
    assert say(pizza_agent, "peperoni", "typos") == ["Which size?"]  # a typo of a lookup value: taken
    assert say(pizza_agent, "larg", "typos") == ["A large pepperoni, coming up."]
    parse = pizza_agent.parse("a larg peperoni")
    assert [(e["entity"], e["value"], e["extractor"]) for e in parse["entities"]] == [("size", "large", "fuzzy"), ("pizza_type", "pepperoni", "fuzzy")]


def test_a_reply_that_is_only_a_value_fills_the_asked_slot_whatever_the_intent(pizza_agent):
    assert say(pizza_agent, "i want to order a pizza", "value") == ["Which pizza?"]
    assert say(pizza_agent, "Margherita!", "value") == ["Which size?"]
    assert pizza_agent.tracker("value").slots["pizza_type"] == "margherita"


def test_a_near_miss_is_offered_with_buttons_instead_of_a_flat_refusal(pizza_agent):
    assert say(pizza_agent, "i want to order a pizza", "near") == ["Which pizza?"]
    out = pizza_agent.handle('/inform{"pizza_type": "hawai pizza"}', "near")  # a value no lookup has
    assert [(m["text"], m.get("response")) for m in out] == [("Did you mean hawaiian?", "utter_did_you_mean")]
    assert out[0]["buttons"] == [{"title": "hawaiian", "payload": '/inform{"pizza_type": "hawaiian"}'}]
    assert say(pizza_agent, out[0]["buttons"][0]["payload"], "near") == ["Which size?"]  # the button answers the question
    say(pizza_agent, "i want to order a pizza", "far")
    assert say(pizza_agent, '/inform{"pizza_type": "sushi"}', "far") == ["Sorry, we don't have that pizza.", "Which pizza?"]  # nothing close


def test_the_switches_turn_both_rules_off(write_bot, tmp_path):
    bot = write_bot({"domain.yml": PIZZA.replace("  - name: flow_policy\n",
                                                 "  - name: flow_policy\n    answer_by_value: false\n    suggest_values: false\n")})
    train(bot, tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    assert say(agent, "i want to order a pizza", "off") == ["Which pizza?"]
    assert say(agent, '/inform{"pizza_type": "hawai pizza"}', "off") == ["Sorry, we don't have that pizza.", "Which pizza?"]


TRIP = """
version: "1"
""" + STAND_IN + """intents:
  book_trip:
    examples: |
      - book a trip
      - i want to travel from [paris](origin) to [rome](destination)
entities:
  origin:
    lookup: [paris, rome, berlin]
  destination:
    lookup: [paris, rome, berlin]
slots:
  origin:
    type: text
    mappings: [{type: from_entity, entity: origin}]
  destination:
    type: text
    mappings: [{type: from_entity, entity: destination}]
responses:
  utter_ask_origin: ["From where?"]
  utter_ask_destination: ["Where to?"]
  utter_trip: ["{origin} to {destination}."]
flows:
  trip:
    when: {intent: book_trip}
    steps:
      - collect: origin
      - collect: destination
      - say: utter_trip
"""


def test_a_phrase_of_two_entities_is_read_as_the_one_the_question_asked_for(write_bot, tmp_path):
    train(write_bot({"domain.yml": TRIP}), tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    assert [e["entity"] for e in agent.parse("berlin")["entities"]] == ["origin", "destination"]  # both, on the same words
    assert say(agent, "book a trip", "u") == ["From where?"]
    assert say(agent, "berlin", "u") == ["Where to?"]
    assert say(agent, "rome", "u") == ["berlin to rome."]
