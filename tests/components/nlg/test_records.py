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
    ("fields: {name: '{name}'}\n      examples: [{record: {name: Zizzi, area: north}, text: Zizzi up north}]",
     "example 1 names area, which is not one of the record's fields"),
    ("fields: {name: '{name}', area: 'in {area}'}\n      examples:\n        - {record: {name: Zizzi}, text: Zizzi.}\n"
     "        - {record: {name: Bangkok House, area: north}, text: Bangkok House up in the hills.}",
     "example 2 does not write area's value 'north' in its text"),
])
def test_mistakes_in_a_record_are_located_errors(write_bot, record, problem):
    from dialogkit.framework.domain.loader import load_domain

    bot = write_bot({"domain.yml": DOMAIN.replace(
        "record:\n      fields:\n        cuisine: \"{cuisine} food it is\"", "record:\n      " + record)})
    with pytest.raises(DialogkitError) as e:
        load_domain(bot)
    assert problem in str(e.value) and e.value.issues[0].location.line


# --- examples: what the generator learns from --------------------------------------------------

BRANCH = {
    "subject": "name",
    "fields": {"name": "Our {name} branch", "area": "is in the {area}", "atm": "has an ATM"},
    "examples": [
        {"record": {"name": "Kingsway", "area": "west", "atm": True}, "text": "Kingsway, in the West, has an ATM."},
        {"record": {"name": "Old Town", "area": "south"}, "text": "Old Town {is} in the south."},
        {"record": {"name": "Mill Lane", "atm": True}, "text": "Mill Lane, with an ATM."},
        {"record": {"name": "Hillside"}, "text": "There's our Hillside branch."},
    ],
}


def branch_domain(**changes):
    from dialogkit.framework.domain.schema import Domain

    return Domain.model_validate({"responses": {"utter_branch": {"record": {**BRANCH, **changes}}}})


def test_an_examples_values_and_the_words_of_its_true_fields_become_placeholders():
    from dialogkit.components.nlg import records

    plan = records.plans(branch_domain())["utter_branch"]
    # every example with an ATM says "an ATM", none without: placed as {atm}, filled with those words
    assert (plan.placeholders, plan.lexical, plan.fills) == (["name", "area", "atm"], [], {"atm": "an ATM"})
    assert plan.texts == [
        "{name}, in the {area}, has {atm}.",  # a value found whatever its case ("West")
        "{name} {{is}} in the {area}.",  # the text's own braces stay literal
        "{name}, with {atm}.",
        "There's our {name} branch.",
    ]
    examples = records.targets(branch_domain(), {"utter_branch": plan})
    assert [t.input for t in examples] == ["utter branch | {area} {atm} {name}", "utter branch | {area} {name}",
                                           "utter branch | {atm} {name}", "utter branch | {name}"]
    assert examples[0].values == {"name": "Kingsway", "area": "west", "atm": "an ATM"}  # what fills the reply
    # 0 is said, false and empty are not
    assert records.request(plan, {"name": "X", "area": 0, "atm": False})[1:] == (["name", "area"], {})


def test_a_true_field_its_examples_say_differently_is_put_into_words_and_checked_by_the_guard():
    from dialogkit.components.nlg import records
    from dialogkit.components.nlg.guard import check

    examples = [*BRANCH["examples"][:2],
                {"record": {"name": "Mill Lane", "atm": True}, "text": "Mill Lane has an ATM."},
                {"record": {"name": "Hillside", "atm": True}, "text": "Hillside, with a cash machine."}]
    d = branch_domain(examples=examples)
    plan = records.plans(d)["utter_branch"]
    assert (plan.placeholders, plan.lexical, plan.fills) == (["name", "area"], ["atm"], {})
    assert records.request(plan, {"name": "K", "atm": True})[0] == "utter branch | {name} | atm = yes"
    lexicon = records.record_lexicon(d, plan)
    assert lexicon.forms == {"atm": {"yes": ["has an atm"]}}  # no words every example says: those some say

    def verdict(text, record):
        _, present, values = records.request(plan, record)
        return check(text, required_placeholders=present, required_values=values, response_slots=plan.slots,
                     filled=record, lexicon=lexicon)

    assert verdict("{name} has an ATM.", {"name": "K", "atm": True}).ok
    assert verdict("{name} is small.", {"name": "K", "atm": True}).missing == ["atm=yes"]
    assert verdict("{name} has an ATM.", {"name": "K"}).extra == ["atm=yes"]  # said, not given


