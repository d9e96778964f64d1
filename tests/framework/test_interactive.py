"""`dialogkit interactive`: confirm or correct each turn; corrections become NLU data and tests."""

import io
import subprocess
import sys
import textwrap

from dialogkit.framework.cli.interactive import append_entries, run_interactive
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.evaluation.conversation_tests import load_conversation_tests, run_conversations
from dialogkit.framework.runtime.agent import Agent
from tests.conftest import MINIMAL


def _session(bot, lines, model=None):
    out = io.StringIO()
    code = run_interactive(str(bot), model=model, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), stdout=out)
    return code, out.getvalue()


def test_a_session_corrects_intent_and_entities_retrains_and_saves_data_and_tests(write_bot, tmp_path, monkeypatch):
    bot = write_bot({"domain.yml": MINIMAL})
    monkeypatch.chdir(tmp_path)
    code, out = _session(bot, [
        "good day",          # the keyword classifier cannot tell: fallback
        "booking",           # not an intent: asked again
        "2",                 # the second of the ranking: book
        "",                  # entities: none, fine
        "",                  # next: utter_ask_party_size, fine
        "we are six",
        "book",              # intent: by its name
        "we are [six](party_size)",  # entities: mark the span the NLU missed
        "utter_donee",       # next: a typo is refused with a suggestion...
        "",                  # ... then accepted as the bot did it
        "/train",            # saves the corrections, retrains what changed (the NLU), goes on
        "/restart",
        "good day",          # now learnt
        "",
        "",
        "",
        "/exit",
    ])
    assert code == 0
    assert "2) book" in out or "1) book" in out
    assert "'booking' is not an intent of this bot (did you mean 'book'?)" in out
    assert "noted for the NLU data: book: good day" in out
    assert "noted for the NLU data: book: we are [six](party_size)" in out
    assert "slots: party_size=6" in out  # what the DM did with the marked value is shown
    assert "'utter_donee' is neither a response nor an action of this bot (did you mean 'utter_done'?)" in out
    assert "saved 2 corrected example(s) to" in out and "retrained in" in out
    # the generator's data did not change
    assert "trained: rule_entity_extractor, keyword_intent_classifier" in out and "reused: template_nlg" in out
    # after the retrain the corrected message is understood
    after_train = out.split("retrained in", 1)[1]
    assert "intent ok? [Enter: book;" in after_train

    data = (bot / "data" / "interactive.yml").read_text()
    assert "- intent: book" in data and "good day" in data and "we are [six](party_size)" in data
    examples = {
        (e.text, e.intent, tuple((s.entity, s.text) for s in e.entities)) for e in collect_examples(load_domain(bot))
    }
    assert ("we are six", "book", (("party_size", "six"),)) in examples and ("good day", "book", ()) in examples

    tests = load_conversation_tests(bot)
    assert [len(t[1].steps) for t in tests] == [5, 2]
    first = tests[0][1].steps
    assert (first[0].user, first[0].intent, first[1].bot) == ("good day", "book", "utter_ask_party_size")
    # the saved conversations pass against the retrained model (what the developer confirmed)
    results = run_conversations(Agent.load(tmp_path / "models" / "bot"), tests)
    assert [r.passed for r in results] == [True, True], [r.failure for r in results]


def test_a_corrected_next_action_is_what_the_test_expects(write_bot, tmp_path, monkeypatch):
    bot = write_bot({"domain.yml": MINIMAL})
    monkeypatch.chdir(tmp_path)
    code, out = _session(bot, ["hi", "", "", "utter_greet, utter_ask_party_size"])  # input ends: saved
    assert code == 0 and "kept as what the test expects" in out
    steps = load_conversation_tests(bot)[0][1].steps
    assert [s.bot for s in steps[1:]] == ["utter_greet", "utter_ask_party_size"]
    assert not (bot / "data" / "interactive.yml").exists()  # nothing corrected in the NLU
    results = run_conversations(Agent.load(tmp_path / "models" / "bot"), load_conversation_tests(bot))
    assert not results[0].passed and "utter_ask_party_size" in results[0].failure


def test_annotations_must_keep_the_text_and_name_declared_entities(write_bot, tmp_path, monkeypatch):
    bot = write_bot({"domain.yml": MINIMAL})
    monkeypatch.chdir(tmp_path)
    _, out = _session(
        bot,
        [
            "book for 4",
            "",
            "book for [5](party_size)",
            "book for [4](size)",
            "book for [4](party_size",
            "-",
            "",
            "/exit",
        ],
    )
    assert "the text must stay the message as sent ('book for 4'); got 'book for 5'" in out
    assert "'size' is not an entity of this bot" in out
    assert "could not read the annotations" in out
    assert "noted for the NLU data: book: book for 4" in out  # '-' removed the entity the NLU found


def test_entries_are_appended_keeping_comments_or_go_to_a_new_file(tmp_path):
    path = tmp_path / "tests" / "interactive.yml"
    first = append_entries(path, "conversations", [{"name": "a", "steps": [{"user": "hi"}]}], "# header\n", "one")
    text = path.read_text().replace("conversations:", "# mine\nconversations:")
    path.write_text(text)
    again = append_entries(path, "conversations", [{"name": "b", "steps": [{"user": "yes"}]}], "# header\n", "two")
    assert first == again == path
    assert "# mine" in path.read_text() and "# two" in path.read_text()
    path.write_text(path.read_text() + "other: 1\n")  # edited into another shape: left alone
    third = append_entries(path, "conversations", [{"name": "c", "steps": [{"user": "no"}]}], "# header\n", "three")
    assert third == tmp_path / "tests" / "interactive-2.yml" and path.read_text().endswith("other: 1\n")


def test_cli_reads_piped_input_and_refuses_a_folder_that_is_not_a_bot(write_bot, tmp_path, capsys):
    bot = write_bot({"domain.yml": MINIMAL})
    done = subprocess.run([sys.executable, "-m", "dialogkit", "interactive", str(bot)], input="hello\n\n\n\n",
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "you> hello" in done.stdout and "bot> Hi!" in done.stdout and "next: utter_greet" in done.stdout
    assert "saved 1 conversation(s) as tests in" in done.stdout
    assert "Traceback" not in done.stderr

    assert main(["interactive", str(tmp_path / "nothing-here")]) == 2
    err = capsys.readouterr()
    assert "DK116" in err.out + err.err and "not a bot folder" in err.out + err.err


def test_help_names_the_command():
    done = subprocess.run([sys.executable, "-m", "dialogkit", "interactive", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "data/interactive.yml" in textwrap.dedent(done.stdout).replace("\n", " ").replace(
        "  ", " "
    )
