"""The fast path: the BERT NLU exported to ONNX Runtime at training, int8 where it agrees.

Parity with the torch model it was exported from (logits, emissions, tags, what `parse`
returns), int8 kept only when it agrees on the bot's examples, models trained before the export
existed (exported once into the cache, the archive untouched), and no torch on the way.
"""

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torchcrf import CRF

from dialogkit.components.nlu import onnx_runtime
from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.features import encode, words_of
from dialogkit.components.nlu.onnx_runtime import viterbi
from tests.components.nlu.test_bert_nlu import trained

TEXTS = ["book a table for 4 in paris", "hello", "", "🙂", "see you", "a table in london for 2 please"]


def _same_parse(a, b, tolerance):
    for x, y in zip(a, b, strict=True):
        assert [r["name"] for r in x["intent_ranking"]][:1] == [r["name"] for r in y["intent_ranking"]][:1]
        assert (
            max(abs(r["confidence"] - q["confidence"]) for r, q in zip(x["intent_ranking"], y["intent_ranking"]))
            < tolerance
        )
        assert [(e["entity"], e["start"], e["end"], e["value"]) for e in x["entities"]] == [
            (e["entity"], e["start"], e["end"], e["value"]) for e in y["entities"]
        ]


@pytest.mark.parametrize("char_features", [False, True])
def test_fp32_export_matches_the_torch_model(write_bot, tiny_encoder, tmp_path, char_features):
    c, loaded = trained(write_bot, tiny_encoder, epochs=20, int8=False, char_features=char_features)
    c.save(tmp_path)
    info = json.loads((tmp_path / "onnx.json").read_text())
    assert (
        info["precision"] == "fp32"
        and (tmp_path / "model.onnx").is_file()
        and not (tmp_path / "model.int8.onnx").exists()
    )
    fast = BertNLU.load(tmp_path, c.config, loaded.domain)
    assert fast.fast is not None and fast.model is None and fast.describe()["runtime"] == "onnx fp32"
    # raw outputs on a padded batch of different lengths
    batch = encode(c.tokenizer, [words_of(t, "en") for t in TEXTS], 128, c.featurizer)
    with torch.inference_mode():
        logits, emissions = c.model(batch.input_ids, batch.attention_mask, batch.word_index, batch.sparse)
    np_batch = encode(fast.tokenizer, [words_of(t, "en") for t in TEXTS], 128, fast.featurizer, tensors="np")
    o_logits, o_emissions = fast.fast.run(np_batch)
    assert np.abs(o_logits - logits.numpy()).max() < 1e-4
    mask = batch.word_mask.numpy()
    assert np.abs(o_emissions - emissions.numpy())[mask].max() < 1e-4
    assert fast.fast.decode(o_emissions, np_batch.word_mask) == c.model.decode(emissions, batch.word_mask)
    # and what parse returns
    _same_parse(c.parse_batch(TEXTS), fast.parse_batch(TEXTS), 1e-4)
    for text in TEXTS:  # one message at a time gives what the batch gave
        _same_parse(fast.parse_batch([text]), [fast.parse_batch(TEXTS)[TEXTS.index(text)]], 1e-4)


def test_int8_is_kept_only_where_it_agrees_with_fp32(write_bot, tiny_encoder, tmp_path):
    c, loaded = trained(write_bot, tiny_encoder, epochs=30)
    for name in ("auto", "strict", "forced"):
        (tmp_path / name).mkdir()
    level = logging.getLogger().level
    c.save(tmp_path / "auto")
    assert logging.getLogger().level == level  # the quantizer's noise is silenced without touching the app's logging
    info = json.loads((tmp_path / "auto" / "onnx.json").read_text())
    assert info["checked_on"] == len(c._texts) > 0
    agrees = min(info["int8_intent_agreement"], info["int8_tag_agreement"]) >= info["min_agreement"]
    assert info["precision"] == ("int8" if agrees else "fp32")
    kept = "model.int8.onnx" if agrees else "model.onnx"
    assert sorted(p.name for p in (tmp_path / "auto").glob("*.onnx")) == [kept]  # the archive carries the one it runs
    # an agreement it cannot reach: fp32
    c.config = c.config.model_copy(update={"int8_min_agreement": 1.01})
    c.save(tmp_path / "strict")
    assert json.loads((tmp_path / "strict" / "onnx.json").read_text())["precision"] == "fp32"
    # forced: int8, and its decisions on the bot's own examples are the fp32 ones here (a trained tiny bot)
    c.config = c.config.model_copy(update={"int8": True})
    c.save(tmp_path / "forced")
    q8 = BertNLU.load(tmp_path / "forced", c.config, loaded.domain)
    assert q8.describe()["runtime"] == "onnx int8"
    ref = c.parse_batch(c._texts)
    got = q8.parse_batch(c._texts)
    same = sum(a["intent_ranking"][0]["name"] == b["intent_ranking"][0]["name"] for a, b in zip(ref, got))
    assert same >= 0.9 * len(ref)


def test_runtime_torch_exports_nothing_and_runs_torch(write_bot, tiny_encoder, tmp_path):
    c, loaded = trained(write_bot, tiny_encoder, epochs=3, runtime="torch")
    c.save(tmp_path)
    assert not list(tmp_path.glob("*.onnx")) and not (tmp_path / "onnx.json").exists()
    again = BertNLU.load(tmp_path, c.config, loaded.domain)
    assert again.fast is None and again.describe()["runtime"] == "torch fp32"


