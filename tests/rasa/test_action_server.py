"""Custom actions over the Rasa action-server protocol, against a real rasa-sdk server."""

import json
import subprocess
import time

import pytest

from dialogkit.components.dm.flow_policy import FlowPolicy
from dialogkit.components.nlg.templates import TemplateNLG
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.schema import Domain
from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.rasa.action_server import load_endpoints
from dialogkit.framework.rasa.importer import import_rasa_project
from dialogkit.framework.runtime.action_executor import ActionExecutor
from dialogkit.framework.runtime.agent import Agent
from dialogkit.framework.runtime.pipeline import resolve_config
from dialogkit.framework.runtime.tracker import ActionExecuted, ActionFailed
from dialogkit.framework.server.conversations import rasa_tracker

from .conftest import PROJECTS, _sdk_python


def make_agent(domain, endpoints, **policy_config):
    policy = FlowPolicy(resolve_config("flow_policy", policy_config), domain)
    executor = ActionExecutor(domain, endpoint=load_endpoints(endpoints) if endpoints else None)
    return Agent(domain, [policy, TemplateNLG(resolve_config("template_nlg", {}), domain)], {}, executor=executor)


def texts(messages):
    return [m.get("text") for m in messages]


@pytest.fixture
def validation_bot(tmp_path):
    """05-validation imported, run without NLU: a message that is no payload is `nlu_fallback`,
    which still fills the slot the form asks for (from_text)."""
    import_rasa_project(PROJECTS / "05-validation", tmp_path / "bot")
    return load_domain(tmp_path / "bot").domain


def test_form_validation_action_cleans_rejects_and_restarts(action_server, validation_bot):
    a = make_agent(validation_bot, action_server)
    assert texts(a.handle("/request_names", "v")) == ["What is your first name?"]
    # validate_first_name keeps the letters only
    assert texts(a.handle("Vin123cent!", "v")) == ["What is your last name?"]
    assert a.tracker("v").slots["first_name"] == "Vincent"
    # a typo: the action utters and clears the slot, the form asks again
    assert texts(a.handle("1234", "v")) == ["That must've been a typo.", "What is your last name?"]
    assert a.tracker("v").slots["last_name"] is None
    assert texts(a.handle("McVincent", "v")) == ["Ok. Thanks!", "I will remember that your name is Vincent McVincent!"]
    assert a.tracker("v").stack == []
    # too short together: both slots cleared, the form starts over
    a.handle("/request_names", "w")
    a.handle("A", "w")
    assert texts(a.handle("B", "w")) == [
        "That's a very short name. We fear a typo. Restarting!",
        "What is your first name?",
    ]
    assert a.tracker("w").slots["first_name"] is None and a.tracker("w").slots["last_name"] is None
    assert any(isinstance(e, ActionExecuted) and e.name == "validate_name_form" for e in a.tracker("w").events)


PROTOCOL_DOMAIN = {
    "intents": {k: {} for k in ["echo", "rich", "slow", "reject", "missing", "greet"]},
    "entities": {"shirt_size": {}},
    "slots": {"shirt_size": {"type": "text", "mappings": [{"type": "from_entity", "entity": "shirt_size"}]}},
    "responses": {
        "utter_ask_shirt_size": ["What is your shirt size?"],
        "utter_greet": ["Hey!"],
        "utter_error": ["Something went wrong."],
        "utter_after": ["after"],
    },
    "actions": {
        n: "remote"
        for n in [
            "action_echo_tracker",
            "action_rich",
            "action_slow",
            "action_reject",
            "action_missing",
            "action_say_shirt_size",
            "action_validate_slot_mappings",
        ]
    },
    "flows": {
        "echo": {"when": {"intent": "echo"}, "steps": [{"action": "action_echo_tracker"}]},
        "rich": {"when": {"intent": "rich"}, "steps": [{"action": "action_rich"}]},
        "slow": {"when": {"intent": "slow"}, "steps": [{"action": "action_slow"}, {"say": "utter_after"}]},
        "reject": {"when": {"intent": "reject"}, "steps": [{"action": "action_reject"}, {"say": "utter_after"}]},
        "missing": {"when": {"intent": "missing"}, "steps": [{"action": "action_missing"}]},
        "greet": {"when": {"intent": "greet"}, "steps": [{"say": "utter_greet"}]},
    },
}


