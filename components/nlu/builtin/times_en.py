"""Dates and times in English text: the pieces times.py joins and resolves.

A day: relative ("tomorrow", "the day before yesterday", "next friday", "wednesday of next week",
"friday after next", "3 fridays from now", "in 3 days", "two weeks ago", "a week hence"), a date
("June 5th", "the first of march", "march third 2015", "2015-3-3", "10/31/74", "31-Oct-74",
"Monday, Feb 18", "the 20th of next month", "the last Monday of May", "the first tuesday of
october", "the 5th last day of May"), a week, month, quarter or year ("next week", "this quarter", "the 3rd
quarter of 2018", "the first week of October", "the 2nd last week of 2018", "the week of the 14th",
"October 2014", "next March", "in 2014"), a holiday ("christmas", "easter 2010", "last
thanksgiving"). Clock times and offsets from now are clock_en.py's.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .clock_en import COUNT, EN_CLOCK, EN_IN, count, en_clock
from .days import (
    MONTHS,
    WEEKDAYS,
    Piece,
    add_months,
    future_date,
    in_next_week,
    next_day_of_month,
    next_weekday,
    now_piece,
    nth_in,
    shift_of,
    two_digit_year,
    with_weekday,
)
from .holidays import NAMES as HOLIDAY_NAMES
from .holidays import holiday_on
from .numbers import ORDINAL_WORDS, TENS, alternation
from .units import GRAINS, en_units, grain_of

__all__ = ["en_pieces"]

_WD = alternation(WEEKDAYS)
_MON = alternation(MONTHS)
# "may", "march" are verbs: only "in may", "next march"
_MON_ALONE = "|".join(m for m in sorted(MONTHS, key=len, reverse=True) if len(m) > 3 and m != "march")
# days of the month as ordinal words: "first" .. "thirty-first"
DAY_WORDS = {w: n for w, n in ORDINAL_WORDS.items() if n <= 31}
DAY_WORDS |= {f"{t} {w}": TENS[t] + n for t in ("twenty", "thirty") for w, n in ORDINAL_WORDS.items()
              if n < 10 and TENS[t] + n <= 31}
_DAY_WORDS_RUN_ON = {w.replace(" ", ""): n for w, n in DAY_WORDS.items()}  # "twentyfirst"
_DAY_WORD = "|".join(w.replace(" ", r"[\s-]?") for w in sorted(DAY_WORDS, key=len, reverse=True))
_DOM = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\b|(?:{_DAY_WORD})\b)"
_REL = r"next|this|last|current|coming|upcoming|following|the\s+following|previous|past"
_NTH = r"first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th"
# "the first monday of", "the 2nd last week of", "the last day in"
NTH_EN = rf"(?:the\s+)?(?:(?P<nback>second|third|fourth|fifth|2nd|3rd|4th|5th)\s+(?=last\b))?(?P<nth>{_NTH})"
# the month or year they are of: "of October 2014", "of next month", "of the month", "in 2018", "of the year"
SPAN_EN = (rf"(?:of|in)\s+(?:the\s+)?(?:(?P<nmrel>{_REL})\s+month|(?P<nmon>{_MON})\.?(?:\s+(?P<ny>\d{{4}}))?"
           rf"|(?P<nmonth>month)|(?P<nyear>\d{{4}})|(?:(?P<nyrel>{_REL})\s+)?(?P<nthisyear>year))")
_WORDS_TOO = ("sat", "sun", "wed")  # short weekdays that are English words
# "1/2 hour", "3/4 of a day": a share of a unit, no date
_NOT_A_SHARE = rf"(?!\s*(?:of\s+an?\s+)?(?:h|{en_units(*GRAINS)}|cups?)\b)"
_TIME_AFTER = re.compile(rf"\s*,?\s*(?:at\b|@|\d|the\s+\d|(?:{_MON})\b|morning|afternoon|evening|night)", re.I)
# as typed in chats, the spellings Duckling reads too ("tmrw", "tommorow"; "tonite")
# a time word just before "the <day of the month>" (fixed-width look-behinds, one per word)
_AFTER_TIME_WORD = "|".join(rf"(?<=\b{w}\s)" for w in ("by", "until", "till", "til", "before", "after", "since",
                                                       "from", "than", "thru", "through", "to", "starting"))
_TOMORROW = r"tmrw?|tomm?or?rows?"
_DAYS_UP = rf"fortnights?|{en_units('day', 'week', 'month', 'year')}"  # "in 3 wks", "2 yrs ago"
_TONIGHT = r"toni(?:ght|gth|te)s?"
_EN_DAY = re.compile(
    rf"\b(?:(?P<now>right\s+now|just\s+now|at\s+the\s+moment|now)"
    rf"|(?P<today>today|(?P<late>late\s+)?{_TONIGHT})|(?P<after>(?:the\s+)?day\s+after\s+tomorrow)"
    rf"|(?P<before>(?:the\s+)?day\s+before\s+yesterday)|(?P<tomorrow>{_TOMORROW})"
    rf"|(?P<yesterday>yesterday|(?P<late2>late\s+)?last\s+night)"
    rf"|(?P<wdw>{_WD})\.?,?\s+(?:of\s+|from\s+)?(?:the\s+)?(?P<wrel>{_REL})\s+week"
    rf"|(?P<wrel2>next|this|last|previous|past)\s+week'?s\s+(?P<wdw2>{_WD})"
    rf"|(?:the\s+)?(?P<wda>{_WD})\s+after\s+next"
    rf"|{NTH_EN}\s+(?P<nwd>{_WD}|day|week)\s+{SPAN_EN}"
    rf"|(?:(?P<hrel>this|next|last|coming)\s+)?(?P<hol>{HOLIDAY_NAMES})(?:,?\s+(?:of\s+)?(?P<hy>\d{{4}})"
    rf"|\s+of\s+(?P<hyrel>next|last|this)\s+year)?"
    rf"|(?P<cn>{COUNT})\s+(?P<cwd>{_WD})s\s+(?P<cdir>from\s+now|ago|back)"
    rf"|(?:(?P<rel>next|this|coming|last|on)\s+)?(?P<wd>{_WD})\b\.?"
    rf"|(?P<nextunit>{_REL})\s+(?P<unit>{en_units('week', 'month', 'quarter', 'year')})\b"
    rf"|(?:the\s+)?(?P<unit2>{en_units('week', 'month', 'quarter', 'year')})\s+after\s+next\b"  # two on
    rf"|(?:the\s+)?(?P<qn>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:quarter|qtr)(?:\s+(?:of\s+)?(?P<qy>\d{{4}}))?"
    rf"|(?P<qy2>\d{{4}}|\d{{2}})\s?q(?P<qn2>[1-4])"
    rf"|(?:in|within)\s+(?:about\s+|approximately\s+|around\s+|roughly\s+)?(?P<inn>{COUNT})\s+(?P<inunit>{_DAYS_UP})\b"
    rf"|(?P<agon>{COUNT})\s+(?P<agounit>{_DAYS_UP})\s+"
    rf"(?P<dir>ago|back|from\s+now|from\s+today|hence|later|from\s+tomorrow|from\s+(?P<fromnext>next\s+)?(?P<fromwd>{_WD}))"
    rf"|(?:on\s+)?(?:the\s+)?(?P<d5>{_DOM})(?:\s+day)?\s+of\s+(?:the\s+)?(?P<mrel>{_REL})\s+month"
    rf"|(?P<d3>\d{{1,2}})\s*[/-]\s*(?P<m3>{_MON})\.?\s*[/-]\s*(?P<y3>\d{{4}}|\d{{2}})\b"
    rf"|(?:on\s+)?(?:the\s+)?(?P<d1>{_DOM})(?:\s+day)?\s*(?:of\s+)?(?P<m1>{_MON})\b\.?(?:,?\s+(?P<y1>\d{{4}}|'?\d{{2}}\b))?"
    rf"|(?P<m2>{_MON})\.?\s+(?:the\s+)?(?P<d2>{_DOM})(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<m6>{_MON})\.?,?\s+(?P<y6>\d{{4}})"
    rf"|(?P<mrel2>next|this|last|coming|the\s+following)\s+(?P<m7>{_MON})"
    rf"|(?P<m8>{_MON})\s+after\s+next"
    rf"|(?P<iso>\d{{4}}-\d{{1,2}}-\d{{1,2}})|(?P<ym>\d{{4}})[-/](?P<ymm>\d{{1,2}})(?![-/\d])"
    rf"|(?<![\d.-])(?P<num>\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}}))(?![\d.-])"
    rf"|(?P<my>\d{{1,2}})/(?P<myy>\d{{4}})|(?P<slash>\d{{1,2}}/\d{{1,2}})(?!/){_NOT_A_SHARE}"
    rf"|on\s+the\s+(?P<dom>\d{{1,2}})(?:st|nd|rd|th)|on\s+the\s+(?P<domw>{_DAY_WORD})"
    # "the 23rd at 7": a day of the month said with its time, or after a word of time ("by the 20th", "until the
    # 3rd"), or alone ("the 20th", "the 20th please": a day, beside the ordinal builtin_entities keeps too); "the
    # 2nd one" stays an ordinal
    rf"|(?:{_AFTER_TIME_WORD})the\s+(?P<dom2>\d{{1,2}})(?:st|nd|rd|th)\b"
    r"(?!\s*(?:-|–|to|till|until|and|through|thru)\s*(?:the\s+)?\d)(?!\s*(?:of\s+)?[a-z]{3})"
    rf"|the\s+(?P<dom3>\d{{1,2}})(?:st|nd|rd|th)(?=\s*,?\s*(?:at\b|@|in\s+the\s+(?:morning|afternoon|evening))"
    r"|\s*(?:[.!?]|,?\s*(?:please|pls|plz|then|thanks|thank\s+you|would\s+be\s+(?:great|good|fine))\b|$))"
    rf"|in\s+(?P<year>1\d{{3}}|2\d{{3}})"
    rf"|(?:in|during)\s+(?P<inmonth>{_MON})(?!\.?,?\s+(?:(?:the\s+)?{_DOM}|\d{{4}}\b))"  # "in dec 20", "in may 2027"
    rf"|(?P<month>{_MON_ALONE})"
    # "may" and "march" are months after a word of time or before a range's other month ("between May and August",
    # "until May", "May to August"); alone they are a verb
    rf"|(?:{_AFTER_TIME_WORD}|(?<=\bbetween\s))(?P<month2>may|march)(?!\s+(?:i|we|you|he|she|it|they|be|have)\b)"
    rf"|(?P<month3>may|march)(?=\s*(?:-|–|to|through|thru|until|till)\s*(?:{_MON})\b))\b",
    re.I,
)
_WEEK_OF = re.compile(r"\b(?:the\s+)?week\s+of\s+$", re.I)
_EN_POD = re.compile(
    r"\b(?:in\s+the\s+|this\s+|tomorrow\s+)?(?:(?P<mod>early|late)\s+(?:in\s+the\s+)?)?"
    r"(?P<pod>morning|afternoon|evening|night|lunch)(?:time)?\b|\bat\s+night\b",
    re.I,
)


def _day_of_month(said: str) -> int | None:
    said = " ".join(said.lower().replace("-", " ").split())
    digits = re.match(r"\d+", said)
    if digits:
        return int(digits.group())
    return DAY_WORDS.get(said) or _DAY_WORDS_RUN_ON.get(said.replace(" ", ""))


def _year(said: str) -> int:
    digits = said.lstrip("'")
    return int(digits) if len(digits) > 2 else two_digit_year(int(digits))


def _month(said: str) -> int:
    return MONTHS[said.lower().rstrip(".")]


def _nth(said: str) -> int:
    said = said.lower()
    return -1 if said == "last" else {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}.get(
        said, int(said[0]) if said[0].isdigit() else 0)


def _holiday(g: dict[str, str], today: date) -> date | None:
    name = g["hol"]
    if "hy" in g:
        return holiday_on(name, int(g["hy"]))
    if "hyrel" in g:
        return holiday_on(name, today.year + shift_of(g["hyrel"]))
    this_year, rel = holiday_on(name, today.year), g.get("hrel", "").lower()
    if this_year is None:
        return None
    if rel == "last":  # the last one before today
        return this_year if this_year < today else holiday_on(name, today.year - 1)
    return this_year if this_year >= today else holiday_on(name, today.year + 1)  # the next one


def nth_of_span(g: dict[str, str], today: date) -> tuple[date, date, int]:
    """The first day and the day after the month or year a match of ``NTH_EN ... SPAN_EN`` names (a month without
    its year the next one, this one while it lasts), and the place said: 2 for "second", -1 for "last", -2 for
    "second last"."""
    if "nyear" in g or "nthisyear" in g:
        year = int(g["nyear"]) if "nyear" in g else today.year + shift_of(g.get("nyrel", "this"))
        first, end = date(year, 1, 1), date(year + 1, 1, 1)
    else:
        if "nmon" in g:
            first = date(int(g["ny"]) if "ny" in g else today.year, _month(g["nmon"]), 1)
            if "ny" not in g and first < add_months(today, 0):
                first = date(today.year + 1, first.month, 1)
        else:
            first = add_months(today, shift_of(g["nmrel"]) if "nmrel" in g else 0)
        end = add_months(first, 1)
    return first, end, _nth(g["nth"]) * (_nth(g["nback"]) if "nback" in g else 1)


def _day(g: dict[str, str], today: date, date_order: str) -> tuple[date | None, str]:
    """The day (or first day of the week, month, quarter, year) a match of _EN_DAY names, and its grain."""
    monday = today - timedelta(days=today.weekday())
    if "today" in g:
        return today, "day"
    if "tomorrow" in g or "yesterday" in g or "after" in g or "before" in g:
        shift = 2 if "after" in g else 1 if "tomorrow" in g else -2 if "before" in g else -1
        return today + timedelta(days=shift), "day"
    if "wdw" in g or "wdw2" in g:
        week = monday + timedelta(weeks=shift_of(g.get("wrel") or g["wrel2"]))
        return week + timedelta(days=WEEKDAYS[(g.get("wdw") or g["wdw2"]).lower()]), "day"
    if "wda" in g:  # "friday after next": the one after the next one
        return next_weekday(today, WEEKDAYS[g["wda"].lower()]) + timedelta(weeks=1), "day"
    if "nth" in g:
        first, end, nth = nth_of_span(g, today)
        unit = g["nwd"].lower()
        return nth_in(first, end, WEEKDAYS.get(unit, unit), nth), "week" if unit == "week" else "day"
    if "hol" in g:
        return _holiday(g, today), "day"
    if "cwd" in g:  # "3 fridays from now", "2 thursdays ago"
        weeks = count(g["cn"])
        if weeks is None or not weeks.is_integer() or weeks < 1:
            return None, "day"
        weekday = WEEKDAYS[g["cwd"].lower()]
        if g["cdir"].lower() in ("ago", "back"):
            last = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
            return last - timedelta(weeks=int(weeks) - 1), "day"
        return next_weekday(today, weekday) + timedelta(weeks=int(weeks) - 1), "day"
    if "wd" in g:
        weekday, rel = WEEKDAYS[g["wd"].lower()], g.get("rel", "").lower()
        if rel == "next":
            return in_next_week(today, weekday), "day"
        if rel == "last":
            return today - timedelta(days=(today.weekday() - weekday) % 7 or 7), "day"
        return next_weekday(today, weekday, include_today=rel == "this"), "day"
    if "unit" in g or "unit2" in g:
        unit, shift = grain_of(g.get("unit") or g["unit2"]), shift_of(g["nextunit"]) if "unit" in g else 2
        if unit == "week":
            return monday + timedelta(weeks=shift), "week"
        if unit == "month":
            return add_months(today, shift), "month"
        if unit == "quarter":
            return add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3 * shift), "quarter"
        return date(today.year + shift, 1, 1), "year"
    if "qn" in g or "qn2" in g:
        quarter = _nth(g["qn"]) if "qn" in g else int(g["qn2"])
        year = int(g["qy"]) if "qy" in g else _year(g["qy2"]) if "qy2" in g else today.year
        return date(year, 3 * quarter - 2, 1), "quarter"
    if "inn" in g or "agon" in g:
        how_many = count(g.get("inn") or g["agon"])
        if how_many is None or not how_many.is_integer():
            return None, "day"
        n = int(how_many)
        unit = grain_of(g.get("inunit") or g["agounit"])
        said = " ".join(g.get("dir", "").lower().split())
        sign = -1 if said in ("ago", "back") else 1
        base = today + timedelta(days=1) if said == "from tomorrow" else today  # "a week from tomorrow"
        if "fromwd" in g:  # "two weeks from Monday"
            weekday = WEEKDAYS[g["fromwd"].lower()]
            base = in_next_week(today, weekday) if "fromnext" in g else next_weekday(today, weekday)
        if unit in ("day", "week", "fortnight"):
            return base + sign * timedelta(days=int(n) * {"day": 1, "week": 7, "fortnight": 14}[unit]), "day"
        months = sign * int(n) * (12 if unit == "year" else 1)
        first = add_months(base, months)
        return first.replace(day=min(base.day, 28)), "day"
    if "d5" in g:
        dom, first = _day_of_month(g["d5"]), add_months(today, shift_of(g["mrel"]))
        return (future_date(first, first.month, dom, first.year) if dom else None), "day"
    if "d3" in g:
        return future_date(today, _month(g["m3"]), int(g["d3"]), _year(g["y3"])), "day"
    if "d1" in g or "d2" in g:
        dom = _day_of_month(g.get("d1") or g["d2"])
        said_year = g.get("y1") or g.get("y2")
        if dom is None:
            return None, "day"
        return future_date(today, _month(g.get("m1") or g["m2"]), dom, _year(said_year) if said_year else None), "day"
    if "m6" in g:
        return date(int(g["y6"]), _month(g["m6"]), 1), "month"
    if "m7" in g or "m8" in g:
        month = _month(g.get("m7") or g["m8"])
        this_year = date(today.year, month, 1)
        upcoming = this_year if month > today.month else date(today.year + 1, month, 1)
        said_shift = shift_of(g["mrel2"]) if "mrel2" in g else 2
        if said_shift == -1:
            return (this_year if month < today.month else date(today.year - 1, month, 1)), "month"
        return (upcoming if said_shift in (0, 1) else date(upcoming.year + 1, month, 1)), "month"
    if "iso" in g:
        y, m, d = (int(p) for p in g["iso"].split("-"))
        return future_date(today, m, d, y), "day"
    if "ym" in g:
        return (date(int(g["ym"]), int(g["ymm"]), 1) if 1 <= int(g["ymm"]) <= 12 else None), "month"
    if "my" in g:
        return (date(int(g["myy"]), int(g["my"]), 1) if 1 <= int(g["my"]) <= 12 else None), "month"
    if "num" in g or "slash" in g:
        parts = [int(p) for p in re.split(r"[/.-]", g.get("num") or g["slash"])]
        month, dom = (parts[0], parts[1]) if date_order == "MDY" else (parts[1], parts[0])
        if not 1 <= month <= 12:
            return None, "day"
        return future_date(today, month, dom, _year(str(parts[2])) if len(parts) > 2 else None), "day"
    if "year" in g:
        return date(int(g["year"]), 1, 1), "year"
    month_said = next((g[k] for k in ("inmonth", "month", "month2", "month3") if k in g), None)
    if month_said is not None:  # a month alone: its first day, the next one (this one while it lasts)
        month = _month(month_said)
        return date(today.year + (month < today.month), month, 1), "month"
    if "dom" in g or "domw" in g or "dom2" in g or "dom3" in g:
        said_dom = _day_of_month(g["domw"]) if "domw" in g else int(g.get("dom") or g.get("dom2") or g["dom3"])
        return (next_day_of_month(today, said_dom) if said_dom is not None else None), "day"
    return None, "day"


_DATED = ("d1", "d2", "d3", "iso", "num", "slash")


def en_pieces(text: str, now: datetime, date_order: str) -> list[Piece]:
    today = now.date()
    days: list[Piece] = []
    for m in _EN_DAY.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        if "now" in g:
            days.append(now_piece(m.start(), m.end(), now))
            continue
        if "d1" in g and g["m1"].lower() in ("may", "march") and not g["d1"][0].isdigit() and " of " not in m.group():
            continue  # "the first may be": a verb, unless "the first of may"
        if "wd" in g and g["wd"].lower() in _WORDS_TOO and "rel" not in g and not g["wd"][0].isupper() and not (
                _TIME_AFTER.match(text, m.end())):
            continue  # "I sat down", "the sun": a weekday only as "Sat", "on sat", "sat at 7"
        day, grain = _day(g, today, date_order)
        if day is None:
            continue
        night = "toni" in g.get("today", "").lower() or "night" in g.get("yesterday", "").lower()
        late = "late " if "late" in g or "late2" in g else ""
        piece = Piece(m.start(), m.end(), day=day, grain=grain, pod=late + "night" if night else None)
        if "wd" in g and g.get("rel", "on").lower() == "on":
            piece.weekday = WEEKDAYS[g["wd"].lower()]
        if any(k in g for k in _DATED):
            piece.dated = True
            piece.said_year = any(k in g for k in ("y1", "y2", "y3", "iso", "num"))
        days.append(piece)
    out = with_weekday(text, days, today)
    for piece in out:
        week_of = _WEEK_OF.search(text[:piece.start]) if piece.grain == "day" else None
        if week_of and piece.day is not None:  # "the week of October 6th": its week (a Sunday the next, as Duckling's)
            piece.start, piece.grain, weekday = week_of.start(), "week", piece.day.weekday()
            piece.day += timedelta(days=7 - weekday if weekday == 6 else -weekday)
    for m in _EN_POD.finditer(text):
        start = m.start() if not m.group().lower().startswith("tomorrow") else m.start() + len("tomorrow ")
        pod = " ".join(w for w in (m.group("mod"), m.group("pod") or "night") if w).lower()  # "early morning"
        out.append(Piece(start, m.end(), pod=pod, grain="pod"))
    for m in EN_CLOCK.finditer(text):
        clock = en_clock(m)
        if clock is not None:
            out.append(clock)
    for m in EN_IN.finditer(text):
        how_many = count(m.group("n") or m.group("n2"))
        if how_many is None:
            continue
        unit = (m.group("unit") or m.group("unit2")).lower()
        how_many += 0.5 if m.group("half") else 0
        seconds = how_many * (3600 if unit.startswith("h") else 1 if unit.startswith("s") else 60)
        sign = -1 if (m.group("dir") or "").lower() == "ago" else 1
        out.append(Piece(m.start(), m.end(), grain="second" if unit.startswith("s") else "minute",
                         instant=now + sign * timedelta(seconds=seconds)))
    return out
