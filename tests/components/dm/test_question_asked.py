"""What real users type at a question (issue 28): typos, a value alone, near misses."""

import pytest

from dialogkit.framework.build.training import train
from dialogkit.framework.runtime.agent import Agent
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
    assert [(e["entity"], e["value"], e["extractor"]) for e in parse["entities"]] == [
        ("size", "large", "fuzzy"),
        ("pizza_type", "pepperoni", "fuzzy"),
    ]


def test_a_reply_that_is_only_a_value_fills_the_asked_slot_whatever_the_intent(pizza_agent):
    assert say(pizza_agent, "i want to order a pizza", "value") == ["Which pizza?"]
    assert say(pizza_agent, "Margherita!", "value") == ["Which size?"]
    assert pizza_agent.tracker("value").slots["pizza_type"] == "margherita"


def test_a_near_miss_is_offered_with_buttons_instead_of_a_flat_refusal(pizza_agent):
    assert say(pizza_agent, "i want to order a pizza", "near") == ["Which pizza?"]
    out = pizza_agent.handle('/inform{"pizza_type": "hawai pizza"}', "near")  # a value no lookup has
    assert [(m["text"], m.get("response")) for m in out] == [("Did you mean hawaiian?", "utter_did_you_mean")]
    assert out[0]["buttons"] == [{"title": "hawaiian", "payload": '/inform{"pizza_type": "hawaiian"}'}]
    # the button answers the question
    assert say(pizza_agent, out[0]["buttons"][0]["payload"], "near") == ["Which size?"]
    say(pizza_agent, "i want to order a pizza", "far")
    assert say(pizza_agent, '/inform{"pizza_type": "sushi"}', "far") == [
        "Sorry, we don't have that pizza.",
        "Which pizza?",
    ]  # nothing close


def test_a_reply_naming_a_value_with_a_slip_into_another_word_is_asked_about(pizza_agent):
    say(pizza_agent, "i want to order a pepperoni pizza", "slip")
    # "mall" is an English word (no typo for the extractors), one letter from "small", and no example puts a size
    # between "the" and "one" ("a [small](size) one" does: "a mall one" is read as small): which did they mean?
    out = pizza_agent.handle("the mall one", "slip")
    assert [(m["text"], m.get("response")) for m in out] == [("Did you mean small?", "utter_did_you_mean")]
    assert out[0]["buttons"] == [{"title": "small", "payload": '/inform{"size": "small"}'}]
    assert pizza_agent.tracker("slip").slots["size"] is None  # asked, not taken
    assert say(pizza_agent, out[0]["buttons"][0]["payload"], "slip") == ["A small pepperoni, coming up."]
    # a reply naming no value that closely, or a long message, is not asked about
    say(pizza_agent, "i want to order a pepperoni pizza", "far")
    assert "Did you mean" not in " ".join(say(pizza_agent, "a big one", "far"))
    assert "Did you mean" not in " ".join(say(pizza_agent, "well i think a mall one would do for us", "far"))


