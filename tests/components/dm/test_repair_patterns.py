"""Repair patterns (components/dm/repairs.py): skip, correction (acknowledged, or confirmed
first), completed, cannot handle and continue interrupted, each with its built-in text in the
bot's language, its response to override the words, and a `pattern_<name>` flow to replace it."""

import pytest

from dialogkit.framework.build.training import train
from dialogkit.framework.build.validation import validate
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.tracker import SlotSet

DOMAIN = """
version: "1"
language: {language}
pipeline:
  - name: rule_entity_extractor
  - name: keyword_intent_classifier
  - name: flow_policy
{policy}  - name: template_nlg
intents:
  transfer: {{examples: "- send money\\n- transfer money"}}
  affirm: {{examples: "- yes\\n- yep"}}
  deny: {{examples: "- no\\n- nope"}}
  skip: {{examples: "- skip\\n- skip it"}}
  greet: {{examples: "- hi\\n- hello"}}
  ask_fees: {{examples: "- what are the fees"}}
entities:
  recipient: {{}}
  amount: {{}}
  reference: {{}}
slots:
  recipient:
    type: text
    mappings: [{{type: from_entity, entity: recipient}}]
  amount:
    type: float
    confirm_correction: true
    mappings: [{{type: from_entity, entity: amount}}]
  reference:
    type: text
    mappings: [{{type: from_entity, entity: reference}}]
  confirmed:
    type: bool
    mappings:
      - {{type: from_intent, intent: affirm, value: true, conditions: [{{requested_slot: confirmed}}]}}
      - {{type: from_intent, intent: deny, value: false, conditions: [{{requested_slot: confirmed}}]}}
responses:
  utter_ask_recipient: ["Who to?"]
  utter_ask_amount: ["How much?"]
  utter_ask_reference: ["A reference for the payment?"]
  utter_confirm: ["Send {{amount}} to {{recipient}}?"]
  utter_done: ["Sent {{amount}} to {{recipient}}."]
  utter_greet: ["Hi!"]
  utter_fees: ["No fees."]
{responses}flows:
  transfer:
    when: {{intent: transfer}}
{flow_options}    steps:
      - collect: recipient
      - collect: amount
      - collect: reference
        skippable: true
      - collect: confirmed
        ask: utter_confirm
        ask_before_filling: true
      - if: confirmed
        then:
          - say: utter_done
      - set: {{recipient: null, amount: null, reference: null, confirmed: null}}
  greet:
    when: {{intent: greet}}
    steps:
      - say: utter_greet
  fees:
    when: {{intent: ask_fees}}
    steps:
      - say: utter_fees
{flows}"""


def make(write_bot, tmp_path, language="en", policy="", responses="", flow_options="", flows="", name="bot"):
    text = DOMAIN.format(
        language=language, policy=policy, responses=responses, flow_options=flow_options, flows=flows
    )
    root = write_bot({"domain.yml": text}, name=name)
    train(root, tmp_path / f"{name}-model")
    return Agent.load(tmp_path / f"{name}-model")


def say(agent, cid, *messages):
    """The texts the bot answered the last of ``messages`` with."""
    out = []
    for m in messages:
        out = [r.get("text") for r in agent.handle(m, conversation_id=cid)]
    return out


START = ["transfer money", '/inform{"recipient": "Bob"}']


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """The bot with the built-in patterns and nothing of its own for them."""
    root = tmp_path_factory.mktemp("repairs") / "bot"
    root.mkdir()
    (root / "domain.yml").write_text(
        DOMAIN.format(language="en", policy="", responses="", flow_options="", flows=""), encoding="utf-8"
    )
    train(root, root.parent / "model")
    return Agent.load(root.parent / "model")


# --- skip ---------------------------------------------------------------------------------


def test_skip_moves_past_a_skippable_question_and_leaves_its_slot_unset(agent):
    assert say(agent, "s1", *START, '/inform{"amount": 100}') == ["A reference for the payment?"]
    assert say(agent, "s1", "skip") == ["Okay, let's skip that.", "Send 100 to Bob?"]
    assert agent.tracker("s1").slots["reference"] is None


def test_a_question_that_is_not_skippable_is_asked_again(agent):
    assert say(agent, "s2", *START, "skip") == ["Sorry, I need an answer to that one to go on.", "How much?"]
    assert agent.tracker("s2").slots["amount"] is None


