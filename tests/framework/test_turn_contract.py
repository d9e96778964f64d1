"""The typed turn: what each pipeline stage reads and writes is declared and checked when the
pipeline is built; responses carry their position; actions run on the agent's executor."""

import pytest

from dialogkit.components.dm.flow_runtime import STEPS
from dialogkit.framework.build.archive import read_manifest
from dialogkit.framework.build.training import stale_components, train
from dialogkit.framework.build.validation import check
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.flowgraph import compile_flows
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.errors import ConfigError
from dialogkit.framework.runtime import pipeline as registry
from dialogkit.framework.runtime.action_executor import ActionExecutor, ActionOutcome
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.pipeline import BUILTIN_COMPONENTS, Component, get_component_class
from dialogkit.framework.runtime.tracker import Tracker, UserUttered
from dialogkit.framework.runtime.turn import ActionMessage, Response, turn_fields
from tests.conftest import MINIMAL, STAND_IN


class NeedsIntent(Component):
    name = "needs_intent_nlg"
    stage = "nlg"
    requires = ("intent", "responses")
    assigns = ("messages",)

    def process(self, turn):
        turn.messages.extend({"text": (turn.intent or {}).get("name")} for _ in turn.responses)


class Misspelt(Component):
    name = "misspelt_nlu"
    stage = "nlu"
    assigns = ("intnet",)

    def process(self, turn):
        pass


@pytest.fixture
def extra_components(monkeypatch):
    monkeypatch.setitem(registry._EXTRA, NeedsIntent.name, NeedsIntent)
    monkeypatch.setitem(registry._EXTRA, Misspelt.name, Misspelt)


def _with_pipeline(write_bot, pipeline: str):
    return write_bot({"domain.yml": MINIMAL.replace(STAND_IN, pipeline)})


def test_every_builtin_declares_real_turn_fields():
    fields = turn_fields()
    for name in BUILTIN_COMPONENTS:
        cls = get_component_class(name)
        assert set(cls.requires) <= fields and set(cls.assigns) <= fields, name
        assert cls.assigns, f"{name} declares nothing it fills"


def test_a_component_needing_a_field_no_earlier_component_fills_is_refused(write_bot, extra_components, capsys):
    bot = _with_pipeline(
        write_bot, "pipeline:\n  - name: rule_entity_extractor\n  - name: flow_policy\n  - name: needs_intent_nlg\n"
    )
    with pytest.raises(ConfigError) as exc:
        check(load_domain(bot))
    policy, nlg = exc.value.issues  # the DM routes on the intent too: both are named, each at its line
    assert policy.code == nlg.code == "DK609"
    assert "'flow_policy' needs intent, intent_ranking filled" in policy.text and policy.location.line == 4
    assert "'needs_intent_nlg' needs intent filled" in nlg.text
    assert "bert_nlu" in nlg.fix and "keyword_intent_classifier" in nlg.fix
    assert nlg.location.line == 5  # the `- name: needs_intent_nlg` line of domain.yml
    # with an intent classifier before it, the same pipeline is fine
    fixed = _with_pipeline(
        write_bot, "pipeline:\n  - name: keyword_intent_classifier\n  - name: flow_policy\n  - name: needs_intent_nlg\n"
    )
    check(load_domain(fixed))


def test_order_within_a_stage_counts_and_the_cli_says_it(write_bot, extra_components, monkeypatch, capsys):
    class NeedsEntities(Component):
        name = "needs_entities_nlu"
        stage = "nlu"
        requires = ("entities",)
        assigns = ("intent", "intent_ranking")

        def process(self, turn):
            pass

    monkeypatch.setitem(registry._EXTRA, NeedsEntities.name, NeedsEntities)
    before = _with_pipeline(
        write_bot,
        "pipeline:\n  - name: needs_entities_nlu\n  - name: rule_entity_extractor\n  - name: flow_policy\n  - name: "
        "template_nlg\n",
    )
    assert main(["validate", str(before)]) == 2
    out = capsys.readouterr()
    assert "DK609" in out.out + out.err and "needs entities filled" in out.out + out.err
    after = _with_pipeline(
        write_bot,
        "pipeline:\n  - name: rule_entity_extractor\n  - name: needs_entities_nlu\n  - name: flow_policy\n  - name: "
        "template_nlg\n",
    )
    check(load_domain(after))


def test_a_declared_field_a_turn_does_not_have_is_named(write_bot, extra_components):
    bot = _with_pipeline(
        write_bot,
        "pipeline:\n  - name: misspelt_nlu\n  - name: keyword_intent_classifier\n  - name: flow_policy\n  - name: "
        "template_nlg\n",
    )
    with pytest.raises(ConfigError) as exc:
        check(load_domain(bot))
    assert "'intnet'" in exc.value.issues[0].text and "did you mean 'intent'" in exc.value.issues[0].text


