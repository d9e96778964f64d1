"""Time intervals: what Duckling gives as ``{"from": ..., "to": ...}`` (Rasa's entity value for an interval).

- a range between two times: "from 3 to 5pm", "9:30 - 11:00 on Thursday", "between monday and
  wednesday", "July 13-15", "from the 13th to the 15th of July", "三点到五点", "7月13号到15号";
  the unsaid parts of one side come from the other (its day, its am/pm);
- a part of a day: "tomorrow evening", "tonight", "this morning", "monday morning", "明天下午";
- a weekend: "this weekend", "next weekend", "the last weekend of October", "这周末";
- a stretch from now: "the next 3 days", "the last 2 weeks", "past 2 hours", "未来三天", "上两周";
- a part of a month or year: "the end of the month", "early March", "the beginning of 2027", 月底, 下个月初, 年底;
- (open_intervals.py) a length of time from a time ("for 3 nights from Friday"), and one end alone
  ("after 2pm", "until Friday", "三点以后"), the other end ``None`` as Rasa gives it; a day said before
  the end is its day ("thursday after 6pm", "tomorrow before noon").

``to`` is exclusive, as Duckling's: the end said plus one of its grain ("3-5pm" ends at 18:00,
"July 13-15" on the 16th), and the grain of both ends is the finer one said.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from .clock_en import COUNT, count
from .days import GRAIN_ORDER, MONTHS, Piece, Resolve, add_months, interval, midnight, nth_in, plus, shift_of
from .numbers import CN_NUM, Found, alternation, cn_int, cn_number
from .open_intervals import BEFORE_ZH, BY_EN, deadline, for_length, one_end, open_end, open_phrases, zh_end_mark
from .times_en import NTH_EN, SPAN_EN, nth_of_span
from .units import ZH_UNITS, en_units, grain_of

__all__ = ["POD_HOURS", "intervals"]

# a part of the day: (first hour, hour it ends), Duckling's
POD_HOURS = {"morning": (0, 12), "afternoon": (12, 19), "evening": (18, 24), "night": (18, 24), "lunch": (12, 14),
             "早上": (4, 12), "早晨": (4, 12), "清晨": (4, 9), "上午": (4, 12), "明早": (4, 12), "中午": (12, 14),
             "下午": (12, 19), "傍晚": (17, 20), "晚上": (18, 24), "夜里": (18, 24), "夜间": (18, 24), "今晚": (18, 24),
             "明晚": (18, 24), "凌晨": (0, 6), "半夜": (0, 6), "午夜": (0, 6),  # Duckling: 半夜, 午夜 as 凌晨
             # early and late in a part of the day: its first or last three hours (Duckling's early morning: 0-9)
             "early morning": (0, 9), "late morning": (9, 12), "early afternoon": (12, 15),
             "late afternoon": (16, 19), "early evening": (18, 21), "late evening": (21, 24), "late night": (21, 24)}
_RANGE = {"en": re.compile(r"^\s*(?:-|–|—|to|till|til|until|untill|thru|through|and)\s*$", re.I),
          "zh": re.compile(r"^\s*(?:-|–|—|到|至|~|～)\s*$")}
_OPEN = {"en": re.compile(r"\b(?:from|between)\s+$", re.I), "zh": re.compile(r"从$")}
_DAY_THEN_RANGE = {"en": re.compile(r"^\s*(?:,|on|from|,\s*from|between)?\s*$", re.I), "zh": re.compile(r"^从?$")}
# an hour said bare at one end of a range whose other end is a clock time: "3-5pm", "from 3 to 4 in the PM",
# "8am until 6", "三到五点"
_TO = r"(?:-|–|—|to|till|til|until)"
_BARE_START = {
    "en": re.compile(rf"(?<![\d:.])(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?\s*(?:{_TO}|and)\s*$", re.I),
    "zh": re.compile(rf"(?P<h>{CN_NUM})(?:点|:(?P<m>\d{{2}}))?(?:-|到|至)$"),
}
_BARE_END = {
    "en": re.compile(rf"\s*{_TO}\s*(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?(?![\d:.]|\s*[ap]\.?m)", re.I),
    "zh": re.compile(rf"(?:-|到|至)(?P<h>{CN_NUM})(?!点|[\d:])"),
}
_MON = alternation(MONTHS)
_DAYS_EN = re.compile(
    rf"\b(?:from\s+)?(?:(?P<mon>{_MON})\.?\s+(?:the\s+)?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|thru|through|till|until)"
    rf"\s*(?:the\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?|(?:the\s+)?(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|thru|through"
    rf"|till|until)\s*(?:the\s+)?(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MON}))\b",
    re.I,
)
# days of the month without one, each with its ordinal's letters ("from the 20th to the 23rd", "20th-23rd", "between
# the 30th and the 2nd"): the next such days, the end in the month after when it is the smaller
_DOMS_EN = re.compile(
    r"\b(?:(?P<between>between)\s+|from\s+)?(?:the\s+)?(?P<d1>\d{1,2})(?:st|nd|rd|th)"
    r"\s*(?P<to>-|–|\bto\b|\bthru\b|\bthrough\b|\btill\b|\buntil\b|\band\b)\s*(?:the\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th)\b"
    rf"(?!\s*(?:of\s+)?(?:{_MON})\b)",
    re.I,
)
_DAYS_ZH = re.compile(rf"(?P<mon>{CN_NUM})月(?P<d1>{CN_NUM})[日号]?(?:-|到|至|~)(?P<d2>{CN_NUM})[日号]")
_UNIT = en_units("second", "minute", "hour", "day", "week", "month", "year")
_STRETCH_EN = re.compile(rf"\b(?P<rel>next|last|past|previous|coming)\s+(?P<n>{COUNT})\s+(?P<unit>{_UNIT})\b", re.I)
_STRETCH_ZH = re.compile(
    rf"(?P<rel>接下来的?|未来|过去|最近|上|前|下|后)(?P<n>{CN_NUM})个?(?P<unit>秒钟?|分钟|小时|钟头|天|周|星期|礼拜|月|年)"
)
_WEEKEND = {"en": re.compile(
    r"\b(?:(?P<rel>this\s+past|this|next|last|coming|the)\s+)?w(?:ee)?k-?ends?(?P<after>\s+after\s+next)?\b", re.I),
            "zh": re.compile(r"(?P<rel>这个?|本|下个?|上个?)?周末")}
# one weekend of a month or year: "the last weekend of October", "the first weekend of next month"; a weekend is
# the month's when its Sunday is (Duckling's: October 2013's last is the 25th to the 28th)
_NTH_WEEKEND_EN = re.compile(rf"\b{NTH_EN}\s+w(?:ee)?k-?\s?ends?\s+{SPAN_EN}\b", re.I)


def intervals(text: str, lang: str, now: datetime, groups: list[list[Piece]], resolve: Resolve) -> list[Found]:
    """The intervals in ``text``: from the time ``groups`` (their pieces joined) and from phrases of their own."""
    out: list[Found] = []
    today = now.date()
    items = [g for g in _with_bare_hours(text, lang, groups)
             if resolve(g) is not None or _pod_day(g, text, today) is not None]
    used: set[int] = set()
    for i in range(len(items) - 1):
        g1, g2 = items[i], items[i + 1]
        if i in used or not _RANGE[lang].match(text[g1[-1].end:g2[0].start]):
            continue
        before = items[i - 1] if i > 0 and i - 1 not in used else None
        if (before is not None and all(p.day and p.hour is None for p in before) and not any(p.day for p in g1)
                and _DAY_THEN_RANGE[lang].match(text[before[-1].end:g1[0].start])):
            g1 = [*before, *g1]  # "Thursday from 9:30 to 11:00", "this Thu 9-11am": the day of both ends
            used.add(i - 1)
        g1, g2 = _share(g1, g2)
        r1, r2 = resolve(g1), resolve(g2)
        if r1 is not None and r2 is not None and r2[0] < r1[0] and not any(p.day for p in g2):
            # the end said without a day is on the start's ("8am until 6" when 8am is tomorrow's)
            r2 = resolve([*g2, Piece(g2[0].start, g2[0].start, day=r1[0].date())])
        while (r1 is not None and r2 is not None and r2[0] < r1[0] and any(p.weekday is not None for p in g2)
               and all(p.hour is None and not p.instant for p in (*g1, *g2))):
            r2 = (r2[0] + timedelta(weeks=1), r2[1])  # "friday to sunday", 周五到周日: the first Sunday after Friday
        if r1 is None or r2 is None or r2[0] < r1[0]:
            continue
        grain = min(r1[1], r2[1], key=GRAIN_ORDER.index)
        start, end = min(p.start for p in g1), max(p.end for p in g2)
        lead = _OPEN[lang].search(text[:start])
        between = lead is not None and lead.group().lower().startswith("between")
        if text[g1[-1].end:g2[0].start].strip().lower() == "and" and not between:
            continue  # "tomorrow and friday" are two days; "between tomorrow and friday" a stretch
        out.append(interval(lead.start() if lead else start, end, r1[0], plus(r2[0], grain), grain))
        used |= {i, i + 1}
    for i, g in enumerate(items):
        pod = _pod_day(g, text, today)
        if i in used or pod is None or any(p.hour is not None or p.instant for p in g):
            continue
        day, (first, last) = pod
        base = midnight(day, now)
        mark = zh_end_mark(text, g[-1].end) if lang == "zh" else None
        if mark is not None:  # 明天中午之前: up to that noon; 下午以后: from the afternoon on
            after, stop = mark
            out.append(open_end(g[0].start, stop, base + timedelta(hours=first), "hour", after))
            continue
        out.append(interval(g[0].start, g[-1].end, base + timedelta(hours=first), base + timedelta(hours=last), "hour"))
    out += _phrases(text, lang, now)
    taken = [(f.start, f.end) for f in out]
    for i, g in enumerate(items):
        previous = items[i - 1][-1].end if i else None  # "monday through friday" read as no range: no open end
        if i in used or (at := resolve(g)) is None:  # resolved once for both readings
            continue
        said_day = _day_of_open_end(items, i, text, lang, used)
        if said_day is not None and (on_day := resolve([*said_day, *g])) is not None and \
                (f := one_end(g, text, lang, now, on_day, taken, None)) is not None:
            out.append(replace(f, start=said_day[0].start))  # "thursday after 6pm": from 6pm on Thursday
            used.add(i - 1)
        elif (f := for_length(g, text, lang, at, taken) or one_end(g, text, lang, now, at, taken, previous)):
            out.append(f)
    if lang == "en":
        out = [_by_start(f, text, now) for f in out]
    kept: list[Found] = []
    for f in sorted(out, key=lambda f: f.start - f.end):  # the longest first
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return kept


def _by_start(found: Found, text: str, now: datetime) -> Found:
    """"by tonight", "by the weekend", "by monday morning": a deadline, from now to the stretch's start (Duckling's
    "by <time>"; "by the end of <stretch>" runs to its end, :func:`_by_then`); a stretch under way stays itself."""
    by = BY_EN.search(text[:found.start])
    value = found.value
    if by is None or "by" in found.info or not isinstance(value, dict) or not (value["from"] and value["to"]):
        return found
    start = datetime.fromisoformat(value["from"])
    return deadline(by.start(), found.end, now, start, found.info["from"]["grain"]) if start > now else found


# a day, then one end said of a clock time on it: "thursday after 6pm", "tomorrow before noon", "friday, until 5pm"
_DAY_THEN_END = re.compile(r"^\s*,?\s*(?:after|before|until|till|til|from|since|by|no\s+(?:earlier|later)\s+than)\s+$",
                           re.I)


def _day_of_open_end(items: list[list[Piece]], i: int, text: str, lang: str, used: set[int]) -> list[Piece] | None:
    """The day said just before one end of an interval when ``items[i]`` is a clock time alone and
    ``items[i - 1]`` a day alone ("thursday after 6pm": the day of the clock time), else None."""
    if lang != "en" or i == 0 or i - 1 in used:
        return None
    day, clock = items[i - 1], items[i]
    if not all(p.day and p.hour is None and not p.instant for p in day) or \
            any(p.day or p.instant for p in clock) or not any(p.hour is not None for p in clock):
        return None
    return day if _DAY_THEN_END.match(text[day[-1].end:clock[0].start]) else None


def _bare(m: re.Match[str], lang: str, start: int, end: int) -> Piece | None:
    hour = cn_number(m.group("h")) if lang == "zh" else int(m.group("h"))
    minute = int(m.group("m")) if m.group("m") else 0
    if not isinstance(hour, int) or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return Piece(start, end, hour=hour, minute=minute, grain="minute" if m.group("m") else "hour")


def _with_bare_hours(text: str, lang: str, groups: list[list[Piece]]) -> list[list[Piece]]:
    """The groups, with a clock time for an hour said bare at one end of a range ("3-5pm", "8am until 6")."""
    out: list[list[Piece]] = []
    for k, g in enumerate(groups):
        clock = next((p for p in g if p.hour is not None), None)
        floor = groups[k - 1][-1].end if k else 0
        if clock is not None and g[0] is clock:
            m = _BARE_START[lang].search(text, floor, clock.start)
            if m is not None and (piece := _bare(m, lang, m.start(), m.end("m") if m.group("m") else m.end("h"))):
                out.append([piece])
        out.append(g)
        ceiling = groups[k + 1][0].start if k + 1 < len(groups) else len(text)
        if clock is not None and g[-1] is clock:
            m = _BARE_END[lang].match(text, clock.end, ceiling)
            if m is not None and (piece := _bare(m, lang, m.start("h"), m.end())):
                hour = clock.hour or 0
                if clock.meridiem == "pm" or hour >= 12 or (piece.hour or 0) < hour % 12:
                    piece.meridiem = "pm" if (piece.hour or 0) < 12 else None  # "8am until 6" ends at 18:00
                out.append([piece])
    return out


def _share(g1: list[Piece], g2: list[Piece]) -> tuple[list[Piece], list[Piece]]:
    """The two ends of a range lend each other what one left unsaid: the day, and am/pm ("3-5pm", "11:30-1:30pm")."""
    d1, d2 = next((p for p in g1 if p.day), None), next((p for p in g2 if p.day), None)
    if d1 is not None and d2 is None and any(p.hour is not None for p in g2):
        g2 = [*g2, d1]
    elif d2 is not None and d1 is None and any(p.hour is not None for p in g1):
        g1 = [*g1, d2]
    c1, c2 = next((p for p in g1 if p.hour is not None), None), next((p for p in g2 if p.hour is not None), None)
    if c1 is not None and c2 is not None and c1.meridiem is None and c2.meridiem is not None and (c1.hour or 0) <= 12:
        later = (c1.hour or 0) % 12 <= (c2.hour or 0) % 12
        meridiem = c2.meridiem if later else ("am" if c2.meridiem == "pm" else "pm")
        g1 = [replace(p, meridiem=meridiem) if p is c1 else p for p in g1]
        c1 = next(p for p in g1 if p.hour is not None)
    if c1 is not None and c2 is not None and c1.zone is None and c2.zone is not None:  # "9:30 - 11:00 CST"
        g1 = [replace(p, zone=c2.zone) if p is c1 else p for p in g1]
    return g1, g2


def _pod_day(group: list[Piece], text: str, today: date) -> tuple[date, tuple[int, int]] | None:
    """A part of the day said with its day ("tomorrow evening", "tonight", "明晚"), or with "this" ("this morning")."""
    pod = next((p for p in group if p.pod), None)
    if pod is None or pod.pod not in POD_HOURS:
        return None
    day = next((p.day for p in group if p.day), None)
    if day is None and not text[pod.start:pod.end].lower().startswith("this"):
        return None  # "in the evening" alone is no time
    return (day or today), POD_HOURS[pod.pod]


def _phrases(text: str, lang: str, now: datetime) -> list[Found]:
    out: list[Found] = []
    today = now.date()
    days, stretch = (_DAYS_ZH, _STRETCH_ZH) if lang == "zh" else (_DAYS_EN, _STRETCH_EN)
    for m in days.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        said = [cn_int(g["mon"]) if lang == "zh" else MONTHS[(g.get("mon") or g["mon2"]).lower().rstrip(".")],
                cn_int(g.get("d1") or g["d3"]), cn_int(g.get("d2") or g["d4"])]  # digits too
        if any(n is None for n in said):
            continue
        month, first, last = (int(n or 0) for n in said)
        if not 1 <= month <= 12:
            continue
        year = today.year if (month, last) >= (today.month, today.day) else today.year + 1
        try:
            a, b = date(year, month, first), date(year, month, last)
        except ValueError:
            continue
        if a <= b:
            out.append(_days(m, a, b, now))
    for m in _DOMS_EN.finditer(text) if lang == "en" else ():
        first, last = int(m.group("d1")), int(m.group("d2"))
        if m.group("to").lower() == "and" and not m.group("between"):
            continue  # "the 20th and the 23rd": two days
        first_month = today.replace(day=1) if first >= today.day else add_months(today.replace(day=1), 1)
        last_month = first_month if last >= first else add_months(first_month, 1)
        try:
            a, b = first_month.replace(day=first), last_month.replace(day=last)
        except ValueError:
            continue
        out.append(_days(m, a, b, now))
    for m in stretch.finditer(text):
        found = _stretch(m, lang, now)
        if found is not None:
            out.append(found)
    for m in _NTH_WEEKEND_EN.finditer(text) if lang == "en" else ():
        span_first, span_end, place = nth_of_span({k: v for k, v in m.groupdict().items() if v is not None}, today)
        sunday = nth_in(span_first, span_end, 6, place)
        if sunday is not None:
            out.append(_weekend(m.start(), m.end(), sunday - timedelta(days=2), now))
    for m in _WEEKEND[lang].finditer(text):
        rel = " ".join((m.group("rel") or "this").lower().split())
        shift = 1 if rel.startswith(("next", "下")) else -1 if rel.startswith(("last", "this past", "上")) else 0
        shift = 2 if lang == "en" and m.group("after") else shift  # "the weekend after next"
        friday = today - timedelta(days=today.weekday()) + timedelta(days=4, weeks=shift)
        out.append(_weekend(m.start(), m.end(), friday, now))
    if lang == "en":
        out += [f for m in _SEASON_EN.finditer(text) if (f := _season(m, now)) is not None]
    for m in _PART[lang].finditer(text):
        found = _part(m, text, lang, now)
        if found is not None:
            out.append(found)
    out += open_phrases(text, lang, now)
    return out


def _days(m: re.Match[str], first: date, last: date, now: datetime) -> Found:
    """The days from ``first`` to ``last``, both whole ("July 13-15" ends on the 16th's midnight)."""
    return interval(m.start(), m.end(), midnight(first, now), midnight(last, now) + timedelta(days=1), "day")


def _weekend(start: int, end: int, friday: date, now: datetime) -> Found:
    """The weekend from ``friday``: Friday 18:00 to Monday 00:00, Duckling's."""
    return interval(start, end, midnight(friday, now) + timedelta(hours=18), midnight(friday + timedelta(days=3), now),
                    "hour")


# the beginning, middle or end of a month or year: "end of the month", "early March", "the beginning of 2027",
# 月底, 下个月初, 年底; a month's first ten days, the next ten, the rest; a year's first three months, the next five,
# the last four
_PART_EN = r"(?P<part>beginning|start|early|mid|middle|end|late)"
_PART = {
    "en": re.compile(
        rf"\b(?:at\s+)?(?:the\s+)?(?:{_PART_EN}(?:\s+of\s+|-|\s+)(?:the\s+)?"
        rf"(?:(?P<rel>this|next|last|current|coming|following|previous|past)\s+)?"
        rf"(?:(?P<unit>week|month|year)|(?P<mon>{_MON})\.?(?:\s+(?P<my>\d{{4}}))?|(?P<year>\d{{4}}))"
        # the end or beginning of the month or year written short, as in business mail: EOM, EOY; BOM and BOY in
        # capitals only (a boy is no year)
        r"|(?P<abbr>eo[my]|(?-i:BO[MY])))\b",
        re.I,
    ),
    "zh": re.compile(r"(?P<rel>这个?|本|下个?|上个?|今|明|去)?(?P<unit>月|年)(?P<part>初|中|底|末)(?!旬)"
                     # a month's first, middle or last ten days: 上旬, 中旬, 下旬 ("三月下旬", "下个月中旬")
                     rf"|(?:(?P<zrel>这个?|本|下个?|上个?)月|(?P<zmon>{CN_NUM})月)?(?P<xun>[上中下])旬"),
}


def _part(m: re.Match[str], text: str, lang: str, now: datetime) -> Found | None:
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    if "abbr" in g:  # EOM: the end of the month, BOY: the beginning of the year
        g |= {"part": "end" if g["abbr"][0] in "eE" else "start",
              "unit": "month" if g["abbr"][-1] in "mM" else "year"}
    if "xun" in g:  # 下旬: the month's end
        g |= {"part": {"上": "初", "中": "中", "下": "底"}[g["xun"]], "unit": "月", "rel": g.get("zrel", "")}
    part = _PART_NAMES.get(g["part"].lower(), g["part"].lower())  # start, mid or end
    found = _part_of(m, g, part, lang, now)
    return _by_then(found, text, lang, now) if found is not None and part == "end" else found


_PART_NAMES = {"beginning": "start", "early": "start", "初": "start", "mid": "mid", "middle": "mid", "中": "mid",
               "late": "end", "底": "end", "末": "end"}


# before the end of a stretch is by its end: "before the end of the month", 月底之前
_BEFORE_THE_END = re.compile(r"\bbefore\s+$", re.I)


def _by_then(found: Found, text: str, lang: str, now: datetime) -> Found:
    """"by the end of the month", "by EOY", "before the end of next week", 下个月底之前: a deadline, from now to the
    end of that stretch (Duckling's "by the end of")."""
    start, stop = found.start, found.end
    if lang == "zh":
        mark = BEFORE_ZH.match(text, found.end)
        stop = mark.end() if mark else -1
    else:
        by = BY_EN.search(text[:found.start]) or _BEFORE_THE_END.search(text[:found.start])
        start = by.start() if by else -1
    if min(start, stop) < 0 or not isinstance(found.value, dict) or found.value["to"] is None:
        return found
    end = datetime.fromisoformat(found.value["to"])
    # a date slot takes the stretch's last day: its "to" is the midnight after it, as Duckling's
    return deadline(start, stop, now, end, "second", last=end - timedelta(days=1)) if end > now else found


def _part_of(m: re.Match[str], g: dict[str, str], part: str, lang: str, now: datetime) -> Found | None:
    """The stretch of the ``part`` (start, mid or end) of a week, month or year (:func:`_part`)."""
    today = now.date()
    rel = g.get("rel", "").lower()
    shift = (shift_of(rel) if lang == "en"
             else 1 if rel in ("下", "下个", "明") else -1 if rel in ("上", "上个", "去") else 0)
    unit = g.get("unit")
    if unit == "week":  # Monday to Wednesday, Tuesday to Thursday, Friday to Sunday (Duckling's ends)
        monday = today - timedelta(days=today.weekday(), weeks=-shift)
        since, until = {"start": (0, 3), "mid": (1, 4), "end": (4, 7)}[part]
        return interval(m.start(), m.end(), midnight(monday + timedelta(days=since), now),
                        midnight(monday + timedelta(days=until), now), "day")
    if unit in ("month", "月") or "mon" in g:
        if "mon" in g or "zmon" in g:
            month = MONTHS[g["mon"].lower().rstrip(".")] if "mon" in g else cn_int(g["zmon"]) or 0
            if not 1 <= month <= 12:
                return None
            year = int(g["my"]) if "my" in g else today.year + (month < today.month)
            first = date(year, month, 1)
        else:
            first = add_months(today, shift)
        bounds = {"start": (1, 11), "mid": (11, 21), "end": (21, None)}[part]
        frm = first.replace(day=bounds[0])
        to = first.replace(day=bounds[1]) if bounds[1] else add_months(first, 1)
        return interval(m.start(), m.end(), midnight(frm, now), midnight(to, now), "day")
    year = int(g["year"]) if "year" in g else today.year + shift
    months = {"start": (1, 4), "mid": (4, 9), "end": (9, 13)}[part]  # Duckling's: January-March, September-December
    frm, to = date(year, months[0], 1), add_months(date(year, 1, 1), months[1] - 1)
    return interval(m.start(), m.end(), midnight(frm, now), midnight(to, now), "month")


# the seasons of the northern hemisphere, Duckling's: (first day, last day) as (month, day)
_SEASONS = {"spring": ((3, 20), (6, 20)), "summer": ((6, 21), (9, 23)), "fall": ((9, 23), (12, 20)),
            "winter": ((12, 21), (3, 20))}
_SEASON_EN = re.compile(
    r"\b(?:(?P<rel>this|current|next|coming|last|past|previous)\s+|(?:in|during)\s+(?:the\s+)?)"
    r"(?P<season>summer|fall|autumn|winter|spring|seasons?)\b",
    re.I,
)


def _season(m: re.Match[str], now: datetime) -> Found | None:
    """"this summer" (the one under way, else the next), "next winter", "last season" (the one before today's)."""
    name = {"autumn": "fall"}.get(m.group("season").lower(), m.group("season").lower())
    rel = (m.group("rel") or "this").lower()
    if name.startswith("season") and not m.group("rel"):
        return None  # "in season": no time
    today = now.date()
    stretches = sorted(
        (date(y, a[0], a[1]), date(y + (b < a), b[0], b[1]) + timedelta(days=1), n)
        for y in range(today.year - 2, today.year + 3) for n, (a, b) in _SEASONS.items()
    )
    if not name.startswith("season"):
        stretches = [s for s in stretches if s[2] == name]
    at = next(i for i, (_, end, _n) in enumerate(stretches) if end > today)  # today's, or the next one
    frm, to, _ = stretches[at + shift_of(rel)]
    return interval(m.start(), m.end(), midnight(frm, now), midnight(to, now), "day")


def _stretch(m: re.Match[str], lang: str, now: datetime) -> Found | None:
    """"the next 3 days": from the next one on; "the last 2 weeks": up to the current one."""
    n = cn_number(m.group("n")) if lang == "zh" else count(m.group("n"))
    if n is None or not float(n).is_integer() or n < 1:
        return None
    if lang == "zh":
        unit = ZH_UNITS[m.group("unit")]
        back = m.group("rel") in ("过去", "最近", "上", "前")
    else:
        unit = grain_of(m.group("unit"))
        back = m.group("rel").lower() in ("last", "past", "previous")
    current = now.replace(microsecond=0)
    if unit in ("minute", "hour"):
        current = current.replace(second=0, minute=0 if unit == "hour" else current.minute)
    elif unit != "second":
        day = now.date()
        day = (day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1) if unit == "month"
               else day.replace(month=1, day=1) if unit == "year" else day)
        current = midnight(day, now)
    if back:
        return interval(m.start(), m.end(), plus(current, unit, -int(n)), current, unit)
    first = plus(current, unit)
    return interval(m.start(), m.end(), first, plus(first, unit, int(n)), unit)
