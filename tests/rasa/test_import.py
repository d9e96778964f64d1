"""`dialogkit import rasa`: every part of a Rasa 3 project maps or is reported with file:line."""

import json
import textwrap

import pytest

from dialogkit.framework.build.validation import check
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.errors import DomainError
from dialogkit.framework.rasa.importer import import_rasa_project, is_rasa_project

from .conftest import EXAMPLES, PROJECTS


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_projects_import_without_loss_and_validate(tmp_path, name):
    report = import_rasa_project(PROJECTS / name, tmp_path / "bot")
    assert report.dropped == [], [n.render() for n in report.dropped]
    loaded = load_domain(tmp_path / "bot")
    errors = [i for i in check(loaded) if i.severity == "error"]
    assert errors == []
    d = loaded.domain
    assert set(d.intents) >= {"greet", "goodbye", "affirm", "deny", "mood_great", "mood_unhappy", "bot_challenge"}
    assert d.flows["on_goodbye"].when.intents() == ["goodbye"]
    assert d.responses["utter_cheer_up"].variations[0].image == "https://i.imgur.com/nGF1K8f.jpg"
    assert (tmp_path / "bot" / "tests" / "test_stories.yml").is_file()
    assert (tmp_path / "bot" / "rasa_import.md").is_file()
    assert json.loads((tmp_path / "bot" / "rasa_import.json").read_text())["counts"]["stories"] >= 3


def test_forms_rules_and_stories_become_flows(tmp_path):
    import_rasa_project(PROJECTS / "05-validation", tmp_path / "bot")
    d = load_domain(tmp_path / "bot").domain
    form = d.flows["name_form"]
    assert form.form and form.validate_ == "validate_name_form" and form.when is None
    steps = [s.model_dump(exclude_none=True, by_alias=True, exclude_defaults=True) for s in form.steps]
    assert steps == [
        {"collect": "first_name"},
        {"collect": "last_name"},
        {"say": "utter_submit"},
        {"say": "utter_slots_values"},
    ]
    assert d.actions == {"validate_name_form": "remote"}
    # the activation rule and the story that runs the form merge on their common prefix
    assert d.flows["on_request_names"].steps[0].call == "name_form"
    greet = d.flows["on_greet"]
    assert greet.steps[0].say == "utter_greet"
    branches = greet.steps[1].expect
    assert set(branches) == {"mood_great", "mood_unhappy", "request_names"}
    # after the form, the story's utter_submit/utter_slots_values are the submit rule's: not said twice
    assert [s.call for s in branches["request_names"]] == ["name_form"]
    m = d.slots["first_name"].mappings[0]
    assert (
        m.type == "from_text"
        and m.conditions[0].active_flow == "name_form"
        and m.conditions[0].requested_slot == "first_name"
    )


RICH_DOMAIN = """
version: "3.1"
intents:
  - greet
  - inform:
      use_entities: [city]
  - chitchat:
      ignore_entities: [city]
  - stop
  - faq/ask_name
entities:
  - city:
      roles: [from, to]
      groups: [1, 2]
  - cuisine
slots:
  city:
    type: text
    mappings:
      - type: from_entity
        entity: city
        role: from
  cuisine:
    type: categorical
    values: [thai, italian]
    mappings:
      - type: from_entity
        entity: cuisine
  people:
    type: float
    min_value: 1
    max_value: 20
    initial_value: 2
    mappings:
      - type: from_trigger_intent
        intent: greet
        value: 2
  happy:
    type: bool
    mappings:
      - type: from_intent
        intent: greet
        value: true
        conditions:
          - active_loop: booking_form
            requested_slot: happy
  notes:
    type: list
    mappings:
      - type: custom
  misc:
    type: any
    mappings:
      - type: from_text
        not_intent: stop
forms:
  booking_form:
    ignored_intents: [chitchat]
    required_slots: [cuisine, city]
responses:
  utter_greet:
    - text: "Hi {city}!"
      condition:
        - type: slot
          name: happy
          value: true
      channel: rest
    - text: "Hi!"
      buttons:
        - title: Thai
          payload: '/inform{"cuisine": "thai"}'
  utter_ask_booking_form_cuisine:
    - text: Which cuisine?
  utter_ask_city:
    - custom: {kind: city-picker}
    - text: Where?
      elements: [{title: Paris}]
  utter_time:
    - text: "It is {time}."
  faq/ask_name:
    - text: I am a bot
actions:
  - action_ask_city
  - validate_booking_form
  - action_lookup
  - action_validate_slot_mappings
session_config:
  session_expiration_time: 0
  carry_over_slots_to_new_session: false
"""

