"""Dates and times in English and Chinese text, resolved against the message's "now".

The text is read as pieces: a day ("tomorrow", "next friday", "June 5th", "明天", "下周三",
"三月五号"), a part of the day ("in the evening", "晚上") and a clock time ("7pm", "half
past eight", "19:30", "七点半"), or an offset from now ("in 2 hours", "三天后"). Pieces
next to each other (joined by nothing, "at", "on" or a comma; in Chinese nothing or a comma) make one time. Its value is
an ISO 8601 datetime in the conversation's time zone with a grain (``day``, ``hour``,
``minute``, ``week``, ``month``), as Duckling gives.

How the unsaid parts are read (Duckling's rules): a clock time without am/pm is the next
one after now on that day (on a later day, the morning one) unless a part of the day says
otherwise; a weekday alone is the next such day after today, "next <weekday>" the one in
next week; a date without a year is the next one from today.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .days import EVENING, MORNING, Piece
from .intervals import intervals
from .numbers import Found
from .times_en import en_pieces
from .times_zh import zh_pieces

__all__ = ["times"]


# --- putting pieces together ----------------------------------------------------------

_JOIN_EN = re.compile(r"^\s*(?:,|at|on|@|from|,\s*at|,\s*on|,\s*from)?\s*$", re.I)
# Chinese pieces join with nothing, spaces or a comma between ("下周五，晚上七点", "周六吧，中午十二点", "前天 晚上")
_JOIN_ZH = re.compile(r"^\s*(?:[吧呢啊呀]?\s*[，,、]\s*)?$")
_LATE = {"evening", "night", "tonight", "晚上", "夜里", "夜间", "今晚", "明晚"}  # whose 12 o'clock is midnight
_OF = re.compile(r"^\s+of\s+$", re.I)  # "morning of the 15th": a part of the day of a day


def _groups(text: str, pieces: list[Piece], lang: str) -> list[list[Piece]]:
    """Pieces next to each other (at most one day, part of the day and clock time each)."""
    kept: list[Piece] = []
    for p in sorted(pieces, key=lambda p: (p.start, p.start - p.end)):
        if not kept or p.start >= kept[-1].end:
            kept.append(p)
        elif p.end - p.start > kept[-1].end - kept[-1].start:
            kept[-1] = p  # overlapping: the longer one
    groups: list[list[Piece]] = []
    for p in kept:
        last = groups[-1] if groups else None
        gap = text[last[-1].end:p.start] if last else ""
        joins = last is not None and (bool(_JOIN_ZH.match(gap)) if lang == "zh" else bool(_JOIN_EN.match(gap))
                                      or (_kind(last[-1]) == "pod" and _OF.match(gap) is not None))
        kinds = {_kind(q) for q in last} if last else set()
        if last is not None and joins and _kind(p) not in kinds and "instant" not in kinds | {_kind(p)}:
            last.append(p)
        else:
            groups.append([p])
    return groups


def _kind(p: Piece) -> str:
    return "instant" if p.instant else "clock" if p.hour is not None else "day" if p.day else "pod"


def _resolve(group: list[Piece], now: datetime) -> tuple[datetime, str] | None:
    offset = next((p for p in group if p.instant), None)
    if offset is not None and offset.instant is not None:  # "now" to the second, "in 2 hours" to the minute
        if offset.grain == "second":
            return offset.instant.replace(microsecond=0), "second"
        return offset.instant.replace(second=0, microsecond=0), "minute"
    day_piece = next((p for p in group if p.day), None)
    clock = next((p for p in group if p.hour is not None), None)
    pod = next((p.pod.split()[-1] for p in group if p.pod), None)  # "late evening" is an evening
    if clock is None:
        if day_piece is None:
            return None  # a part of the day alone ("in the evening") is not a time
        return datetime.combine(day_piece.day, datetime.min.time(), now.tzinfo), day_piece.grain  # type: ignore[arg-type]
    hour, day = clock.hour or 0, day_piece.day if day_piece else None
    if clock.midnight and day is not None:
        day += timedelta(days=1)  # "midnight tonight", "friday at midnight": when that day ends
    if clock.meridiem == "pm" and hour < 12:
        hour += 12
    elif clock.meridiem == "am" and hour == 12:
        hour = 0
    if clock.meridiem == "am" and not clock.midnight and pod is not None and pod.lower() in _LATE and hour < 5:
        day = (day or now.date()) + timedelta(days=1)  # "1am tonight": the night's, after midnight
    elif clock.meridiem is None and hour <= 12 and pod is not None:
        if pod in _LATE and not pod.isascii() and 0 < hour < 5:  # 夜里两点, 晚上一点: after that day's midnight
            day = (day or now.date()) + timedelta(days=1)  # (English "tonight at 2" stays 14:00, as Duckling reads it)
        elif pod.lower() in EVENING and hour < 12 and not (pod == "中午" and hour == 11):  # 中午十一点 is 11:00
            hour += 12
        elif pod.lower() in MORNING and hour == 12:
            hour = 0
        elif pod.lower() in _LATE and hour == 12:  # "this evening at 12", 晚上十二点: when that day ends
            hour, day = 0, (day or now.date()) + timedelta(days=1)
    elif clock.meridiem is None and 0 < hour < 12 and (day is None or day == now.date()):  # 00:30, 零点: midnight
        at = now.replace(hour=hour, minute=clock.minute, second=0, microsecond=0)
        if at <= now and at + timedelta(hours=12) > now:
            hour += 12  # the next such time today
    base = day or now.date()
    zone = clock.zone or now.tzinfo
    value = datetime.combine(base, datetime.min.time(), zone).replace(
        hour=hour % 24, minute=clock.minute, second=clock.second or 0)
    if day is None and value <= now:
        value += timedelta(days=1)  # a time alone that has passed today: tomorrow's
    value = value.astimezone(now.tzinfo)  # said in another zone ("8:00 GMT"): given in the conversation's
    return value, clock.grain


def times(text: str, lang: str, now: datetime, date_order: str = "MDY") -> list[Found]:
    """Every date/time in ``text``: ISO value, with ``grain`` in the info; an interval (intervals.py) as
    ``{"from": ..., "to": ...}`` with ``type: interval`` in the info."""
    pieces = zh_pieces(text, now) if lang == "zh" else en_pieces(text, now, date_order)
    groups = _groups(text, pieces, lang)
    spans = intervals(text, lang, now, groups, lambda group: _resolve(group, now))
    out = []
    for group in groups:
        resolved = _resolve(group, now)
        if resolved is None or any(group[0].start < s.end and s.start < group[-1].end for s in spans):
            continue  # none, or one end of an interval
        value, grain = resolved
        iso = value.isoformat(timespec="seconds")
        out.append(Found(group[0].start, group[-1].end, "time", iso, {"value": iso, "grain": grain, "type": "value"}))
    return sorted(out + spans, key=lambda f: f.start)
