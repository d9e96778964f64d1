"""The corpus of broken domain files: one mistake each, one precise located message each."""

from pathlib import Path

import pytest

from dialogkit.framework.cli.main import main

BROKEN = Path(__file__).parent / "broken"

# file -> (first error code, line, column)
EXPECTED = {
    "01_unknown_top_level_key.yml": ("DK201", 2, 1),
    "02_unknown_slot_key.yml": ("DK201", 15, 5),
    "03_bad_slot_type.yml": ("DK203", 15, 11),
    "04_misspelt_mapping_type.yml": ("DK203", 17, 9),
    "05_mapping_missing_entity.yml": ("DK202", 17, 9),
    "06_unknown_step_kind.yml": ("DK205", 28, 9),
    "07_placeholder_names_no_slot.yml": ("DK303", 21, 7),
    "08_undefined_response.yml": ("DK301", 28, 14),
    "09_undefined_trigger_intent.yml": ("DK301", 26, 20),
    "10_undefined_collect_slot.yml": ("DK301", 32, 18),
    "11_undefined_linked_flow.yml": ("DK301", 29, 15),
    "12_undefined_mapping_entity.yml": ("DK301", 18, 17),
    "13_unreachable_step.yml": ("DK305", 29, 9),
    "14_collect_without_ask.yml": ("DK306", 30, 18),
    "15_loop_never_waits.yml": ("DK307", 28, 9),
    "16_collect_slot_without_mappings.yml": ("DK308", 29, 18),
    "17_malformed_annotation.yml": ("DK401", 9, 7),
    "18_annotation_undeclared_entity.yml": ("DK406", 10, 7),
    "19_yaml_syntax_error.yml": ("DK106", 31, 5),
    "20_duplicate_key.yml": ("DK107", 27, 5),
    "21_invalid_regex.yml": ("DK208", 13, 12),
    "22_categorical_without_values.yml": ("DK203", 15, 5),
    "23_invalid_action_reference.yml": ("DK207", 25, 16),
    "24_bad_condition_syntax.yml": ("DK209", 33, 13),
    "25_condition_unknown_slot.yml": ("DK301", 33, 13),
    "26_from_intent_value_wrong_type.yml": ("DK304", 21, 16),
    "27_top_level_is_a_list.yml": ("DK108", 1, 1),
    "28_unsupported_version.yml": ("DK210", 1, 10),
    "29_goto_unknown_step.yml": ("DK313", 33, 15),
    "30_examples_wrong_type.yml": ("DK203", 4, 15),
    "31_unknown_language.yml": ("DK203", 2, 11),
    "32_min_larger_than_max.yml": ("DK203", 15, 5),
    "33_button_payload_unknown_intent.yml": ("DK301", 23, 34),
    "34_unbalanced_placeholder.yml": ("DK317", 23, 7),
    "35_condition_nested_too_deep.yml": ("DK209", 33, 13),
    "36_unknown_pipeline_component.yml": ("DK601", 4, 11),
    "37_unknown_component_config_key.yml": ("DK603", 6, 5),
    "38_component_config_wrong_type.yml": ("DK603", 5, 5),
    "39_key_missing_colon.yml": ("DK106", 14, 13),
    "40_fullwidth_colon.yml": ("DK106", 15, 9),
    "41_control_character.yml": ("DK106", 21, 10),
}