def test_a_skipped_question_is_not_asked_again_when_a_correction_goes_back_over_it(agent):
    say(agent, "s3", *START, '/inform{"amount": 100}', "skip")
    # the recipient is corrected at the confirmation: the flow goes back to it and comes forward
    assert say(agent, "s3", '/inform{"recipient": "Jo"}') == ["Send 100 to Jo?"]


def test_skip_outside_a_question_is_an_ordinary_intent(agent):
    assert say(agent, "s4", "skip") == ["Sorry, I didn't get that. Could you say it another way?"]


# --- correction ---------------------------------------------------------------------------


def test_a_slot_marked_confirm_correction_is_asked_about_before_it_changes(agent):
    say(agent, "c1", *START, '/inform{"amount": 100}', "skip")
    reply = agent.handle('/inform{"amount": 200}', conversation_id="c1")
    assert [r["text"] for r in reply] == ["Do you want to change the amount from 100 to 200?"]
    assert reply[0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert agent.tracker("c1").slots["amount"] == 100  # not yet
    assert say(agent, "c1", "yes") == ["Okay, I've changed the amount to 200.", "Send 200 to Bob?"]
    assert agent.tracker("c1").slots["amount"] == 200
    assert say(agent, "c1", "yes") == ["Sent 200 to Bob."]


def test_no_to_the_confirmation_keeps_the_old_value(agent):
    say(agent, "c2", *START, '/inform{"amount": 100}')
    say(agent, "c2", '/inform{"amount": 7}')
    assert say(agent, "c2", "no") == ["Okay, I'll leave it as it was.", "A reference for the payment?"]
    assert agent.tracker("c2").slots["amount"] == 100


def test_the_pending_confirmation_is_read_from_the_events(agent):
    """The new value, then the old one put back, before the question: nothing else is kept."""
    say(agent, "c3", *START, '/inform{"amount": 100}', "skip", '/inform{"amount": 150}')
    events = agent.tracker("c3").events
    assert [e.value for e in events if isinstance(e, SlotSet) and e.name == "amount"][-2:] == [150, 100]
    assert say(agent, "c3", "yes") == ["Okay, I've changed the amount to 150.", "Send 150 to Bob?"]


def test_other_corrections_are_silent_unless_the_bot_asks_for_an_acknowledgement(agent, write_bot, tmp_path):
    say(agent, "a1", *START, '/inform{"amount": 100}', "skip")
    assert say(agent, "a1", '/inform{"recipient": "Jo"}') == ["Send 100 to Jo?"]
    acked = make(write_bot, tmp_path, policy="    acknowledge_corrections: true\n", name="acked")
    say(acked, "a2", *START, '/inform{"amount": 100}', "skip")
    acknowledged = ["Okay, I've changed the recipient to Jo.", "Send 100 to Jo?"]
    assert say(acked, "a2", '/inform{"recipient": "Jo"}') == acknowledged
    own = make(write_bot, tmp_path, responses='  utter_corrected: ["Noted, {recipient} it is."]\n', name="own")
    say(own, "a3", *START, '/inform{"amount": 100}', "skip")
    assert say(own, "a3", '/inform{"recipient": "Jo"}') == ["Noted, Jo it is.", "Send 100 to Jo?"]


# --- completed ----------------------------------------------------------------------------


def test_anything_else_after_a_task_but_not_after_small_talk(write_bot, tmp_path):
    bot = make(write_bot, tmp_path, responses='  utter_anything_else: ["Anything else?"]\n')
    assert say(bot, "d1", "hi") == ["Hi!"]
    assert say(bot, "d1", *START, '/inform{"amount": 5}', "skip", "yes") == ["Sent 5 to Bob.", "Anything else?"]
    # a flow may say otherwise either way
    quiet = make(write_bot, tmp_path, responses='  utter_anything_else: ["Anything else?"]\n',
                 flow_options="    anything_else: false\n", name="quiet")
    assert say(quiet, "d2", *START, '/inform{"amount": 5}', "skip", "yes") == ["Sent 5 to Bob."]


def test_no_anything_else_unless_the_bot_has_it_or_turns_it_on(agent, write_bot, tmp_path):
    assert say(agent, "d3", *START, '/inform{"amount": 5}', "skip", "yes") == ["Sent 5 to Bob."]
    on = make(write_bot, tmp_path, policy="    anything_else: true\n", name="on")
    assert say(on, "d4", *START, '/inform{"amount": 5}', "skip", "yes") == [
        "Sent 5 to Bob.",
        "Is there anything else I can help you with?",
    ]


# --- the bot's own pattern flows ----------------------------------------------------------

PATTERN_FLOWS = """  pattern_skip:
    steps:
      - say: utter_no_reference
  pattern_correction:
    steps:
      - say: utter_updated
  pattern_completed:
    steps:
      - say: utter_more
  pattern_cannot_handle:
    steps:
      - say: utter_human
  pattern_continue_interrupted:
    steps:
      - say: utter_back
"""
PATTERN_RESPONSES = """  utter_no_reference: ["No reference then."]
  utter_updated: ["Updated."]
  utter_more: ["Want to send more?"]
  utter_human: ["Let me get a colleague."]
  utter_back: ["Back to your transfer."]
"""


@pytest.fixture(scope="module")
def own_patterns(tmp_path_factory):
    root = tmp_path_factory.mktemp("own-patterns") / "bot"
    root.mkdir()
    text = DOMAIN.format(language="en", policy="", responses=PATTERN_RESPONSES, flow_options="", flows=PATTERN_FLOWS)
    (root / "domain.yml").write_text(text, encoding="utf-8")
    train(root, root.parent / "model")
    return Agent.load(root.parent / "model")


def test_each_pattern_flow_replaces_the_built_in_pattern(own_patterns):
    bot = own_patterns
    assert say(bot, "p1", *START, '/inform{"amount": 5}') == ["A reference for the payment?"]
    assert say(bot, "p1", "skip") == ["No reference then.", "Send 5 to Bob?"]  # pattern_skip
    assert say(bot, "p1", '/inform{"recipient": "Jo"}') == ["Updated.", "Send 5 to Jo?"]  # pattern_correction
    assert say(bot, "p1", "yes") == ["Sent 5 to Jo.", "Want to send more?"]  # pattern_completed
    assert say(bot, "p2", *START, "what are the fees") == ["No fees.", "Back to your transfer.", "How much?"]
    say(bot, "p3", *START)
    misses = [say(bot, "p3", "/nlu_fallback") for _ in range(3)]  # pattern_cannot_handle, on the third
    assert [m[0] for m in misses] == ["Sorry, I didn't get that. Could you say it another way?"] * 2 + [
        "Let me get a colleague."
    ]


def test_an_unknown_pattern_name_is_refused_at_its_line(write_bot):
    text = DOMAIN.format(
        language="en", policy="", responses="", flow_options="",
        flows="  pattern_complete:\n    steps:\n      - say: utter_greet\n",
    )
    loaded = load_domain(write_bot({"domain.yml": text}))
    issues = [i for i in validate(loaded) if i.code == "DK319"]
    assert len(issues) == 1
    said = str(issues[0])
    assert "flow 'pattern_complete' is named like a repair pattern, but there is no pattern 'complete'" in said
    assert "did you mean 'completed'?" in str(issues[0])
    assert issues[0].location.line == text.splitlines().index("  pattern_complete:") + 1


def test_confirm_correction_needs_yes_and_no_intents(write_bot):
    text = DOMAIN.format(language="en", policy="", responses="", flow_options="", flows="")
    text = text.replace('  deny: {examples: "- no\\n- nope"}\n', "").replace(
        "      - {type: from_intent, intent: deny, value: false, conditions: [{requested_slot: confirmed}]}\n", ""
    )
    loaded = load_domain(write_bot({"domain.yml": text}))
    issues = [str(i) for i in validate(loaded) if i.code == "DK320"]
    assert issues and "slot 'amount' has confirm_correction, but the bot has no intent 'deny'" in issues[0]


# --- in Chinese -----------------------------------------------------------------------------


def test_the_built_in_texts_are_in_the_bots_language(write_bot, tmp_path):
    zh = make(write_bot, tmp_path, language="zh", policy="    acknowledge_corrections: true\n", name="zh")
    assert say(zh, "z1", *START, "skip") == ["抱歉，这个问题需要您回答才能继续。", "How much?"]
    assert say(zh, "z1", '/inform{"amount": 100}', "skip") == ["好的，跳过这个问题。", "Send 100 to Bob?"]
    reply = zh.handle('/inform{"amount": 200}', conversation_id="z1")
    assert [r["text"] for r in reply] == ["您是要把100改成200吗？"]
    assert [b["title"] for b in reply[0]["buttons"]] == ["是", "否"]
    assert say(zh, "z1", "yes") == ["好的，已改为200。", "Send 200 to Bob?"]