def test_every_step_kind_the_graph_compiles_has_a_runtime_entry():
    domain = Domain.model_validate({
        "intents": {"go": {}, "yes": {}},
        "slots": {"n": {"type": "int"}},
        "responses": {"utter_a": ["a"], "utter_ask_n": ["n?"]},
        "actions": {"act": "tests.framework.test_turn_contract:act"},
        "flows": {
            "sub": {"steps": [{"say": "utter_a"}]},
            "other": {"steps": [{"say": "utter_a"}]},
            "main": {"when": {"intent": "go"}, "steps": [
                {"id": "top", "collect": "n"}, {"set": {"n": 2}}, {"action": "act", "on_error": [{"say": "utter_a"}]},
                {"if": "n > 1", "then": [{"call": "sub"}], "else": [{"goto": "top"}]},
                {"expect": {"yes": [{"link": "other"}]}}, {"end": True},
            ]},
        },
    })
    kinds = {d["kind"] for _, d in compile_flows(domain).nodes(data=True)}
    assert kinds <= set(STEPS)
    assert {
        "start",
        "end",
        "collect",
        "set",
        "action",
        "if",
        "call",
        "goto",
        "expect",
        "link",
        "end_step",
        "say",
    } <= kinds


def act(tracker, dispatcher):
    dispatcher.utter(response="utter_total", amount="12.50")
    dispatcher.utter(text="from the action")
    return [{"event": "slot", "name": "ref", "value": "R-7"}]


ACTION_DOMAIN = {
    "intents": {"pay": {}},
    "slots": {"name": {"type": "text", "initial": "Ada"}, "ref": {"type": "text"}},
    "responses": {"utter_total": ["{name}, your balance is {amount}."], "utter_done": ["Done, {ref}."]},
    "actions": {"action_pay": "tests.framework.test_turn_contract:act"},
    "flows": {"pay": {"when": {"intent": "pay"}, "steps": [{"action": "action_pay"}, {"say": "utter_done"}]}},
}


def test_responses_carry_their_position_and_action_values_render_over_the_slots():
    from dialogkit.components.dm.flow_policy import FlowPolicy
    from dialogkit.components.nlg.templates import TemplateNLG
    from dialogkit.framework.runtime.pipeline import resolve_config

    domain = Domain.model_validate(ACTION_DOMAIN)
    agent = Agent(
        domain,
        [
            FlowPolicy(resolve_config("flow_policy", {}), domain),
            TemplateNLG(resolve_config("template_nlg", {}), domain),
        ],
        {},
    )
    turn = agent.handle_turn("/pay", "c")
    kinds = [type(r) for r in turn.responses]
    assert kinds == [Response, ActionMessage, Response]
    # what users see: the action's value and the conversation's own slot, never "(unknown)"
    assert [m["text"] for m in turn.messages] == ["Ada, your balance is 12.50.", "from the action", "Done, R-7."]
    # the action's messages are logged right after it ran, before its slot event (Rasa's order)
    executed = next(i for i, e in enumerate(agent.tracker("c").events) if e.event == "action")
    assert [e.event for e in agent.tracker("c").events[executed:executed + 4]] == ["action", "bot", "bot", "slot"]


def test_the_tracker_never_reorders_stored_events():
    tracker = Tracker("t", {})
    tracker.add(UserUttered(text="a"))
    tracker.add(UserUttered(text="b"))
    with pytest.raises(ValueError):
        tracker.insert_at([(0, UserUttered(text="x"))], since=1)


