"""Conversation-test assertions: flow events, what the bot did not say, text patterns, buttons,
fixtures and stubbed actions. Each passes on the behaviour it names and, when the bot does
something else, fails with a message that says what was expected and what happened, at the
step's file:line."""

import subprocess
import sys
import textwrap

import pytest

from dialogkit.framework.build.training import train
from dialogkit.framework.errors import DomainError
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import STAND_IN

DOMAIN = """
version: "1"
""" + STAND_IN + """intents:
  greet:
    examples: |
      - hi
      - hello
  book:
    examples: |
      - book a table
      - I want to book
  inform:
    examples: |
      - for [2](size)
      - [4](size) people
  cancel:
    examples: |
      - stop
      - cancel that
entities:
  size: {}
slots:
  size:
    type: int
    mappings:
      - type: from_entity
        entity: size
  vip:
    type: bool
  available:
    type: bool
responses:
  utter_greet:
    - "Hi!"
  utter_greet_vip:
    - "Welcome back!"
  utter_ask_size:
    - text: "For how many people?"
      buttons:
        - {title: Two, payload: '/inform{"size": 2}'}
        - {title: Four, payload: '/inform{"size": 4}'}
  utter_booked:
    - "Booked a table for {size}."
  utter_full:
    - "Sorry, we are full."
  utter_sorry:
    - "Our booking system is down."
actions:
  action_check: actions:check
  action_charge: remote
flows:
  greet:
    when: {intent: greet}
    steps:
      - if: vip
        then:
          - say: utter_greet_vip
        else:
          - say: utter_greet
  book:
    when: {intent: book}
    steps:
      - collect: size
      - action: action_check
        on_error:
          - say: utter_sorry
      - if: available
        then:
          - action: action_charge
          - say: utter_booked
        else:
          - say: utter_full
"""

ACTIONS = '''
def check(tracker, dispatcher):
    raise RuntimeError("the real availability service is not reachable from tests")
'''

PASSING = """
conversations:
  - name: every assertion holds
    fixtures: {vip: true}
    stubs:
      action_check:
        events: [{event: slot, name: available, value: true}]
        responses: [{text: "Checking... a table is free."}]
      action_charge: {}
    steps:
      - user: hi
      - bot: {text: "Welcome back!"}
      - bot_not: utter_greet
      - user: book a table
      - flow_started: book
      - bot: {response: utter_ask_size, buttons: [Two, {title: Four, payload: '/inform{"size": 4}'}]}
      - user: '/inform{"size": 2}'
      - action: action_check
      - bot: {matches: "a table is (free|open)", says: [table, free], generated: false}
      - bot: {matches: "^Booked a table for \\\\d+\\\\.$"}
      - flow_completed: book
      - slots: {size: 2, available: true}
  - name: a stubbed failure takes the on_error path
    stubs:
      action_check: {error: "service down"}
    steps:
      - user: book a table
      - user: '/inform{"size": 4}'
      - bot: utter_sorry
      - bot_not: utter_booked
  - name: an interruption and a cancel
    steps:
      - user: book a table
      - user: hi
      - flow_interrupted: book
      - bot: utter_greet
      - user: stop
      - flow_cancelled: book
"""


