"""Ranges of money ("between 10 and 20 dollars", "under $50") from builtin_entities at typed slots: an
`amount` slot takes the one end said and refuses a range (so the question is asked again); an `any` slot
keeps both ends with their currencies."""

from dialogkit.framework.build.training import train
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import STAND_IN

SHOP = (
    'version: "1"\n'
    + STAND_IN.replace("  - name: flow_policy", "  - name: builtin_entities\n  - name: flow_policy")
    + """intents:
  shop:
    examples: |
      - find me a laptop
      - I want to buy a laptop
entities:
  amount-of-money: {}
slots:
  budget:
    type: amount
    mappings: [{type: from_entity, entity: amount-of-money, conditions: [{requested_slot: budget}]}]
  price_range:
    type: any
    mappings: [{type: from_entity, entity: amount-of-money, conditions: [{requested_slot: price_range}]}]
responses:
  utter_ask_budget: ["How much can you spend?"]
  utter_ask_price_range: ["And the price range of the bag?"]
  utter_done: ["Looking."]
flows:
  shop:
    when: {intent: shop}
    steps:
      - collect: budget
      - collect: price_range
      - say: utter_done
"""
)

TESTS = """
conversations:
  - name: ranges of money
    steps:
      - user: find me a laptop
      - bot: How much can you spend?
      - user: between 800 and 1200 dollars     # a range is not one amount: asked again
      - slots: {budget: null}
      - bot: How much can you spend?
      - user: no more than 1,000 euros         # the one end said
      - slots: {budget: {value: 1000, unit: EUR}}
      - bot: And the price range of the bag?
      - user: around 50-80 bucks
      - slots: {price_range: {from: {value: 50, unit: USD}, to: {value: 80, unit: USD}}}
      - bot: Looking.
"""


def test_an_amount_slot_takes_one_end_of_a_range_and_an_any_slot_the_range(write_bot, tmp_path):
    bot = write_bot({"domain.yml": SHOP, "tests/ranges.yml": TESTS})
    train(bot, tmp_path / "m")
    agent = Agent.load(tmp_path / "m")
    results = run_conversations(agent, load_conversation_tests(bot))
    assert [(r.passed, r.failure) for r in results] == [(True, None)]
    (found,) = [e for e in agent.parse("a hotel under 100 pounds")["entities"] if e["entity"] == "amount-of-money"]
    assert found["value"] == {"from": None, "to": 100}
    assert found["additional_info"] == {"type": "interval", "to": {"value": 100, "unit": "GBP"}}
    assert (found["start"], found["end"]) == (8, 24)  # "under 100 pounds"
