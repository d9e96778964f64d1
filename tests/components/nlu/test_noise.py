"""Typo'd copies of the training examples (components/nlu/noise.py) and what bert_nlu trains on of them."""

import random

import pytest
from rapidfuzz.distance import OSA

from dialogkit.components.nlu.bert_nlu import BertNLU
from dialogkit.components.nlu.noise import is_slip, noisy_copies, slip, slip_spots
from dialogkit.components.nlu.spelling import Speller
from dialogkit.framework.domain.training_data import EntitySpan, Example
from dialogkit.framework.errors import ConfigError
from dialogkit.framework.runtime.pipeline import resolve_config

EXAMPLES = [
    Example("book a table in paris tonight", "book", (EntitySpan(16, 21, "city", "paris"),)),
    Example("hello there", "greet"),
    Example("ok", "affirm"),  # no word of 4 letters: no copy
    Example("去北京", "inform", (EntitySpan(1, 3, "city", "北京"),)),
]


def test_each_copy_has_one_slip_and_its_entities_keep_the_meant_value():
    copies = noisy_copies(EXAMPLES[:3], "en", 10.0, seed=7)
    assert copies == noisy_copies(EXAMPLES[:3], "en", 10.0, seed=7)  # the same seed, the same copies
    assert {c.intent for c in copies} == {"book", "greet"} and len(copies) <= 20
    for c in copies:
        original = next(e for e in EXAMPLES if e.intent == c.intent)
        assert OSA.distance(c.text, original.text) == 1
        for span in c.entities:  # the span covers what is now typed there, meaning what was meant
            assert c.text[span.start : span.end] == span.text and span.canonical == "paris"
            if span.text != "paris":
                assert OSA.distance(span.text, "paris") == 1 and c.text.replace(span.text, "paris") == original.text
    only_city = noisy_copies([Example("go to paris", "book", (EntitySpan(6, 11, "city", "paris"),))], "en", 5.0, 1)
    assert len(only_city) == 5
    for c in only_city:  # the one word long enough is the city's
        (span,) = c.entities
        assert c.text == "go to " + span.text and span.canonical == "paris" and OSA.distance(span.text, "paris") == 1
    assert len(noisy_copies(EXAMPLES[:3], "en", 0.5, seed=7)) < len(copies)


def test_chinese_copies_slip_a_character_and_move_the_span():
    copies = noisy_copies(EXAMPLES[3:], "zh", 10.0, seed=3)
    assert copies and all(c.intent == "inform" and c.text != "去北京" for c in copies)
    for c in copies:
        (span,) = c.entities
        assert c.text[span.start : span.end] == span.text and span.canonical == "北京"
    assert any(len(c.text) == 2 for c in copies) and any(len(c.text) == 3 and c.text != "去北京" for c in copies)


def test_the_slips_people_make():
    rng = random.Random(0)
    seen = {slip("pepperoni", rng, ("drop", "swap", "double", "key"))[0] for _ in range(300)}
    assert all(OSA.distance(s, "pepperoni") == 1 for s in seen)
    assert "peperoni" in seen and "pepperonni" in seen  # a letter dropped, one doubled
    assert any(sorted(s) == sorted("pepperoni") for s in seen)  # two swapped
    assert any(len(s) == 9 and sorted(s) != sorted("pepperoni") for s in seen)  # a neighbouring key
    keys = {slip("salt", rng, ("key",))[0] for _ in range(200)}  # the keys beside s, a, l and t on their row
    assert keys == {"aalt", "dalt", "sslt", "sakt", "salr", "saly"}


def test_bert_nlu_trains_on_the_copies_its_speller_does_not_restore(write_bot):
    from dialogkit.framework.domain.loader import load_domain

    loaded = load_domain(write_bot({"domain.yml": 'version: "1"\nlanguage: en\nentities:\n  city: {}\n'}, name="aug"))
    c = BertNLU(resolve_config("bert_nlu", {"typo_augmentation": 10.0, "seed": 12}), loaded.domain)
    c._labels(EXAMPLES[:3])
    data = c._encoded(EXAMPLES[:3])
    fitted = Speller.fit([[w for w, _, _ in words] for words in data.words], "en")
    c.speller = fitted
    c._add_typos(EXAMPLES[:3], data)
    # this bot writes every word beside the same neighbours: the speller reads each copy back, even a slip
    # into another word ("a tale in", "hello three"), so none teaches anything
    assert len(data.words) == 3 and fitted.correct_words("hello three".split()) == ["hello", "there"]
    c.speller = Speller.from_json({"counts": fitted.counts}, "en")  # an archive from before the pairs
    c._add_typos(EXAMPLES[:3], data)
    added = [" ".join(w for w, _, _ in words) for words in data.words[3:]]
    assert added, "a slip into another word (the speller keeps a word it knows) is trained on"
    assert not {"book a table in paris tonight", "hello there"} & set(added)  # restored ones are not
    assert len(set(added)) == len(added)
    booked = {
        " ".join(w for w, _, _ in words): [c.tags[t] for t in tags]
        for words, tags, i in zip(data.words[3:], data.tags[3:], data.intents[3:], strict=True)
        if i == c.intents.index("book")
    }
    # "paris" slipped into another word (seed 12): still the city the user meant
    assert booked["book a table in pairs tonight"] == ["O", "O", "O", "O", "B-city", "O"]
    assert booked["book a tale in paris tonight"] == ["O", "O", "O", "O", "B-city", "O"]
    assert c.speller.correct("tonigt") == "tonight"  # what the speller restores never reaches the copies


def test_typo_augmentation_is_checked():
    with pytest.raises(ConfigError, match="typo_augmentation"):
        resolve_config("bert_nlu", {"typo_augmentation": -1})


def test_a_slip_stays_inside_or_outside_a_value():
    """A Chinese run holds the value and its neighbours: it is cut at the value's edges."""
    ex = Example("订票去苏州吧", "inform", (EntitySpan(3, 5, "city", "苏州"),))
    assert slip_spots(ex.text, "zh", ex.entities) == [(0, 3), (3, 5)]  # 吧 alone is too short
    for c in noisy_copies([ex], "zh", 10.0, seed=5):
        (span,) = c.entities
        assert (c.text[: span.start] == "订票去" and c.text[span.end :] == "吧") or span.text == "苏州"


def test_which_edits_are_slips():
    assert is_slip("latop", "laptop") and not is_slip("latop", "atop")  # dropped p, not an added l
    assert is_slip("wnat", "want") and not is_slip("wnat", "what")  # swapped, not h → n
    assert is_slip("pizzza", "pizza") and not is_slip("pizzxa", "pizza")  # doubled, not any added letter
    assert is_slip("pizxa", "pizza") and not is_slip("pizqa", "pizza")  # x is beside z, q is not
    assert not is_slip("pizza", "pizza") and not is_slip("pzzia", "pizza")
