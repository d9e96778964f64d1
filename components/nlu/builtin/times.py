"""Dates and times in English and Chinese text, resolved against the message's "now".

The text is read as pieces: a day ("tomorrow", "next friday", "June 5th", "明天", "下周三",
"三月五号"), a part of the day ("in the evening", "晚上") and a clock time ("7pm", "half
past eight", "19:30", "七点半"), or an offset from now ("in 2 hours", "三天后"). Pieces
next to each other (joined by nothing, "at", "on" or a comma) make one time. Its value is
an ISO 8601 datetime in the conversation's time zone with a grain (``day``, ``hour``,
``minute``, ``week``, ``month``), as Duckling gives.

How the unsaid parts are read (Duckling's rules): a clock time without am/pm is the next
one after now on that day (on a later day, the morning one) unless a part of the day says
otherwise; a weekday alone is the next such day after today, "next <weekday>" the one in
next week; a date without a year is the next one from today.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .days import EVENING, MONTHS, MORNING, WEEKDAYS, Piece, add_months, future_date, in_next_week, next_weekday
from .numbers import TENS, UNITS, Found, en_number
from .times_zh import zh_pieces

__all__ = ["times"]













# --- English --------------------------------------------------------------------------

_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
# "may", "march" are verbs: only "in may"
_MON_ALONE = "|".join(m for m in sorted(MONTHS, key=len, reverse=True) if len(m) > 3 and m != "march")
_SMALL = "|".join(sorted([*UNITS, *TENS, "a", "an"], key=len, reverse=True))
_N = rf"(?:\d+|(?:{_SMALL})(?:[\s-](?:{_SMALL}))?)"
_HOUR_WORD = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_EN_DAY = re.compile(
    rf"\b(?:(?P<today>today|tonight)|(?P<tomorrow>tomorrow)|(?P<after>the day after tomorrow)|(?P<yesterday>yesterday)"
    rf"|(?:(?P<rel>next|this|coming|last|on)\s+)?(?P<wd>{_WD})\b\.?"
    rf"|(?P<nextunit>next|this|last)\s+(?P<unit>week|month|year)"
    rf"|in\s+(?P<inn>{_N})\s+(?P<inunit>days?|weeks?|months?|years?)"
    rf"|(?P<agon>{_N})\s+(?P<agounit>days?|weeks?)\s+(?P<dir>ago|from now|later)"
    rf"|(?:on\s+)?(?:the\s+)?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MON})\.?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MON})\.?\s+(?:the\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})|(?P<slash>\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)"
    rf"|on\s+the\s+(?P<dom>\d{{1,2}})(?:st|nd|rd|th)"
    rf"|(?:in\s+(?P<inmonth>{_MON})|(?P<month>{_MON_ALONE})))\b",
    re.I,
)
_EN_POD = re.compile(
    r"\b(?:in\s+the\s+|this\s+|tomorrow\s+)?(?P<pod>morning|afternoon|evening|night)\b|\bat\s+night\b", re.I
)
_EN_CLOCK = re.compile(
    rf"\b(?:(?P<rel>half|quarter|(?P<mins>\d{{1,2}}|{_N})(?:\s+minutes?)?)\s+(?P<dir>past|after|to|before)\s+(?P<rh>\d{{1,2}}|{_HOUR_WORD})"
    rf"|(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?\s*(?P<ampm>[ap]\.?m\.?)(?!\w)"
    rf"|(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})"
    rf"|(?P<hw>\d{{1,2}}|{_HOUR_WORD})\s+o'?clock"
    rf"|(?P<at>at|@|around|by)\s+(?P<ha>\d{{1,2}}|{_HOUR_WORD})(?:[:.](?P<ma>\d{{2}}))?(?:\s*(?P<ampm2>[ap]\.?m\.?)(?!\w))?"
    rf"(?:\s+(?P<mw>(?:twenty|thirty|forty|fifty)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|fifteen))?"
    rf"|(?P<noon>noon|midday)|(?P<midnight>midnight))(?!\w)", re.I)
_EN_IN = re.compile(
    rf"\bin\s+(?P<n>half\s+an|an?|{_N})\s+(?P<unit>minutes?|mins?|hours?|hrs?)(?P<half>\s+and\s+a\s+half)?\b", re.I
)
_JOIN_EN = re.compile(r"^\s*(?:,|at|on|@|,\s*at|,\s*on)?\s*$", re.I)


def _word_or_digits(text: str) -> int | None:
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    value = 1 if text in ("a", "an") else en_number(text)
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else None


def _en_pieces(text: str, now: datetime, date_order: str) -> list[Piece]:
    today = now.date()
    out: list[Piece] = []
    for m in _EN_DAY.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        day: date | None = None
        grain = "day"
        pod = None
        if "today" in g:
            day, pod = today, ("night" if g["today"].lower() == "tonight" else None)
        elif "tomorrow" in g:
            day = today + timedelta(days=1)
        elif "after" in g:
            day = today + timedelta(days=2)
        elif "yesterday" in g:
            day = today - timedelta(days=1)
        elif "wd" in g:
            weekday, rel = WEEKDAYS[g["wd"].lower()], g.get("rel", "").lower()
            day = (
                in_next_week(today, weekday)
                if rel == "next"
                else today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
                if rel == "last"
                else next_weekday(today, weekday, include_today=rel == "this")
            )
        elif "unit" in g:
            unit, shift = g["unit"].lower(), {"next": 1, "this": 0, "last": -1}[g["nextunit"].lower()]
            grain = unit
            day = (today - timedelta(days=today.weekday()) + timedelta(weeks=shift) if unit == "week"
                   else add_months(today, shift) if unit == "month" else date(today.year + shift, 1, 1))
        elif "inn" in g or "agon" in g:
            n = _word_or_digits(g.get("inn") or g["agon"])
            if n is None:
                continue
            unit = (g.get("inunit") or g["agounit"]).lower().rstrip("s")
            sign = -1 if g.get("dir", "").lower() == "ago" else 1
            if unit in ("day", "week"):
                day = today + sign * timedelta(days=n * (7 if unit == "week" else 1))
            else:
                day = add_months(today, n * (12 if unit == "year" else 1)).replace(day=min(today.day, 28))
        elif "m1" in g or "m2" in g:
            day = future_date(today, MONTHS[(g.get("m1") or g["m2"]).lower()], int(g.get("d1") or g["d2"]),
                               int(g["y1"]) if g.get("y1") else int(g["y2"]) if g.get("y2") else None)
        elif "iso" in g:
            day = future_date(today, int(g["iso"][5:7]), int(g["iso"][8:10]), int(g["iso"][:4]))
        elif "slash" in g:
            parts = [int(p) for p in g["slash"].split("/")]
            month, dom = (parts[0], parts[1]) if date_order == "MDY" else (parts[1], parts[0])
            day = future_date(today, month, dom, parts[2] if len(parts) > 2 else None)
        # a month alone: its first day, the next one from today (this one while it lasts)
        elif "inmonth" in g or "month" in g:
            month = MONTHS[(g.get("inmonth") or g["month"]).lower()]
            day = date(today.year + (month < today.month), month, 1)
            grain = "month"
        elif "dom" in g:
            n = int(g["dom"])
            day = future_date(today, today.month, n, None) if n >= today.day else None
            day = day or future_date(add_months(today, 1), add_months(today, 1).month, n, add_months(today, 1).year)
        if day is not None:
            out.append(Piece(m.start(), m.end(), day=day, grain=grain, pod=pod))
    for m in _EN_POD.finditer(text):
        start = m.start() if not m.group().lower().startswith("tomorrow") else m.start() + len("tomorrow ")
        out.append(Piece(start, m.end(), pod=(m.group("pod") or "night").lower(), grain="pod"))
    for m in _EN_CLOCK.finditer(text):
        piece = _en_clock(m)
        if piece is not None:
            out.append(piece)
    for m in _EN_IN.finditer(text):
        raw = m.group("n").lower()
        count: float | None = 0.5 if raw.startswith("half") else _word_or_digits(raw)
        if count is None:
            continue
        minutes = (count + (0.5 if m.group("half") else 0)) * (60 if m.group("unit").lower().startswith("h") else 1)
        out.append(Piece(m.start(), m.end(), grain="minute", instant=now + timedelta(minutes=minutes)))
    return out


def _en_clock(m: re.Match[str]) -> Piece | None:
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    minute, meridiem = 0, None
    if "rel" in g:
        hour = _word_or_digits(g["rh"])
        mins = (
            30
            if g["rel"].lower() == "half"
            else 15
            if g["rel"].lower() == "quarter"
            else _word_or_digits(g.get("mins", ""))
        )
        if hour is None or mins is None or not 0 < mins < 60:
            return None
        if g["dir"].lower() in ("to", "before"):
            hour, minute = (hour - 1) % 24, 60 - mins
        else:
            minute = mins
    elif "ampm" in g:
        hour, minute, meridiem = int(g["h"]), int(g.get("m") or 0), g["ampm"][0].lower() + "m"
        if not 1 <= hour <= 12:
            return None
    elif "h24" in g:
        hour, minute = int(g["h24"]), int(g["m24"])
    elif "hw" in g:
        hour = _word_or_digits(g["hw"])
    elif "ha" in g:
        hour = _word_or_digits(g["ha"])
        minute = int(g["ma"]) if "ma" in g else (_word_or_digits(g["mw"]) or 0) if "mw" in g else 0
        meridiem = g["ampm2"][0].lower() + "m" if "ampm2" in g else None
    elif "noon" in g:
        hour, meridiem = 12, "pm"
    else:
        hour, meridiem = 0, "am"
    if hour is None or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return Piece(m.start(), m.end(), hour=hour, minute=minute, meridiem=meridiem, grain="minute" if minute else "hour")







# --- putting pieces together ----------------------------------------------------------


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
        joins = last is not None and (gap == "" if lang == "zh" else bool(_JOIN_EN.match(gap)))
        kinds = {_kind(q) for q in last} if last else set()
        if last is not None and joins and _kind(p) not in kinds and "instant" not in kinds | {_kind(p)}:
            last.append(p)
        else:
            groups.append([p])
    return groups


def _kind(p: Piece) -> str:
    return "instant" if p.instant else "clock" if p.hour is not None else "day" if p.day else "pod"


def _resolve(group: list[Piece], now: datetime) -> tuple[datetime, str] | None:
    instant = next((p.instant for p in group if p.instant), None)
    if instant is not None:
        return instant.replace(second=0, microsecond=0), "minute"
    day_piece = next((p for p in group if p.day), None)
    clock = next((p for p in group if p.hour is not None), None)
    pod = next((p.pod for p in group if p.pod), None)
    if clock is None:
        if day_piece is None:
            return None  # a part of the day alone ("in the evening") is not a time
        return datetime.combine(day_piece.day, datetime.min.time(), now.tzinfo), day_piece.grain  # type: ignore[arg-type]
    hour, day = clock.hour or 0, day_piece.day if day_piece else None
    if clock.meridiem == "pm" and hour < 12:
        hour += 12
    elif clock.meridiem == "am" and hour == 12:
        hour = 0
    elif clock.meridiem is None and hour <= 12 and pod is not None:
        if pod.lower() in EVENING and hour < 12 and not (pod == "中午" and hour == 11):  # 中午十一点 is 11:00
            hour += 12
        elif pod.lower() in MORNING and hour == 12:
            hour = 0
    elif clock.meridiem is None and hour < 12 and (day is None or day == now.date()):
        at = now.replace(hour=hour, minute=clock.minute, second=0, microsecond=0)
        if at <= now and at + timedelta(hours=12) > now:
            hour += 12  # the next such time today
    base = day or now.date()
    value = datetime.combine(base, datetime.min.time(), now.tzinfo).replace(hour=hour % 24, minute=clock.minute)
    if day is None and value <= now:
        value += timedelta(days=1)  # a time alone that has passed today: tomorrow's
    return value, clock.grain


def times(text: str, lang: str, now: datetime, date_order: str = "MDY") -> list[Found]:
    """Every date/time in ``text``: ISO value, with ``grain`` in the info."""
    pieces = zh_pieces(text, now) if lang == "zh" else _en_pieces(text, now, date_order)
    out = []
    for group in _groups(text, pieces, lang):
        resolved = _resolve(group, now)
        if resolved is None:
            continue
        value, grain = resolved
        iso = value.isoformat(timespec="seconds")
        out.append(Found(group[0].start, group[-1].end, "time", iso, {"value": iso, "grain": grain, "type": "value"}))
    return out
