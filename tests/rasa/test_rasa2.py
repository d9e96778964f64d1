"""Rasa 2.x projects import with their 2.x semantics, as `rasa data migrate` would (issue 18,
item 2), on a project written for this test (tests/rasa/projects/rasa2): slots auto-filled
from same-named entities, a form's `required_slots` mappings. It trains and passes its test
stories replayed and end to end; one story needs the auto-fill outside any form."""

import textwrap

from dialogkit.framework.build.validation import check
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.rasa.importer import import_rasa_project

from .conftest import PROJECTS, passes_both_ways

RASA2 = PROJECTS / "rasa2"


def mappings(slot):
    return [m.model_dump(exclude_defaults=True) for m in slot.mappings]


def test_a_rasa2_domain_imports_with_auto_fill_and_form_mappings_on_its_slots(tmp_path):
    report = import_rasa_project(RASA2, tmp_path / "bot")
    assert report.dropped == []
    loaded = load_domain(tmp_path / "bot")
    assert [i.render() for i in check(loaded) if i.severity == "error"] == []
    slots = loaded.domain.slots
    assert mappings(slots["cuisine"]) == [  # the form's mapping, then auto-fill (no condition)
        {"type": "from_entity", "entity": "cuisine", "conditions": [{"active_flow": "table_form"}]},
        {"type": "from_entity", "entity": "cuisine"}]
    assert mappings(slots["notes"]) == [
        {"type": "from_text", "conditions": [{"active_flow": "table_form", "requested_slot": "notes"}]}
    ]
    assert mappings(slots["number"]) == []  # auto_fill: false
    assert [s.collect for s in loaded.domain.flows["table_form"].steps if hasattr(s, "collect")] == [
        "cuisine",
        "num_people",
        "notes",
    ]
    md = (tmp_path / "bot" / "rasa_import.md").read_text()
    assert "Rasa 2.x domain: read with its 2.x semantics" in md
    assert (
        "slot `cuisine`: Rasa 2 auto_fill → a from_entity mapping of entity `cuisine` (filled whenever it is "
        f"extracted) ({RASA2 / 'domain.yml'}:" in md
    )
    assert "rule `an answer outside the form`: condition `active_loop: null`" in md


def test_rasa2_forms_without_required_slots_and_a_mapping_already_on_the_slot(write_bot, tmp_path):
    project = write_bot(
        {
            "domain.yml": textwrap.dedent("""
            version: "2.0"
            intents: [order, inform]
            entities: [size]
            slots:
              size:
                type: text
                mappings:
                  - type: from_entity
                    entity: size
              note:
                type: text
                auto_fill: false
            forms:
              order_form:
                size:
                  - type: from_entity
                    entity: size
                note:
                  - type: from_intent
                    intent: inform
                    value: none
            responses:
              utter_ask_size: [{text: "Size?"}]
              utter_ask_note: [{text: "Note?"}]
            """),
            "config.yml": "policies: [{name: RulePolicy}]\n",
            "data/nlu.yml": 'version: "2.0"\nnlu:\n- intent: order\n  examples: |\n    - an order\n- intent: inform\n  '
            "examples: |\n    - [large](size)\n",
        },
        name="r2",
    )
    import_rasa_project(project, tmp_path / "bot")
    slots = load_domain(tmp_path / "bot").domain.slots
    # the slot's own mapping equal to the form's gets the form's condition, and no copy; auto-fill adds it back
    # unconditioned
    assert mappings(slots["size"]) == [
        {"type": "from_entity", "entity": "size", "conditions": [{"active_flow": "order_form"}]},
        {"type": "from_entity", "entity": "size"},
    ]
    assert mappings(slots["note"]) == [{"type": "from_intent", "intent": "inform", "value": "none",
                                        "conditions": [{"active_flow": "order_form", "requested_slot": "note"}]}]


def test_a_rasa3_domain_is_not_migrated(tmp_path):
    import_rasa_project(PROJECTS / "02-slots", tmp_path / "bot")
    assert "Rasa 2.x domain" not in (tmp_path / "bot" / "rasa_import.md").read_text()


def test_the_rasa2_project_passes_its_test_stories_replayed_and_end_to_end(rasa_models, tmp_path, capsys):
    model = rasa_models("rasa2")
    passes_both_ways(RASA2, model, tmp_path, capsys, stories=2)
