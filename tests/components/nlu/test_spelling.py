"""Typos of the bot's own words, corrected for the NLU model (components/nlu/spelling.py)."""

import pytest

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.spelling import ReadingSpeller, Speller, speller_for
from tests.components.nlu.test_bert_nlu import trained

EXAMPLES = [
    ["i", "want", "to", "order", "a", "pizza"],
    ["hello", "there"],
    ["book", "a", "table", "for", "three"],
    ["thanks"],
    ["order", "now"],
]


def same_ranking(a, b):
    """The same intents in the same order, their confidences equal but for float rounding (two rows of a batch)."""
    names = [r["name"] for r in a["intent_ranking"]] == [r["name"] for r in b["intent_ranking"]]
    return names and [r["confidence"] for r in a["intent_ranking"]] == pytest.approx(
        [r["confidence"] for r in b["intent_ranking"]], abs=1e-6
    )


def test_unknown_words_become_the_bots_closest_word_and_known_ones_stay():
    speller = Speller.fit(EXAMPLES, "en")
    fixed = [speller.correct(w) for w in "i wnat to ordr a piza helo tabel".split()]
    assert fixed == ["i", "want", "to", "order", "a", "pizza", "hello", "table"]
    assert speller.correct("thre") == "thre"  # "there" and "three": as close and as frequent, no guess
    assert speller.correct("forth") == "forth"  # an English word, not a typo of "for"
    assert speller.correct("Ordr") == "order" and speller.correct("12b") == "12b" and speller.correct("zq") == "zq"


def test_the_words_builtin_entities_reads_are_words_of_the_language():
    # not in the encoder's vocabulary, but the grammar's: never read as a slip of another word
    speller = Speller.fit([["under", "50", "dollars"], ["on", "thursday"], ["a", "squid", "dish"]], "en")
    assert speller.correct_words("under 50 quid".split()) == ["under", "50", "quid"]  # it was "squid"
    assert [speller.correct(w) for w in ("thurs", "mths", "fortnight", "lakh", "ringgit")] == [
        "thurs", "mths", "fortnight", "lakh", "ringgit"]
    assert speller.correct("thursdy") == "thursday"  # a typo of one is still read


def test_a_word_the_bot_never_uses_becomes_another_english_word_only_where_it_is_a_slip_of_it():
    speller = Speller.fit(EXAMPLES, "en")
    # words the English list lacks were read as their nearest word: wife, hall, papal, starting, backed
    for word in ("wifi", "halal", "paypal", "restarting", "backend"):
        assert speller.correct(word) == word
    assert speller.correct("weathr") == "weather"  # a letter dropped: a slip of an English word
    assert speller.correct("recieve") == "receive"  # two neighbours swapped


def test_chat_shorthand_is_read_as_what_it_stands_for_unless_the_bot_writes_it():
    speller = Speller.fit([*EXAMPLES, ["thx", "a", "lot"]], "en")
    read = speller.correct_words("pls book a table for my bday smth cheap lol".split())
    # it was "plus", "day", "smith" and "lola": the nearest words of the language
    assert read == ["please", "book", "a", "table", "for", "my", "birthday", "something", "cheap", "lol"]
    assert speller.correct_words("idk u tell me".split()) == ["i don't know", "you", "tell", "me"]
    assert speller.correct("THX") == "THX"  # the bot writes "thx": its model learnt it as typed
    assert speller.correct("cya") == "see you" and speller.correct("Lemme") == "let me"
    assert speller.correct_words(["good", "nite"]) == ["good", "night"]  # it was "nice" (carbon-bot's users)
    assert speller.correct_words(["about", "10", "k"]) == ["about", "10", "k"]  # two readings: as typed
    assert Speller.fit(EXAMPLES, "de").correct("pls") == "pls"  # English shorthand, read for English bots only


def test_the_model_reads_corrected_words_with_the_users_offsets(write_bot, tiny_encoder, tmp_path):
    c, loaded = trained(write_bot, tiny_encoder, epochs=30, runtime="torch")
    assert c.speller is not None and c.speller.correct("bokk") == "book"
    typed, clean = c.parse_batch(["bokk a table for 4 in paris", "book a table for 4 in paris"])
    assert same_ranking(typed, clean)  # the model saw the same words
    assert [(e["start"], e["end"]) for e in typed["entities"]] == [(e["start"], e["end"]) for e in clean["entities"]]
    # what was read otherwise is said, on the words typed (builtin_entities reads numbers and dates there)
    assert typed["corrections"] == [{"start": 0, "end": 4, "read": "book"}] and clean["corrections"] == []
    # a slip into another English word, read where the bot writes its word: "a tale" as "a table"
    (other,) = c.parse_batch(["book a tale for 4 in paris"])
    assert other["corrections"] == [{"start": 7, "end": 11, "read": "table"}] and same_ranking(other, clean)
    (short,) = c.parse_batch(["pls book a table for 4 in paris"])  # shorthand: read in full, on the words typed
    assert short["corrections"] == [{"start": 0, "end": 3, "read": "please"}]
    clean_spans = [(e["start"], e["value"]) for e in clean["entities"]]
    assert [(e["start"] - 4, e["value"]) for e in short["entities"]] == clean_spans
    c.save(tmp_path)
    again = BertNLU.load(tmp_path, c.config, loaded.domain).speller
    assert again.correct("bokk") == "book" and again.correct_words(["a", "tale"]) == ["a", "table"]  # pairs kept
    zh, _ = trained(write_bot, tiny_encoder, lang="zh", epochs=1, runtime="torch")
    assert isinstance(zh.speller, ReadingSpeller)  # `spelling: auto`: Chinese is read by its readings
    assert speller_for([["タクシー"]], "ja") is None  # other scripts written without spaces are left alone
    off, _ = trained(write_bot, tiny_encoder, epochs=1, runtime="torch", spelling=False)
    assert off.speller is None


