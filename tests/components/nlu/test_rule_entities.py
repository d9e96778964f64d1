from pathlib import Path

import pytest

from dialogkit.components.nlu.rule_entities import RuleEntityExtractor
from dialogkit.framework.domain.loader import load_domain
from dialogkit.framework.domain.training_data import collect_examples
from dialogkit.framework.runtime.pipeline import TrainingContext, Turn, resolve_config


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
    assert run(c, "from nyc to São Paulo with 3 friends") == [
        ("city", "new york", "nyc"),
        ("city", "São Paulo", "São Paulo"),
        ("n", "3", "3"),
    ]
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


PIZZA = """
version: "1"
intents:
  order:
    examples:
      - a [large](size) [pepperoni](pizza) please
      - one [margherita](pizza) to the mall
entities:
  pizza:
    lookup: [pepperoni, margherita, hawaiian, four cheese]
  size:
    lookup: [small, medium, large]
  street:
    lookup: [baker street]
    fuzzy: false
"""


def typos(c, text):
    turn = Turn(text)
    c.process(turn)
    return [
        (e["entity"], e["value"], text[e["start"] : e["end"]], e["extractor"], round(e["confidence"] * 100))
        for e in turn.entities
    ]


def test_typos_of_declared_values_match_with_their_score(write_bot):
    c = trained(write_bot({"domain.yml": PIZZA}))
    assert typos(c, "a larg peperoni") == [
        ("size", "large", "larg", "fuzzy", 80),
        ("pizza", "pepperoni", "peperoni", "fuzzy", 89),
    ]
    # two letters swapped: one edit
    assert typos(c, "margehrita") == [("pizza", "margherita", "margehrita", "fuzzy", 90)]
    # phrases of several words
    assert typos(c, "four chese please") == [("pizza", "four cheese", "four chese", "fuzzy", 91)]
    assert typos(c, "a large pepperoni")[0][3] == "lookup"  # exact matches stay exact


def test_by_default_a_word_of_four_or_more_letters_is_one_edit_away(write_bot):
    bot = PIZZA.replace("lookup: [small, medium, large]", "lookup: [small, medium, large, thai, east]")
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "thia please") == [("size", "thai", "thia", "fuzzy", 75)]  # one swap in four letters
    assert typos(c, "esat side") == [("size", "east", "esat", "fuzzy", 75)]
    assert typos(c, "tahi esst") == [("size", "thai", "tahi", "fuzzy", 75), ("size", "east", "esst", "fuzzy", 75)]
    assert typos(c, "peproni") == [("pizza", "pepperoni", "peproni", "fuzzy", 78)]  # two edits in nine letters
    assert typos(c, "tai") == []  # three letters: under fuzzy_min_length
    strict = RuleEntityExtractor(resolve_config("rule_entity_extractor", {"fuzzy_threshold": 80}), c.domain)
    strict.train(TrainingContext(load_domain(write_bot({"domain.yml": bot}, name="strict80")), []))
    assert typos(strict, "thia please") == []  # 75 is under an explicit 80


def test_a_typo_of_a_longer_phrase_wins_over_the_exact_value_inside_it(write_bot):
    bot = PIZZA.replace("lookup: [pepperoni, margherita, hawaiian, four cheese]",
                        "lookup: [pepperoni, margherita, hawaiian, four cheese, cheese]")
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "fuor cheese please") == [("pizza", "four cheese", "fuor cheese", "fuzzy", 91)]
    assert typos(c, "extra cheese please") == [("pizza", "cheese", "cheese", "lookup", 100)]  # no phrase near


def test_known_words_short_words_and_switched_off_entities_are_never_typos(write_bot):
    c = trained(write_bot({"domain.yml": PIZZA}))
    assert typos(c, "the mall") == []  # "mall" is a word of the bot's examples (and English), not "small"
    assert typos(c, "go forth") == []  # an English word of the encoder's vocabulary
    assert typos(c, "smal") == [("size", "small", "smal", "fuzzy", 80)]
    assert typos(c, "lrg") == []  # under fuzzy_min_length letters
    assert typos(c, "bakr street") == []  # the entity says `fuzzy: false`
    assert typos(c, "medim 12") == [("size", "medium", "medim", "fuzzy", 83)]


AREAS = """
version: "1"
intents:
  book:
    examples:
      - a table in the [north](area)
      - the [east](area) side please
      - somewhere [west](area) of the river
      - a [thai](food) place
entities:
  area:
    lookup: [north, south, east, west]
  food:
    lookup: [thai, greek]
"""


