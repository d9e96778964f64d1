"""Typos of the bot's own words, corrected for the NLU model (components/nlu/spelling.py)."""

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.spelling import Speller
from tests.components.nlu.test_bert_nlu import trained

EXAMPLES = [
    ["i", "want", "to", "order", "a", "pizza"],
    ["hello", "there"],
    ["book", "a", "table", "for", "three"],
    ["thanks"],
    ["order", "now"],
]


def test_unknown_words_become_the_bots_closest_word_and_known_ones_stay():
    speller = Speller.fit(EXAMPLES, "en")
    fixed = [speller.correct(w) for w in "i wnat to ordr a piza helo tabel".split()]
    assert fixed == ["i", "want", "to", "order", "a", "pizza", "hello", "table"]
    assert speller.correct("thre") == "thre"  # "there" and "three": as close and as frequent, no guess
    assert speller.correct("forth") == "forth"  # an English word, not a typo of "for"
    assert speller.correct("Ordr") == "order" and speller.correct("12b") == "12b" and speller.correct("zq") == "zq"


def test_chinese_is_left_alone_and_the_model_reads_corrected_words_with_the_users_offsets(
    write_bot, tiny_encoder, tmp_path
):
    c, loaded = trained(write_bot, tiny_encoder, epochs=30, runtime="torch")
    assert c.speller is not None and c.speller.correct("bokk") == "book"
    typed, clean = c.parse_batch(["bokk a table for 4 in paris", "book a table for 4 in paris"])
    assert typed["intent_ranking"] == clean["intent_ranking"]  # the model saw the same words
    assert [(e["start"], e["end"]) for e in typed["entities"]] == [(e["start"], e["end"]) for e in clean["entities"]]
    c.save(tmp_path)
    assert BertNLU.load(tmp_path, c.config, loaded.domain).speller.correct("bokk") == "book"
    zh, _ = trained(write_bot, tiny_encoder, lang="zh", epochs=1, runtime="torch")
    assert zh.speller is None  # `spelling: auto` is off where words are not spaced
    off, _ = trained(write_bot, tiny_encoder, epochs=1, runtime="torch", spelling=False)
    assert off.speller is None
