"""Messages not understood again and again: the `max_fallbacks`-th in a row escalates (every
flow ended with utter_escalate, or an escalation flow such as a handoff starts), counted from
the conversation's events; a message understood in between starts the count over."""

import textwrap

import pytest

from dialogkit.framework.build.training import train
from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import MINIMAL


def bot(write_bot, tmp_path, policy="", responses="", flows=""):
    domain = MINIMAL.replace("  - name: flow_policy\n", "  - name: flow_policy\n" + policy)
    domain = domain.replace("responses:\n", "responses:\n" + responses).replace("flows:\n", "flows:\n" + flows)
    root = write_bot({"domain.yml": domain})
    train(root, tmp_path / "model")
    return root, Agent.load(tmp_path / "model")


def run(agent, root, text):
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "t.yml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    results = run_conversations(agent, load_conversation_tests(root))
    return [(r.passed, r.failure) for r in results]


def test_the_third_message_not_understood_ends_the_flows_and_says_so(write_bot, tmp_path):
    root, agent = bot(write_bot, tmp_path)
    assert run(agent, root, """
        conversations:
          - name: three misses in a row
            steps:
              - user: book
              - bot: utter_ask_party_size
              - intent: nlu_fallback
              - bot: utter_default
              - bot: utter_ask_party_size
              - intent: nlu_fallback
              - bot: utter_default
              - intent: nlu_fallback
              - flow_cancelled: book
              - bot: {text: "Sorry, I keep misunderstanding you. Let's start over: what would you like to do?"}
              - bot_not: utter_ask_party_size
              - intent: nlu_fallback       # the count starts over after an escalation
              - bot: utter_default
          - name: a message understood in between starts the count over
            steps:
              - intent: nlu_fallback
              - intent: nlu_fallback
              - user: hi
              - bot: utter_greet
              - intent: nlu_fallback
              - bot: utter_default
              - intent: nlu_fallback
              - bot: utter_default
        """) == [(True, None), (True, None)]


def test_an_escalation_flow_takes_over_and_the_flow_below_resumes_after_it(write_bot, tmp_path):
    root, agent = bot(write_bot, tmp_path, policy="    max_fallbacks: 2\n    escalation: handoff\n",
                      responses='  utter_handoff:\n    - "Let me get a colleague."\n',
                      flows="  handoff:\n    steps:\n      - say: utter_handoff\n")
    assert run(agent, root, """
        conversations:
          - name: the second miss hands over
            steps:
              - user: book
              - intent: nlu_fallback
              - bot: utter_default
              - intent: nlu_fallback
              - flow_interrupted: book
              - flow_started: handoff
              - bot: utter_handoff
              - bot: utter_ask_party_size    # the booking resumes once the handoff flow is done
        """) == [(True, None)]


def test_max_fallbacks_off_keeps_the_fallback_forever_and_a_wrong_escalation_is_refused(write_bot, tmp_path):
    root, agent = bot(write_bot, tmp_path, policy="    max_fallbacks: null\n")
    steps = "".join("              - intent: nlu_fallback\n              - bot: utter_default\n" for _ in range(5))
    assert run(
        agent, root, "conversations:\n  - name: never\n    steps:\n" + textwrap.indent(textwrap.dedent(steps), "      ")
    ) == [(True, None)]
    root2 = write_bot(
        {"domain.yml": MINIMAL.replace("  - name: flow_policy\n", "  - name: flow_policy\n    escalation: human\n")},
        name="bad",
    )
    with pytest.raises(DialogkitError) as e:  # `validate` (and so `train`) names the place and the flows it could be
        train(root2, tmp_path / "bad-model")
    assert "domain.yml:" in str(e.value) and "human" in str(e.value) and "escalation" in str(e.value)


def test_a_chinese_bot_without_its_own_text_escalates_in_chinese(write_bot, tmp_path):
    domain = MINIMAL.replace('version: "1"\n', 'version: "1"\nlanguage: zh\n')
    train(write_bot({"domain.yml": domain}), tmp_path / "model")
    agent = Agent.load(tmp_path / "model")
    texts = [agent.handle("/nlu_fallback", "z")[-1]["text"] for _ in range(3)]
    assert texts[-1] == "抱歉，我一直没听懂。我们重新开始吧：您想做什么？"