RICH_DATA = """
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello [Paris]{"entity": "city", "role": "from", "group": "1"}
  - intent: inform
    examples: |
      - [thai](cuisine) food
      - [Berlin](city:berlin) please
  - synonym: berlin
    examples: |
      - Berlin City
  - regex: city
    examples: |
      - \\b[A-Z][a-z]+burg\\b
  - regex: zipcode
    examples: |
      - \\d{5}
  - lookup: cuisine
    examples: |
      - thai
      - italian
  - lookup: nowhere
    examples: |
      - x
rules:
  - rule: greet
    conversation_start: true
    steps:
      - intent: greet
      - action: utter_greet
  - rule: activate
    steps:
      - intent: inform
      - action: booking_form
      - active_loop: booking_form
  - rule: submit
    condition:
      - active_loop: booking_form
    steps:
      - action: booking_form
      - active_loop: null
      - slot_was_set:
          - requested_slot: null
      - action: action_lookup
    wait_for_user_input: false
  - rule: chitchat in form
    condition:
      - active_loop: booking_form
    steps:
      - intent: chitchat
      - action: utter_time
      - action: booking_form
      - active_loop: booking_form
  - rule: stop when happy
    condition:
      - slot_was_set:
          - happy: true
    steps:
      - intent: stop
      - action: action_deactivate_loop
  - rule: session
    steps:
      - action: action_session_start
      - action: utter_greet
stories:
  - story: part one
    steps:
      - intent: greet
      - action: utter_greet
      - or:
          - intent: chitchat
          - intent: stop
      - action: utter_time
      - checkpoint: after_time
  - story: part two
    steps:
      - checkpoint: after_time
      - intent: inform
        entities:
          - cuisine: thai
      - slot_was_set:
          - cuisine: thai
      - action: action_lookup
  - story: end to end
    steps:
      - user: hello there
      - bot: Hi!
  - story: contradicts
    steps:
      - intent: greet
      - action: utter_time
"""


