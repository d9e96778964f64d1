"""Continue interrupted: when a flow that interrupted another ends, the bot says
utter_continue_<flow> (or utter_continue_interrupted) if it defines one, then the interrupted
flow asks again; a called flow returning to its caller, or a bot without the response, says
nothing extra."""

import textwrap

from dialogkit.framework.build.training import train
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import MINIMAL

TESTS = """
conversations:
  - name: back to the booking after a greeting
    steps:
      - user: book
      - bot: utter_ask_party_size
      - user: hi
      - flow_interrupted: book
      - bot: utter_greet
      - bot: {text: "Now, back to your booking."}
      - bot: utter_ask_party_size
  - name: a called flow returning is no interruption
    steps:
      - intent: outer
      - bot: utter_ask_party_size
      - user: for 2
      - bot: utter_done
      - bot_not: utter_continue_interrupted
      - bot: utter_after
"""


def run(write_bot, tmp_path, responses):
    domain = MINIMAL.replace("responses:\n", "responses:\n" + responses)
    domain = domain.replace("intents:\n", "intents:\n  outer:\n    examples: |\n      - the outer one\n")
    domain = domain.replace("  utter_greet:", '  utter_after:\n    - "after"\n  utter_greet:')
    domain += "  outer:\n    when: {intent: outer}\n    steps:\n      - call: book\n      - say: utter_after\n"
    root = write_bot({"domain.yml": domain, "tests/t.yml": textwrap.dedent(TESTS)})
    train(root, tmp_path / "model")
    return [
        (r.passed, r.failure) for r in run_conversations(Agent.load(tmp_path / "model"), load_conversation_tests(root))
    ]


def test_the_bot_says_it_goes_back_to_the_interrupted_flow(write_bot, tmp_path):
    assert run(write_bot, tmp_path, '  utter_continue_interrupted:\n    - "Now, back to your booking."\n') == [
        (True, None),
        (True, None),
    ]


def test_a_flows_own_continue_response_comes_first_and_none_says_nothing(write_bot, tmp_path):
    both = (
        '  utter_continue_book:\n    - "Now, back to your booking."\n  utter_continue_interrupted:\n    - "Where '
        'were we?"\n'
    )
    assert run(write_bot, tmp_path / "a", both) == [(True, None), (True, None)]
    (first, _) = run(write_bot, tmp_path / "b", "")
    assert not first[0] and "expected the text 'Now, back to your booking.', got 'How many?'" in first[1]
