"""Pair training of the encoder (``contrastive_epochs``, as SetFit): one intent's messages drawn together."""

import json

import torch

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.bert_nlu_config import AUTO_PAIR_EPOCHS, PAIR_TRAINING_BELOW, pair_epochs
from dialogkit.components.nlu.encoder_source import load_encoder, load_tokenizer
from dialogkit.components.nlu.joint_model import JointIntentSlotModel
from dialogkit.components.nlu.trainer import Encoded, pair_training, tensors
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config
from tests.components.nlu.test_bert_nlu import bot

MESSAGES = {
    0: ["hi there", "hello", "good morning", "hey you", "hiya friend", "greetings"],
    1: ["book a table", "reserve a table for two", "I want a table tonight", "table for four please"],
    2: ["bye", "goodbye then", "see you later", "farewell my friend", "bye bye"],
}


def separation(model, tokenizer, data, cfg):
    """Mean cosine of two messages of one intent minus that of two messages of two intents."""
    with torch.inference_mode():
        batch, intents, _ = tensors(data, list(range(len(data.intents))), tokenizer, cfg.max_length, "cpu")
        vectors = torch.nn.functional.normalize(model.sentence_vectors(batch.input_ids, batch.attention_mask), dim=-1)
    cosine = vectors @ vectors.T
    same = intents[:, None] == intents[None, :]
    off = ~torch.eye(len(intents), dtype=torch.bool)
    return (cosine[same & off].mean() - cosine[~same].mean()).item()


def test_pair_training_draws_one_intents_messages_together_and_two_intents_apart(tiny_encoder):
    tokenizer = load_tokenizer(str(tiny_encoder))
    model = JointIntentSlotModel(load_encoder(str(tiny_encoder)), 3, 1)
    texts = [(t, i) for i, group in MESSAGES.items() for t in group]
    data = Encoded(
        words=[[(w, 0, 0) for w in t.split()] for t, _ in texts],
        intents=[i for _, i in texts],
        tags=[[0] * len(t.split()) for t, _ in texts],
    )
    cfg = resolve_config(
        "bert_nlu", {"encoder": str(tiny_encoder), "contrastive_epochs": 40, "contrastive_learning_rate": 3e-3}
    )
    before = separation(model, tokenizer, data, cfg)
    head = model.intent_head.weight.detach().clone()
    assert pair_training(model, tokenizer, data, cfg, torch.device("cpu")) == 40
    after = separation(model, tokenizer, data, cfg)
    assert after > before + 0.3, (before, after)
    assert torch.equal(model.intent_head.weight, head)  # the encoder alone: the heads train after


def test_pair_training_needs_two_intents(tiny_encoder):
    model = JointIntentSlotModel(load_encoder(str(tiny_encoder)), 1, 1)
    data = Encoded(words=[[("hi", 0, 2)], [("hello", 0, 5)]], intents=[0, 0], tags=[[0], [0]])
    cfg = resolve_config("bert_nlu", {"encoder": str(tiny_encoder), "contrastive_epochs": 5})
    assert pair_training(model, load_tokenizer(str(tiny_encoder)), data, cfg, torch.device("cpu")) == 0


def train(write_bot, tiny_encoder, tmp_path, **cfg):
    loaded = load_domain(bot(write_bot))
    config = resolve_config("bert_nlu", {"encoder": str(tiny_encoder), "epochs": 1, "runtime": "torch", **cfg})
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    tmp_path.mkdir()
    c.save(tmp_path)
    return json.loads((tmp_path / "training.json").read_text(encoding="utf-8"))


def test_contrastive_epochs_auto_is_on_for_few_examples_per_intent_and_recorded(write_bot, tiny_encoder, tmp_path):
    # the bot has 5 examples per intent: few
    assert 5 < PAIR_TRAINING_BELOW
    assert train(write_bot, tiny_encoder, tmp_path / "auto")["pair_epochs"] == AUTO_PAIR_EPOCHS
    assert train(write_bot, tiny_encoder, tmp_path / "off", contrastive_epochs=0)["pair_epochs"] == 0
    assert train(write_bot, tiny_encoder, tmp_path / "three", contrastive_epochs=3)["pair_epochs"] == 3


def test_contrastive_epochs_auto_is_off_for_many_examples_per_intent():
    assert pair_epochs("auto", [0, 1] * PAIR_TRAINING_BELOW) == 0
    assert pair_epochs("auto", ["a", "b"] * (PAIR_TRAINING_BELOW - 1)) == AUTO_PAIR_EPOCHS
    assert pair_epochs(7, [0, 1] * PAIR_TRAINING_BELOW) == 7