def test_every_rasa_construct_maps_or_is_reported_with_its_line(tmp_path):
    src = tmp_path / "rasa"
    (src / "domain").mkdir(parents=True)
    (src / "domain" / "main.yml").write_text(textwrap.dedent(RICH_DOMAIN), encoding="utf-8")
    (src / "data" / "sub").mkdir(parents=True)
    (src / "data" / "sub" / "all.yml").write_text(textwrap.dedent(RICH_DATA), encoding="utf-8")
    (src / "config.yml").write_text(
        "language: en\npipeline:\n  - name: WhitespaceTokenizer\n  - name: MyCustomComponent\n  - name: "
        "FallbackClassifier\n    threshold: 0.55\npolicies:\n  - name: RulePolicy\n  - name: TEDPolicy\n",
        encoding="utf-8",
    )
    (src / "endpoints.yml").write_text("action_endpoint:\n  url: http://localhost:5055/webhook\n", encoding="utf-8")
    assert is_rasa_project(src)
    report = import_rasa_project(src, tmp_path / "bot")
    text = (tmp_path / "bot" / "rasa_import.md").read_text()
    loaded = load_domain(tmp_path / "bot")
    assert [i for i in check(loaded) if i.severity == "error"] == []
    d = loaded.domain
    # intents, entities
    assert "faq/ask_name" not in d.intents and "intent `faq/ask_name`: not a valid dialogkit name" in text
    assert d.entities["city"].roles == ["from", "to"] and d.entities["city"].groups == ["1", "2"]
    assert d.entities["city"].synonyms == {"berlin": ["Berlin City"]}
    assert d.entities["city"].regex == ["\\b[A-Z][a-z]+burg\\b"] and d.entities["cuisine"].lookup == ["thai", "italian"]
    assert "regex `zipcode`" in text and "lookup `nowhere`" in text
    # use_entities / ignore_entities / ignored_intents → not_intent
    assert d.slots["city"].mappings[0].not_intent == ["chitchat"]
    assert d.slots["cuisine"].mappings[0].not_intent == ["chitchat", "inform"]
    # slot types and mappings
    assert d.slots["people"].type.value == "float" and d.slots["people"].min == 1 and d.slots["people"].initial == 2
    assert d.slots["people"].mappings[0].type == "from_intent" and "from_trigger_intent → from_intent" in text
    assert d.slots["happy"].mappings[0].conditions[0].active_flow == "booking_form"
    assert d.slots["notes"].mappings == [] and "custom mapping" in text
    assert d.slots["misc"].mappings[0].not_intent == "stop"
    assert d.slots["time"].type.value == "any" and "placeholder `{time}`" in text
    # responses
    v = d.responses["utter_greet"].variations
    assert (
        v[0].condition == "happy == true"
        and v[0].channel == "rest"
        and v[1].buttons[0].payload == '/inform{"cuisine": "thai"}'
    )
    assert d.responses["utter_ask_city"].variations[0].custom == {"kind": "city-picker"}
    assert d.responses["utter_ask_city"].variations[1].custom == {"elements": [{"title": "Paris"}]}
    # forms: utter_ask_<form>_<slot>, action_ask_<slot>, validate_<form>, submit rule
    form = d.flows["booking_form"]
    assert form.steps[0].collect == "cuisine" and form.steps[0].ask == "utter_ask_booking_form_cuisine"
    # Rasa's order: the action before utter_ask_city
    assert form.steps[1].collect == "city" and form.steps[1].ask == "action_ask_city"
    assert form.steps[2].action == "action_lookup" and form.validate_ == "validate_booking_form"
    assert d.actions["action_ask_city"] == "remote"
    # rules: conditions, interruption, conversation_start, wait_for_user_input, session start
    assert d.flows["on_stop"].when.condition == "happy == true"
    # ends the form, also from a flow above it
    assert [s.action for s in d.flows["on_stop"].steps] == ["action_deactivate_loop"]
    assert [s.say for s in d.flows["on_chitchat"].steps[:1]] == ["utter_time"]
    assert "on_greet_at_start" not in d.flows  # the conversation-start rule says what the story on greet says: one flow
    assert "wait_for_user_input" in text and "interrupts the form" in text
    assert (
        "rule `session`: starts with bot action `action_session_start` and has no user turn: a session-start rule"
        in text
    )
    assert (
        d.pipeline[2].name == "flow_policy"
        and d.pipeline[2].config()["validate_slots_action"] == "action_validate_slot_mappings"
    )
    # stories: or + checkpoints joined, e2e reported, contradiction reported
    greet = d.flows["on_greet"]
    branch = greet.steps[1].expect
    assert set(branch) == {"chitchat", "stop"}
    assert [getattr(s, "say", None) for s in branch["stop"]][:1] == ["utter_time"]
    assert branch["stop"][1].expect["inform"][0].action == "action_lookup"
    # an end-to-end story (`user:` text, `bot:` text): an intent and a response made for it
    assert d.flows["on_e2e_hello_there"].steps[0].say == "utter_e2e_hi"
    assert d.responses["utter_e2e_hi"].variations[0].text == "Hi!"
    assert (
        "`user: hello there` (end-to-end, no intent) → intent `e2e_hello_there` with this text as its example" in text
    )
    conflicts = [n for n in report.notes if n.kind == "conflict"]
    assert conflicts and "contradicts" in conflicts[0].what and "all.yml" in conflicts[0].where
    # config
    assert (
        "MyCustomComponent" in text and d.pipeline[1].name == "bert_nlu" and d.pipeline[1].config()["threshold"] == 0.55
    )
    # session, endpoints, every dropped note has a file:line
    assert d.session.expiry_minutes == 0 and d.session.carry_over_slots is False
    assert (tmp_path / "bot" / "endpoints.yml").is_file()
    for n in report.dropped:
        assert n.where and ".yml:" in n.where, n.render()