def test_the_dm_asks_for_actions_and_the_agent_runs_them():
    """Decide → execute → apply: the policy never runs an action or writes to the tracker; it
    yields a request, the agent's executor runs it, and the outcome decides what comes next."""
    from dialogkit.components.dm.flow_policy import FlowPolicy
    from dialogkit.framework.runtime.decisions import ConversationView, RunAction
    from dialogkit.framework.runtime.pipeline import resolve_config
    from dialogkit.framework.runtime.turn import Parse

    domain = Domain.model_validate(ACTION_DOMAIN)
    policy = FlowPolicy(resolve_config("flow_policy", {}), domain)
    tracker = Tracker("t", {n: s.initial for n, s in domain.slots.items()}, [UserUttered(text="/pay")])
    decisions = policy.decide(
        ConversationView(tracker), Parse("/pay", {"name": "pay", "confidence": 1.0}, payload=True)
    )
    first = next(decisions)
    assert first.request == RunAction("action_pay", timeout=30.0)
    assert [e.event for e in first.events] == ["flow_started", "flow_advanced"] and len(tracker.events) == 1
    for e in first.events:  # the agent applies the decision, runs the action, appends what it did
        tracker.add(e)
    outcome = ActionExecutor(domain).run("action_pay", tracker)
    with pytest.raises(StopIteration) as done:
        decisions.send(outcome)
    last = done.value.value
    assert last.request is None and [r.name for r in last.responses] == ["utter_done"]
    assert [e.event for e in last.events] == ["flow_advanced", "flow_advanced", "flow_completed"]
    # an action that failed: the flow stops and the bot says utter_error instead of going on
    failed = policy.decide(
        ConversationView(Tracker("u", {}, [UserUttered(text="/pay")])),
        Parse("/pay", {"name": "pay", "confidence": 1.0}),
    )
    next(failed)
    with pytest.raises(StopIteration) as done:
        failed.send(ActionOutcome("failed", error="boom"))
    assert [r.name for r in done.value.value.responses] == ["utter_error"]


def test_executor_outcomes():
    domain = Domain.model_validate(ACTION_DOMAIN)
    executor = ActionExecutor(domain)
    tracker = Tracker("t", {n: s.initial for n, s in domain.slots.items()})
    ok = executor.run("action_pay", tracker)
    assert ok.status == "ok" and [e.name for e in ok.events] == ["ref"] and len(ok.messages) == 2
    domain.actions["action_pay"] = "tests.framework.test_turn_contract:no_such_function"
    failed = ActionExecutor(domain).run("action_pay", tracker)
    assert failed.status == "failed" and "no_such_function" in failed.error


ACTIONS_PY = """
def note(tracker, dispatcher):
    dispatcher.utter(text="noted {}".format(VERSION))
    return []

VERSION = 1
"""
# the minimal bot, greeting and then running action_note from its actions.py
NOTE_DOMAIN = MINIMAL.replace("responses:", "actions:\n  action_note: actions:note\nresponses:").replace(
    "      - say: utter_greet\n", "      - say: utter_greet\n      - action: action_note\n")


def test_training_keeps_the_action_code_with_the_model_and_a_changed_file_makes_it_stale(write_bot, tmp_path):
    bot = write_bot({"domain.yml": NOTE_DOMAIN, "actions.py": ACTIONS_PY})
    out = tmp_path / "model"
    train(bot, out)
    assert (out / "actions" / "actions.py").read_text() == (bot / "actions.py").read_text()
    assert "actions/actions.py" in read_manifest(out)["files"]
    assert [m["text"] for m in Agent.load(out).handle("hi", "c")] == ["Hi!", "noted 1"]
    assert stale_components(bot, out) == []
    (bot / "actions.py").write_text(ACTIONS_PY.replace("VERSION = 1", "VERSION = 2"))
    assert stale_components(bot, out) == ["action code"]
    result = train(bot, out)
    assert result.trained == []  # no component retrains for new action code: it is copied
    assert [m["text"] for m in Agent.load(out).handle("hi", "c")] == ["Hi!", "noted 2"]


def test_an_archive_from_before_keeps_its_action_code_in_the_policy_folder(write_bot, tmp_path):
    bot = write_bot({"domain.yml": NOTE_DOMAIN, "actions.py": ACTIONS_PY})
    out = tmp_path / "model"
    train(bot, out)
    manifest = read_manifest(out)
    policy_dir = out / next(c["dir"] for c in manifest["components"] if c["name"] == "flow_policy")
    (out / "actions").rename(policy_dir / "actions")  # where wave-1 archives kept it
    executor = ActionExecutor.from_archive(out, load_domain(bot).domain, [policy_dir])
    tracker = Tracker("t", {})
    assert executor.run("action_note", tracker).messages == [{"text": "noted 1"}]


def test_running_an_action_leaves_the_archive_loadable(write_bot, tmp_path, monkeypatch):
    """Python caches bytecode next to an imported module unless told not to; inside a model
    archive that cache would be an unexpected file the next load refuses (DK506)."""
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as on a machine without PYTHONDONTWRITEBYTECODE
    bot = write_bot({"domain.yml": NOTE_DOMAIN, "actions.py": ACTIONS_PY.replace("noted", "cached")})
    out = tmp_path / "model"
    train(bot, out)
    assert [m["text"] for m in Agent.load(out).handle("hi", "c")] == ["Hi!", "cached 1"]
    assert not list(out.rglob("__pycache__"))
    assert [m["text"] for m in Agent.load(out).handle("hi", "d")] == ["Hi!", "cached 1"]
