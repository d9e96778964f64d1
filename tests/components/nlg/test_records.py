"""Data-to-text responses (`record:`): whichever fields a record has are said with their phrases,
the subject first; a list of records (search results) is one line each, an empty one `none`;
without a record the slots of the fields' names are used. A local action passes records as
`dispatcher.utter(response=..., record=...)`. Mistakes in a record spec are located errors."""

import pytest

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import STAND_IN, trained_bot

DOMAIN = """
version: "1"
""" + STAND_IN + """intents:
  find:
    examples: |
      - find me a place
      - any restaurants
  pick:
    examples: |
      - the [thai](cuisine) one
  nothing:
    examples: |
      - find something impossible
entities:
  cuisine: {}
slots:
  cuisine:
    type: text
    mappings:
      - type: from_entity
        entity: cuisine
actions:
  action_search: actions:search
  action_search_nothing: actions:search_nothing
responses:
  utter_place:
    record:
      subject: name
      fields:
        name: "{name}"
        cuisine: "serves {cuisine} food"
        area: "is in the {area}"
        price: "has {price} prices"
        rating: "is rated {rating} out of 5"
      none: "I found no place like that."
  utter_your_choice:
    record:
      fields:
        cuisine: "{cuisine} food it is"
flows:
  find:
    when: {intent: find}
    steps:
      - action: action_search
  pick:
    when: {intent: pick}
    steps:
      - say: utter_your_choice
  nothing:
    when: {intent: nothing}
    steps:
      - action: action_search_nothing
"""

ACTIONS = '''
def search(tracker, dispatcher):
    dispatcher.utter(response="utter_place", record=[
        {"name": "Zizzi", "cuisine": "italian", "area": "north", "price": "cheap"},
        {"name": "Bangkok House", "rating": 4.5},
        {"area": "centre", "cuisine": "thai"},
    ])
    return []


def search_nothing(tracker, dispatcher):
    dispatcher.utter(response="utter_place", record=[])
    return []
'''


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    return Agent.load(trained_bot(tmp_path_factory.mktemp("records"), {"domain.yml": DOMAIN, "actions.py": ACTIONS}))


def test_an_actions_records_are_said_field_by_field(agent):
    (message,) = agent.handle("find me a place", "r1")
    assert message["text"].split("\n") == [
        "Zizzi serves italian food, is in the north and has cheap prices.",
        "Bangkok House is rated 4.5 out of 5.",
        "Serves thai food and is in the centre.",  # no subject: the first field present leads
    ]
    assert agent.handle("find something impossible", "r1")[0]["text"] == "I found no place like that."


def test_without_a_record_the_slots_of_the_fields_names_are_said(agent):
    assert agent.handle("the thai one", "r2")[0]["text"] == "Thai food it is."


@pytest.mark.parametrize("record, problem", [
    ("fields: {name: '{name} at {area}'}", "the phrase of field 'name' names area"),
    ("subject: title\n      fields: {name: '{name}'}", "subject 'title' is not one of the record's fields"),
    ("fields: {name: '{name}', area: 'in {area}'}\n      order: [name]", "`order` must list each of the fields once"),
])
def test_mistakes_in_a_record_are_located_errors(write_bot, record, problem):
    from dialogkit.framework.domain.loader import load_domain

    bot = write_bot({"domain.yml": DOMAIN.replace(
        "record:\n      fields:\n        cuisine: \"{cuisine} food it is\"", "record:\n      " + record)})
    with pytest.raises(DialogkitError) as e:
        load_domain(bot)
    assert problem in str(e.value) and e.value.issues[0].location.line