def test_cli_import_and_clear_errors(tmp_path, capsys):
    assert main(["import", "rasa", str(PROJECTS / "02-slots"), str(tmp_path / "bot")]) == 0
    out = capsys.readouterr().out
    assert "imported" in out and "rasa_import.md" in out and "dialogkit train" in out
    # an existing bot is never overwritten by accident
    (tmp_path / "bot" / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["import", "rasa", str(PROJECTS / "02-slots"), str(tmp_path / "bot")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["import", "rasa", str(PROJECTS / "02-slots"), str(tmp_path / "bot"), "--force"]) == 0
    assert (tmp_path / "bot" / "notes.txt").read_text() == "mine"
    capsys.readouterr()
    (tmp_path / "empty").mkdir()
    assert main(["import", "rasa", str(tmp_path / "empty"), str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "DK702" in err and "no domain.yml" in err and "Traceback" not in err
    with pytest.raises(DomainError):
        import_rasa_project(PROJECTS / "moodbot", PROJECTS / "moodbot")
    # validate and visualize take a Rasa project as it is
    assert main(["validate", str(PROJECTS / "03-conditions")]) == 0
    captured = capsys.readouterr()
    assert (
        "is a Rasa project: imported it (0 item(s) not represented" in captured.err
        and "valid (11 intents" in captured.out
    )
    assert main(["visualize", str(PROJECTS / "moodbot"), "--out", str(tmp_path / "flows.html")]) == 0
    assert "on_greet" in (tmp_path / "flows.mmd").read_text()


def test_stories_that_differ_by_a_slot_become_if_branches(tmp_path):
    src = tmp_path / "rasa"
    (src / "data").mkdir(parents=True)
    (src / "domain.yml").write_text(textwrap.dedent("""
        version: "3.1"
        intents: [check, thanks]
        slots:
          has_money: {type: bool, mappings: [{type: custom}]}
          account: {type: text, mappings: [{type: custom}]}
        responses:
          utter_rich: [{text: rich}]
          utter_poor: [{text: poor}]
          utter_who: [{text: who?}]
          utter_welcome: [{text: welcome}]
        actions: [action_check]
    """), encoding="utf-8")
    (src / "data" / "stories.yml").write_text(textwrap.dedent("""
        version: "3.1"
        stories:
          - story: rich
            steps:
              - intent: check
              - action: action_check
              - slot_was_set: [{account: "A-1"}, {has_money: true}]
              - action: utter_rich
              - intent: thanks
              - action: utter_welcome
          - story: poor
            steps:
              - intent: check
              - action: action_check
              - slot_was_set: [{account: "A-2"}, {has_money: false}]
              - action: utter_poor
              - action: action_audit
          - story: no account
            steps:
              - intent: check
              - action: action_check
              - action: utter_who
    """), encoding="utf-8")
    report = import_rasa_project(src, tmp_path / "bot")
    assert [n for n in report.notes if n.kind == "conflict"] == []
    d = load_domain(tmp_path / "bot").domain
    steps = d.flows["on_check"].steps
    assert steps[0].action == "action_check"
    account = steps[1]
    assert account.if_ == "account is set" and [s.say for s in account.else_] == ["utter_who"]
    money = account.then[0]
    assert money.if_ == "has_money == true" and money.then[0].say == "utter_rich" and "thanks" in money.then[1].expect
    assert money.else_[0].if_ == "has_money == false" and money.else_[0].then[0].say == "utter_poor"
    # used in a story, not declared: added, with its line
    added = next(n for n in report.notes if "action_audit" in n.what)
    assert d.actions["action_audit"] == "remote" and "stories.yml:" in added.where


@pytest.mark.parametrize(
    "file, text, expected",
    [
        ("domain.yml", "intents: greet\n", "`intents` must be a list of names"),
        ("domain.yml", "slots:\n  city: text\n", "slot `city` must be a mapping"),
        ("domain.yml", "slots:\n  city:\n    type: text\n    mappings: from_entity\n", "`mappings` must be a list"),
        ("domain.yml", "responses:\n  utter_hi:\n    - text: hi\n      buttons: yes\n", "`buttons` must be a list"),
        ("domain.yml", "forms:\n  f:\n    required_slots: a\n", "form `f` must be a mapping with `required_slots:`"),
        (
            "data/stories.yml",
            "stories:\n  - story: s\n    steps: intent greet\n",
            "story 1: `steps` must be a list of steps",
        ),
        ("data/nlu.yml", "nlu:\n  - greet\n", "`nlu` must be a list of mappings"),
        ("config.yml", "pipeline: DIETClassifier\n", "`pipeline` must be a list of mappings"),
        ("domain.yml", "intents: [greet\n", "YAML syntax error"),
    ],
)
def test_malformed_projects_are_located_errors_not_tracebacks(tmp_path, capsys, file, text, expected):
    src = tmp_path / "rasa"
    (src / "data").mkdir(parents=True)
    (src / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n', encoding="utf-8")
    (src / "config.yml").write_text("language: en\npipeline: []\npolicies: []\n", encoding="utf-8")
    (src / file).write_text(text, encoding="utf-8")
    assert main(["import", "rasa", str(src), str(tmp_path / "bot")]) == 2
    err = capsys.readouterr().err
    assert expected in err and f"{file}:" in err and "Traceback" not in err and "internal error" not in err


def test_an_import_that_would_not_validate_writes_nothing(tmp_path, monkeypatch):
    """The stages' result is checked as a dialogkit Domain before any file is written: a
    translation the importer gets wrong is a located DK702, never a half-written bot."""
    from dialogkit.framework.rasa.importer import dialogue

    real = dialogue.build_dialogue

    def broken(st):
        real(st)
        st.flows["on_greet"]["steps"].append({"say": "utter_greet", "collect": "x"})  # two kinds in one step

    monkeypatch.setattr("dialogkit.framework.rasa.importer.build_dialogue", broken)
    with pytest.raises(DomainError) as exc:
        import_rasa_project(PROJECTS / "moodbot", tmp_path / "bot")
    issue = exc.value.issues[0]
    assert issue.code == "DK702" and "does not validate at `flows.on_greet.steps" in issue.text
    assert str(PROJECTS / "moodbot") in str(issue.location)
    assert not (tmp_path / "bot").exists()


def test_messages_about_a_rasa_project_point_at_its_own_files(tmp_path, capsys):
    """`validate` / `train` on a Rasa project import it into a temporary bot: what they report
    names the Rasa file and line the problem came from, never the temporary copy."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "lenient", project)
    domain = project / "domain.yml"
    text = domain.read_text()
    domain.write_text(text.replace('"Ordered {count} {size} shirt(s)."', '"Ordered {count} {size shirt(s)."'))
    line = next(i for i, row in enumerate(domain.read_text().splitlines(), 1) if "{size shirt" in row)
    assert main(["validate", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"{domain}:{line}:" in err and "DK317" in err
    assert "dialogkit-rasa-" not in err and f"there is no {project / 'endpoints.yml'}" in err
    assert main(["train", str(project), "--out", str(tmp_path / "model")]) == 2
    err = capsys.readouterr().err
    assert f"{domain}:{line}:" in err and "dialogkit-rasa-" not in err
