"""bench-duckling reads Duckling's Haskell corpus files as data and judges builtin_entities against them: a
corpus in that format (written here) is read into the right cases, and the judge counts what it should."""

from pathlib import Path

from bench.bench_duckling import judge
from bench.duckling_corpus import REFERENCE, read_corpus
from dialogkit.components.nlu.builtin_entities import extract

TIME = '''
module Duckling.Time.EN.Corpus (corpus, negativeCorpus) where

corpus :: Corpus
corpus = (testContext, testOptions, allExamples)

negativeCorpus :: NegativeCorpus
negativeCorpus = (testContext, testOptions, examples)
  where
    examples =
      [ "laughing out loud"
      , "around 20 people"
      ]

latentCorpus :: Corpus
latentCorpus = (testContext, testOptions {withLatent = True}, xs)
  where
    xs = examples (datetime (2013, 2, 12, 0, 0, 0) Day) [ "the twelfth" ]

allExamples :: [Example]
allExamples = concat
  [ examples (datetime (2013, 2, 13, 0, 0, 0) Day)
             [ "tomorrow"
             , "the day after today"
             ]
  , examples (datetimeInterval ((2013, 2, 12, 18, 0, 0), (2013, 2, 13, 0, 0, 0)) Hour)
             [ "this evening"
             ]
  , examples (datetimeInterval ((2013, 6, 21, 0, 0, 0), (2013, 9, 24, 0, 0, 0)) Day)
             [ "this summer"
             ]
  , examples (datetimeHoliday (2013, 12, 25, 0, 0, 0) Day "Christmas")
             [ "xmas"
             ]
  , examples (datetime (-50, 1, 1, 0, 0, 0) Year)
             [ "50 BC"
             ]
  ]
'''
NUMERAL = '''
allExamples :: [Example]
allExamples = concat
  [ examples (NumeralValue (-5))
             [ "minus five"
             ]
  , examples (NumeralValue 3e6)
             [ "3 million"
             , "three \\"million\\""
             ]
  ]
'''


def _snapshot(tmp_path: Path) -> Path:
    for folder, text in (("Time", TIME), ("Numeral", NUMERAL)):
        path = tmp_path / "Duckling" / folder / "EN" / "Corpus.hs"
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_corpus_is_read_as_cases_latent_and_unreadable_shapes_left_out(tmp_path):
    cases, skipped = read_corpus(_snapshot(tmp_path), "en")
    got = [(c.dimension, c.kind, c.text, c.expected) for c in cases]
    assert ("time", "value", "tomorrow", ("2013-02-13T00:00:00-02:00", "day")) in got
    assert ("time", "value", "xmas", ("2013-12-25T00:00:00-02:00", "day")) in got
    assert ("time", "interval", "this evening",
            (("2013-02-12T18:00:00-02:00", "2013-02-13T00:00:00-02:00"), "hour")) in got
    assert ("time", "negative", "around 20 people", None) in got
    assert ("number", "value", "minus five", -5.0) in got
    assert ("number", "value", 'three "million"', 3e6) in got  # a Haskell string's escapes
    assert not any(c.text in ("the twelfth", "50 BC") for c in cases)  # latent; a year datetime cannot hold
    assert skipped == {"Duckling/Time/EN/Corpus.hs": 1}


def test_the_judge_wants_duckling_value_and_grain_and_nothing_for_negatives(tmp_path):
    cases, _ = read_corpus(_snapshot(tmp_path), "en")
    verdicts = {c.text: judge(c, extract(c.text, "en", REFERENCE, (c.dimension,)), "en")[0] for c in cases}
    assert verdicts["tomorrow"] and verdicts["xmas"] and verdicts["3 million"] and verdicts["minus five"]
    assert verdicts["laughing out loud"] and verdicts["around 20 people"]
    assert verdicts["this evening"]  # an interval, its start and end
    assert verdicts["this summer"]  # a season, its start and end
    assert not verdicts["the day after today"]  # a shape the grammar does not know
