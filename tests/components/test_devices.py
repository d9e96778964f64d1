"""`dialogkit train --devices 2`: two CPU processes (gloo) train the BERT NLU and the
generator with DistributedDataParallel; the archive works and is as good as one process's."""

import json
import subprocess
import sys

import pytest

from dialogkit.framework.runtime.agent import Agent
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)

BOT = """
version: "1"
pipeline:
  - name: bert_nlu
    encoder: {encoder}
    epochs: 30
    learning_rate: 0.003
    head_learning_rate: 0.003
    freeze_embeddings: false
    dropout: 0.0
    label_smoothing: 0.0
    batch_size: 4
    threshold: 0.0
  - name: flow_policy
  - name: t5_nlg
    d_model: 32
    d_ff: 64
    d_kv: 8
    num_heads: 4
    num_layers: 1
    num_decoder_layers: 1
    min_steps: 30
    epochs: 5
    init_embeddings: false
intents:
  greet:
    examples: [hi, hello there, good morning, hey, hiya, hello, morning all, hey there]
  book:
    examples:
      - book a table for [4](n)
      - a table for [2](n) please
      - reserve for [6](n)
      - I want a table for [3](n)
      - table for [5](n) tonight
      - can I book for [8](n)
  bye:
    examples: [bye, goodbye, see you, farewell, bye bye, see you later, cheers bye, good night]
entities:
  n: {{}}
slots:
  n:
    type: int
    mappings: [{{type: from_entity, entity: n}}]
responses:
  utter_hi: ["Hello! How can I help?"]
  utter_bye: ["Goodbye, see you soon."]
  utter_ask_n: ["For how many people?"]
  utter_booked: ["A table for {{n}} is booked."]
flows:
  greet:
    when: {{intent: greet}}
    steps: [{{say: utter_hi}}]
  bye:
    when: {{intent: bye}}
    steps: [{{say: utter_bye}}]
  book:
    when: {{intent: book}}
    steps: [{{collect: n}}, {{say: utter_booked}}]
"""

PROBES = {
    "hello": "greet",
    "hey there hello": "greet",
    "goodbye then": "bye",
    "see you": "bye",
    "book a table for 7": "book",
    "reserve a table for 2": "book",
}


def train(bot, out, devices):
    cmd = [sys.executable, "-m", "dialogkit", "train", str(bot), "--out", str(out), "--devices", str(devices)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_processes_train_as_well_as_one(write_bot, tiny_encoder, tmp_path):
    bot = write_bot({"domain.yml": BOT.format(encoder=tiny_encoder)})
    out1, out2 = tmp_path / "one", tmp_path / "two"
    train(bot, out1, 1)
    text = train(bot, out2, 2)
    assert "on 2 processes" in text and text.count("trained ") == 1  # one process writes and reports
    scores = {}
    for name, out in (("one", out1), ("two", out2)):
        agent = Agent.load(out)
        scores[name] = sum(agent.parse(t)["intent"]["name"] == want for t, want in PROBES.items()) / len(PROBES)
        reply = agent.handle("book a table for 4", name)
        assert reply[0]["text"]  # the generator (or its template floor) answers
    assert scores["two"] >= scores["one"] - 1 / len(PROBES), scores  # the same quality within noise
    assert scores["two"] >= 0.8, scores
    manifest = json.loads((out2 / "manifest.json").read_text())
    assert [c["name"] for c in manifest["components"]] == ["bert_nlu", "flow_policy", "t5_nlg"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".two-")]  # no staging left by any process


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    from tests.components.nlu.conftest import tiny_encoder as make

    return make.__wrapped__(tmp_path_factory)


def test_the_cores_a_process_may_use_follow_omp_num_threads(monkeypatch):
    import os

    from dialogkit.components.training.devices import cores

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert cores() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "0")
    assert cores() == 1  # never none
    for unset in ("", "two"):  # unset, or not a number: every core
        monkeypatch.setenv("OMP_NUM_THREADS", unset)
        assert cores() == max(1, os.cpu_count() or 1)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cores() == max(1, os.cpu_count() or 1)
