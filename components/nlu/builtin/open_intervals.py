"""Intervals with one end said, or a length of time from it (read beside intervals.py's ranges).

- one end alone, the other ``None`` (Duckling's After and Before, as Rasa gives them): "after 2pm",
  "from Monday on", "since 2014", "starting at 9am", "as soon as possible" (from now), "until 2pm",
  "before 11am on Friday", "no later than noon", "through 2014", "三点以后", "从下周一开始",
  "下午三点之前", "到周五为止"; "by Friday", "by 2pm" run from now to that time (``info["by"]``: only its end was
  said, a deadline, which a date or time slot takes);
- a length of time from a time: "for 3 nights from Friday", "from 18th Dec for 10 days", "tomorrow
  at 9 for 2 hours", "周五开始住三晚". The nights of a stay end the morning after the last ("Friday
  for 3 nights" runs to Monday); Duckling's "for 10 days from 18th Dec" ends a day later.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from .clock_en import COUNT, count
from .days import GRAIN_ORDER, Piece, interval, midnight, plus
from .numbers import CN_NUM, Found, cn_number
from .units import ZH_UNITS, en_units, grain_of

__all__ = ["BEFORE_ZH", "BY_EN", "deadline", "for_length", "one_end", "open_end", "open_phrases", "zh_end_mark"]

_SOME = r"(?:(?:any\s?time|some\s?times?)\s+)?"  # "anytime after 2014", "sometime before 2014"
# one end said ("after 2pm", "until friday", "三点以后"): the words before an English time, after a Chinese one
_AFTER_EN = re.compile(rf"\b{_SOME}(?:after|since|from|starting(?:\s+(?:at|from|on))?|no\s+earlier\s+than"
                       r"|not\s+before)\s+(?:the\s+)?$", re.I)
_BEFORE_EN = re.compile(rf"\b{_SOME}(?:before|until|untill|till|til|through|thru|up\s+to|no\s+later\s+than"
                        r"|not\s+after)\s+(?:the\s+)?$", re.I)
BY_EN = re.compile(r"\bby\s+$", re.I)  # "by friday", "by the end of the month": a deadline
_BY_CLOCK = re.compile(r"by\b", re.I)  # a clock time read with its "by" ("by 2pm": clock_en's "at" words)
_AFTER_ZH = re.compile(r"以后|之后|往后|以来|起|开始|后")
BEFORE_ZH = re.compile(r"以前|之前|为止|前(?!后)")  # 九点前后 is about nine
_ONWARDS = re.compile(r"\s+(?:on|onwards?)\b", re.I)
# "a year from christmas", "3 days after monday": a day counted from the time, not all after it
_SPAN_BEFORE = re.compile(r"\b(?:year|month|week|fortnight|day|hour|minute|second)s?\s+$", re.I)
# a year alone after those words ("since 2014", "through 2014"): a bare number elsewhere is no year
_OPEN_YEAR_EN = re.compile(rf"\b(?:{_SOME}(?P<after>after|since|from)|{_SOME}(?:before|until|till|through|thru))\s+"
                           r"(?P<y>(?:19|20)\d\d)\b(?![:.,]?\d|\s*(?:-|–|to|till|until|and|thru|through)\s*\d)", re.I)
_ASAP = re.compile(r"\b(?:asap|as\s+soon\s+as\s+possible)\b", re.I)
# a length of time from a time: "for 3 nights from friday" (before it), "friday for 3 nights" (after it), 周五开始住三晚
_LENGTH_UNIT = rf"(?P<unit>nights?|{en_units('day', 'week', 'month', 'year', 'hour', 'minute')})"
_LENGTH_BEFORE = re.compile(rf"\bfor\s+(?:the\s+)?(?P<n>{COUNT})\s+{_LENGTH_UNIT}\s+(?:from|as\s+of"
                            r"|starting(?:\s+(?:on|from|at))?|beginning(?:\s+(?:on|at))?)\s+(?:the\s+)?$", re.I)
_LENGTH_AFTER = re.compile(rf"\s*,?\s*for\s+(?:the\s+next\s+)?(?P<n>{COUNT})\s+{_LENGTH_UNIT}\b", re.I)
_LENGTH_ZH = re.compile(rf"(?:开始|起)?(?:住|租|玩|待|呆)?(?P<n>{CN_NUM})个?"
                        r"(?P<unit>晚上?|夜|天|周|星期|礼拜|月|年|小时|钟头)")
_ZH_LENGTH_UNITS = {**ZH_UNITS, "晚": "day", "晚上": "day", "夜": "day"}  # a night of a stay is a day


def for_length(group: list[Piece], text: str, lang: str, resolved: tuple[datetime, str],
               taken: list[tuple[int, int]]) -> Found | None:
    """A time with a length of time from it: from the time, for that long ("friday for 3 nights": Friday to
    Monday); "from" before the time is part of it ("from 18th Dec for 10 days")."""
    start, end = group[0].start, group[-1].end
    if any(start < b and a < end for a, b in taken):
        return None
    if lang == "zh":
        m = _LENGTH_ZH.match(text, end)
        if m is None or m.end() == end or not re.match(r"开始|起|住|租", text[end:]):
            return None  # the length follows the time after 开始, 起 or a verb of staying ("明天三天" is no stay)
        n, unit = cn_number(m.group("n")), _ZH_LENGTH_UNITS[m.group("unit")]
        lead, stop = start - (start > 0 and text[start - 1] == "从"), m.end()
    else:
        m = _LENGTH_BEFORE.search(text[:start])
        if m is not None:
            lead, stop = m.start(), end
        else:
            m = _LENGTH_AFTER.match(text, end)
            if m is None:
                return None
            frm = _AFTER_EN.search(text[:start])
            lead, stop = (frm.start() if frm else start), m.end()
        n = count(m.group("n"))
        unit = grain_of(m.group("unit"))
    if n is None or not float(n).is_integer() or n < 1:
        return None
    at, grain = resolved
    finer = min(grain, unit, key=GRAIN_ORDER.index)
    return interval(lead, stop, at, plus(at, unit, int(n)), finer)


def one_end(group: list[Piece], text: str, lang: str, now: datetime, resolved: tuple[datetime, str],
             taken: list[tuple[int, int]], previous: int | None) -> Found | None:
    """An open interval: a time with "after", "until"... (English, before it) or 以后, 之前... (Chinese, after it);
    the end not said is None, as Rasa gives Duckling's open intervals; "by <time>" runs from now."""
    start, end = group[0].start, group[-1].end
    if any(start < b and a < end for a, b in taken):
        return None  # an end of a range, or inside a stretch already read
    at, grain = resolved
    if lang == "zh":
        mark = zh_end_mark(text, end)
        if mark is None:
            return None
        after, stop = mark
        lead = start - (start > 0 and text[start - 1] == ("从" if after else "到"))
    else:
        if any(p.hour is not None and _BY_CLOCK.match(text, p.start) for p in group) and at > now:
            return deadline(start, end, now, at, grain)  # "by 2pm", "tomorrow by 3pm": a clock time said with "by"
        head = text[:start]
        found = _AFTER_EN.search(head) or _BEFORE_EN.search(head) or BY_EN.search(head)
        if found is None or (previous is not None and not text[previous:found.start()].strip()) or \
                _SPAN_BEFORE.search(text[:found.start()]):
            return None  # a range's second end; "a year from christmas", "3 days after Monday": another day
        if found.re is BY_EN:  # from now, which was not said: `by` names the time said (a deadline)
            return deadline(found.start(), end, now, at, grain)
        after, lead, stop = found.re is _AFTER_EN, found.start(), end
        if after and (onwards := _ONWARDS.match(text, end)):
            stop = onwards.end()
    return open_end(lead, stop, at, grain, after)


