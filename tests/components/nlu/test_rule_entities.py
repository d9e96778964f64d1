from pathlib import Path

from dialogkit.components.nlu.rule_entities import RuleEntityExtractor
from dialogkit.framework.components import TrainingContext, Turn, resolve_config
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.training_data import collect_examples


def trained(bot):
    loaded = load_domain(bot)
    c = RuleEntityExtractor(resolve_config("rule_entity_extractor", {}), loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    return c


def run(c, text):
    turn = Turn(text)
    c.process(turn)
    return [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in turn.entities]


BOT = """
version: "1"
intents:
  go:
    examples:
      - fly to [New York](city)
      - 'a table for [two]{"entity": "n", "value": "2"}'
entities:
  city:
    lookup: [Paris, São Paulo, 北京]
    synonyms:
      new york: [NYC, big apple]
  n:
    regex: ['\\b\\d+\\b']
"""


def test_lookup_synonyms_regex_and_learned_values(write_bot, tmp_path):
    c = trained(write_bot({"domain.yml": BOT}))
    assert run(c, "from nyc to São Paulo with 3 friends") == [("city", "new york", "nyc"), ("city", "São Paulo", "São Paulo"), ("n", "3", "3")]
    assert run(c, "a table for two") == [("n", "2", "two")]
    assert run(c, "Parisian food") == []  # whole words only


def test_longest_match_wins(write_bot):
    c = trained(write_bot({"domain.yml": BOT}))
    assert run(c, "the big apple") == [("city", "new york", "big apple")]


def test_save_load_round_trip(write_bot, tmp_path: Path):
    c = trained(write_bot({"domain.yml": BOT}))
    c.save(tmp_path)
    again = RuleEntityExtractor.load(tmp_path, c.config, c.domain)
    for text in ["from nyc to Paris", "a table for two", "去北京 7"]:
        assert run(again, text) == run(c, text)


def test_chinese_lookup_uses_the_language_tokenizer(write_bot):
    c = trained(write_bot({"domain.yml": BOT.replace('version: "1"', 'version: "1"\nlanguage: zh')}))
    assert run(c, "我想去北京吃饭") == [("city", "北京", "北京")]
    assert run(c, "7个人去北京") == [("city", "北京", "北京")]
