"""Clarify: intents ranked within `clarify_margin` of each other get "Did you mean A or B?"
with a button per intent (its description), instead of a guess; a clear ranking, a payload or
an answer to the question asked go on as before."""

from dialogkit.framework.build.training import train
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import MINIMAL


def agent_for(write_bot, tmp_path, policy="    clarify_margin: 0.1\n", language=""):
    domain = MINIMAL.replace("  - name: flow_policy\n", "  - name: flow_policy\n" + policy)
    domain = domain.replace("  book:\n    examples:", "  book:\n    description: Book a table\n    examples:")
    if language:
        domain = domain.replace('version: "1"\n', f'version: "1"\nlanguage: {language}\n')
    root = write_bot({"domain.yml": domain})
    train(root, tmp_path / "model")
    return Agent.load(tmp_path / "model")


def ranked(*pairs, entities=()):
    ranking = [{"name": n, "confidence": c} for n, c in pairs]
    return {"intent": ranking[0], "intent_ranking": ranking, "entities": list(entities)}


def test_close_intents_get_a_question_with_a_button_each(write_bot, tmp_path):
    agent = agent_for(write_bot, tmp_path)
    size = {"entity": "party_size", "value": "4", "start": None, "end": None, "confidence": 1.0, "extractor": "x"}
    turn = agent.handle_turn("hello, a table", "c", parse=ranked(("greet", 0.46), ("book", 0.41), entities=[size]))
    (msg,) = turn.messages
    assert msg["text"] == "Did you mean greet or Book a table?"
    assert msg["buttons"] == [{"title": "greet", "payload": '/greet{"party_size": "4"}'},
                              {"title": "Book a table", "payload": '/book{"party_size": "4"}'}]
    assert agent.tracker("c").stack == []  # nothing started on a guess
    # the button: the conversation goes on as if the user had said it
    assert [m["response"] for m in agent.handle(msg["buttons"][1]["payload"], "c")] == ["utter_done"]


def test_a_clear_ranking_a_payload_or_no_margin_goes_on_as_before(write_bot, tmp_path):
    agent = agent_for(write_bot, tmp_path)
    assert [
        m["response"] for m in agent.handle_turn("hi", "d", parse=ranked(("greet", 0.8), ("book", 0.1))).messages
    ] == ["utter_greet"]
    assert [m["response"] for m in agent.handle("/greet", "e")] == ["utter_greet"]
    off = agent_for(write_bot, tmp_path / "off", policy="")
    assert [
        m["response"] for m in off.handle_turn("hi", "f", parse=ranked(("greet", 0.46), ("book", 0.45))).messages
    ] == ["utter_greet"]


def test_the_question_is_asked_in_the_bots_language(write_bot, tmp_path):
    agent = agent_for(write_bot, tmp_path, language="zh")
    (msg,) = agent.handle_turn("你好订座", "z", parse=ranked(("greet", 0.5), ("book", 0.5))).messages
    assert msg["text"] == "您是说greet还是Book a table吗？"


def test_the_bots_own_pattern_clarify_flow_runs_instead_of_the_question(write_bot, tmp_path):
    domain = MINIMAL.replace("  - name: flow_policy\n", "  - name: flow_policy\n    clarify_margin: 0.1\n")
    which = '  utter_which:\n    - "Sorry, which one: a table, or just saying hi?"\n'
    domain = domain.replace("responses:\n", "responses:\n" + which)
    domain += "  pattern_clarify:\n    steps:\n      - say: utter_which\n"
    root = write_bot({"domain.yml": domain})
    train(root, tmp_path / "model")
    agent = Agent.load(tmp_path / "model")
    turn = agent.handle_turn("hello, a table", "c", parse=ranked(("greet", 0.46), ("book", 0.41)))
    assert [m["text"] for m in turn.messages] == ["Sorry, which one: a table, or just saying hi?"]
    assert [m["text"] for m in agent.handle("hi", conversation_id="c")] == ["Hi!"]  # nothing left waiting
