"""The metadata a channel sends with a message: kept on its UserUttered event and read by the
bot's own actions (the action-server side: tests/rasa/test_action_server.py)."""

from dialogkit.framework.build.training import train
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.tracker import Tracker, UserUttered
from tests.conftest import STAND_IN

DOMAIN = """
version: "1"
""" + STAND_IN + """intents:
  where:
    examples: |
      - where am I
      - which country
actions:
  action_where: actions:where
flows:
  where:
    when: {intent: where}
    steps:
      - action: action_where
"""

ACTIONS = '''
def where(tracker, dispatcher):
    metadata = tracker.latest_message["metadata"]
    dispatcher.utter(text=f"You write from {metadata.get('country', 'somewhere')}.")
    return []
'''


def test_a_local_action_reads_the_metadata_of_the_message_it_answers(write_bot, tmp_path):
    bot = write_bot({"domain.yml": DOMAIN, "actions.py": ACTIONS})
    train(bot, tmp_path / "model")
    agent = Agent.load(tmp_path / "model")
    assert [m["text"] for m in agent.handle("/where", "u", metadata={"country": "Germany"})] == [
        "You write from Germany."
    ]
    assert [m["text"] for m in agent.handle("/where", "u")] == ["You write from somewhere."]
    users = [e for e in agent.tracker("u").events if isinstance(e, UserUttered)]
    assert [e.metadata for e in users] == [{"country": "Germany"}, {}]
    # kept through the store's JSON, and a tracker saved before metadata existed still loads
    assert [
        e.metadata for e in Tracker.from_json(agent.tracker("u").to_json()).events if isinstance(e, UserUttered)
    ] == [{"country": "Germany"}, {}]
    old = agent.tracker("u").to_json()
    for e in old["events"]:
        e.pop("metadata", None)
    assert all(e.metadata == {} for e in Tracker.from_json(old).events if isinstance(e, UserUttered))
