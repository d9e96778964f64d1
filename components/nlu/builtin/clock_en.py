"""Clock times and offsets from now in English text: "7pm", "19:30:15", "15h30", "half past eight", "a
quarter to noon", "half three", "ten thirty am", "330 p.m.", "3 in the morning", "8:00 GMT"; "now",
"in 2.5 hours", "in a couple of minutes", "2 minutes from now". The pieces times.py joins and resolves."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

from .days import Piece
from .numbers import RANGE_OPENS, TENS, UNITS, alternation, en_number
from .units import GRAINS, en_units

__all__ = ["COUNT", "EN_CLOCK", "EN_IN", "N", "count", "en_clock"]

_SMALL = alternation([*UNITS, *TENS, "a", "an"])
N = rf"(?:\d+|(?:{_SMALL})(?:[\s-](?:{_SMALL}))?)"
_HOUR_WORD = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_MIN_WORD = (r"(?:twenty|thirty|forty|fifty)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
             r"|oh[\s-](?:one|two|three|four|five|six|seven|eight|nine)|ten|eleven|twelve|thirteen|fourteen"
             r"|fifteen|sixteen|seventeen|eighteen|nineteen")
# how many: "a couple of", "a few", digits, number words
COUNT = rf"(?:a\s+couple\s+of|a\s+couple|a\s+pair\s+of|a\s+few|few|{N})"
_AMPM = r"[ap]\.?\s?m\b\.?"
# minutes before "past"/"to": words, a multiple of five ("20 to 8"), or any with "minutes" ("3 minutes to 4"):
# "3 to 4" is a range
_MINS = rf"\d{{1,2}}(?=\s+minutes?)|[1-5]?[05](?!\d)|(?:{_SMALL})(?:[\s-](?:{_SMALL}))?"
# "around 20 minutes", "by 5 people": a number before a unit or a noun counts, it is no clock time
_NOT_A_COUNT = (rf"(?!\s+(?:{en_units(*GRAINS)}|people|persons|guests|of)\b|\s*%)")
# time zones said after a clock time ("8:00 GMT", "9 am (BST)"), hours east of UTC
ZONES = {"utc": 0, "gmt": 0, "wet": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "ist": 5.5, "jst": 9,
         "aest": 10, "aedt": 11, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8,
         "pdt": -7}
_ZONE = alternation(ZONES)
# an hour alone said just before a part of the day ("8 tonight", "9 tomorrow morning"), Duckling's "<hour>
# <part of day>": only the hours that part of the day has ("4 tonight" is four people more often than 16:00)
_WORD_HOURS = _HOUR_WORD.split("|")
_HOURS_OF = {
    r"toni(?:ght|gth|te)|(?:this|tomorrow)\s+(?:evening|night)": range(5, 13),
    r"(?:this|tomorrow)\s+morning": range(5, 12),
    r"(?:this|tomorrow)\s+afternoon": (12, 1, 2, 3, 4, 5, 6),
}
_HOUR_BEFORE_DAY = "|".join(
    rf"(?:{'|'.join([*(str(h) for h in sorted(hours, reverse=True)), *(_WORD_HOURS[h - 1] for h in hours)])})"
    rf"(?=\s+(?:{day})\b)"
    for day, hours in _HOURS_OF.items()
)
EN_CLOCK = re.compile(
    rf"(?:\b|(?=@))(?:(?:(?:at|@)\s*)?(?P<rel>half|(?:a\s+)?quarter|(?P<mins>{_MINS})(?:\s+minutes?)?)\s+"
    rf"(?P<dir>past|after|to|before|from)\s+(?P<rh>\d{{1,2}}|{_HOUR_WORD}|noon|midnight)(?:\s*(?P<rampm>{_AMPM}))?"
    rf"|half\s+(?:(?P<hh>{_HOUR_WORD})\b(?!\s+(?:past|to|hours?)\b)|(?P<hd>1[0-2]|[1-9])(?=\s*(?:$|[,.!?]\D|[,.!?]$"
    rf"|(?:tonight|tomorrow|today|on|this|in\s+the|o'?clock)\b)))"  # British "half 7" is 7:30; "half 2 times" no time
    rf"|(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}})(?::(?P<s>\d{{2}}))?)?(?:-?ish)?\s*(?P<ampm>{_AMPM}|(?<=\d\d)[ap]\b)"
    rf"|(?P<hhmm>\d{{3,4}})\s*(?P<ampm3>{_AMPM})"
    rf"|(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})(?::(?P<s24>\d{{2}}))?"
    rf"|(?P<eh>\d{{1,2}})h(?P<em>\d{{2}})?"
    rf"|(?P<hw3>{_HOUR_WORD})(?:[\s-]+(?P<mw3>{_MIN_WORD}))?\s*(?P<ampm4>{_AMPM})"  # "seven-thirty pm" too
    rf"|(?P<hp>\d{{1,2}}|{_HOUR_WORD})(?:\s+o'?clock)?\s+in\s+the\s+(?P<pp>morning|afternoon|evening|am|pm|a\.m\.|p\.m\.)"
    rf"|(?P<hw>\d{{1,2}}|{_HOUR_WORD})\s+o'?clock(?:\s*(?P<ampm5>{_AMPM}))?"
    # an hour said just before the day or its part ("8 tonight", "9 tomorrow morning", "eight this evening");
    # not a count ("a table for 4 tonight", "2 of them tomorrow")
    rf"|(?<!\bfor\s)(?<!\bof\s)(?<![\d.,:/$])(?P<hb>{_HOUR_BEFORE_DAY})"
    rf"|(?P<at>at|@|around|by)\s*(?:(?P<hhmm2>\d{{3,4}})(?![\d.,:/-])|(?P<ha>\d{{1,2}}|{_HOUR_WORD})"
    rf"(?:[:.](?P<ma>\d{{2}})|\s(?P<ma3>[0-5]\d)\b)?(?:\s*(?P<ampm2>{_AMPM}))?"
    rf"(?:[\s-]+(?P<mw>{_MIN_WORD})(?:\s*(?P<ampm6>{_AMPM}))?)?)"
    rf"{_NOT_A_COUNT}"
    rf"|(?P<noon>noon|midday|mid\s+day)|(?P<midnight>midnight|(?:the\s+)?(?:eod|end\s+of\s+(?:the\s+)?day)))(?:-?ish)?(?:\s*\(?(?P<tz>{_ZONE})\)?)?(?!\w)",
    re.I,
)
_UNIT_H = rf"{en_units('hour', 'minute', 'second')}|h|'"
EN_IN = re.compile(
    rf"\b(?:(?:in|within)\s+(?:about\s+|approximately\s+|around\s+|roughly\s+)?(?P<n>{COUNT}|half\s+an?|a\s+quarter"
    rf"\s+of\s+an?|three[\s-]quarters\s+of\s+an?|\d+(?:\.\d+)?|\d/\d)\s*(?P<unit>{_UNIT_H})(?![a-z])"
    rf"(?P<half>\s+and\s+(?:a\s+)?half)?"
    rf"|(?P<n2>{COUNT}|\d+(?:\.\d+)?)\s*(?P<unit2>{_UNIT_H})\s+(?P<dir>from\s+now|later|ago|hence))",
    re.I,
)




_SAID_COUNTS = {"a couple": 2.0, "a couple of": 2.0, "a pair of": 2.0, "a few": 3.0, "few": 3.0, "half a": 0.5,
                "half an": 0.5, "a quarter of a": 0.25, "a quarter of an": 0.25, "three quarters of a": 0.75,
                "three quarters of an": 0.75, "a": 1.0, "an": 1.0}


def count(text: str) -> float | None:
    """How many: digits, number words, "a couple", "a few", "half an", "three-quarters of an", "1/2"."""
    text = " ".join(text.lower().replace("-", " ").split())
    if text in _SAID_COUNTS:
        return _SAID_COUNTS[text]
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if re.fullmatch(r"\d/\d", text):
        return int(text[0]) / int(text[2]) if text[2] != "0" else None
    value = en_number(text)
    return float(value) if isinstance(value, (int, float)) else None




def _hour_word(said: str) -> int | None:
    said = said.strip().lower()
    if said.isdigit():
        return int(said)
    value = en_number(said)
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else None


def _meridiem(said: str | None) -> str | None:
    return None if not said else said.strip().lower()[0] + "m"


def en_clock(m: re.Match[str]) -> Piece | None:
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    minute, meridiem, second, grain = 0, None, None, "hour"
    if "rel" in g:
        said = g["rh"].lower()
        hour = 12 if said == "noon" else 0 if said == "midnight" else _hour_word(said)
        meridiem = None if said in ("noon", "midnight") else _meridiem(g.get("rampm"))
        rel = g["rel"].lower()
        mins = 30 if rel == "half" else 15 if rel.endswith("quarter") else _hour_word(g.get("mins", ""))
        if hour is None or mins is None or not 0 < mins < 60 or hour > 23:
            return None
        if meridiem == "pm" and hour < 12:
            hour += 12
        known = meridiem is not None or said in ("noon", "midnight")  # the clock hour is known: a 24-hour one
        if g["dir"].lower() in ("to", "before"):
            in_range = g.get("mins", "").isdigit() and RANGE_OPENS.search(m.string[max(0, m.start() - 30):m.start()])
            if (hour > 12 and not known) or in_range:
                return None  # "10 to 20", "from 10 to 12": numbers of a range, no "ten to twelve" (11:50)
            hour, minute = (hour - 1) % 24, 60 - mins
        else:
            minute = mins
        if known:
            meridiem = "am" if hour < 12 else "pm"
        grain = "minute"
    elif "hh" in g or "hd" in g:
        hour, minute, grain = _hour_word(g.get("hh") or g["hd"]), 30, "minute"
    elif "ampm" in g:
        hour, meridiem = int(g["h"]), _meridiem(g["ampm"])
        minute = int(g.get("m") or 0)
        second = int(g["s"]) if "s" in g else None
        grain = "second" if "s" in g else "minute" if "m" in g else "hour"
        if not 1 <= hour <= 12:
            return None
    elif "hhmm" in g or "hhmm2" in g:
        digits = g.get("hhmm") or g["hhmm2"]
        hour, minute, meridiem, grain = int(digits[:-2]), int(digits[-2:]), _meridiem(g.get("ampm3")), "minute"
    elif "h24" in g:
        hour, minute = int(g["h24"]), int(g["m24"])
        second = int(g["s24"]) if "s24" in g else None
        grain = "second" if "s24" in g else "minute"
    elif "eh" in g:  # "15h30", a 24-hour clock
        hour, minute, grain = int(g["eh"]), int(g.get("em") or 0), "minute"
        said_at = m.string[:m.start()].rstrip().lower().endswith(("at", "@"))
        if "em" not in g and hour < 13 and not said_at:
            return None  # "2h" is as often two hours
        meridiem = "am" if hour < 12 else None
    elif "hw3" in g:
        hour, meridiem = _hour_word(g["hw3"]), _meridiem(g["ampm4"])
        minute = (_hour_word(g["mw3"].replace("oh", "")) or 0) if "mw3" in g else 0
        grain = "minute" if "mw3" in g else "hour"
    elif "hp" in g:
        hour = _hour_word(g["hp"])
        meridiem = "am" if g["pp"].lower() in ("morning", "am", "a.m.") else "pm"
    elif "hw" in g:
        hour, meridiem = _hour_word(g["hw"]), _meridiem(g.get("ampm5"))
    elif "hb" in g:
        hour = _hour_word(g["hb"])
    elif "ha" in g:
        hour = _hour_word(g["ha"])
        said = g.get("ma") or g.get("ma3")  # "at 7:30", "at 3 15"
        minute = int(said) if said else (_hour_word(g["mw"].replace("oh", "")) or 0) if "mw" in g else 0
        meridiem = _meridiem(g.get("ampm2") or g.get("ampm6"))
        grain = "minute" if said or "mw" in g else "hour"
    elif "noon" in g:
        hour, meridiem = 12, "pm"
    else:  # midnight: the end of the day said ("midnight tonight" is the next day's 00:00)
        hour, meridiem = 0, "am"
    if hour is None or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    zone = timezone(timedelta(hours=ZONES[g["tz"].lower()])) if "tz" in g else None
    return Piece(m.start(), m.end(), hour=hour, minute=minute, meridiem=meridiem, grain=grain, second=second, zone=zone,
                 midnight="midnight" in g)
