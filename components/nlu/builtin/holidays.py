"""Holidays by name, the day each falls on in a given year: in English "christmas", "easter monday",
"thanksgiving", "mother's day", "chinese new year"; in Chinese 元旦, 国庆节, 春节, 中秋节. Fixed days,
days counted from Easter (Western, dateutil's), the n-th weekday of a month (the US federal ones and
the days most bots are asked about), days of the Chinese lunar calendar (lunardate's, 1900-2099)
and 清明 (a solar term)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from .days import add_months, nth_in
from .numbers import CN_NUMERALS

__all__ = ["HOLIDAYS", "HOLIDAYS_ZH", "NAMES", "NAMES_ZH", "holiday_on", "nth_weekday"]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date | None:
    """The ``n``-th ``weekday`` (0 = Monday) of a month; ``n = -1`` the last; None if it has none."""
    first = date(year, month, 1)
    return nth_in(first, add_months(first, 1), weekday, n)


def _easter(shift: int) -> Callable[[int], date | None]:
    def on(year: int) -> date | None:
        from dateutil.easter import easter

        day: date = easter(year)
        return day + timedelta(days=shift)

    return on


def _fixed(month: int, day: int) -> Callable[[int], date | None]:
    return lambda year: date(year, month, day)


def _nth(month: int, weekday: int, n: int, shift: int = 0) -> Callable[[int], date | None]:
    def on(year: int) -> date | None:
        day = nth_weekday(year, month, weekday, n)
        return day + timedelta(days=shift) if day else None

    return on


def _lunar(month: int, day: int, shift: int = 0) -> Callable[[int], date | None]:
    """A day of the Chinese lunar calendar, in the Gregorian year it falls in that lunar year."""
    def on(year: int) -> date | None:
        from lunardate import LunarDate

        try:
            solar: date = LunarDate(year, month, day).to_solar_date()
            return solar + timedelta(days=shift)
        except ValueError:
            return None  # outside 1900-2099

    return on


def _qingming(year: int) -> date | None:
    """清明, the solar term about 4-5 April (the usual formula for 1901-2099)."""
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4) if 1901 <= year <= 2099 else None


_S = r"(?:'s|s|s')?"  # "valentine's", "valentines", "presidents'"
# (the names, as a regex; the day in a year)
HOLIDAYS: list[tuple[str, Callable[[int], date | None]]] = [
    (r"christmas eve|xmas eve", _fixed(12, 24)),
    (r"christmas(?:\s+day)?|xmas(?:\s+day)?", _fixed(12, 25)),
    (r"boxing day", _fixed(12, 26)),
    (rf"new\s+year{_S}\s+eve", _fixed(12, 31)),
    (rf"new\s+year{_S}\s+day", _fixed(1, 1)),
    (rf"valentine{_S}(?:\s+day)?", _fixed(2, 14)),
    (rf"(?:st\.?|saint)\s+(?:patrick|paddy){_S}(?:\s+day)?", _fixed(3, 17)),
    (r"april\s+fools?'?\s+day", _fixed(4, 1)),
    (r"independence day|the fourth of july", _fixed(7, 4)),
    (r"halloween", _fixed(10, 31)),
    (rf"all\s+saint{_S}\s+day", _fixed(11, 1)),
    (rf"veteran{_S}\s+day", _fixed(11, 11)),
    (r"easter\s+mon(?:day)?", _easter(1)),
    (r"easter(?:\s+sunday)?", _easter(0)),
    (r"good\s+friday", _easter(-2)),
    (r"palm\s+sunday", _easter(-7)),
    (r"ash\s+wednesday", _easter(-46)),
    (r"mardi\s+gras|shrove\s+tuesday|pancake\s+day", _easter(-47)),
    (r"pentecost|whit\s+sunday", _easter(49)),
    (r"whit\s+monday", _easter(50)),
    (r"thanksgiving(?:\s+day)?", _nth(11, 3, 4)),
    (r"black\s+friday", _nth(11, 3, 4, shift=1)),
    (r"cyber\s+monday", _nth(11, 3, 4, shift=4)),
    (rf"mother{_S}\s+day", _nth(5, 6, 2)),
    (rf"father{_S}\s+day", _nth(6, 6, 3)),
    (r"memorial\s+day", _nth(5, 0, -1)),
    (r"labou?r\s+day", _nth(9, 0, 1)),
    (rf"mlk(?:\s+jr\.?)?\s+day|martin\s+luther\s+king{_S}(?:\s+jr\.?)?\s+day", _nth(1, 0, 3)),
    (rf"president{_S}\s+day", _nth(2, 0, 3)),
    (r"columbus\s+day", _nth(10, 0, 2)),
    # the Chinese lunar festivals by their English names
    (rf"(?:chinese|lunar)\s+new\s+year{_S}\s+eve", _lunar(1, 1, shift=-1)),
    (rf"(?:chinese|lunar)(?:\s+lunar)?\s+new\s+year(?:{_S}\s+day|s)?|spring\s+festival", _lunar(1, 1)),
    (r"lantern\s+festival", _lunar(1, 15)),
    (r"dragon\s+boat\s+festival", _lunar(5, 5)),
    (r"mid-?\s?autumn\s+festival|moon\s+festival", _lunar(8, 15)),
]
# Chinese names, written simplified (numbers.simplified reads traditional ones so)
_NUMERALS = rf"\d{CN_NUMERALS}点"
_BREAK = "假期|长假|小长假|黄金周|放假"  # a public holiday's days off
HOLIDAYS_ZH: list[tuple[str, Callable[[int], date | None]]] = [
    (r"元旦节?|阳历新年", _fixed(1, 1)),
    (r"情人节|圣瓦伦丁节", _fixed(2, 14)),
    (r"妇女节|三八妇女节", _fixed(3, 8)),
    (r"植树节", _fixed(3, 12)),
    (r"愚人节", _fixed(4, 1)),
    (r"(?:国际)?劳动节", _fixed(5, 1)),
    # 五一 and 十一, the May Day and National Day holidays: not beside another numeral (三百五一晚 is 350 a night);
    # 十一 alone is eleven
    (rf"(?<![{_NUMERALS}])五一(?![{_NUMERALS}月日号])(?:(?:国际)?劳动节|节|{_BREAK})?", _fixed(5, 1)),
    (rf"(?<![{_NUMERALS}])十一(?:{_BREAK})", _fixed(10, 1)),
    (r"青年节|五四青年节", _fixed(5, 4)),
    (r"(?:国际)?儿童节", _fixed(6, 1)),
    (r"建党节", _fixed(7, 1)),
    (r"(?:八一)?建军节", _fixed(8, 1)),
    (r"教师节", _fixed(9, 10)),
    (rf"国庆(?:节|{_BREAK})?", _fixed(10, 1)),
    (r"万圣节", _fixed(10, 31)),
    (r"平安夜", _fixed(12, 24)),
    (r"圣诞节?", _fixed(12, 25)),
    (r"复活节星期一", _easter(1)),
    (r"复活节", _easter(0)),
    (r"母亲节", _nth(5, 6, 2)),
    (r"父亲节", _nth(6, 6, 3)),
    (r"感恩节", _nth(11, 3, 4)),
    (r"清明节?", _qingming),
    (r"除夕|大年夜|大年三十", _lunar(1, 1, shift=-1)),
    (r"春节|农历新年|新春|大年初一", _lunar(1, 1)),
    (r"元宵节?", _lunar(1, 15)),
    (r"端午节?", _lunar(5, 5)),
    (r"七夕节?", _lunar(7, 7)),
    (r"中秋节?", _lunar(8, 15)),
    (r"重阳节?", _lunar(9, 9)),
    (r"腊八节?", _lunar(12, 8)),
]
NAMES = "|".join(f"(?:{names})" for names, _ in HOLIDAYS)
NAMES_ZH = "|".join(f"(?:{names})" for names, _ in sorted(HOLIDAYS_ZH, key=lambda h: -len(h[0])))
_COMPILED = [(re.compile(names, re.I), on) for names, on in HOLIDAYS + HOLIDAYS_ZH]


def holiday_on(name: str, year: int) -> date | None:
    """The day the holiday ``name`` (as said, English or Chinese) falls on in ``year``."""
    for pattern, on in _COMPILED:
        if pattern.fullmatch(" ".join(name.split())):
            return on(year)
    return None
