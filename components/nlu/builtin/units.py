"""Units of time as people write them: one table of spellings, read by every pattern that names a unit.

English: a unit in full or shortened ("hours", "hrs", "wks", "mos", "yrs"), singular or with an "s":
"in 2 hrs", "for 3 wks", "2 yrs ago", "next wk", "the past 6 mos". Chinese: the unit words of durations
and stretches (小时, 星期, 礼拜). Each pattern asks for the grains it reads (`en_units`) and reads back a
spelling's grain (`grain_of`), so a spelling added here is read everywhere.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["EN_SPELLINGS", "GRAINS", "SECONDS", "ZH_UNITS", "en_spellings", "en_units", "grain_of"]

# a grain's English spellings, each also with an "s" ("hrs", "mos"); Duckling's grains read "sec", "min", "hr",
# "qtr" and "yr", and people also write "wk", "mo" and "mth"
EN_SPELLINGS: dict[str, tuple[str, ...]] = {
    "second": ("second", "sec"),
    "minute": ("minute", "min"),
    "hour": ("hour", "hr"),
    "day": ("day",),
    "week": ("week", "wk"),
    "month": ("month", "mth", "mo"),
    "quarter": ("quarter", "qtr"),
    "year": ("year", "yr"),
}
# the grains of a length of time ("3 wks", "2 hrs"); a quarter is a calendar's ("next qtr"), and "3 quarters" as
# often of an hour
GRAINS = ("second", "minute", "hour", "day", "week", "month", "year")
_GRAIN_OF = {spelling: grain for grain, spellings in EN_SPELLINGS.items() for spelling in spellings}
_GRAIN_OF["night"] = "day"  # a night of a stay ("for 3 nights")

# a grain's length in seconds (a month of 30 days and a year of 365, as Duckling normalises durations)
SECONDS = dict(zip(GRAINS, (1, 60, 3600, 86400, 604800, 2_592_000, 31_536_000), strict=True))

ZH_UNITS = {"秒": "second", "秒钟": "second", "分钟": "minute", "小时": "hour", "钟头": "hour", "天": "day",
            "周": "week", "星期": "week", "礼拜": "week", "月": "month", "年": "year"}


@lru_cache(maxsize=32)
def en_spellings(*grains: str) -> tuple[str, ...]:
    """Every English spelling of ``grains``, singular and with an "s", the longer first."""
    spellings = [form for grain in grains for s in EN_SPELLINGS[grain] for form in (s, s + "s")]
    return tuple(sorted(spellings, key=len, reverse=True))  # the longer first, as numbers.alternation


def en_units(*grains: str) -> str:
    """A regex alternation of the English spellings of ``grains`` ("hours|hour|hrs|hr"); the caller puts it
    in a group and ends it at a word boundary."""
    return "|".join(en_spellings(*grains))


def grain_of(unit: str) -> str:
    """The grain an English unit word names: "mins" is minute, "wks" week, a night (of a stay) a day."""
    word = unit.lower()
    if word in _GRAIN_OF:
        return _GRAIN_OF[word]
    single = word[:-1] if word.endswith("s") else word
    return _GRAIN_OF.get(single, single)
