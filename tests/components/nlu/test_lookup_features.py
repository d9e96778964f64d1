"""What the joint model's tagger reads of the bot's lookups, and Chinese word boundaries for its spans."""

import json

import pytest

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.features import words_of
from dialogkit.components.nlu.lookup_features import LookupMarks
from dialogkit.components.nlu.word_boundaries import word_edges
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

ENTITIES = """
entities:
  city:
    lookup: [new york, paris, 北京]
    synonyms:
      paris: [city of light]
  tickets:
    synonyms:
      "2": [两张]
  time:
    regex: ['\\d{1,2}\\s?pm', '\\d{1,2}月\\d{1,2}日']
"""


def marks_of(table, text, lang):
    words = words_of(text, lang)
    return {w: sorted(m) for (w, _, _), m in zip(words, table.of_words(words), strict=True) if m}


def test_lookups_synonyms_and_regexes_mark_whole_words(write_bot):
    domain = load_domain(write_bot({"domain.yml": 'version: "1"\nlanguage: en\n' + ENTITIES})).domain
    en = LookupMarks.from_domain(domain, "en")
    assert en.features() == ["@city", "@tickets", "@time"]
    assert marks_of(en, "Two to New York at 7 pm", "en") == {"New": ["@city"], "York": ["@city"], "7": ["@time"],
                                                           "pm": ["@time"]}
    assert marks_of(en, "yorkshire in the city of light", "en") == {"city": ["@city"], "of": ["@city"],
                                                                   "light": ["@city"]}
    assert marks_of(en, "new books, 2 of them", "en") == {}  # half a phrase; "2" is a synonym's value, not a phrase
    zh = LookupMarks.from_domain(domain, "zh")
    assert marks_of(zh, "两张5月1日去北京", "zh") == {
        "两": ["@tickets"], "张": ["@tickets"], "5": ["@time"], "月": ["@time"], "1": ["@time"], "日": ["@time"],
        "北": ["@city"], "京": ["@city"],
    }
    again = LookupMarks.from_json(json.loads(json.dumps(zh.to_json(), ensure_ascii=False)))
    assert marks_of(again, "两张5月1日去北京", "zh") == marks_of(zh, "两张5月1日去北京", "zh")



def test_a_synonym_several_entities_declare_marks_none_of_them(write_bot):
    """As a Rasa project's import writes its synonyms (which belong to no entity) under every entity."""
    shared = """
entities:
  state:
    lookup: [texas, ohio]
    synonyms: {TX: [texas], OH: [ohio, buckeye state]}
  claim_id:
    synonyms: {TX: [texas], OH: [ohio, buckeye state]}
  plan:
    synonyms: {gold: [premium plan]}
"""
    domain = load_domain(write_bot({"domain.yml": 'version: "1"\nlanguage: en\n' + shared}, name="shared")).domain
    table = LookupMarks.from_domain(domain, "en")
    assert marks_of(table, "ohio or the buckeye state on the premium plan", "en") == {
        "ohio": ["@state"], "premium": ["@plan"], "plan": ["@plan"]}


BOT = """
version: "1"
language: en
intents:
  greet:
    examples: [hi, hello there, good morning, hey]
  inform:
    examples:
      - "[paris](city)"
      - "[rome](city)"
      - "[london](city) please"
      - "[rome](city) please"
      - "well [paris](city)"
      - "well [london](city)"
      - well later
      - later please
      - maybe later
      - not sure
      - sure
entities:
  city:
    lookup: [paris, rome, london, berlin, madrid]
"""


def train(write_bot, tiny_encoder, name, **cfg):
    """The bot trained on the tiny encoder; the Chinese ones every epoch (``converged_tolerance: 0``), so the
    tagger has learnt to tag a lone character wherever it stands, the case the word rules are for."""
    loaded = load_domain(write_bot({"domain.yml": cfg.pop("domain", BOT)}, name=name))
    config = resolve_config(
        "bert_nlu",
        {"encoder": str(tiny_encoder), "epochs": 60, "learning_rate": 0.0, "head_learning_rate": 3e-3,
         "dropout": 0.0, "label_smoothing": 0.0, "threshold": 0.0, "char_feature_dim": 16, **cfg},
    )
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    return c, loaded