def test_characters_the_bot_never_uses_are_read_as_one_read_the_same_that_the_bot_writes_there():
    speller = ReadingSpeller.fit([list(t) for t in ("不是", "不对", "多谢", "你是谁", "再见", "订票去天津")])

    def read(text):
        return "".join(speller.correct_words(list(text)))

    # a pinyin input method's slips: 布 and 簿 are read bu as 不 is, 械 xie as 谢, 甜 tian as 天
    assert [read(t) for t in ("布是", "簿对", "多械", "去甜津")] == ["不是", "不对", "多谢", "去天津"]
    assert read("是") == "是" and read("ok") == "ok" and read("2张") == "2张"
    assert read("猫") == "猫"  # read mao: no character of the bot is
    assert read("去拉萨") == "去拉萨"  # a city the bot has not seen: no pair of the bot's is made
    assert read("布") == "布"  # alone: nothing beside it to say which character was meant
    assert speller.correct("布是") == "不是"  # a word of several characters is its own context


def test_two_characters_swapped_or_one_typed_twice_are_read_as_the_bot_writes_them():
    speller = ReadingSpeller.fit([list(t) for t in (
        "取消订票", "不要了，取消", "您好", "你好，我想问点事", "太感谢了", "订票去苏州", "哈喽", "谢谢", "会议室",
    )])

    def read(text):
        return "".join(speller.correct_words(list(text)))

    # swapped: the bot never writes the pair as typed, writes it the other way round, and more pairs are its own
    assert [read(t) for t in ("消取订票", "不要了，消取", "好您", "你好，我问想点事", "订去票苏州")] == [
        "取消订票", "不要了，取消", "您好", "你好，我想问点事", "订票去苏州"]
    # typed twice where the bot never doubles it: read once, one entry per character typed (the offsets hold)
    assert speller.correct_words(list("太感谢了了")) == ["太", "感", "谢", "了", ""]
    assert read("哈哈喽") == "哈喽"
    assert read("谢谢谢") == "谢谢谢"  # the bot writes 谢谢: nothing to undo
    assert read("议会") == "议会"  # a word of the dictionary, as typed (会议 is the bot's)
    assert read("我想看看") == "我想看看"  # 看看 beside nothing the bot writes: as typed
    assert read("取消") == "取消" and read("消") == "消"


ZH_TICKETS = """
version: "1"
language: zh
intents:
  book:
    examples: [我要订票, "订票去[北京](city)", "帮我订去[天津](city)的票", 我想买票]
  refund:
    examples: [票能退吗, 怎么退票, 我要退票, 可以退吗]
entities:
  city: {}
"""


def test_a_chinese_bot_reads_a_homophone_slip_as_its_own_characters_with_the_users_offsets(
    write_bot, tiny_encoder, tmp_path
):
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples
    from dialogkit.framework.runtime.pipeline import TrainingContext, resolve_config

    loaded = load_domain(write_bot({"domain.yml": ZH_TICKETS}, name="zh-tickets"))
    config = resolve_config("bert_nlu", {"encoder": str(tiny_encoder), "epochs": 2, "runtime": "torch"})
    c = BertNLU(config, loaded.domain)
    c.train(TrainingContext(loaded, collect_examples(loaded)))
    # 推 for 退 (tui), 惊 for 京 (jing): the model reads the bot's characters, the user keeps theirs
    typed, clean = c.parse_batch(["我要推票去北惊", "我要退票去北京"])
    assert same_ranking(typed, clean)
    assert [(e["start"], e["end"]) for e in typed["entities"]] == [(e["start"], e["end"]) for e in clean["entities"]]
    assert all(e["value"] in "我要推票去北惊" for e in typed["entities"])
    # two characters swapped, one typed twice: read as the bot writes them, the model sees the same pieces
    typed, clean = c.parse_batch(["怎么票退", "怎么退票"])
    assert same_ranking(typed, clean) and typed["corrections"] == [
        {"start": 2, "end": 3, "read": "退"}, {"start": 3, "end": 4, "read": "票"}]
    typed, clean = c.parse_batch(["订票去北京京", "订票去北京"])
    assert same_ranking(typed, clean) and typed["corrections"] == [{"start": 5, "end": 6, "read": ""}]
    assert [(e["start"], e["end"]) for e in typed["entities"]] == [(e["start"], e["end"]) for e in clean["entities"]]
    c.save(tmp_path)
    again = BertNLU.load(tmp_path, c.config, loaded.domain)
    assert isinstance(again.speller, ReadingSpeller) and again.speller.correct("推票") == "退票"