def test_a_short_or_known_word_is_a_typo_where_the_examples_put_the_entity(write_bot):
    c = trained(write_bot({"domain.yml": AREAS}))
    # between the neighbours of an area value in the examples, one slip from one area value
    assert typos(c, "book in the wes") == [("area", "west", "wes", "fuzzy", 75)]  # 3 letters
    assert typos(c, "a table in the eats") == [("area", "east", "eats", "fuzzy", 75)]  # an English word
    assert typos(c, "the wets side") == [("area", "west", "wets", "fuzzy", 75)]
    assert typos(c, "a tha place") == [("food", "thai", "tha", "fuzzy", 75)]
    # elsewhere the ordinary rules hold: a known word or 3 letters is no typo
    assert typos(c, "the wet weather") == [] and typos(c, "wes") == [] and typos(c, "a tha") == []
    # the neighbours of another entity's values do not count
    assert typos(c, "the tha side") == []
    # one slip from two values ("est": east or west), or no slip (b is no neighbouring key of w): no guess
    assert typos(c, "the est side") == [] and typos(c, "in the best") == []
    # two letters off is no slip
    assert typos(c, "in the wt") == [] and typos(c, "in the wast") == [("area", "east", "wast", "fuzzy", 75)]


def test_the_context_rule_survives_save_and_load(write_bot, tmp_path: Path):
    c = trained(write_bot({"domain.yml": AREAS}))
    c.save(tmp_path)
    again = RuleEntityExtractor.load(tmp_path, c.config, c.domain)
    assert typos(again, "book in the wes") == [("area", "west", "wes", "fuzzy", 75)]


def test_ambiguous_typos_are_not_guessed_and_thresholds_apply(write_bot):
    bot = PIZZA.replace("lookup: [small, medium, large]", "lookup: [small, medium, large, lorge]")
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "lerge") == []  # as close to "large" as to "lorge": two values, no guess
    strict = trained(
        write_bot({"domain.yml": PIZZA.replace("size:\n    lookup", "size:\n    fuzzy: 90\n    lookup")}, name="strict")
    )
    assert typos(strict, "larg") == []  # 80 is under this entity's 90
    off = RuleEntityExtractor(resolve_config("rule_entity_extractor", {"fuzzy": False}), strict.domain)
    off.train(TrainingContext(load_domain(write_bot({"domain.yml": PIZZA}, name="off")), []))
    assert typos(off, "a larg peperoni") == []


def test_fuzzy_matches_survive_save_and_load(write_bot, tmp_path: Path):
    c = trained(write_bot({"domain.yml": PIZZA}))
    c.save(tmp_path)
    again = RuleEntityExtractor.load(tmp_path, c.config, c.domain)
    assert typos(again, "a larg peperoni, the mall") == typos(c, "a larg peperoni, the mall")


def test_chinese_homophone_typos_match_and_real_words_do_not(write_bot):
    bot = PIZZA.replace('version: "1"', 'version: "1"\nlanguage: zh').replace(
        "lookup: [pepperoni, margherita, hawaiian, four cheese]", "lookup: [北京, 杭州, 二等座]"
    )
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "去杭洲") == [
        ("pizza", "杭州", "杭洲", "fuzzy", 90)
    ]  # the input method's 洲 for 州: the same sound
    assert typos(c, "要二等坐") == [("pizza", "二等座", "二等坐", "fuzzy", 90)]
    assert typos(c, "换个背景") == []  # sounds like 北京 but is a word of its own
    assert typos(c, "北京") == [("pizza", "北京", "北京", "lookup", 100)]


def test_chinese_homophones_of_values_with_polyphones_match_as_the_value_is_read(write_bot):
    """重 is read chong and zhong, 长 chang and zhang, 都 du and dou: a value is read as in its phrase
    (重庆 chong qing, 长沙 chang sha, 成都 cheng du), a typed character with any of its readings."""
    bot = PIZZA.replace('version: "1"', 'version: "1"\nlanguage: zh').replace(
        "lookup: [pepperoni, margherita, hawaiian, four cheese]", "lookup: [重庆, 长沙, 成都]"
    )
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "去重蜻") == [("pizza", "重庆", "重蜻", "fuzzy", 90)]  # 重 as typed, read chong here
    assert typos(c, "去长啥") == [("pizza", "长沙", "长啥", "fuzzy", 90)]
    assert typos(c, "去澄都") == [("pizza", "成都", "澄都", "fuzzy", 90)]  # 澄: cheng (and deng)
    assert typos(c, "去众庆") == []  # zhong qing is not how 重庆 is read


