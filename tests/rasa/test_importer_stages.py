"""The Rasa importer stage by stage, each on a few lines of Rasa YAML: what a stage returns or
adds to the import, and what it reports (with the Rasa file:line) when it cannot represent
something. The end-to-end imports are in test_import.py and test_corpus_shapes.py."""

import textwrap
from pathlib import Path

import pytest

from dialogkit.framework.errors import DomainError
from dialogkit.framework.rasa.importer.config import read_config
from dialogkit.framework.rasa.importer.dialogue import build_dialogue, expand_checkpoints, with_retrieval_paths
from dialogkit.framework.rasa.importer.domain import read_domain
from dialogkit.framework.rasa.importer.forms import build_forms
from dialogkit.framework.rasa.importer.migrate import migrate_domain
from dialogkit.framework.rasa.importer.nlu import finish_nlu, read_data, rules_of, stories_of
from dialogkit.framework.rasa.importer.reading import checked, load_doc
from dialogkit.framework.rasa.importer.records import Rule, Story
from dialogkit.framework.rasa.importer.report import ImportReport
from dialogkit.framework.rasa.importer.state import ImportState
from dialogkit.framework.rasa.importer.writing import write


@pytest.fixture
def doc(tmp_path):
    """doc(yaml_text, name) -> a read Rasa file (a Doc), written under tmp_path."""

    def _doc(text: str, name: str = "data.yml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return load_doc(path)

    return _doc


@pytest.fixture
def state(tmp_path):
    return ImportState(tmp_path, tmp_path / "bot", ImportReport(str(tmp_path), str(tmp_path / "bot")))


def notes(st, kind):
    return [(n.what, n.where) for n in st.report.notes if n.kind == kind]


# reading ---------------------------------------------------------------------------------------

def test_reading_refuses_a_wrong_shape_at_its_line(doc):
    d = doc("""
        version: "3.1"
        stories:
        - story: one
          steps:
            intent: greet
        """)
    with pytest.raises(DomainError) as e:
        checked(d)
    assert "data.yml:5" in str(e.value) and "`steps` must be a list of steps" in str(e.value)


# migrate ---------------------------------------------------------------------------------------

def test_a_rasa2_domain_gets_its_auto_fill_and_form_mappings_on_the_slots(doc, state):
    d = doc("""
        version: "2.0"
        entities: [city]
        slots:
          city:
            type: text
        forms:
          trip_form:
            required_slots:
              city:
              - type: from_entity
                entity: city
        """, "domain.yml")
    migrate_domain(state, [d])
    read_domain(state, d)
    mappings = state.slots["city"]["mappings"]
    assert {"type": "from_entity", "entity": "city"} in [{k: m[k] for k in ("type", "entity")} for m in mappings]
    assert state.forms["trip_form"].required_slots == ["city"]
    assert any("Rasa 2.x domain" in what for what, _ in notes(state, "mapped"))


# domain and config -----------------------------------------------------------------------------

def test_the_domain_stage_reads_slots_responses_actions_and_forms_with_their_places(doc, state):
    d = doc("""
        version: "3.1"
        intents: [greet, inform]
        entities: [cuisine]
        slots:
          cuisine:
            type: categorical
            values: [thai, greek]
            mappings:
            - type: from_entity
              entity: cuisine
        responses:
          utter_greet:
          - text: Hello!
        actions: [action_search]
        forms:
          order_form:
            required_slots: [cuisine]
            ignored_intents: [greet]
        """, "domain.yml")
    read_domain(state, d)
    assert set(state.intents) >= {"greet", "inform"}
    assert state.slots["cuisine"]["values"] == ["thai", "greek"]
    assert state.responses["utter_greet"][0]["text"] == "Hello!"
    assert state.actions["action_search"] == "remote"
    form = state.forms["order_form"]
    assert (form.required_slots, form.ignored_intents) == (["cuisine"], ["greet"])
    assert str(form.source.where).endswith("domain.yml:17:5")


def test_config_maps_duckling_and_the_fallback_threshold_and_reports_the_rest(doc, state):
    d = doc("""
        language: en
        pipeline:
        - name: WhitespaceTokenizer
        - name: DucklingEntityExtractor
          dimensions: [time, number, distance]
        - name: FallbackClassifier
          threshold: 0.6
        policies:
        - name: RulePolicy
        """, "config.yml")
    read_config(state, d)
    names = [c["name"] for c in state.pipeline]
    assert names == ["rule_entity_extractor", "bert_nlu", "builtin_entities", "flow_policy", "template_nlg"]
    assert state.pipeline[1]["threshold"] == 0.6
    assert state.pipeline[2]["dimensions"] == ["time", "number"]
    assert any(
        "dimension `distance`" in what and where.endswith("config.yml:4:3") for what, where in notes(state, "dropped")
    )
    assert state.generalize is False  # no TEDPolicy: stories do not generalise


# nlu -------------------------------------------------------------------------------------------

def test_stories_and_rules_are_read_into_records_with_their_places(doc):
    d = doc("""
        stories:
        - story: greet then bye
          steps:
          - intent: greet
          - action: utter_greet
        rules:
        - rule: say bye
          conversation_start: true
          wait_for_user_input: false
          colour: blue
          steps:
          - intent: bye
          - action: utter_bye
        """)
    (story,) = stories_of(d)
    assert (story.name, story.steps[0], str(story.source.where).endswith("data.yml:2:3")) == (
        "greet then bye",
        {"intent": "greet"},
        True,
    )
    (rule,) = rules_of(d)
    assert (rule.name, rule.conversation_start, rule.wait_for_user_input, rule.unknown_keys) == (
        "say bye",
        True,
        False,
        ("colour",),
    )
    assert str(rule.source.at("colour")).endswith("data.yml:10:11")


def test_regexes_lookups_and_synonyms_go_to_their_entities_or_are_reported(doc, state):
    d = doc("""
        nlu:
        - intent: inform
          examples: |
            - a [thai](cuisine) place
            - [NYC](city) please
        - lookup: cuisine
          examples: |
            - greek
        - regex: zipcode
          examples: |
            - \\d{5}
        - synonym: New York
          examples: |
            - NYC
        """)
    read_data(state, d)
    finish_nlu(state)
    assert state.entities["cuisine"]["lookup"] == ["greek"]
    assert "zipcode" not in state.entities
    assert any("regex `zipcode`" in what and where.endswith("data.yml:9:3") for what, where in notes(state, "dropped"))
    assert state.entities["city"]["synonyms"] == {"New York": ["NYC"]}
    assert state.nlu == [{"intent": "inform", "examples": ["a [thai](cuisine) place", "[NYC](city) please"]}]


# forms -----------------------------------------------------------------------------------------

def test_a_form_becomes_a_form_flow_of_collects(doc, state):
    d = doc("""
        version: "3.1"
        intents: [greet]
        entities: [city]
        slots:
          city:
            type: text
            mappings:
            - type: from_entity
              entity: city
        responses:
          utter_ask_trip_form_city:
          - text: Where to?
        actions: [validate_trip_form]
        forms:
          trip_form:
            required_slots: [city, nights]
            ignored_intents: [greet]
        """, "domain.yml")
    read_domain(state, d)
    build_forms(state)
    flow = state.flows["trip_form"]
    assert flow["form"] is True and flow["validate"] == "validate_trip_form"
    # the form's own question, as Rasa finds it
    assert flow["steps"] == [{"collect": "city", "ask": "utter_ask_trip_form_city"}]
    assert any(
        "required slot `nights`" in what and where.endswith("domain.yml:16:21")
        for what, where in notes(state, "dropped")
    )
    assert state.slots["city"]["mappings"][0]["not_intent"] == ["greet"]


# dialogue --------------------------------------------------------------------------------------

def test_checkpoints_join_stories_and_a_dangling_one_is_reported(doc, state):
    d = doc("""
        stories:
        - story: start
          steps:
          - intent: greet
          - action: utter_greet
          - checkpoint: greeted
        - story: then ask
          steps:
          - checkpoint: greeted
          - intent: ask
          - action: utter_answer
        - story: lost
          steps:
          - intent: bye
          - checkpoint: nowhere
        """)
    joined = expand_checkpoints(state, stories_of(d))
    assert [(s.name, [next(iter(x.values())) for x in s.steps]) for s in joined] == [
        ("start > then ask", ["greet", "utter_greet", "ask", "utter_answer"]),
        ("lost", ["bye"]),
    ]
    assert any("checkpoint `nowhere` starts no story" in what for what, _ in notes(state, "dropped"))


def test_a_rule_on_a_retrieval_intent_becomes_one_per_sub_intent(state):
    state.retrieval = {"faq": ["faq.hours", "faq.price"]}
    state.responses = {"utter_faq/hours": [{"text": "9-5"}], "utter_faq/price": [{"text": "cheap"}]}
    rule = Rule("answer", [{"intent": "faq"}, {"action": "utter_faq"}], [], None)  # the source is not read here
    rules, stories = with_retrieval_paths(state, [rule], [])
    assert [r.steps[0] for r in rules] == [{"intent": "faq.hours"}, {"intent": "faq.price"}]
    assert all(r.name == "answer" and r.steps[1] == {"action": "utter_faq"} for r in rules)
    assert stories == []


def test_rules_and_stories_become_flows_and_a_submit_rule_follows_the_form(doc, state):
    domain = doc("""
        version: "3.1"
        intents: [greet, book]
        slots:
          city:
            type: text
            mappings:
            - type: from_text
        responses:
          utter_greet: [{text: Hi}]
          utter_ask_city: [{text: Where?}]
          utter_booked: [{text: Booked}]
        forms:
          book_form:
            required_slots: [city]
        """, "domain.yml")
    read_domain(state, domain)
    read_data(state, doc("""
        rules:
        - rule: greet
          steps:
          - intent: greet
          - action: utter_greet
        - rule: start the form
          steps:
          - intent: book
          - action: book_form
          - active_loop: book_form
        - rule: submit
          condition:
          - active_loop: book_form
          steps:
          - action: book_form
          - active_loop: null
          - action: utter_booked
        """))
    finish_nlu(state)
    build_forms(state)
    build_dialogue(state)
    assert state.flows == {
        "book_form": {
            "description": "Rasa form book_form",
            "form": True,
            "steps": [{"collect": "city"}, {"say": "utter_booked"}],
        },
        "on_greet": {
            "description": "From rule `greet`",
            "when": {"intent": "greet"},
            "steps": [{"say": "utter_greet"}],
        },
        "on_book": {
            "description": "From rule `start the form`",
            "when": {"intent": "book"},
            "steps": [{"call": "book_form"}],
        },
    }


# writing ---------------------------------------------------------------------------------------

def test_writing_checks_the_domain_before_any_file_is_written(state):
    state.intents = {"greet": {}}
    state.flows = {"on_greet": {"steps": [{"say": "utter_missing"}], "trigger": {"intent": "greet"}}}
    state.pipeline = [{"name": "rule_entity_extractor"}, {"name": "flow_policy"}, {"name": "template_nlg"}]
    with pytest.raises(DomainError):
        write(state)
    assert not (Path(state.dest) / "domain.yml").exists()


def test_story_records_know_their_checkpoints():
    s = Story("x", [{"checkpoint": "a"}, {"intent": "greet"}, {"checkpoint": "b"}], None)
    assert (s.leading_checkpoint, s.trailing_checkpoint, s.without_checkpoints()) == ("a", "b", [{"intent": "greet"}])


def test_a_list_of_form_names_imports_as_forms_the_action_server_runs(doc, state):
    # Rasa 1.x/2.0: `forms: [feedback_form]`, a FormAction on the action server
    d = doc("""
        version: "2.0"
        intents: [greet]
        forms:
        - feedback_form
        """, "domain.yml")
    read_domain(state, checked(d))
    build_forms(state)
    assert state.flows["feedback_form"]["steps"] == [{"action": "feedback_form"}]
    assert state.actions["feedback_form"] == "remote"
    assert any("FormActions" in what and where.endswith("domain.yml:4:1") for what, where in notes(state, "mapped"))