def test_a_slip_people_make_beats_another_edit_as_close():
    """One edit from both, the typed word is a slip of one (a letter dropped, doubled, swapped or a
    neighbouring key) and not of the other: the slip wins, even over a more frequent word."""
    speller = Speller.fit([["cheers"], ["beers"], ["beers", "please"], ["more", "beers"]], "en")
    assert speller.correct("ceers") == "cheers"  # h dropped; b → c is no neighbouring key
    assert speller.correct("latop") == "laptop"  # English words: p dropped, not "atop" with an l added
    assert speller.correct("beeers") == "beers" and speller.correct("vheers") == "cheers"  # doubled; v beside c


def test_a_slip_that_makes_another_word_is_read_where_the_bot_writes_its_word_there():
    """'were' is an English word, but beside 'is' where the bot writes 'where is' it was 'where'; the
    same word elsewhere, or a word the bot uses itself, stays; neighbours also say which of two
    words as close was meant."""
    speller = Speller.fit([
        ["where", "is", "the", "restaurant"], ["reserve", "a", "table", "please"], ["book", "a", "table"],
        ["hello"], ["hello", "there"], ["hello", "bot"], ["can", "you", "help", "with", "a", "booking"],
        ["we", "are", "four"],
    ], "en")

    def read(text):
        return " ".join(speller.correct_words(text.split()))

    assert read("were is the restaurant") == "where is the restaurant"
    assert read("reserve a tale please") == "reserve a table please"
    assert read("we were there") == "we were there" and read("a tale") == "a table"
    assert read("an old tale") == "an old tale"  # the bot writes neither "old table" nor "table" at the end
    assert read("we are four") == "we are four"  # the bot's own words are never read as others
    # 'hellp': a slip of hello (p beside o) and of help (l doubled); hello is the more frequent,
    # but the bot writes 'help with'
    assert read("can you hellp with this") == "can you help with this" and read("hellp") == "hello"
    restored = Speller.from_json(speller.to_json(), "en")
    assert restored.correct_words(["a", "tale"]) == ["a", "table"]
    older = Speller.from_json({"counts": speller.counts}, "en")  # an archive from before the pairs
    assert older.correct_words(["a", "tale"]) == ["a", "tale"]


def test_a_neighbour_the_bot_writes_many_words_beside_is_no_evidence_of_a_slip():
    """After "a" this bot writes "lost" once among many words: "thanks a lot" stays; where the bot mostly
    writes "table" after "a", "a tale" is a table."""
    banking = Speller.fit([
        ["report", "a", "lost", "card"], ["make", "a", "transfer"], ["a", "payment"], ["open", "a", "account"],
        ["a", "loan"], ["thanks", "a", "lot"][:2],
    ], "en")
    assert banking.correct_words(["thanks", "a", "lot"]) == ["thanks", "a", "lot"]
    restaurant = Speller.fit([["book", "a", "table"], ["a", "table", "for", "two"], ["a", "taxi"]], "en")
    assert restaurant.correct_words(["a", "tale"]) == ["a", "table"]


def test_a_rarer_word_of_the_language_is_read_as_a_slip_only_of_a_far_more_common_word():
    """Words the encoder's list lacks but the dictionary has are words, unless a word they are a slip of
    is MORE_COMMON times as common (in English or in the bot's examples): the noisy channel's odds."""
    speller = Speller.fit([
        ["is", "the", "newsletter", "free"], ["what", "languages", "can", "you", "speak"],
        ["where", "do", "i", "begin"], ["is", "it", "late"], ["i", "am", "booking", "a", "table"], ["thanks"],
    ], "en")

    def read(text):
        return " ".join(speller.correct_words(text.split()))

    # real words once read as their nearest common word: span, began, important, touch, icao
    assert read("is the newsletter just spam") == "is the newsletter just spam"
    assert read("are you vegan") == "are you vegan"
    assert read("i am stuck importing data") == "i am stuck importing data"
    assert read("you are so touchy") == "you are so touchy" and read("ciao") == "ciao"
    # slips that make rare words: life and how are thousands of times as common as lief and hoe
    assert read("for the rest of my lief") == "for the rest of my life" and read("hoe are you") == "how are you"
    # a slip of the bot's own word: booking is far more common in its examples than booing in English
    assert read("booing a table") == "booking a table"
    # a word no dictionary has is read as before: the nearest word it is a slip of
    assert read("weathr") == "weather"
