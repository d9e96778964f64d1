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
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .numbers import (
    CN_NUM,
    TENS,
    UNITS,
    Found,
    cn_number,
    en_number,
)

__all__ = ["times"]

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


def _next_weekday(today: date, weekday: int, *, include_today: bool = False) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead if ahead or include_today else 7)


def _in_next_week(today: date, weekday: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)


def _future_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year if year > 99 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)


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
                _in_next_week(today, weekday)
                if rel == "next"
                else today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
                if rel == "last"
                else _next_weekday(today, weekday, include_today=rel == "this")
            )
        elif "unit" in g:
            unit, shift = g["unit"].lower(), {"next": 1, "this": 0, "last": -1}[g["nextunit"].lower()]
            grain = unit
            day = (today - timedelta(days=today.weekday()) + timedelta(weeks=shift) if unit == "week"
                   else _add_months(today, shift) if unit == "month" else date(today.year + shift, 1, 1))
        elif "inn" in g or "agon" in g:
            n = _word_or_digits(g.get("inn") or g["agon"])
            if n is None:
                continue
            unit = (g.get("inunit") or g["agounit"]).lower().rstrip("s")
            sign = -1 if g.get("dir", "").lower() == "ago" else 1
            if unit in ("day", "week"):
                day = today + sign * timedelta(days=n * (7 if unit == "week" else 1))
            else:
                day = _add_months(today, n * (12 if unit == "year" else 1)).replace(day=min(today.day, 28))
        elif "m1" in g or "m2" in g:
            day = _future_date(today, MONTHS[(g.get("m1") or g["m2"]).lower()], int(g.get("d1") or g["d2"]),
                               int(g["y1"]) if g.get("y1") else int(g["y2"]) if g.get("y2") else None)
        elif "iso" in g:
            day = _future_date(today, int(g["iso"][5:7]), int(g["iso"][8:10]), int(g["iso"][:4]))
        elif "slash" in g:
            parts = [int(p) for p in g["slash"].split("/")]
            month, dom = (parts[0], parts[1]) if date_order == "MDY" else (parts[1], parts[0])
            day = _future_date(today, month, dom, parts[2] if len(parts) > 2 else None)
        # a month alone: its first day, the next one from today (this one while it lasts)
        elif "inmonth" in g or "month" in g:
            month = MONTHS[(g.get("inmonth") or g["month"]).lower()]
            day = date(today.year + (month < today.month), month, 1)
            grain = "month"
        elif "dom" in g:
            n = int(g["dom"])
            day = _future_date(today, today.month, n, None) if n >= today.day else None
            day = day or _future_date(_add_months(today, 1), _add_months(today, 1).month, n, _add_months(today, 1).year)
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


# --- Chinese --------------------------------------------------------------------------

_ZH_DAY = re.compile(
    rf"(?P<rel>今天|今日|今晚|明天|明日|明晚|明早|后天|大后天|昨天|前天)"
    rf"|(?P<wrel>下下|下个|下|这个|这|本|上个|上)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<nu>下|这|本)(?:个)?(?P<unit>周|星期|礼拜|月)(?![一二三四五六日天1-7])"
    rf"|(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?(?P<mo>{CN_NUM})月(?:(?P<d>{CN_NUM})[日号])?"
    rf"|(?P<dom>{CN_NUM})[日号]"
    rf"|(?P<n>{CN_NUM})(?:个)?(?P<nunit>天|星期|礼拜|周|月)(?:以后|之后|后)")
_ZH_POD = re.compile("早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|凌晨")
_ZH_CLOCK = re.compile(
    rf"(?P<h>{CN_NUM})(?:点钟|点|时)(?:(?P<half>半)|(?P<q>[一三])刻|(?P<m>{CN_NUM})分?)?|(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})"
)
_ZH_IN = re.compile(rf"(?P<n>{CN_NUM}|半)(?:个)?(?P<half>半)?(?P<unit>小时|钟头|分钟)(?:以后|之后|后)")


