"""Weekday and month names, parts of the day, and the date arithmetic the English and Chinese time readers share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

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


MORNING = {"morning", "早上", "早晨", "上午", "凌晨", "清晨", "明早"}


@dataclass
class Piece:
    start: int
    end: int
    day: date | None = None
    grain: str = "day"
    pod: str | None = None  # part of the day, lower case
    hour: int | None = None
    minute: int = 0
    meridiem: str | None = None  # "am" / "pm" when said
    instant: datetime | None = None  # an offset from now ("in 2 hours")


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


def add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)