def test_held_out_combinations_are_never_learnt_and_each_response_needs_three():
    from dialogkit.components.nlg import records

    d = branch_domain()
    plans = records.plans(d)
    kept, held = records.hold_out(records.targets(d, plans), seed=0)
    assert len(held) == 1 and not {t.input for t in held} & {t.input for t in kept}
    few = branch_domain(examples=BRANCH["examples"][:2])
    assert records.hold_out(records.targets(few, records.plans(few)), seed=0)[1] == []


TINY_RECORDS = {"d_model": 32, "d_ff": 64, "d_kv": 8, "num_heads": 4, "num_layers": 1, "num_decoder_layers": 1,
                "min_steps": 60, "epochs": 5, "init_embeddings": False, "seed": 3}


def test_a_trained_generator_says_every_value_of_every_record_and_its_check_is_reported(tmp_path):
    """Trained on the examples (a tiny model): each record is a line that says each of its values exactly once,
    generated or the floor's (then `fallback` says why); the check on held-out combinations is in the gate."""
    from dialogkit.components.nlg.generator import T5NLG
    from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

    d = branch_domain()
    gen = T5NLG(resolve_config("t5_nlg", TINY_RECORDS), d)
    context = TrainingContext(None, [], 3)
    gen.train(context)
    check = gen.gate.record_checks["utter_branch"]
    assert check["held_out"] == 1 and check["learnt"] == 4
    assert gen.gate.generates("utter_branch") == ("utter_branch" in gen.gate.records)
    gen.gate.forced = True  # judge the decoder, whatever the check decided
    recs = [{"name": "Zed Row", "area": "north-east", "atm": True}, {"name": "Q&A Yard", "area": "{area}"},
            {"name": "Tiny"}]
    (msg,) = gen.render_batch([("utter_branch", {"record": recs})])
    lines = msg["text"].split("\n")
    assert len(lines) == 3
    for line, rec in zip(lines, recs, strict=True):
        for value in (v for v in rec.values() if isinstance(v, str)):
            assert line.count(value) == 1, (line, rec)
    assert "{area}" in lines[1]  # a value with braces is printed as it is, never expanded
    assert msg["generated"] is True or msg["fallback"]
    assert msg["template"].startswith("Our Zed Row branch is in the north-east and has an ATM.")


def test_chinese_examples_find_their_values_and_true_fields_without_spaces_between_words():
    """Chinese is written without spaces: an example's values and a true field's words are found inside a run of
    characters, and the guard finds them there too."""
    from dialogkit.components.nlg import records
    from dialogkit.components.nlg.guard import check
    from dialogkit.framework.domain.schema import Domain

    d = Domain.model_validate({"language": "zh", "responses": {"utter_branch": {"record": {
        "subject": "name", "fields": {"name": "{name}支行", "area": "在{area}", "atm": "有自动取款机"},
        "examples": [
            {"record": {"name": "东门", "area": "城东", "atm": True}, "text": "东门支行在城东，有自动取款机。"},
            {"record": {"name": "西湖", "area": "城西"}, "text": "西湖支行位于城西。"},
            {"record": {"name": "南山", "atm": True}, "text": "南山支行设有自动取款机。"},
        ]}}}})
    plan = records.plans(d)["utter_branch"]
    assert plan.texts == ["{name}支行在{area}，{atm}。", "{name}支行位于{area}。", "{name}支行设{atm}。"]
    assert plan.fills == {"atm": "有自动取款机"}
    lexicon = records.record_lexicon(d, plan)
    said_anyway = check("{name}支行有自动取款机。", required_placeholders=["name"], required_values={},
                        response_slots=plan.slots, filled={"name": "北站"}, lexicon=lexicon)
    assert said_anyway.extra == ["atm=yes"]  # not given, but written out: refused


@pytest.mark.parametrize("record, text, template", [
    ({"name": "Café Rouge", "rating": 4.5}, "Café Rouge is rated 4.5.", "{name} is rated {rating}."),
    ({"name": "C++ Corner", "price": 0}, "C++ Corner costs 0 dollars.", "{name} costs {price} dollars."),
    ({"name": "東京タワー店", "area": "港区"}, "東京タワー店は港区にあります。", "{name}は{area}にあります。"),
    ({"name": "Bar (Old)", "area": "north"}, "Bar (Old), up NORTH.", "{name}, up {area}."),
    ({"name": "$5 Diner"}, "Try $5 Diner!", "Try {name}!"),
])
def test_example_values_are_found_as_written_in_any_script_with_any_punctuation(record, text, template):
    from dialogkit.framework.domain.responses import Record

    spec = Record.model_validate({"fields": {k: "{" + k + "}" for k in record}, "examples": [{"record": record,
                                                                                           "text": text}]})
    assert spec.examples[0].template(spec.lexical) == template
