"""`dialogkit train --finetune`: bert_nlu continues from the previous model (components/nlu/warm_start.py)."""

import json

import pytest

from dialogkit.components.nlu.bert_nlu_config import AUTO_PAIR_EPOCHS
from dialogkit.framework.build.training import train
from dialogkit.framework.cli.main import main
from dialogkit.framework.runtime.agent import Agent

BOT = """
version: "1"
pipeline:
  - name: rule_entity_extractor
  - name: bert_nlu
    encoder: {encoder}
    epochs: 40
    learning_rate: 0.003
    head_learning_rate: 0.003
    freeze_embeddings: false
    dropout: 0.0
    label_smoothing: 0.0
    threshold: 0.0
    runtime: torch
  - name: flow_policy
  - name: template_nlg
intents:
  greet:
    examples: [hi, hello there, good morning, hey, hiya]
  book:
    examples:
      - book a table for [4](n)
      - a table for [two](n) please
      - reserve for [6](n)
      - I want a table for [3](n)
entities:
  n: {{}}
responses:
  utter_greet: ["Hi!"]
flows:
  greet:
    when: {{intent: greet}}
    steps:
      - say: utter_greet
"""
THANKS = """  thanks:
    examples: [thanks, thank you, cheers, many thanks, thanks a lot]
entities:"""


def training_record(model):
    folder = next(p for p in (model / "components").iterdir() if p.name.endswith("bert_nlu"))
    return json.loads((folder / "training.json").read_text())


def epochs_run(model):
    folder = next(p for p in (model / "components").iterdir() if p.name.endswith("bert_nlu"))
    return training_record(model)["epochs_run"], json.loads((folder / "labels.json").read_text())["intents"]


def test_finetune_continues_the_nlu_on_added_examples_in_a_fraction_of_the_epochs(write_bot, tiny_encoder, tmp_path):
    bot = write_bot({"domain.yml": BOT.format(encoder=tiny_encoder)})
    model = tmp_path / "model"
    train(bot, model)
    assert epochs_run(model) == (40, ["book", "greet"])
    assert training_record(model)["pair_epochs"] == AUTO_PAIR_EPOCHS  # a small bot: its encoder trained on pairs
    (bot / "domain.yml").write_text(BOT.format(encoder=tiny_encoder).replace("entities:", THANKS, 1), encoding="utf-8")
    said = []
    result = train(bot, model, finetune=model, epoch_fraction=0.25, progress=said.append)
    assert "bert_nlu" in result.trained
    assert any("continued from" in line and "new: thanks" in line for line in said), said
    runs, intents = epochs_run(model)
    assert runs <= 10 and intents == ["book", "greet", "thanks"]
    assert training_record(model)["pair_epochs"] == 0  # the previous encoder had its pair training
    agent = Agent.load(model)
    assert agent.parse("thank you")["intent"]["name"] == "thanks"  # the new intent is learned
    assert agent.parse("hello there")["intent"]["name"] == "greet"  # and the old ones kept
    assert agent.parse("a table for 4")["entities"][0]["entity"] == "n"


def test_finetune_through_the_cli_and_its_errors(write_bot, tiny_encoder, tmp_path, capsys):
    quick = BOT.replace("epochs: 40", "epochs: 8")
    bot = write_bot({"domain.yml": quick.format(encoder=tiny_encoder)})
    out = tmp_path / "m"
    assert main(["train", str(bot), "--out", str(out), "--finetune"]) == 2  # nothing to continue from yet
    assert "no trained model at" in capsys.readouterr().err
    assert main(["train", str(bot), "--out", str(out)]) == 0
    (bot / "domain.yml").write_text(
        quick.format(encoder=tiny_encoder).replace("entities:", THANKS, 1), encoding="utf-8"
    )
    assert main(["train", str(bot), "--out", str(out), "--finetune", "--epoch-fraction", "0.1", "-v"]) == 0
    out_text = capsys.readouterr()
    assert "continued from" in out_text.out + out_text.err
    assert epochs_run(out)[0] == 1  # 10 % of 8 epochs, at least one
    with pytest.raises(SystemExit):
        main(["train", str(bot), "--finetune", "--epoch-fraction", "x"])
    assert main(["train", str(bot), "--out", str(out), "--finetune", "--epoch-fraction", "2"]) == 2
    assert "is not in (0, 1]" in capsys.readouterr().err


def test_finetune_keeps_the_joint_models_features_and_refits_the_sentence_classifier(write_bot, tiny_encoder, tmp_path):
    """The joint model's feature bags are indexed by the first training's vocabulary, so fine-tuning keeps
    it; the sentence classifier is fitted anew in a second, on the added examples' words too."""
    with_both = BOT.replace("epochs: 40", "epochs: 8").replace(
        "    runtime: torch\n", "    runtime: torch\n    char_features: true\n    sentence_classifier: true\n"
    )
    bot = write_bot({"domain.yml": with_both.format(encoder=tiny_encoder)})
    model = tmp_path / "model"
    train(bot, model)
    (bot / "domain.yml").write_text(
        with_both.format(encoder=tiny_encoder).replace("entities:", THANKS, 1), encoding="utf-8"
    )
    train(bot, model, finetune=model, epoch_fraction=0.25)
    folder = next(p for p in (model / "components").iterdir() if p.name.endswith("bert_nlu"))
    joint = json.loads((folder / "sparse.json").read_text())["features"]
    sentence = json.loads((folder / "sentence_classifier.json").read_text())["featurizer"]["features"]
    assert "w:cheers" not in joint and "w:cheers" in sentence
    assert Agent.load(model).parse("cheers")["intent"]["name"] == "thanks"


def test_finetune_of_a_model_without_features_stays_without(write_bot, tiny_encoder, tmp_path):
    """A model trained before lookup features (or with them off) has no feature bags: fine-tuning it with
    lookups declared continues it whole, as it was, rather than growing bags its heads never read."""
    with_lookup = BOT.replace("epochs: 40", "epochs: 8").replace(
        "  n: {{}}", "  n: {{}}\n  city:\n    lookup: [paris, rome]"
    )
    bot = write_bot({"domain.yml": with_lookup.replace("runtime: torch", "runtime: torch\n    lookup_features: false")
                     .format(encoder=tiny_encoder)})
    model = tmp_path / "model"
    train(bot, model)
    folder = next(p for p in (model / "components").iterdir() if p.name.endswith("bert_nlu"))
    assert not (folder / "sparse.json").exists()
    (bot / "domain.yml").write_text(with_lookup.format(encoder=tiny_encoder).replace("entities:", THANKS, 1),
                                    encoding="utf-8")
    train(bot, model, finetune=model, epoch_fraction=0.25)
    folder = next(p for p in (model / "components").iterdir() if p.name.endswith("bert_nlu"))
    assert not (folder / "sparse.json").exists()
    assert training_record(model)["pair_epochs"] == 0  # continued, not trained anew
    train(bot, tmp_path / "fresh")  # trained anew, the lookups are read
    fresh = next(p for p in (tmp_path / "fresh" / "components").iterdir() if p.name.endswith("bert_nlu"))
    assert json.loads((fresh / "sparse.json").read_text())["features"] == ["@city"]