def test_a_chinese_typo_of_a_longer_phrase_wins_over_the_shorter_one_inside_it(write_bot):
    """嗒后天 (da hou tian) is 大后天 typed with a homophone; 后天, another date, is in it as typed."""
    bot = PIZZA.replace('version: "1"', 'version: "1"\nlanguage: zh').replace(
        "lookup: [pepperoni, margherita, hawaiian, four cheese]", "lookup: [后天, 大后天, 杭州]"
    )
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "买嗒后天的票") == [("pizza", "大后天", "嗒后天", "fuzzy", 90)]
    assert typos(c, "去杭杭州") == [("pizza", "杭州", "杭杭州", "fuzzy", 85)]  # the doubled 杭 is the city's
    assert typos(c, "买他后天的票") == [("pizza", "后天", "后天", "lookup", 100)]  # ta hou tian is no da hou tian
    assert typos(c, "大后天") == [("pizza", "大后天", "大后天", "lookup", 100)]


def test_chinese_slips_of_the_fingers_match_and_real_words_do_not(write_bot):
    bot = PIZZA.replace('version: "1"', 'version: "1"\nlanguage: zh').replace(
        "lookup: [pepperoni, margherita, hawaiian, four cheese]", "lookup: [上海, 杭州, 石家庄, 二等座]"
    )
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "去州杭") == [("pizza", "杭州", "州杭", "fuzzy", 85)]  # two characters swapped
    assert typos(c, "去石家家庄") == [("pizza", "石家庄", "石家家庄", "fuzzy", 85)]  # one doubled
    # doubled at an end: the phrase is there as it is, and the typo'd span holds it
    assert typos(c, "去石石家庄") == [("pizza", "石家庄", "石石家庄", "fuzzy", 85)]
    assert typos(c, "去石庄") == [("pizza", "石家庄", "石庄", "fuzzy", 85)]  # one dropped, of three
    assert typos(c, "要等二座") == [("pizza", "二等座", "等二座", "fuzzy", 85)]
    assert typos(c, "在海上") == []  # 上海 swapped, but a word of its own ("at sea")
    assert typos(c, "去杭") == []  # one of two characters left: no guess


CITIES = """
version: "1"
language: zh
intents:
  book:
    examples:
      - 目的地是[深圳](city)
      - 帮我订去[杭州](city)的票
      - 我要去[北京](city)
      - "[杭州](city)"
      - "[明天](date)走"
entities:
  city:
    lookup: [深圳, 杭州, 北京, 南京, 广州]
  date:
    lookup: [今天, 明天, 后天]
"""


def test_a_chinese_character_alone_is_one_of_a_values_two_where_the_examples_put_the_entity(write_bot):
    c = trained(write_bot({"domain.yml": CITIES}))
    # between the neighbours of a city in the examples, one of the two characters of exactly one city
    assert typos(c, "目的地是圳") == [("city", "深圳", "圳", "fuzzy", 50)]
    assert typos(c, "帮我订去杭的票") == [("city", "杭州", "杭", "fuzzy", 50)]
    assert typos(c, "我要去深") == [("city", "深圳", "深", "fuzzy", 50)]
    # 京 is in 北京 and 南京, 州 in 杭州 and 广州: no guess
    assert typos(c, "我要去京") == [] and typos(c, "帮我订去州的票") == []
    # elsewhere a character alone is no city; the date's neighbours are not the city's
    assert typos(c, "我去深圳") == [("city", "深圳", "深圳", "lookup", 100)]
    assert typos(c, "圳") == []  # alone, though an example is a city alone: a reply offered, not guessed
    assert typos(c, "杭走") == []
    assert typos(c, "天走") == []  # 今天, 明天 or 后天


def test_a_fuzzy_threshold_out_of_range_is_a_located_error(write_bot):
    from dialogkit.framework.errors import DialogkitError

    bot = write_bot({"domain.yml": PIZZA.replace("    fuzzy: false", "    fuzzy: 120")}, name="bad")
    with pytest.raises(DialogkitError) as err:
        load_domain(bot)
    text = str(err.value)
    assert (
        "domain.yml:14" in text
        and "fuzzy threshold 120 is not between 50 and 100" in text
        and "80 is the default" in text
    )


TIMES = """
version: "1"
intents:
  book:
    examples:
      - a table for [tonight](time)
      - at [noon](time) please
      - around [midnight](time)
      - book it for [7pm](time)
entities:
  time:
    regex: ['\\b\\d{1,2}\\s?(?:am|pm)\\b', '\\b(?:noon|midnight|tonight)\\b']
"""