def zh_end_mark(text: str, end: int) -> tuple[bool, int] | None:
    """The word after a Chinese time at ``end`` that makes it one end (三点以后, 明天中午之前): (after it, where the
    word ends), or None."""
    mark = _AFTER_ZH.match(text, end) or BEFORE_ZH.match(text, end)
    return None if mark is None else (mark.re is _AFTER_ZH, mark.end())


def deadline(start: int, end: int, now: datetime, at: datetime, grain: str, last: datetime | None = None) -> Found:
    """A deadline: from now, which was not said, to the time said (``info["by"]``: True, or the ``last`` day a
    date slot takes when the end is the midnight after it: "by the end of the month")."""
    by = interval(start, end, now.replace(microsecond=0), at, grain)
    by.info["by"] = last.isoformat(timespec="seconds") if last is not None else True
    return by


def open_end(start: int, end: int, at: datetime, grain: str, after: bool) -> Found:
    """An interval from ``at`` on (``after``) or up to it, the other end None."""
    iso = at.isoformat(timespec="seconds")
    side = "from" if after else "to"
    return Found(start, end, "time", {"from": iso if after else None, "to": None if after else iso},
                 {"type": "interval", side: {"value": iso, "grain": grain}})


def open_phrases(text: str, lang: str, now: datetime) -> list[Found]:
    """Open intervals of their own: a year after "since", "before"... ("since 2014"), "as soon as possible"."""
    out: list[Found] = []
    if lang == "en":
        for m in _OPEN_YEAR_EN.finditer(text):
            year = midnight(date(int(m.group("y")), 1, 1), now)
            out.append(open_end(m.start(), m.end(), year, "year", m.group("after") is not None))
        for m in _ASAP.finditer(text):  # from now on
            out.append(open_end(m.start(), m.end(), now.replace(microsecond=0), "second", True))
    return out
