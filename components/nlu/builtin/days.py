"""Weekday and month names, parts of the day, and the date arithmetic the English and Chinese time readers share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from .numbers import Found

WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
            "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}


MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}


CN_WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}


EVENING = {"evening", "night", "tonight", "afternoon", "下午", "傍晚", "晚上", "夜里", "夜间", "今晚", "明晚", "中午"}


MORNING = {"morning", "早上", "早晨", "上午", "凌晨", "半夜", "午夜", "清晨", "明早"}


@dataclass
class Piece:
    start: int
    end: int
    day: date | None = None
    grain: str = "day"
    pod: str | None = None  # part of the day, lower case
    hour: int | None = None
    minute: int = 0
    second: int | None = None  # when said ("15:23:24")
    midnight: bool = False  # "midnight": the end of its day
    zone: tzinfo | None = None  # when said ("8:00 GMT"): the time is read there, given in the conversation's zone
    meridiem: str | None = None  # "am" / "pm" when said
    instant: datetime | None = None  # an offset from now ("in 2 hours")
    weekday: int | None = None  # a weekday said alone ("Monday", before a date: "Monday, Feb 18")
    dated: bool = False  # a date said (month and day), ``said_year`` when with its year
    said_year: bool = False


def next_weekday(today: date, weekday: int, *, include_today: bool = False) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead if ahead or include_today else 7)


def in_next_week(today: date, weekday: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)


def future_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year if year > 99 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def two_digit_year(n: int) -> int:
    """A year as said: two digits are this century's up to 68 and the last one's from 69 (strptime's %y)."""
    return n if n > 99 else 2000 + n if n < 69 else 1900 + n


def next_day_of_month(today: date, n: int) -> date | None:
    """The next ``n``-th of a month from today: this month's while it lasts, else next month's ("on the 12th", 15号)."""
    nxt = add_months(today, 1)
    this_month = future_date(today, today.month, n, None) if n >= today.day else None
    return this_month or future_date(nxt, nxt.month, n, nxt.year)


def now_piece(start: int, end: int, now: datetime) -> Piece:
    """"now", 现在: the message's time, to the second."""
    return Piece(start, end, grain="second", instant=now.replace(microsecond=0))


def shift_of(rel: str) -> int:
    """How many units on an English relative word puts a time: "next", "coming", "the following" 1; "last",
    "previous", "past" -1; "this", "current" 0."""
    rel = " ".join(rel.lower().split())
    return 1 if rel in ("next", "coming", "upcoming", "following", "the following") else \
        -1 if rel in ("last", "previous", "past") else 0


def add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)


def nth_in(first: date, end: date, unit: int | str, n: int) -> date | None:
    """The ``n``-th (from 1; ``-1`` the last, ``-2`` the one before) of a ``unit`` in the days from ``first`` to
    ``end`` (exclusive): a weekday (0 = Monday), ``"day"``, or ``"week"``: the Monday of a week all of whose seven
    days lie in the span, as Duckling's ("the first week of October 2014" is October 6th's, "the last week of
    September 2014" the 22nd's). None if there are not that many."""
    if unit == "day":
        step, start = 1, first
    elif unit == "week":
        step, start = 7, first + timedelta(days=-first.weekday() % 7)
        end -= timedelta(days=6)
    else:
        step, start = 7, first + timedelta(days=(int(unit) - first.weekday()) % 7)
    count = max(0, ((end - start).days + step - 1) // step)
    index = n - 1 if n > 0 else count + n
    return start + timedelta(days=index * step) if n and 0 <= index < count else None


_WEEKDAY_DATE_GAP = re.compile(r"^\s*[,，、]?\s*(?:the\s+)?$", re.I)
_ORDINAL_AFTER = re.compile(r"^\s*,?\s*(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b", re.I)


def with_weekday(text: str, pieces: list[Piece], today: date) -> list[Piece]:
    """A weekday said with a date is that date, this year's or the first year's after where it falls on that
    weekday ("Fri, Jul 18" is 2014's when 2013's is a Thursday); before a day of the month alone ("Thu 15th"),
    the next such day."""
    out: list[Piece] = []
    for p in sorted(pieces, key=lambda p: p.start):
        last = out[-1] if out else None
        pair = None
        if last is not None and p.start >= last.end:
            gap = text[last.end:p.start]
            if last.weekday is not None and p.dated and _WEEKDAY_DATE_GAP.match(gap):
                pair = (last.weekday, p)
            elif p.weekday is not None and last.dated and re.fullmatch(r"\s*[,，、]\s*", gap):
                pair = (p.weekday, last)
        if pair is None:
            out.append(p)
            continue
        weekday, dated = pair
        day = dated.day
        if day is not None and day.weekday() != weekday and not dated.said_year:
            years = range(today.year, today.year + 29)  # this year's, else the next one's
            day = next((d for y in years if (d := _same_day(day, y)) and d.weekday() == weekday), day)
        out[-1] = Piece(min(last.start, p.start), max(last.end, p.end), day=day, grain="day", dated=True)  # type: ignore[union-attr]
    for i, p in enumerate(out):
        found = _ORDINAL_AFTER.match(text[p.end:]) if p.weekday is not None else None
        if found is not None and p.weekday is not None:
            dom, month = int(found.group(1)), date(today.year, today.month, 1)
            for _ in range(48):
                day = future_date(month, month.month, dom, month.year)
                if day is not None and day >= today and day.weekday() == p.weekday:
                    out[i] = Piece(p.start, p.end + found.end(), day=day, grain="day", dated=True)
                    break
                month = add_months(month, 1)
    return out


def _same_day(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:
        return None  # 29 February


# --- intervals: the value of a stretch of time ------------------------------------------

_GRAIN = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1),
          "day": timedelta(days=1), "week": timedelta(weeks=1)}
GRAIN_ORDER = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"]  # finest first


# a time group (pieces said together) to its instant and grain, None when it is no time
Resolve = Callable[[list[Piece]], "tuple[datetime, str] | None"]


def interval(start: int, end: int, frm: datetime, to: datetime, grain: str) -> Found:
    """An interval found at ``start:end`` of the text: ``{"from", "to"}`` as Duckling and Rasa give it."""
    a, b = frm.isoformat(timespec="seconds"), to.isoformat(timespec="seconds")
    return Found(start, end, "time", {"from": a, "to": b},
                 {"type": "interval", "from": {"value": a, "grain": grain}, "to": {"value": b, "grain": grain}})


def plus(value: datetime, grain: str, n: int = 1) -> datetime:
    """``value`` moved by ``n`` of ``grain`` (months, quarters and years on the calendar)."""
    if grain in _GRAIN:
        return value + n * _GRAIN[grain]
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * n
    return datetime.combine(add_months(value.date(), months), value.time(), value.tzinfo)


def midnight(day: date, now: datetime) -> datetime:
    """Where ``day`` starts, in ``now``'s time zone."""
    return datetime.combine(day, datetime.min.time(), now.tzinfo)