def test_a_bots_own_session_start_runs_before_the_first_message_and_can_take_back(action_server):
    d = dict(
        PROTOCOL_DOMAIN,
        intents={**PROTOCOL_DOMAIN["intents"], "undo": {}},
        actions={**PROTOCOL_DOMAIN["actions"], "action_session_start": "remote", "action_take_back": "remote"},
        flows={
            **PROTOCOL_DOMAIN["flows"],
            "undo": {"when": {"intent": "undo"}, "steps": [{"action": "action_take_back"}]},
        },
    )
    a = make_agent(Domain.model_validate(d), action_server)
    # the session-start action's message comes first
    assert texts(a.handle("/greet", "s")) == ["Welcome back, s!", "Hey!"]
    assert a.tracker("s").slots["shirt_size"] == "medium"
    assert texts(a.handle("/greet", "s")) == ["Hey!"]  # once per session
    a.handle('/greet{"shirt_size": "large"}', "s")
    assert a.tracker("s").slots["shirt_size"] == "large"
    assert texts(a.handle("/undo", "s")) == ["Taken back."]  # rasa-sdk's UserUtteranceReverted, twice
    assert a.tracker("s").slots["shirt_size"] == "medium" and a.tracker("s").latest_message.text == "/greet"
    rasa_kinds = [e["event"] for e in rasa_tracker(a.tracker("s"), a.domain)["events"]]
    assert rasa_kinds.count("rewind") == 2 and rasa_kinds[:2] == ["action", "session_started"]


@pytest.fixture
def protocol_agent(action_server):
    return make_agent(Domain.model_validate(PROTOCOL_DOMAIN), action_server)


def test_the_server_reads_the_tracker_and_domain_rasa_sends(protocol_agent):
    protocol_agent.handle('/greet{"shirt_size": "small"}', "alice")
    [msg] = protocol_agent.handle("/echo", "alice")
    assert msg["text"] == "sender=alice intent=echo shirt_size=small responses=True user_events=2"


def test_responses_buttons_slot_events_and_followup_are_applied(protocol_agent):
    out = protocol_agent.handle("/rich", "bob")
    assert texts(out) == ["What is your shirt size?", "Pick one", "Your shirt size is medium!"]
    assert out[1]["buttons"][0]["title"] == "Large"
    t = protocol_agent.tracker("bob")
    assert t.slots["shirt_size"] == "medium" and "no_such_slot" not in t.slots
    assert [e.name for e in t.events if isinstance(e, ActionExecuted)] == ["action_rich", "action_say_shirt_size"]


def test_timeout_404_and_rejection_keep_the_conversation_going(protocol_agent):
    # a timed-out action stops its flow: the step after it ("after") never runs
    assert texts(protocol_agent.handle("/slow", "c")) == ["Something went wrong."]
    failed = [e for e in protocol_agent.tracker("c").events if isinstance(e, ActionFailed)]
    assert "did not answer within 2 s" in failed[-1].error
    assert texts(protocol_agent.handle("/missing", "c")) == ["Something went wrong."]
    assert (
        "no action of that name (404)"
        in [e for e in protocol_agent.tracker("c").events if isinstance(e, ActionFailed)][-1].error
    )
    # 400: the action rejected itself; nothing applied, no error message, the flow goes on
    assert texts(protocol_agent.handle("/reject", "c")) == ["after"]
    assert (
        "rejected its execution: not now"
        in [e for e in protocol_agent.tracker("c").events if isinstance(e, ActionFailed)][-1].error
    )
    assert texts(protocol_agent.handle("/greet", "c")) == ["Hey!"]