def test_a_model_trained_before_the_export_is_exported_once_into_the_cache(
    write_bot, tiny_encoder, tmp_path, monkeypatch
):
    c, loaded = trained(write_bot, tiny_encoder, epochs=10, runtime="torch")
    (tmp_path / "old").mkdir()
    c.save(tmp_path / "old")  # as a model from before: no ONNX files
    before = sorted(p.name for p in (tmp_path / "old").rglob("*"))
    monkeypatch.setenv("DIALOGKIT_CACHE", str(tmp_path / "cache"))
    config = c.config.model_copy(update={"runtime": "auto"})
    first = BertNLU.load(tmp_path / "old", config, loaded.domain)
    assert first.describe()["runtime"] == "onnx fp32"
    assert sorted(p.name for p in (tmp_path / "old").rglob("*")) == before  # the (verified) archive is not touched
    cached = list((tmp_path / "cache" / "onnx").iterdir())
    assert len(cached) == 1 and (cached[0] / "model.onnx").is_file()
    stamp = (cached[0] / "model.onnx").stat().st_mtime_ns
    second = BertNLU.load(tmp_path / "old", config, loaded.domain)
    assert (cached[0] / "model.onnx").stat().st_mtime_ns == stamp  # reused, not exported again
    _same_parse(c.parse_batch(TEXTS), second.parse_batch(TEXTS), 1e-4)


def test_an_old_model_whose_export_cannot_be_cached_runs_on_torch(
    write_bot, tiny_encoder, tmp_path, monkeypatch, caplog
):
    c, loaded = trained(write_bot, tiny_encoder, epochs=3, runtime="torch")
    c.save(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("DIALOGKIT_CACHE", str(blocker))  # the cache cannot be written
    again = BertNLU.load(tmp_path, c.config.model_copy(update={"runtime": "auto"}), loaded.domain)
    assert again.fast is None and again.describe()["runtime"] == "torch fp32"
    assert "running on torch" in caplog.text
    _same_parse(c.parse_batch(TEXTS), again.parse_batch(TEXTS), 1e-5)


def test_runtime_onnx_without_onnx_runtime_says_how_to_fix_it(write_bot, tiny_encoder, tmp_path, monkeypatch):
    c, loaded = trained(write_bot, tiny_encoder, epochs=2, runtime="torch")
    c.save(tmp_path)
    monkeypatch.setattr(onnx_runtime, "available", lambda: False)
    auto = BertNLU.load(tmp_path, c.config.model_copy(update={"runtime": "auto"}), loaded.domain)
    assert auto.fast is None  # auto: torch
    with pytest.raises(ValueError, match="pip install onnxruntime"):
        BertNLU.load(tmp_path, c.config.model_copy(update={"runtime": "onnx"}), loaded.domain)


def test_viterbi_is_the_crf_decoding():
    crf = CRF(5, batch_first=True)
    gen = torch.Generator().manual_seed(0)
    for p in crf.parameters():
        p.data = torch.randn(p.shape, generator=gen)
    emissions = torch.randn(3, 7, 5, generator=gen)
    mask = torch.tensor([[1] * 7, [1] * 3 + [0] * 4, [1] + [0] * 6], dtype=torch.bool)
    expected = crf.decode(emissions, mask=mask)
    got = [
        viterbi(
            emissions[b, : int(mask[b].sum())].numpy(),
            crf.start_transitions.detach().numpy(),
            crf.end_transitions.detach().numpy(),
            crf.transitions.detach().numpy(),
        )
        for b in range(3)
    ]
    assert got == expected


CHILD = """
import json, sys
from dialogkit import Agent
agent = Agent.load(sys.argv[1])
parse = agent.parse("book a table for 4 in paris")
replies = agent.handle("hello", conversation_id="u")
print(json.dumps({"torch": "torch" in sys.modules, "intent": parse["intent"]["name"], "replies": len(replies),
                  "runtime": agent.describe()["bert_nlu"]["runtime"]}))
"""


FASTBOT = """
version: "1"
pipeline:
  - name: rule_entity_extractor
  - name: bert_nlu
    encoder: {encoder}
    epochs: 40
    learning_rate: 0.003
    head_learning_rate: 0.003
    freeze_embeddings: false
    threshold: 0.0
  - name: flow_policy
  - name: template_nlg
intents:
  greet:
    examples: [hi, hello there, good morning, hey, hiya]
  book:
    examples:
      - book a table for 4 in paris
      - a table for two in rome please
      - reserve for 6
      - book paris
      - I want a table in london for 3
responses:
  utter_greet: ["Hi!"]
  utter_book: ["Booking."]
flows:
  greet:
    when: {{intent: greet}}
    steps: [{{say: utter_greet}}]
  book:
    when: {{intent: book}}
    steps: [{{say: utter_book}}]
"""


def test_a_bot_on_the_fast_path_answers_without_importing_torch(write_bot, tiny_encoder, tmp_path):
    from dialogkit.framework.build.training import train

    root = write_bot({"domain.yml": FASTBOT.format(encoder=tiny_encoder)}, name="fastbot")
    train(root, tmp_path / "model")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "model")], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["torch"] is False and answer["runtime"].startswith("onnx")
    assert answer["intent"] == "book" and answer["replies"] == 1