def test_corpus_is_complete():
    assert sorted(p.name for p in BROKEN.glob("*.yml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_gets_one_located_message(name, capsys):
    code, line, col = EXPECTED[name]
    path = BROKEN / name
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if " error DK" in ln]
    assert errors, err
    assert errors[0].startswith(f"{path}:{line}:{col}: error {code}:"), err
    assert len({ln.split(" error ")[1].split(":")[0] for ln in errors}) == 1, (
        f"one mistake should give one kind of error:\n{err}"
    )
    assert "fix:" in err


# bots whose mistake is in their code or folder: directory -> (code, file, line, column, text in the message)
BROKEN_BOTS = Path(__file__).parent / "broken_bots"
EXPECTED_BOTS = {
    "action_missing_function": ("DK315", "domain.yml", 25, 16, "did you mean 'book_table'?"),
    "action_module_raises": ("DK314", "actions.py", 3, None, "KeyError: 'BOOKING_SERVICE_URL'"),
    "action_module_exits": ("DK314", "actions.py", 3, None, "SystemExit"),
    "action_syntax_error": ("DK314", "actions.py", 1, 36, "syntax error"),
    "action_module_missing": ("DK312", "domain.yml", 25, 16, "booking_actions"),
    "action_wrong_signature": ("DK316", "domain.yml", 25, 16, "cannot be called with 2 arguments"),
    "validator_missing": ("DK315", "domain.yml", 16, 16, "did you mean 'check_size'?"),
    "version_2_directory": ("DK210", "domain.yml", 1, 10, "unsupported domain version '2'"),
    "dangling_symlink": ("DK113", "data/extra.yml", None, None, "does not exist or links back to itself"),
    "self_symlink": ("DK113", "data/self.yml", None, None, "does not exist or links back to itself"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_BOTS))
def test_broken_bot_gets_one_located_message_at_validate_and_train(name, tmp_path, capsys):
    """What would break at run time is refused by `validate` and `train` alike (exit 2, file:line, a fix)."""
    import shutil

    code, file, line, column, text = EXPECTED_BOTS[name]
    bot = tmp_path / name
    shutil.copytree(BROKEN_BOTS / ("dangling_symlink" if "symlink" in name else name), bot)
    if name == "dangling_symlink":
        (bot / "data").mkdir()
        (bot / "data" / "extra.yml").symlink_to("shared/responses.yml")
    if name == "self_symlink":
        (bot / "data").mkdir()
        (bot / "data" / "self.yml").symlink_to("self.yml")
    where = str(bot / file) + (f":{line}" if line else "") + (f":{column}" if column else "")
    for command in (["validate", str(bot)], ["train", str(bot), "--out", str(tmp_path / "model")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "fix:" in err, err
        errors = [ln for ln in err.splitlines() if " error DK" in ln]
        assert errors and errors[0].startswith(f"{where}: error {code}:"), err
        assert text in errors[0]
    assert not (tmp_path / "model").exists()
    assert not list(bot.rglob("__pycache__"))  # validating imports the bot's code without writing into its folder


def test_did_you_mean_for_misspelt_names(capsys):
    main(["validate", str(BROKEN / "08_undefined_response.yml")])
    assert "did you mean 'utter_greet'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "DK105"),
        (b"   \n# only a comment\n", "DK105"),
        (b"version: '1'\x00\x01\x02binary", "DK103"),
        (b"version: '1'\nname: caf\xe9\n", "DK102"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "DK103"),
    ],
)
def test_unreadable_files(tmp_path, capsys, content, code):
    p = tmp_path / "domain.yml"
    p.write_bytes(content)
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"error {code}" in err and str(p) in err and "Traceback" not in err


def test_non_utf8_reports_line_and_column(tmp_path, capsys):
    p = tmp_path / "domain.yml"
    p.write_bytes(b"version: '1'\nname: caf\xe9\n")
    main(["validate", str(p)])
    assert f"{p}:2:10: error DK102" in capsys.readouterr().err


def test_fifty_megabyte_file_is_refused_quickly(tmp_path, capsys):
    p = tmp_path / "domain.yml"
    with open(p, "wb") as f:
        f.write(b"version: '1'\nintents:\n")
        f.seek(50 * 1024 * 1024)
        f.write(b"\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "error DK104" in err and "limit" in err


def test_missing_directory(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "error DK111" in capsys.readouterr().err


def test_python_tags_are_refused(tmp_path, capsys):
    p = tmp_path / "domain.yml"
    p.write_text("version: !!python/object/apply:os.system ['echo hacked']\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "error DK106" in err and "hacked" not in capsys.readouterr().out


def test_alias_bomb_is_refused(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = tmp_path / "domain.yml"
    p.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    # counted before anything is expanded, and pointed at where the anchors first stand for too much (a6:
    # ten million values)
    assert f"{p}:7:5: error DK109" in err and "(1234567900 nodes)" in err


def test_a_document_nested_too_deep_is_refused_where_it_is(tmp_path, capsys):
    p = tmp_path / "domain.yml"
    p.write_text("version: '1'\nintents: " + "[" * 150 + "]" * 150 + "\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"{p}:2:" in err and "error DK109" in err