def test_unreachable_server_is_a_clear_error_and_the_conversation_goes_on(tmp_path):
    ep = tmp_path / "endpoints.yml"
    ep.write_text("action_endpoint:\n  url: http://127.0.0.1:9/webhook\n", encoding="utf-8")
    a = make_agent(Domain.model_validate(PROTOCOL_DOMAIN), ep)
    assert texts(a.handle("/echo", "d")) == ["Something went wrong."]
    err = [e for e in a.tracker("d").events if isinstance(e, ActionFailed)][-1].error
    assert "cannot reach the action server at http://127.0.0.1:9/webhook" in err
    # no endpoint configured at all
    b = make_agent(Domain.model_validate(PROTOCOL_DOMAIN), None)
    assert texts(b.handle("/echo", "d")) == ["Something went wrong."]
    assert (
        "no `action_endpoint` is configured"
        in [e for e in b.tracker("d").events if isinstance(e, ActionFailed)][-1].error
    )


@pytest.mark.parametrize("text, expected", [
    ("action_endpoint:\n  timeout: 3\n", "needs a `url:`"),
    ("action_endpoint:\n  url: http://x\n  timeout: soon\n", "must be a number of seconds"),
    ("action_endpoint:\n  url: http://x\n  retries: 3\n", "unknown key(s) under action_endpoint: retries"),
    ("action_endpoint:\n  url: ${DK_NO_SUCH_VAR}\n", "environment variable DK_NO_SUCH_VAR is not set"),
    ("- a\n- b\n", "top level"),
])
def test_bad_endpoints_files_are_located_errors(tmp_path, text, expected):
    ep = tmp_path / "endpoints.yml"
    ep.write_text(text, encoding="utf-8")
    with pytest.raises(DialogkitError) as e:
        load_endpoints(ep)
    assert expected in str(e.value) and str(ep) in str(e.value)


def test_endpoints_interpolate_environment_and_send_the_token(tmp_path, monkeypatch):
    monkeypatch.setenv("DK_ACTION_URL", "http://127.0.0.1:5055/webhook")
    ep = tmp_path / "endpoints.yml"
    ep.write_text(
        "action_endpoint:\n  url: ${DK_ACTION_URL}\n  token: s3cret\n  headers: {X-Team: bots}\n", encoding="utf-8"
    )
    loaded = load_endpoints(ep)
    assert (
        loaded.url == "http://127.0.0.1:5055/webhook"
        and loaded.token == "s3cret"
        and loaded.headers == {"X-Team": "bots"}
    )
    (tmp_path / "none.yml").write_text("tracker_store:\n  type: sql\n", encoding="utf-8")
    assert load_endpoints(tmp_path / "none.yml") is None


