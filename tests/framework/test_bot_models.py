"""One model per bot: shell, serve and test given a bot folder use its model, retraining only what is stale."""

from __future__ import annotations

from dialogkit.framework.cli.main import main
from tests.conftest import MINIMAL

TESTS = "conversations:\n  - name: hi\n    steps:\n      - user: hi\n      - bot: utter_greet\n"


def test_shell_and_test_use_the_bots_model_and_retrain_only_what_is_stale(write_bot, tmp_path, monkeypatch, capsys):
    bot = write_bot({"domain.yml": MINIMAL.replace('version: "1"', 'version: "1"\nname: tiny'), "tests/t.yml": TESTS})
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "s.txt"
    script.write_text("hi\n", encoding="utf-8")
    assert main(["shell", "bot", "--script", str(script)]) == 0
    out, err = capsys.readouterr()
    assert "no trained model for bot yet: training models/tiny" in err and "bot> Hi!" in out
    assert (tmp_path / "models" / "tiny" / "manifest.json").is_file()  # models/<bot name>, not in the bot's folder
    assert main(["shell", "bot", "--script", str(script)]) == 0
    assert "using models/tiny (up to date with bot)" in capsys.readouterr().err
    (bot / "domain.yml").write_text((bot / "domain.yml").read_text().replace('"Hi!"', '"Hello you!"'), encoding="utf-8")
    assert main(["shell", "bot", "--script", str(script)]) == 0
    out, err = capsys.readouterr()
    assert "models/tiny is out of date with bot (flow_policy, template_nlg changed): retraining them" in err
    assert "reused: rule_entity_extractor, keyword_intent_classifier" in err and "bot> Hello you!" in out
    assert main(["test", "bot"]) == 0
    assert "using models/tiny (up to date with bot)" in capsys.readouterr().out
    monkeypatch.chdir(bot)  # inside the bot's folder: its model, found next to it
    assert main(["shell", "--script", str(script)]) == 0
    assert "using ../models/tiny (up to date with .)" in capsys.readouterr().err
    assert not (bot / "models").exists()


def test_train_writes_models_bot_name_and_a_wrong_target_is_a_clear_error(write_bot, tmp_path, monkeypatch, capsys):
    write_bot({"domain.yml": MINIMAL.replace('version: "1"', 'version: "1"\nname: tiny')})
    monkeypatch.chdir(tmp_path)
    assert main(["train", "bot"]) == 0
    assert "trained models/tiny in" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert main(["shell", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "DK115" in err and "neither a trained model" in err
