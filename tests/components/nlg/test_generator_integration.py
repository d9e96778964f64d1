"""The default generator trained on the restaurant bot (real encoder vocabulary): slot errors, replies, CLI."""

from dialogkit.framework import Agent
from dialogkit.framework.cli.main import main
from dialogkit.framework.evaluation.nlg_testing import run_nlg_test
from tests.conftest import DOMAINS, MINIMAL


def test_restaurant_generator_slot_error_rate(restaurant_model, tmp_path):
    report = run_nlg_test(str(DOMAINS / "restaurant"), model=str(restaurant_model), out=str(tmp_path / "nlg"))
    assert report["inputs"] >= 15 and report["required_values"] >= 8
    assert report["ser_before_guard"] <= 0.05, report["failures"]
    assert report["ser_after_guard"] == 0.0
    assert report["fallback_rate"] <= 0.2
    assert report["bleu_before_guard"] > 50  # on its own targets: it learned them
    assert (tmp_path / "nlg" / "results.json").is_file() and (tmp_path / "nlg" / "report.md").is_file()


def test_replies_are_generated_faithful_and_recorded(restaurant_model):
    agent = Agent.load(restaurant_model)
    for text in ["hi", "book a table for 12 people", "thai", "in the north", "at 8pm"]:
        out = agent.handle(text, "gen")
    confirm = out[-1]
    assert confirm["response"] == "utter_confirm_booking"
    assert all(v in confirm["text"] for v in ("12", "thai", "north", "8pm"))
    bot_events = [e for e in agent.tracker("gen").events if e.event == "bot"]
    assert all("generated" in e.data for e in bot_events)
    assert sum(e.data["generated"] for e in bot_events) >= len(bot_events) // 2


def test_cli_test_nlg_needs_a_generator(write_bot, capsys):
    bot = write_bot({"domain.yml": MINIMAL})
    assert main(["test", "nlg", str(bot)]) == 2
    assert "has no response generator" in capsys.readouterr().err


TINY_NLG = """  - name: t5_nlg
    d_model: 32
    d_ff: 64
    d_kv: 8
    num_heads: 4
    min_steps: 60
    init_embeddings: false
    decoding: greedy
"""


def test_cli_test_nlg_holds_out_targets_and_trains(write_bot, tmp_path, capsys):
    domain = MINIMAL.replace("  - name: template_nlg\n", TINY_NLG).replace(
        '  utter_done:\n    - "A table for {party_size}."',
        '  utter_done:\n    variations: ["A table for {party_size}."]\n    paraphrases: ["Booked for '
        '{party_size}!", "Done: {party_size} people."]',
    )
    bot = write_bot({"domain.yml": domain})
    out = tmp_path / "nlg"
    assert main(["test", "nlg", str(bot), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "held-out targets" in text and "slot error rate" in text
    import json

    report = json.loads((out / "results.json").read_text())
    assert report["inputs"] == 1 and report["required_values"] == 1  # utter_done, one held out of three
    assert report["ser_after_guard"] == 0.0  # after the guard: generated and faithful, or the template
    assert 0.0 <= report["ser_before_guard"] <= 1.0 and "bleu_before_guard" in report


RECORD = '''  utter_table:
    record:
      subject: name
      fields: {name: "Table {name}", seats: "seats {seats}", window: "is by the window"}
      examples:
        - {record: {name: A1, seats: 4, window: true}, text: "A1 seats 4, by the window."}
        - {record: {name: B2, seats: 2}, text: "B2 seats 2."}
        - {record: {name: C3, window: true}, text: "C3 is by the window."}
        - {record: {name: D4}, text: "There is D4."}
'''


def test_cli_test_nlg_holds_out_record_field_combinations(write_bot, tmp_path, capsys):
    """A record response's examples are scored on a field combination the generator did not learn: the row says
    what the user would read (generated and faithful, or the phrases' sentence), with its values."""
    import json

    domain = MINIMAL.replace("  - name: template_nlg\n", TINY_NLG).replace("responses:\n", "responses:\n" + RECORD)
    bot = write_bot({"domain.yml": domain})
    out = tmp_path / "nlg"
    assert main(["test", "nlg", str(bot), "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    (row,) = [r for r in report["rows"] if r["response"] == "utter_table"]  # one of four combinations held out
    assert row["input"].startswith("utter table | ")
    assert report["ser_after_guard"] == 0.0
    reference = row["references"][0]
    values = [w for w in ("A1", "B2", "C3", "D4", "4", "2", "window") if w in reference]
    assert values and all(v in row["reply"] for v in values), row