def regex_found(c, text):
    turn = Turn(text)
    c.process(turn)
    return [(e["entity"], e["value"], text[e["start"]:e["end"]], e.get("additional_info")) for e in turn.entities]


def test_regexes_match_the_message_as_the_speller_reads_it(write_bot, tmp_path: Path):
    c = trained(write_bot({"domain.yml": TIMES}))
    # a slip in a word of the bot's examples: the regex matches it as read, on the words typed
    assert regex_found(c, "a table for tonigh") == [("time", "tonight", "tonigh", {"read_as": "tonight"})]
    assert regex_found(c, "at nooon") == [("time", "noon", "nooon", {"read_as": "noon"})]
    assert regex_found(c, "around midnihgt please") == [("time", "midnight", "midnihgt", {"read_as": "midnight"})]
    # as typed, nothing is read: the match is the plain regex's
    assert regex_found(c, "at noon or 7pm") == [("time", "noon", "noon", None), ("time", "7pm", "7pm", None)]
    # a word of the language stays itself ("moon" is no typo of noon), and so does a far one
    assert regex_found(c, "under the moon") == []
    assert regex_found(c, "at nnooonn") == []
    c.save(tmp_path)
    again = RuleEntityExtractor.load(tmp_path, c.config, c.domain)
    assert regex_found(again, "a table for tonigh") == regex_found(c, "a table for tonigh")


def test_chinese_regexes_read_a_homophone_slip_as_the_bot_writes_it(write_bot):
    bot = """
version: "1"
language: zh
intents:
  book:
    examples:
      - 订[明天](day)的票
      - 我想[今天](day)走
entities:
  day:
    regex: ['(?:今天|明天|后天)']
"""
    c = trained(write_bot({"domain.yml": bot}))
    # 名 (ming) is never written by the bot; 明, read the same, is, beside 天
    assert regex_found(c, "订名天的票") == [("day", "明天", "名天", {"read_as": "明天"})]
    assert regex_found(c, "订明天的票") == [("day", "明天", "明天", None)]


def test_reading_regexes_through_the_speller_can_be_switched_off(write_bot):
    loaded = load_domain(write_bot({"domain.yml": TIMES}))
    off = RuleEntityExtractor(resolve_config("rule_entity_extractor", {"spelling": False}), loaded.domain)
    off.train(TrainingContext(loaded, collect_examples(loaded)))
    assert regex_found(off, "a table for tonigh") == []
    assert regex_found(off, "a table for tonight") == [("time", "tonight", "tonight", None)]


def test_a_model_span_one_slip_from_one_value_of_its_entity_gets_that_value():
    from dialogkit.components.nlu.rule_entities import merge_entities, near_value
    from dialogkit.framework.runtime.turn import entity

    cuisines = ["italian", "thai", "indian", "chinese", "Vietnamese"]
    assert near_value("italia", cuisines) == "italian"  # the model said cuisine; the value is the one near
    assert near_value("tha", cuisines) == "thai"  # three letters, as the model vouches for the span
    assert near_value("vietnamse", cuisines) == "Vietnamese"  # as declared
    assert near_value("indain", cuisines) == "indian"
    assert near_value("italian", cuisines) is None  # a value itself
    assert near_value("korean", cuisines) is None and near_value("it", cuisines) is None
    assert near_value("安西", ["西安", "北京"]) == "西安" and near_value("南京", ["西安", "北京"]) is None  # a swap
    assert near_value("lorge", ["large", "lurge"]) is None  # near two: no guess
    model = [entity("cuisine", "italia", "bert_nlu", 6, 12, 0.9)]
    (merged,) = merge_entities([], model, {}, {"cuisine": cuisines})
    assert (merged["value"], merged["additional_info"]) == ("italian", {"typed": "italia"})
    (kept,) = merge_entities([], model, {})  # without the declared values: as typed
    assert kept["value"] == "italia"


def test_a_digit_phrase_is_no_part_of_a_longer_number(write_bot):
    bot = PIZZA.replace("lookup: [small, medium, large]", "lookup: [small, medium, large, '1', '2', '3']")
    c = trained(write_bot({"domain.yml": bot}))
    assert typos(c, "G123 please") == []
    assert typos(c, "size 2 please") == [("size", "2", "2", "lookup", 100)]
    # Chinese is split digit by digit: "1", "2", "3" each matched inside the train's number before
    cz = trained(write_bot({"domain.yml": bot.replace('version: "1"', 'version: "1"\nlanguage: zh')}, name="zh"))
    assert typos(cz, "G123次") == []
    assert typos(cz, "要2张") == [("size", "2", "2", "lookup", 100)]