def cities(component, text):
    return [(e["entity"], e["value"]) for e in component.parse_batch([text])[0]["entities"]]


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_the_tagger_reads_the_lookups_a_frozen_encoder_cannot(write_bot, tiny_encoder, tmp_path, runtime):
    """A lookup value never annotated in the examples is tagged by the model; a word in the same
    place that is in no lookup is not (the encoder, random and frozen here, knows neither)."""
    c, loaded = train(write_bot, tiny_encoder, f"lookups-{runtime}", char_features=False, runtime=runtime, epochs=120)
    assert c.featurizer is not None and not c.featurizer.ngrams and c.featurizer.features == ["@city"]
    assert cities(c, "berlin") == [("city", "berlin")] and cities(c, "well madrid") == [("city", "madrid")]
    assert cities(c, "tokyo") == [] and cities(c, "well soon") == []
    c.save(tmp_path)
    saved = json.loads((tmp_path / "sparse.json").read_text(encoding="utf-8"))
    assert saved["ngrams"] is False and "berlin" in saved["lookups"]["phrases"]["city"][3]
    again = BertNLU.load(tmp_path, c.config, loaded.domain)
    assert cities(again, "well madrid") == [("city", "madrid")] and cities(again, "tokyo") == []
    off, _ = train(write_bot, tiny_encoder, f"no-lookups-{runtime}", char_features=False, lookup_features=False,
                   runtime=runtime, epochs=120)
    # without them, the tagger has only the (random) encoder: it does not find both
    assert off.featurizer is None
    assert [cities(off, "berlin"), cities(off, "well madrid")] != [[("city", "berlin")], [("city", "madrid")]]


def test_word_edges_of_chinese_and_of_spaced_scripts():
    assert {0, 2, 5} <= word_edges("天气怎么样", "zh") and 1 not in word_edges("天气怎么样", "zh")
    assert word_edges("回头见", "zh") == {0, 3} and word_edges("我要买动车票", "zh") >= {3, 4}
    assert word_edges("the weather", "en") is None and word_edges("", "zh") == {0}


ZH = """
version: "1"
language: zh
intents:
  greet:
    examples: [你好, 您好, 早上好, 我很好, 我来了]
  inform:
    examples:
      - 我去[天](city)
      - 到[天](city)
      - "[天](city)"
      - "[天](city)好"
      - "[天](city)吧"
      - 去[天](city)吧
entities:
  city: {}
"""


def test_a_chinese_span_that_cuts_a_word_is_no_entity(write_bot, tiny_encoder):
    """The model tags 天 wherever it stands; in 天气 (weather) it is part of a word, not a value."""
    on, _ = train(write_bot, tiny_encoder, "zh-edges", domain=ZH, runtime="torch", epochs=120, converged_tolerance=0)
    off, _ = train(write_bot, tiny_encoder, "zh-no-edges", domain=ZH, runtime="torch", word_boundaries=False,
                   epochs=120, converged_tolerance=0)
    assert cities(off, "天气好") == [("city", "天")]  # what the tagger says
    assert cities(on, "天气好") == []
    assert cities(on, "我去天") == cities(off, "我去天") == [("city", "天")]


ZH_TWO = ZH.replace("我去[天](city)", "我去[天津](city)").replace("到[天](city)", "到[天津](city)").replace(
    '"[天](city)"', '"[天津](city)"').replace('"[天](city)好"', '"[南京](city)好"').replace(
    '"[天](city)吧"', '"[南京](city)吧"').replace("去[天](city)吧", "去[南京](city)吧")


def test_a_chinese_span_shorter_than_every_value_of_its_entity_is_no_entity(write_bot, tiny_encoder, tmp_path):
    """Every city the bot gives has two characters: one character the model tags alone is no city."""
    on, loaded = train(write_bot, tiny_encoder, "zh-short", domain=ZH_TWO, runtime="torch", epochs=120,
                       converged_tolerance=0)
    off, _ = train(write_bot, tiny_encoder, "zh-short-off", domain=ZH_TWO, runtime="torch", word_boundaries=False,
                   epochs=120, converged_tolerance=0)
    assert on.shortest == {"city": 2}
    messages = ["天", "去南", "南吧", "去京吧"]
    assert all(cities(off, m) and all(len(v) == 1 for _, v in cities(off, m)) for m in messages)  # what it tags
    assert [cities(on, m) for m in messages] == [[], [], [], []]
    on.save(tmp_path)
    again = BertNLU.load(tmp_path, on.config, loaded.domain)
    assert again.shortest == {"city": 2} and cities(again, "去京吧") == []
