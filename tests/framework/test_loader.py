import json

import pytest

from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.errors import DomainError


def test_minimal_bot_loads(minimal_bot):
    loaded = load_domain(minimal_bot)
    assert set(loaded.domain.intents) == {"greet", "book"}
    assert loaded.domain.slots["party_size"].max == 20
    assert (loaded.where("slots", "party_size").line, loaded.where("slots", "party_size").column) == (24, 5)


def test_multi_file_bot_merges(write_bot):
    bot = write_bot({
        "domain.yml": """
            version: "1"
            responses:
              utter_greet: ["Hi!"]
            flows:
              greet:
                when: {intent: greet}
                steps: [{say: utter_greet}]
        """,
        "data/nlu.yml": """
            intents:
              greet:
                examples: ["hi", "hello"]
        """,
        "data/more/entities.yaml": """
            entities:
              city: {lookup: [paris]}
        """,
    })
    loaded = load_domain(bot)
    assert set(loaded.domain.intents) == {"greet"} and set(loaded.domain.entities) == {"city"}
    assert loaded.where("entities", "city").path.endswith("entities.yaml")
    assert len(loaded.files) == 3


def test_name_defined_twice_names_both_places(write_bot):
    bot = write_bot({
        "domain.yml": 'version: "1"\nintents:\n  greet: {examples: [hi]}\n',
        "data/nlu.yml": "intents:\n  greet: {examples: [hello]}\n",
    })
    with pytest.raises(DomainError) as exc:
        load_domain(bot)
    issue = exc.value.issues[0]
    assert issue.code == "DK204"
    assert str(issue.location).endswith("data/nlu.yml:2:3")
    assert "domain.yml:3:3" in issue.text


def test_single_section_defined_twice(write_bot):
    bot = write_bot({"domain.yml": 'version: "1"\nlanguage: en\n', "data/x.yml": "language: de\n"})
    with pytest.raises(DomainError) as exc:
        load_domain(bot)
    assert exc.value.codes == ["DK204"]


def test_nlu_blocks_from_several_files_keep_positions(write_bot):
    bot = write_bot({
        "domain.yml": 'version: "1"\nintents: {a: {}, b: {}}\nnlu:\n  - intent: a\n    examples: [x]\n',
        "data/more.yml": "nlu:\n  - intent: b\n    examples: [\"[bad\"]\n",
    })
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.errors import DataError

    loaded = load_domain(bot)
    with pytest.raises(DataError) as exc:
        collect_examples(loaded)
    assert str(exc.value.issues[0].location).endswith("data/more.yml:3:16")


def test_unknown_key_lists_valid_keys(write_bot):
    bot = write_bot({"domain.yml": 'version: "1"\nsession:\n  expiry: 5\n'})
    with pytest.raises(DomainError) as exc:
        load_domain(bot)
    issue = exc.value.issues[0]
    assert issue.code == "DK201" and "expiry_minutes" in issue.fix and "carry_over_slots" in issue.fix
    assert "did you mean 'expiry_minutes'" in issue.text


def test_yaml_1_2_booleans_keep_words(write_bot):
    bot = write_bot(
        {"domain.yml": 'version: "1"\nslots:\n  answer:\n    type: categorical\n    values: [yes, no, on]\n'}
    )
    assert load_domain(bot).domain.slots["answer"].values == ["yes", "no", "on"]


def test_schema_command_exports_json_schema(tmp_path, capsys):
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert {"intents", "slots", "flows", "responses", "pipeline"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_synonym_map_is_normalised(write_bot):
    bot = write_bot(
        {"domain.yml": 'version: "1"\nentities:\n  area:\n    synonyms:\n      centre: ["City  Centre", downtown]\n'}
    )
    assert load_domain(bot).domain.synonym_map() == {
        ("area", "centre"): "centre",
        ("area", "city centre"): "centre",
        ("area", "downtown"): "centre",
    }
