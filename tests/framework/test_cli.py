import json
import os
import re
import subprocess
import sys

from dialogkit.framework.cli.main import main
from tests.conftest import DOMAINS, ROOT


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from dialogkit.framework.cli.main import build_parser; build_parser().format_help(); "
        "print(sorted(m for m in ('torch', 'transformers', 'spacy', 'networkx', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_the_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as e:
        assert e.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "schema", "train", "shell", "test", "data"):
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2


def test_shell_script_prints_both_sides(restaurant_model, capsys):
    assert main(["shell", str(restaurant_model), "--script", str(DOMAINS / "restaurant" / "demo.txt")]) == 0
    out = capsys.readouterr().out
    assert "you> hello" in out and "bot> " in out
    assert re.search(r"booked.*\bR[0-9A-Z]{6}\b", out)  # the booking reference, generated or templated


def test_shell_reads_piped_input_and_debug_view(restaurant_model):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "dialogkit", "shell", str(restaurant_model), "--debug"],
        input="bokk a table for 2\n/slots\n/tracker\n/exit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert (
        "intent: book_table" in out
        and "entity: party_size='2'" in out
        and "flows:  book_table (at: collect cuisine)" in out
        and "read:   bokk→book" in out  # what the spelling read otherwise
    )
    assert "(generated)" in out and "time:" in out  # the example bots reply through the T5 generator
    assert '"party_size": 2' in out and '"events"' in out


def test_conversation_tests_pass_and_fail(restaurant_model, tmp_path, capsys, write_bot):
    out = tmp_path / "results.json"
    assert main(["test", str(DOMAINS / "restaurant"), "--model", str(restaurant_model), "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results and all(r["passed"] for r in results)
    # a failing expectation is reported with its turn and exits non-zero
    bot = tmp_path / "bot"
    (bot / "tests").mkdir(parents=True)
    (bot / "tests" / "t.yml").write_text(
        "conversations:\n  - name: wrong\n    steps:\n      - user: hello\n      - bot: utter_goodbye\n"
    )
    capsys.readouterr()
    assert main(["test", str(bot), "--model", str(restaurant_model)]) == 1
    text = capsys.readouterr().out
    assert "FAIL  wrong" in text and "turn 1: expected bot 'utter_goodbye', got 'utter_greet'" in text


def test_conversation_test_file_errors_are_located(restaurant_model, tmp_path, capsys):
    bot = tmp_path / "bot"
    (bot / "tests").mkdir(parents=True)
    (bot / "tests" / "t.yml").write_text(
        "conversations:\n  - name: x\n    steps:\n      - user: hi\n        bot: utter_greet\n"
    )
    assert main(["test", str(bot), "--model", str(restaurant_model)]) == 2
    assert "t.yml:4:9: error DK203" in capsys.readouterr().err


def test_shell_debug_shows_a_refused_slot_value_and_why(minimal_bot, tmp_path, capsys):
    """'book a table for 30' past the slot's max 20: nothing is said, but the debug view tells."""
    assert main(["train", str(minimal_bot), "--out", str(tmp_path / "m")]) == 0
    script = tmp_path / "s.txt"
    script.write_text('/book{"party_size": 30}\n/book{"party_size": 4}\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["shell", str(tmp_path / "m"), "--debug", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "refused: party_size=30 (above max 20; not asked, so nothing was said)" in out
    assert out.count("refused:") == 1


def test_train_prints_a_summary_and_epoch_lines_only_with_verbose(write_bot, tmp_path, capsys):
    from tests.conftest import MINIMAL

    bot = write_bot(
        {
            "domain.yml": MINIMAL.replace(
                "  - name: keyword_intent_classifier\n", "  - name: keyword_intent_classifier\n"
            )
        }
    )
    assert main(["train", str(bot), "--out", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "component" in out and "what it found" in out  # the summary table
    for name in ("rule_entity_extractor", "keyword_intent_classifier", "flow_policy", "template_nlg"):
        assert any(
            line.strip().startswith(name) and ("trained" in line or "built" in line) for line in out.splitlines()
        ), name
    assert main(["train", str(bot), "--out", str(tmp_path / "m")]) == 0
    assert "reused" in capsys.readouterr().out


def test_epoch_lines_are_told_apart():
    from dialogkit.framework.build.training import is_epoch_line

    assert is_epoch_line("epoch 3: loss 0.1234") and is_epoch_line("generator epoch 12: train_loss 1.0")
    assert not is_epoch_line("bert_nlu: done in 3.2s") and not is_epoch_line("t5_nlg: generated for all 21 responses")