def test_tracker_json_parses_with_rasa_sdk(protocol_agent):
    """A real Rasa tracker consumer (rasa_sdk's Tracker) reads the HTTP tracker JSON."""
    protocol_agent.handle('/greet{"shirt_size": "small"}', "eve")
    protocol_agent.handle("/rich", "eve")
    data = rasa_tracker(protocol_agent.tracker("eve"), protocol_agent.domain)
    script = (
        "import json, sys\nfrom rasa_sdk import Tracker\nt = "
        "Tracker.from_dict(json.load(sys.stdin))\nprint(json.dumps({'sender': t.sender_id, 'slot': "
        "t.get_slot('shirt_size'), 'intent': t.get_intent_of_latest_message(), 'bot': [e.get('text') for e in "
        "t.events if e['event'] == 'bot'], 'last_user': t.get_last_event_for('user')['text'], 'latest_action': "
        "t.latest_action_name}))\n"
    )
    out = subprocess.run(
        [str(_sdk_python()), "-c", script], input=json.dumps(data), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["sender"] == "eve" and got["slot"] == "medium" and got["intent"] == "rich"
    assert got["bot"] == ["Hey!", "What is your shirt size?", "Pick one", "Your shirt size is medium!"]
    assert got["last_user"] == "/rich" and got["latest_action"] == "action_say_shirt_size"
    kinds = {e["event"] for e in data["events"]}
    assert kinds <= {"action", "session_started", "user", "bot", "slot", "active_loop", "restart", "rewind", "undo"}
    user = next(e for e in data["events"] if e["event"] == "user")
    assert set(user) >= {"timestamp", "text", "parse_data", "input_channel", "message_id", "metadata"}


def test_endpoints_yml_next_to_the_domain_is_kept_in_the_archive(tmp_path, action_server):
    """Training stores the bot's endpoints.yml with the model; the loaded bot calls that server."""
    import yaml

    from dialogkit.framework.build.training import train

    bot = tmp_path / "bot"
    bot.mkdir()
    domain = dict(
        PROTOCOL_DOMAIN,
        pipeline=[{"name": "keyword_intent_classifier"}, {"name": "flow_policy"}, {"name": "template_nlg"}],
    )
    domain["intents"] = {k: {"examples": [f"please {k}", f"{k} now"]} for k in PROTOCOL_DOMAIN["intents"]}
    (bot / "domain.yml").write_text(yaml.safe_dump({"version": "1", **domain}, sort_keys=False), encoding="utf-8")
    (bot / "endpoints.yml").write_text(action_server.read_text(), encoding="utf-8")
    train(bot, tmp_path / "model")
    assert len(list((tmp_path / "model").rglob("endpoints.yml"))) == 1
    agent = Agent.load(tmp_path / "model")  # verifies every archived file
    assert agent.handle('/greet{"shirt_size": "small"}', "k")[0]["text"] == "Hey!"
    assert agent.handle("/echo", "k")[0]["text"].startswith("sender=k intent=echo shirt_size=small")


def test_the_input_channel_reaches_the_tracker_and_selects_variations(action_server):
    domain = dict(
        PROTOCOL_DOMAIN,
        responses=dict(
            PROTOCOL_DOMAIN["responses"], utter_greet=[{"text": "Hey!"}, {"text": "Hey, web!", "channel": "rest"}]
        ),
    )
    a = make_agent(Domain.model_validate(domain), action_server)
    assert a.handle("/greet", "r", channel="rest")[0]["text"] == "Hey, web!"
    assert a.handle("/greet", "s", channel="cmdline")[0]["text"] == "Hey!"
    data = rasa_tracker(a.tracker("r"), a.domain)
    assert data["latest_input_channel"] == "rest"
    assert next(e for e in data["events"] if e["event"] == "user")["input_channel"] == "rest"


def test_global_slot_validation_runs_after_every_message(action_server):
    """Rasa's action_validate_slot_mappings (a rasa_sdk ValidationAction) as flow_policy's validate_slots_action."""
    a = make_agent(
        Domain.model_validate(PROTOCOL_DOMAIN), action_server, validate_slots_action="action_validate_slot_mappings"
    )
    assert texts(a.handle('/greet{"shirt_size": "L"}', "g")) == ["Hey!"]
    assert a.tracker("g").slots["shirt_size"] == "large"
    assert texts(a.handle('/greet{"shirt_size": "huge"}', "g")) == ["We don't have that size.", "Hey!"]
    assert a.tracker("g").slots["shirt_size"] is None
    assert texts(a.handle("/greet", "g")) == ["Hey!"]  # nothing set: the action runs and changes nothing


def test_validate_slots_action_must_name_an_action(write_bot):
    from dialogkit.framework.build.validation import validate

    bot = write_bot({"domain.yml": """
        version: "1"
        pipeline:
          - name: keyword_intent_classifier
          - name: flow_policy
            validate_slots_action: action_validate_slot_mapings
          - name: template_nlg
        intents: {hi: {examples: [hi, hello]}}
        responses: {utter_hi: [Hi!]}
        actions: {action_validate_slot_mappings: remote}
        flows: {hi: {when: {intent: hi}, steps: [{say: utter_hi}]}}
    """})
    issues = [i for i in validate(load_domain(bot)) if i.severity == "error"]
    assert len(issues) == 1 and issues[0].code == "DK301" and "validate_slots_action" in issues[0].text
    assert "did you mean 'action_validate_slot_mappings'" in issues[0].text and "domain.yml:5" in str(
        issues[0].location
    )


def test_a_form_slot_with_a_custom_mapping_is_extracted_by_the_validation_action(action_server):
    """Rasa's custom slot mapping: the form's FormValidationAction fills it with extract_<slot>."""
    domain = dict(PROTOCOL_DOMAIN)
    domain["intents"] = dict(PROTOCOL_DOMAIN["intents"], size={})
    domain["slots"] = dict(PROTOCOL_DOMAIN["slots"], size_code={"type": "text"})  # no mapping
    domain["responses"] = dict(
        PROTOCOL_DOMAIN["responses"],
        utter_ask_size_code=["Which size code?"],
        utter_default=["Sorry?"],
        utter_size_done=["Size {size_code} it is."],
    )
    domain["actions"] = dict(PROTOCOL_DOMAIN["actions"], validate_size_form="remote")
    domain["flows"] = dict(
        PROTOCOL_DOMAIN["flows"],
        size_form={
            "when": {"intent": "size"},
            "form": True,
            "validate": "validate_size_form",
            "steps": [{"collect": "size_code"}, {"say": "utter_size_done"}],
        },
    )
    a = make_agent(Domain.model_validate(domain), action_server)
    assert texts(a.handle("/size", "z")) == ["Which size code?"]
    assert texts(a.handle("xl", "z")) == ["Sorry?", "Which size code?"]  # nothing extracted: the form asks again
    assert texts(a.handle("m", "z")) == ["Size M it is."]


def test_endpoints_file_with_only_stores_keeps_the_archived_action_server(protocol_agent, tmp_path):
    """`serve --endpoints` with tracker_store/lock_store but no action_endpoint must not unplug
    the action server stored at training time."""
    stores_only = tmp_path / "stores.yml"
    stores_only.write_text("tracker_store:\n  type: memory\n", encoding="utf-8")
    protocol_agent.use_endpoints(stores_only)
    protocol_agent.handle('/greet{"shirt_size": "small"}', "keep")
    [msg] = protocol_agent.handle("/echo", "keep")
    assert msg["text"].startswith("sender=keep")


def test_the_metadata_a_channel_sends_reaches_the_action_server(action_server):
    d = dict(
        PROTOCOL_DOMAIN,
        intents={**PROTOCOL_DOMAIN["intents"], "meta": {}},
        actions={**PROTOCOL_DOMAIN["actions"], "action_echo_metadata": "remote"},
        flows={
            **PROTOCOL_DOMAIN["flows"],
            "meta": {"when": {"intent": "meta"}, "steps": [{"action": "action_echo_metadata"}]},
        },
    )
    a = make_agent(Domain.model_validate(d), action_server)
    assert texts(a.handle("/meta", "m", metadata={"country": "DE", "user": {"id": 7}})) == ["country=DE in_events=True"]
    assert texts(a.handle("/meta", "m")) == ["country=None in_events=True"]  # each message its own metadata


def test_reminders_and_a_pause_from_rasa_sdk_events(action_server):
    d = dict(
        PROTOCOL_DOMAIN,
        intents={**PROTOCOL_DOMAIN["intents"], "later": {}, "human": {}},
        actions={**PROTOCOL_DOMAIN["actions"], "action_remind_later": "remote", "action_hand_to_human": "remote"},
        flows={
            **PROTOCOL_DOMAIN["flows"],
            "later": {"when": {"intent": "later"}, "steps": [{"action": "action_remind_later"}]},
            "human": {"when": {"intent": "human"}, "steps": [{"action": "action_hand_to_human"}]},
        },
    )
    a = make_agent(Domain.model_validate(d), action_server)
    a.handle("/later", "rem")
    kinds = [e.event for e in a.tracker("rem").events]
    assert kinds.count("reminder") == 2 and "cancel_reminder" in kinds
    fired = a.fire_reminders(now=time.time() + 5)
    assert [f.name for f in fired] == ["nudge"]  # the other was cancelled
    external = [e for e in a.tracker("rem").events if e.event == "user"][-1]
    assert external.text == "EXTERNAL: greet" and external.parse["entities"][0]["value"] == "large"
    assert texts(a.handle("/human", "rem")) == ["A person will answer you here."]
    assert a.tracker("rem").paused and a.handle("/greet", "rem") == []  # kept, not answered
    assert rasa_tracker(a.tracker("rem"), a.domain)["paused"] is True