def _zh_pieces(text: str, now: datetime) -> list[Piece]:
    today = now.date()
    out: list[Piece] = []
    rel = {
        "今天": 0,
        "今日": 0,
        "今晚": 0,
        "明天": 1,
        "明日": 1,
        "明晚": 1,
        "明早": 1,
        "后天": 2,
        "大后天": 3,
        "昨天": -1,
        "前天": -2,
    }
    for m in _ZH_DAY.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        day, grain, pod = None, "day", None
        if "rel" in g:
            day = today + timedelta(days=rel[g["rel"]])
            pod = g["rel"] if g["rel"] in ("今晚", "明晚", "明早") else None
        elif "wd" in g:
            weekday, wrel = CN_WEEKDAYS[g["wd"]], g.get("wrel", "")
            this_week = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
            day = (
                this_week + timedelta(weeks=2)
                if wrel == "下下"
                else this_week + timedelta(weeks=1)
                if wrel in ("下", "下个")
                else this_week - timedelta(weeks=1)
                if wrel in ("上", "上个")
                else this_week
                if wrel
                else _next_weekday(today, weekday, include_today=True)
            )
        elif "unit" in g:
            shift = 0 if g["nu"] in ("这", "本") else 1
            grain = "month" if g["unit"] == "月" else "week"
            day = (
                _add_months(today, shift)
                if grain == "month"
                else today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
            )
        elif "mo" in g:
            month = cn_number(g["mo"])
            dom = cn_number(g["d"]) if "d" in g else 1
            year = cn_number(g["y"]) if "y" in g else None
            if not isinstance(month, int) or not isinstance(dom, int) or not 1 <= month <= 12:
                continue
            day = _future_date(today, month, dom, int(year) if year is not None else None)
            grain = "day" if "d" in g else "month"
        elif "dom" in g:
            n = cn_number(g["dom"])
            if not isinstance(n, int) or not 1 <= n <= 31:
                continue
            day = _future_date(today, today.month, n, None) if n >= today.day else None
            nxt = _add_months(today, 1)
            day = day or _future_date(today, nxt.month, n, nxt.year)
        elif "n" in g:
            n = cn_number(g["n"])
            if not isinstance(n, int):
                continue
            unit = g["nunit"]
            day = (today + timedelta(days=n) if unit == "天" else today + timedelta(weeks=n) if unit != "月"
                   else _add_months(today, n).replace(day=min(today.day, 28)))
        if day is not None:
            out.append(Piece(m.start(), m.end(), day=day, grain=grain, pod=pod))
    out += [Piece(m.start(), m.end(), pod=m.group(), grain="pod") for m in _ZH_POD.finditer(text)]
    for m in _ZH_CLOCK.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        hour = cn_number(g["h"]) if "h" in g else int(g["h24"])
        minute = (
            30
            if "half" in g
            else (15 if g["q"] == "一" else 45)
            if "q" in g
            else cn_number(g["m"])
            if "m" in g
            else int(g.get("m24", 0))
        )
        if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour <= 24 and 0 <= minute <= 59:
            out.append(Piece(m.start(), m.end(), hour=hour % 24, minute=minute, grain="minute" if minute else "hour"))
    for m in _ZH_IN.finditer(text):
        n = 0.5 if m.group("n") == "半" else cn_number(m.group("n"))
        if n is None:
            continue
        minutes = (n + (0.5 if m.group("half") else 0)) * (1 if m.group("unit") == "分钟" else 60)
        out.append(Piece(m.start(), m.end(), grain="minute", instant=now + timedelta(minutes=minutes)))
    return out


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
    pieces = _zh_pieces(text, now) if lang == "zh" else _en_pieces(text, now, date_order)
    out = []
    for group in _groups(text, pieces, lang):
        resolved = _resolve(group, now)
        if resolved is None:
            continue
        value, grain = resolved
        iso = value.isoformat(timespec="seconds")
        out.append(Found(group[0].start, group[-1].end, "time", iso, {"value": iso, "grain": grain, "type": "value"}))
    return out