def write_assertions_bot(root):
    """The bot above with its action code and the passing conversations, written to ``root``."""
    (root / "tests").mkdir(parents=True)
    (root / "domain.yml").write_text(textwrap.dedent(DOMAIN).lstrip(), encoding="utf-8")
    (root / "actions.py").write_text(ACTIONS, encoding="utf-8")
    (root / "tests" / "conversations.yml").write_text(textwrap.dedent(PASSING).lstrip(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    return write_assertions_bot(tmp_path_factory.mktemp("assertions") / "bot")


@pytest.fixture(scope="module")
def agent(bot, tmp_path_factory):
    model = tmp_path_factory.mktemp("assertions-model") / "model"
    train(bot, model)
    return Agent.load(model)


def test_every_assertion_passes_through_the_cli(bot, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dialogkit", "test", str(bot)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3/3 conversations passed" in done.stdout


# each assertion, with the behaviour it names going another way: (steps, the failing step's
# index in them, what the failure says)
WRONG = [
    ("- user: hi\n- bot: {text: 'Hello there!'}", 1, "expected the text 'Hello there!', got 'Hi!' (utter_greet)"),
    ("- user: hi\n- bot_not: utter_greet", 1, "expected the bot not to say 'utter_greet', but it said 'Hi!'"),
    ("- user: hi\n- bot: {matches: 'Welcome'}", 1, "expected a message matching /Welcome/, got 'Hi!' (utter_greet)"),
    ("- user: hi\n- bot: {says: [Hi, there]}", 1, "expected the message to say 'there', got 'Hi!' (utter_greet)"),
    ("- user: hi\n- bot: {generated: true}", 1, "expected a generated reply, got 'Hi!' (utter_greet)"),
    (
        "- user: book a table\n- bot: {buttons: [Two, Six]}",
        1,
        "expected buttons ['Two', 'Six'], got 'For how many people?' (utter_ask_size) with buttons ['Two', 'Four']",
    ),
    (
        "- user: book a table\n- bot: {buttons: [Two, {title: Four, payload: /inform}]}",
        1,
        "expected button 'Four' to send '/inform', it sends '/inform{\"size\": 4}'",
    ),
    (
        "- user: hi\n- flow_started: book",
        1,
        "expected flow started 'book', the turn had FlowStarted greet, FlowCompleted greet",
    ),
    (
        "- user: book a table\n- flow_completed: book",
        1,
        "expected flow completed 'book', the turn had FlowStarted book",
    ),
    (
        "- user: book a table\n- user: hi\n- flow_cancelled: book",
        2,
        "expected flow cancelled 'book', the turn had FlowInterrupted book",
    ),
    ("- user: book a table\n- flow_interrupted: book", 1, "expected flow interrupted 'book'"),
]


@pytest.mark.parametrize(("steps", "failing", "says"), WRONG)
def test_a_wrong_expectation_fails_at_its_line_saying_what_happened(agent, tmp_path, steps, failing, says):
    results = _run(
        agent, tmp_path, "conversations:\n  - name: wrong\n    steps:\n" + textwrap.indent(steps, "      ") + "\n"
    )
    (r,) = results
    assert not r.passed
    assert says in r.failure, r.failure
    assert r.failure.startswith(f"{tmp_path / 'bot' / 'tests' / 'c.yml'}:{4 + failing}:"), r.failure


def test_stubs_replace_the_action_and_fixtures_set_slots_before_the_first_message(agent, tmp_path):
    (r,) = _run(agent, tmp_path, """
        conversations:
          - name: not vip, and full
            fixtures: {vip: false}
            stubs:
              action_check: {events: [{event: slot, name: available, value: false}]}
            steps:
              - user: hi
              - bot: utter_greet
              - user: book a table
              - user: '/inform{"size": 4}'
              - bot: utter_full
              - action: action_check
        """)
    assert r.passed, r.failure
    # without the stub the action runs for real: the bot's own code raises, so the error path
    (r,) = _run(agent, tmp_path, """
        conversations:
          - name: real action
            steps:
              - user: book a table
              - user: '/inform{"size": 4}'
              - bot: utter_sorry
        """)
    assert r.passed, r.failure


def test_unknown_fixture_slots_and_stubbed_actions_fail_the_conversation_with_the_names(agent, tmp_path):
    (r,) = _run(
        agent, tmp_path, "conversations:\n  - name: x\n    fixtures: {colour: red}\n    steps:\n      - user: hi\n"
    )
    assert not r.passed and "fixtures: no slot colour in the domain" in r.failure
    (r,) = _run(
        agent, tmp_path, "conversations:\n  - name: x\n    stubs: {action_nope: {}}\n    steps:\n      - user: hi\n"
    )
    assert not r.passed and "stubs: no action action_nope in the domain" in r.failure


def test_a_bad_pattern_or_an_empty_bot_mapping_is_refused_when_the_tests_are_read(tmp_path):
    for steps, says in (("- bot: {matches: 'table ('}", "invalid regex 'table ('"),
                        ("- bot: {}", "a `bot:` mapping needs response, text, matches, says, buttons or generated")):
        root = tmp_path / f"b{len(says)}"
        (root / "tests").mkdir(parents=True)
        (root / "tests" / "c.yml").write_text(
            "conversations:\n  - name: x\n    steps:\n" + textwrap.indent(steps, "      ") + "\n"
        )
        with pytest.raises(DomainError) as e:
            load_conversation_tests(root)
        assert says in str(e.value) and f"{root / 'tests' / 'c.yml'}:4" in str(e.value)


def _run(agent, tmp_path, text):
    root = tmp_path / "bot"
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "c.yml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return run_conversations(agent, load_conversation_tests(root))