def test_the_switches_turn_both_rules_off(write_bot, tmp_path):
    bot = write_bot(
        {
            "domain.yml": PIZZA.replace(
                "  - name: flow_policy\n",
                "  - name: flow_policy\n    answer_by_value: false\n    suggest_values: false\n",
            )
        }
    )
    train(bot, tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    assert say(agent, "i want to order a pizza", "off") == ["Which pizza?"]
    assert say(agent, '/inform{"pizza_type": "hawai pizza"}', "off") == [
        "Sorry, we don't have that pizza.",
        "Which pizza?",
    ]
    assert say(agent, "margherita", "off") == ["Which size?"]
    assert say(agent, "the mall one", "off") == ["Which size?"]  # no "Did you mean small?"


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
    # both, on the same words
    assert [e["entity"] for e in agent.parse("berlin")["entities"]] == ["origin", "destination"]
    assert say(agent, "book a trip", "u") == ["From where?"]
    assert say(agent, "berlin", "u") == ["Where to?"]
    assert say(agent, "rome", "u") == ["berlin to rome."]


DATES = (
    """
version: "1"
"""
    + STAND_IN.replace(
        "  - name: flow_policy", "  - name: builtin_entities\n    timezone: Asia/Shanghai\n  - name: flow_policy"
    )
    + """intents:
  book:
    examples: |
      - book a table
      - a table please
entities:
  time: {}
  number: {}
slots:
  day:
    type: date
    mappings: [{type: from_entity, entity: time, conditions: [{requested_slot: day}]}]
  at:
    type: time
    mappings: [{type: from_entity, entity: time, conditions: [{requested_slot: at}]}]
  guests:
    type: number
    mappings: [{type: from_entity, entity: number, conditions: [{requested_slot: guests}]}]
responses:
  utter_ask_day: ["Which day?"]
  utter_ask_at: ["What time?"]
  utter_ask_guests: ["How many?"]
  utter_done: ["{guests} on {day} at {at}."]
flows:
  book:
    when: {intent: book}
    steps:
      - collect: day
      - collect: at
      - collect: guests
      - say: utter_done
"""
)


def _talk(write_bot, tmp_path, domain, tests):
    """The bot ``domain`` trained, its conversation tests ``tests`` run: (agent, [(passed, failure), ...])."""
    from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations

    bot = write_bot({"domain.yml": domain, "tests/t.yml": tests})
    train(bot, tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    return agent, [(r.passed, r.failure) for r in run_conversations(agent, load_conversation_tests(bot))]


def test_dates_times_and_numbers_fill_typed_slots_relative_to_the_conversation_test_clock(write_bot, tmp_path):
    tests = """
conversations:
  - name: relative dates read from the test's now
    now: 2026-12-05T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: tomorrow
      - slots: {day: "2026-12-06", at: null}
      - bot: What time?
      - user: half past seven in the evening
      - slots: {at: "19:30"}
      - bot: How many?
      - user: a dozen
      - bot: 12 on 2026-12-06 at 19:30.
"""
    agent, results = _talk(write_bot, tmp_path, DATES, tests)
    assert results == [(True, None)]
    import time

    assert agent.clock is time.time  # the test's clock is not left behind


def test_a_stretch_of_time_fills_a_date_slot_with_its_start_and_no_time_slot(write_bot, tmp_path):
    tests = """
conversations:
  - name: intervals at typed slots
    now: 2026-12-05T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: next weekend
      - slots: {day: "2026-12-11", at: null}
      - bot: What time?
      - user: from 7 to 9pm
      - slots: {at: null}
      - user: until 9pm                   # an end alone is no time to book
      - slots: {at: null}
      - user: any time after 8pm          # a start alone is
      - slots: {at: "20:00"}
"""
    agent, results = _talk(write_bot, tmp_path, DATES, tests)
    assert results == [(True, None)]
    turn = agent.parse("this weekend")
    (stretch,) = [e for e in turn["entities"] if e["entity"] == "time"]
    assert stretch["value"] == {"from": stretch["value"]["from"], "to": stretch["value"]["to"]}
    assert stretch["additional_info"]["type"] == "interval"
    # one end said: the other is None, as Rasa gives Duckling's open intervals
    (until,) = [e for e in agent.parse("until friday")["entities"] if e["entity"] == "time"]
    assert until["value"]["from"] is None and "T00:00:00" in until["value"]["to"]  # the day Friday starts
    assert until["additional_info"] == {"type": "interval", "to": {"value": until["value"]["to"], "grain": "day"}}


def test_by_a_day_and_the_20th_fill_a_date_slot_with_that_day(write_bot, tmp_path):
    tests = """
conversations:
  - name: a deadline
    now: 2026-12-07T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: by friday                   # from now to Friday: the day said, not today (its unsaid start)
      - slots: {day: "2026-12-11"}
      - bot: What time?
      - user: by 8pm                      # from now to 8pm, as Duckling reads it: the time said
      - slots: {at: "20:00"}
  - name: by the end of the month
    now: 2026-12-07T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: by the end of the month     # its last day, not the midnight after it (the interval's end)
      - slots: {day: "2026-12-31"}
  - name: a day of the month alone
    now: 2026-12-07T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: the 20th                    # a time and an ordinal on the same words: the date slot reads the time
      - slots: {day: "2026-12-20"}
      - bot: What time?
"""
    agent, results = _talk(write_bot, tmp_path, DATES, tests)
    assert results == [(True, None), (True, None), (True, None)]
    (by,) = [e for e in agent.parse("by friday")["entities"] if e["entity"] == "time"]
    assert by["additional_info"]["by"] is True and by["value"]["from"] is not None  # Duckling's shape, marked
    (by,) = [e for e in agent.parse("by 8pm")["entities"] if e["entity"] == "time"]
    assert by["additional_info"]["by"] is True and by["value"]["to"].endswith("T20:00:00+08:00")


def test_of_two_times_said_a_typed_slot_takes_the_first_that_fits(write_bot, tmp_path):
    tests = """
conversations:
  - name: a stretch, then the day
    now: 2026-12-07T10:00:00+08:00
    steps:
      - user: book a table
      - bot: Which day?
      - user: anything until friday works, ideally the 10th   # no start to the stretch: the 10th (was refused)
      - slots: {day: "2026-12-10"}
      - bot: What time?
"""
    _, results = _talk(write_bot, tmp_path, DATES, tests)
    assert results == [(True, None)]


PICK = (
    'version: "1"\n'
    + STAND_IN.replace("  - name: flow_policy", "  - name: builtin_entities\n  - name: flow_policy")
    + """intents:
  order:
    examples: |
      - I'd like to order
entities:
  time: {}
  ordinal: {}
slots:
  pick:
    type: number
    mappings: [{type: from_entity, entity: ordinal}]
  day:
    type: date
    mappings: [{type: from_entity, entity: time}]
responses:
  utter_ask_pick: ["Which of the three?"]
  utter_ask_day: ["Which day?"]
  utter_done: ["Number {pick} on {day}."]
flows:
  order:
    when: {intent: order}
    steps:
      - collect: pick
      - collect: day
      - say: utter_done
"""
)


def test_the_nth_is_read_as_the_slot_asked_for_takes_it_an_ordinal_or_a_day(write_bot, tmp_path):
    tests = """
conversations:
  - name: the same words, two questions
    now: 2026-12-07T10:00:00+08:00
    steps:
      - user: I'd like to order
      - bot: Which of the three?
      - user: the 2nd
      - slots: {pick: 2, day: null}
      - bot: Which day?
      - user: the 20th
      - slots: {pick: 2, day: "2026-12-20"}
      - bot: Number 2 on 2026-12-20.
"""
    _, results = _talk(write_bot, tmp_path, PICK, tests)
    assert results == [(True, None)]


def test_a_test_clock_without_its_time_zone_is_a_located_error(write_bot):
    from dialogkit.framework.errors import DialogkitError
    from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests

    bad = "conversations:\n  - name: x\n    now: 2026-12-05T10:00:00\n    steps:\n      - user: hi\n"
    bot = write_bot({"domain.yml": DATES, "tests/t.yml": bad})
    with pytest.raises(DialogkitError) as err:
        load_conversation_tests(bot)
    assert "t.yml:3" in str(err.value) and "time zone" in str(err.value)


def test_near_words_are_one_slip_from_a_value_in_a_short_reply():
    from dialogkit.framework.domain.schema import Slot
    from dialogkit.framework.domain.slot_types import near_words

    area = Slot.model_validate({"type": "categorical", "values": ["north", "south", "east", "west", "city centre"]})
    assert near_words(area, "make it the wet instead!", "en") == ["west"]  # punctuation is no word
    assert near_words(area, "the est side", "en") == ["east", "west"]  # as close: both, in the slot's order
    assert near_words(area, "in the citty centre", "en") == ["city centre"]  # a value of two words
    assert near_words(area, "west", "en") == []  # an exact value is no slip (the extractors read it)
    # any word of 3+ letters one edit away, a common one too (the DM asks only at the question, when the NLU is
    # unsure or read inform); shorter ones never
    assert near_words(area, "the best", "en") == ["west"] and near_words(area, "no", "en") == []
    assert near_words(area, "i think the wet part of town is where we would go", "en") == []  # not a short reply
    values = ["北京", "南京", "西安", "广州", "杭州", "苏州", "郑州"]
    cities = Slot.model_validate({"type": "categorical", "values": values})
    assert near_words(cities, "东京", "zh") == []  # a changed character is another word
    # the slips of the fingers on the whole reply: a character dropped (one of two too), two swapped, one doubled
    assert near_words(cities, "西", "zh") == ["西安"] and near_words(cities, "西。", "zh") == ["西安"]
    assert near_words(cities, "州", "zh") == ["广州", "杭州", "苏州"]  # as the slot lists them, three at most
    assert near_words(cities, "京北", "zh") == ["北京"] and near_words(cities, "南南京", "zh") == ["南京"]
    assert near_words(cities, "北京", "zh") == [] and near_words(cities, "我想去北边的城市", "zh") == []  # exact; long
    assert near_words(Slot.model_validate({"type": "text"}), "wet", "en") == []  # categorical slots only


def test_a_yes_to_a_one_value_offer_takes_it_and_a_no_asks_again(write_bot, tmp_path):
    """"Did you mean hawaiian?" answered by typing yes fills the slot as its button would; the
    offer is read back from the conversation's events (a server restarted between the two
    messages takes it too); no, or a yes with nothing offered, does not fill it."""
    from dialogkit.framework.stores import SQLiteTrackerStore

    yes_no = (
        "intents:\n  affirm:\n    examples: |\n      - yes\n      - yes please\n      - sure\n"
        "  deny:\n    examples: |\n      - no\n      - nope\n"
    )
    train(write_bot({"domain.yml": PIZZA.replace("intents:\n", yes_no, 1)}), tmp_path / "m")
    agent = Agent.load(tmp_path / "m", store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    say(agent, "i want to order a pizza", "yes")
    out = agent.handle('/inform{"pizza_type": "hawai pizza"}', "yes")
    assert [m["text"] for m in out] == ["Did you mean hawaiian?"] and "offer" not in out[0]
    restarted = Agent.load(tmp_path / "m", store=SQLiteTrackerStore(tmp_path / "t.sqlite"))
    assert say(restarted, "yes", "yes") == ["Which size?"]
    assert restarted.tracker("yes").slots["pizza_type"] == "hawaiian"
    assert say(restarted, "large", "yes") == ["A large hawaiian, coming up."]

    say(agent, "i want to order a pizza", "no")
    assert say(agent, '/inform{"pizza_type": "hawai pizza"}', "no") == ["Did you mean hawaiian?"]
    assert say(agent, "no", "no") == ["Which pizza?"]
    assert agent.tracker("no").slots["pizza_type"] is None
    assert say(agent, "yes", "no") == ["Which pizza?"]  # the offer was answered: nothing to take
    assert agent.tracker("no").slots["pizza_type"] is None


DELIVERY = (
    """
version: "1"
"""
    + STAND_IN.replace("  - name: flow_policy", "  - name: builtin_entities\n  - name: flow_policy")
    + """intents:
  order:
    examples: |
      - i want [two](number) pizzas
      - order [3](number) pizzas
entities:
  number: {}
  voucher:
    regex: ['\\bV\\d{3}\\b']
  size:
    lookup: [small, large]
slots:
  quantity:
    type: number
    mappings: [{type: from_entity, entity: number}]
  voucher:
    type: text
    mappings: [{type: from_entity, entity: voucher}]
  size:
    type: text
    mappings: [{type: from_entity, entity: size}]
  address:
    type: text
    mappings: [{type: from_text, conditions: [{requested_slot: address}]}]
  note:
    type: text
    mappings: [{type: from_text, conditions: [{requested_slot: note}]}]
responses:
  utter_ask_quantity: ["How many?"]
  utter_ask_address: ["Where to?"]
  utter_ask_note: ["Anything else?"]
  utter_done: ["{quantity} to {address} ({note})."]
flows:
  order:
    when: {intent: order}
    steps:
      - collect: quantity
      - collect: address
      - collect: note
      - say: utter_done
"""
)


def test_numbers_inside_a_free_text_answer_stay_in_that_answer(write_bot, tmp_path):
    """An address or a note taken as text keeps its numbers and pattern matches: the quantity
    said before is not changed by "12 Baker Street", nor a voucher read from "V123" in a note;
    a value from the bot's own lists in the answer still fills its slot, and a number said as
    the answer to its own question still counts."""
    train(write_bot({"domain.yml": DELIVERY}), tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    assert say(agent, "i want two pizzas", "u") == ["Where to?"]
    assert say(agent, "12 Baker Street, flat 3, a large box", "u") == ["Anything else?"]
    assert say(agent, "ring 4 times, V123", "u") == ["2 to 12 Baker Street, flat 3, a large box (ring 4 times, V123)."]
    slots = agent.tracker("u").slots
    assert (slots["quantity"], slots["voucher"], slots["size"]) == (2, None, "large")
    assert say(agent, "i want pizzas", "v") == ["How many?"]
    assert say(agent, "five", "v") == ["Where to?"]
    assert agent.tracker("v").slots["quantity"] == 5
    # answer_by_value: false (Rasa's semantics, as imports have it): every number fills the quantity
    rasa_like = DELIVERY.replace("  - name: flow_policy\n", "  - name: flow_policy\n    answer_by_value: false\n")
    assert rasa_like != DELIVERY
    train(write_bot({"domain.yml": rasa_like}), tmp_path / "off")
    off = Agent.load(tmp_path / "off")
    say(off, "i want two pizzas", "w")
    say(off, "12 Baker Street", "w")
    assert off.tracker("w").slots["quantity"] == 12
