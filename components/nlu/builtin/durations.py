"""Durations in English and Chinese text: "an hour and a half", "for 3 wks", "2 years and 3 months", "a fortnight",
一个半小时, 两年零三个月; Duckling's duration dimension, the value in seconds and the unit said."""

from __future__ import annotations

import re

from .numbers import (
    CN_DECIMAL,
    CN_NUM,
    DIGITS,
    WORD_NUM,
    Found,
    alternation,
    cn_decimal,
    digits_value,
    en_number,
    whole,
)
from .units import SECONDS, ZH_UNITS, en_spellings, grain_of

__all__ = ["durations"]

# the English unit words of a duration: every spelling of units.py, a night of a stay and a fortnight
_EN_UNITS = {**{spelling: grain_of(spelling) for spelling in en_spellings(*SECONDS)},
             "nights": "day", "fortnight": "day", "fortnights": "day"}
# units read only after a number: "a night out" and "just a mo" (a moment) are no lengths of time
_COUNTED = ("nights", "mo")
_EN_UNIT_TIMES = {"fortnight": 14, "fortnights": 14}
_CN_UNITS = {**ZH_UNITS, "分": "minute", "钟": "hour", "日": "day"}  # 钟: 个钟 (only with 个: durations)
_EN_UNIT_NAMES = alternation(_EN_UNITS)
EN_DURATION = re.compile(
    rf"(?<![\d/.,])\b(?P<n>half(?:\s+an?)?|(?P<qk>an?|one|two|three)[\s-]quarters?|an?|(?P<num>[1-9])/(?P<den>[1-9])"
    rf"|{WORD_NUM})"
    rf"(?P<prehalf>\s+and\s+(?:an?\s+)?half)?(?P<quarters>\s+and\s+(?:(?:an?|one)\s+|(?P<qn>two|three)\s+)?quarters?)?"
    rf"(?:\s+of(?:\s+an?(?=\s))?)?\s?"
    rf"(?:(?:more|extra|additional)\s+)?(?P<unit>{_EN_UNIT_NAMES})\b"
    r"(?P<half>\s+and\s+(?:a\s+)?half)?(?:\s+(?:and\s+)?(?P<rest>\d{1,2}|(?:twenty|thirty|forty|fifty)"
    r"(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|ten|fifteen)\b(?!\s*[a-z]))?",
    re.I,
)
_DURATION_JOIN = re.compile(r"^\s*(?:,|and|,\s*and|零)?\s*$", re.I)
CN_DURATION = re.compile(
    rf"(?P<n>{CN_DECIMAL}|半)?\s?(?P<ge>个)?(?P<half>半)?(?P<unit>秒钟|分钟|小时|钟头|星期|礼拜|秒|天|周|月|年|钟|分|日)"
    rf"(?P<half2>(?<=分)半钟?)?"
)
# 分 alone is a minute only beside another unit of time ("两小时十分", "五分三十秒", "一分半"), never a price's
# cent (五分钱) or a clock's minutes (九点十分)
_CN_MINUTE = re.compile(rf"(?:{CN_NUM})秒|半")


def durations(text: str, lang: str) -> list[Found]:
    out = []
    for m in EN_DURATION.finditer(text):
        raw = m.group("n").lower().strip()
        n = 0.5 if raw.startswith("half") else 1 if raw in ("a", "an") else (
            _quarters(m.group("qk")) if m.group("qk") else
            int(m.group("num")) / int(m.group("den")) if m.group("den") else  # "1/2 hour", "3/4 h"
            digits_value(raw) if re.fullmatch(DIGITS, raw) else en_number(raw))
        if n is None or m.group("unit").lower() in _COUNTED and (raw in ("a", "an") or raw.startswith("half")):
            continue
        n += 0.5 if m.group("half") or m.group("prehalf") else 0
        if m.group("quarters"):  # "one and a quarter hours", "two and three quarters of an hour"
            n += _quarters(m.group("qn"))
        unit = _EN_UNITS[m.group("unit").lower()]
        n *= _EN_UNIT_TIMES.get(m.group("unit").lower(), 1)
        rest = m.group("rest")  # "1 hour thirty": the next unit down
        if rest and unit in _NEXT_DOWN:
            extra = int(rest) if rest.isdigit() else en_number(rest)
            if extra is None:
                continue
            n += extra * SECONDS[_NEXT_DOWN[unit]] / SECONDS[unit]
        out.append(_duration(m.start(), m.end(), n, unit))
    if lang == "zh":
        for m in CN_DURATION.finditer(text):
            said, ge = m.group("unit"), m.group("ge")
            unit = _CN_UNITS[said]
            if (unit == "month" or said == "钟") and not ge or not m.group("n") and not (ge and m.group("half")):
                continue  # 三月 is March, 三个月 three months; 个半小时 is 一个半小时, 这个月 no length
            beside = m.group("half2") or _CN_MINUTE.match(text, m.end()) or text[:m.start()].endswith(("小时", "钟"))
            if said == "日" and m.group("n") != "半" or said == "分" and not beside:
                continue  # 五日 is the 5th; 分 alone: above
            n = 0.5 if m.group("n") == "半" else cn_decimal(m.group("n")) if m.group("n") else 1
            if n is None:
                continue
            n += 0.5 if m.group("half") or m.group("half2") else 0
            out.append(_duration(m.start(), m.end(), n, unit))
    return _summed(text, sorted(out, key=lambda f: f.start))


def _quarters(said: str | None) -> float:
    """"a quarter", "one quarter", "three quarters": how many quarters, as a share of one."""
    return {"two": 2, "three": 3}.get((said or "").lower(), 1) / 4


_NEXT_DOWN = {"hour": "minute", "minute": "second", "day": "hour"}


def _summed(text: str, found: list[Found]) -> list[Found]:
    """Durations next to each other, each of a smaller unit, are one: "2 years and 3 months", "1 hour, 15
    seconds", "两年零三个月"; the value in the smallest unit said."""
    out: list[Found] = []
    for f in found:
        last = out[-1] if out else None
        if (last is not None and f.start >= last.end and _DURATION_JOIN.match(text[last.end:f.start])
                and SECONDS[f.info["unit"]] < SECONDS[last.info["unit"]]):
            unit = f.info["unit"]
            ratio = 12 if (last.info["unit"], unit) == ("year", "month") else SECONDS[last.info["unit"]] / SECONDS[unit]
            out[-1] = _duration(last.start, f.end, last.info["value"] * ratio + f.info["value"], unit)
        else:
            out.append(f)
    return out


def _duration(start: int, end: int, n: float, unit: str) -> Found:
    seconds = whole(n * SECONDS[unit])
    return Found(
        start,
        end,
        "duration",
        seconds,
        {"value": whole(n), "unit": unit, "normalized": {"value": seconds, "unit": "second"}},
    )
