"""Slot value coercion and validation by slot type (shared by the DM and validation)."""

from __future__ import annotations

import re
from typing import Any

from .schema import Slot, SlotType
from .tokenization import tokenize, unspaced

__all__ = ["NUMBER_WORDS", "check_slot_value", "close_values", "coerce_slot_value", "value_problem"]

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "a couple": 2, "couple": 2, "a dozen": 12, "dozen": 12, "just me": 1, "myself": 1,
}
_TRUE = {"true", "yes", "y", "yeah", "yep", "sure", "ok", "okay", "correct", "1"}
_FALSE = {"false", "no", "n", "nope", "nah", "wrong", "0"}
_NUM = re.compile(r"-?\d+(?:[.,]\d+)?")


def coerce_slot_value(slot: Slot, value: Any, current: Any = None) -> tuple[bool, Any]:
    """Return ``(ok, value)`` with ``value`` converted to the slot's type, or ``(False, None)``."""
    ok, coerced, _ = check_slot_value(slot, value, current)
    return ok, coerced


def check_slot_value(slot: Slot, value: Any, current: Any = None) -> tuple[bool, Any, str]:
    """``(ok, value converted to the slot's type, "")``, or ``(False, None, why)`` with why in
    words ("above max 20", "not one of ...": shown by ``shell --debug``)."""
    if value is None:
        return True, None, ""
    t = slot.type
    if t in (SlotType.int, SlotType.float):
        number = _number(value)
        if number is None:
            return False, None, "not a number"
        if t is SlotType.int:
            if not float(number).is_integer():
                return False, None, "not a whole number"
            number = int(number)
        if slot.min is not None and number < slot.min:
            return False, None, f"below min {slot.min:g}"
        if slot.max is not None and number > slot.max:
            return False, None, f"above max {slot.max:g}"
        return True, number, ""
    if t in (SlotType.number, SlotType.amount):
        return _number_or_amount(slot, value)
    if t in (SlotType.date, SlotType.time, SlotType.datetime):
        return _when(t, value)
    if t is SlotType.bool:
        if isinstance(value, bool):
            return True, value, ""
        word = str(value).strip().lower()
        if word in _TRUE:
            return True, True, ""
        if word in _FALSE:
            return True, False, ""
        return False, None, "not yes or no"
    if t is SlotType.categorical:
        for allowed in slot.values or []:
            if str(allowed).lower() == str(value).strip().lower():
                return True, allowed, ""
        return False, None, "not one of " + ", ".join(str(v) for v in slot.values or [])
    if t is SlotType.list:
        items = list(current or [])
        for v in value if isinstance(value, list) else [value]:
            if v not in items:
                items.append(v)
        return True, items, ""
    if t is SlotType.text:
        return True, str(value), ""
    return True, value, ""


def close_values(slot: Slot, value: Any, limit: int = 3, cutoff: float = 70.0) -> list[Any]:
    """A categorical slot's values close to a refused ``value`` ("peperonni pizza" → pepperoni),
    best first: rapidfuzz's WRatio (whole and partial similarity) of at least ``cutoff``."""
    if slot.type is not SlotType.categorical or not slot.values or value is None:
        return []
    from rapidfuzz import fuzz, process

    text = str(value).strip().lower()
    choices = {str(v).lower(): v for v in slot.values}
    hits = process.extract(text, list(choices), scorer=fuzz.WRatio, score_cutoff=cutoff, limit=limit)
    return [choices[key] for key, _, _ in hits]


NEAR_MISS_WORDS = 5  # a reply of up to this many words is read for a slipped value
NEAR_MISS_CHARACTERS = 4  # in a language written without spaces, a reply of up to this many characters


def one_slip(said: str, phrase: str, drop_from: int = 3) -> bool:
    """``said`` is ``phrase`` with two neighbouring characters swapped, one doubled, or (a phrase of
    ``drop_from`` characters or more) one dropped: the slips of the fingers in a language written
    without spaces, where a changed character is another word."""
    n = len(phrase)
    if len(said) == n and said != phrase:
        return any(said == phrase[:i] + phrase[i + 1] + phrase[i] + phrase[i + 2:] for i in range(n - 1))
    if len(said) == n + 1:
        return any(said == phrase[:i + 1] + phrase[i] + phrase[i + 1:] for i in range(n))
    if len(said) == n - 1 and n >= drop_from:
        return any(said == phrase[:i] + phrase[i + 1:] for i in range(n))
    return False


def near_words(slot: Slot, text: str, language: str, limit: int = 3) -> list[Any]:
    """A categorical slot's values that a short reply names with one slip, a word or run of words
    no extractor read as a value because it is itself a word ("wet", "eats") or short ("wes"):
    within one edit (a letter dropped, added, changed, or two neighbours swapped; rapidfuzz's
    ``OSA``), 3 or more letters, never an exact value; closest first, as the slot lists them.
    In a language written without spaces, where a changed character is another word, the whole
    reply (up to 4 characters, punctuation aside) is one value with two characters swapped, one
    doubled or one dropped: "西" at the city question is 西安, "州" 广州 or 杭州 or 苏州 (the fuzzy
    matching never guesses one character of two; offered, it costs a click)."""
    if slot.type is not SlotType.categorical or not slot.values:
        return []
    if unspaced(language):
        said = "".join(c for c in text if c.isalnum()).lower()
        if not 0 < len(said) <= NEAR_MISS_CHARACTERS:
            return []
        return [v for v in slot.values if one_slip(said, str(v).lower(), drop_from=2)][:limit]
    from rapidfuzz.distance import OSA

    words = [w.lower() for w, _, _ in tokenize(text, language)]
    if not 0 < sum(any(c.isalnum() for c in w) for w in words) <= NEAR_MISS_WORDS:  # punctuation is no word
        return []
    found: dict[int, int] = {}  # value's index -> edits
    for i, value in enumerate(slot.values):
        said_words = str(value).lower().split()
        n = len(said_words)
        for k in range(len(words) - n + 1):
            run = words[k:k + n]
            if run == said_words or not all(w.isalpha() for w in run) or sum(map(len, run)) < 3:
                continue
            edits = OSA.distance(" ".join(run), " ".join(said_words))
            if edits <= 1:
                found[i] = min(found.get(i, edits), edits)
    return [slot.values[i] for i in sorted(found, key=lambda i: (found[i], i))][:limit]


def _bounded(slot: Slot, number: float) -> str:
    if slot.min is not None and number < slot.min:
        return f"below min {slot.min:g}"
    if slot.max is not None and number > slot.max:
        return f"above max {slot.max:g}"
    return ""


def _number_or_amount(slot: Slot, value: Any) -> tuple[bool, Any, str]:
    """A ``number`` slot's value (int when whole), or an ``amount`` slot's ``{"value", "unit"}``."""
    unit = None
    if isinstance(value, dict) and {"from", "to"} <= set(value):
        return False, None, "a range, not one number" if slot.type is SlotType.number else "a range, not one amount"
    if isinstance(value, dict):
        unit, value = value.get("unit"), value.get("value")
    number = _number(value)
    if number is None:
        return False, None, "not a number" if slot.type is SlotType.number else "not an amount"
    number = int(number) if float(number).is_integer() else number
    why = _bounded(slot, number)
    if why:
        return False, None, why
    return True, ({"value": number, "unit": unit} if slot.type is SlotType.amount else number), ""


def _when(t: SlotType, value: Any) -> tuple[bool, Any, str]:
    """A ``date`` ("2026-12-06"), ``time`` ("19:30") or ``datetime`` (ISO 8601) slot's value
    from a datetime, a date or an ISO text (what a ``time`` entity holds); from an interval
    (``{"from": ..., "to": ...}``) a date or datetime is its start, and so is a time when the interval
    has no end ("after 7pm", "from 7pm"); "until 7pm" fills none."""
    from datetime import date, datetime

    parsed: Any = value
    if isinstance(value, dict) and ("from" in value or "to" in value):
        # an interval (builtin_entities', Duckling's): a date or datetime slot takes where it starts; a time
        # slot wants one time, not a stretch ("tonight", "from 3 to 5pm"), but takes an open one's start ("from
        # 7pm"); only an end ("until 7pm") is no time to book
        if not value.get("from") or (t is SlotType.time and value.get("to")):
            return False, None, f"not a {t.value} (a stretch of time)"
        value = value["from"]
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = datetime.strptime(text, "%H:%M") if t is SlotType.time else date.fromisoformat(text)
            except ValueError:
                parsed = _said_time(text, t)
                if parsed is None:
                    return False, None, f"not a {t.value} (ISO 8601, or words such as \"tomorrow at 7pm\")"
    if isinstance(parsed, datetime):
        out = {SlotType.date: parsed.date().isoformat(), SlotType.time: parsed.strftime("%H:%M"),
               SlotType.datetime: parsed.isoformat(timespec="seconds")}[t]
        return True, out, ""
    if isinstance(parsed, date) and t is SlotType.date:
        return True, parsed.isoformat(), ""
    return False, None, f"not a {t.value}"


def _said_time(text: str, t: SlotType) -> Any:
    """A date/time said in words ("8pm", "tomorrow", "明天晚上七点"), read by builtin_entities'
    grammar against the current time (UTC): when the whole text is one time of a fitting grain."""
    from datetime import datetime, timezone

    from dialogkit.components.nlu.builtin.times import times

    now = datetime.now(timezone.utc)
    for lang in ("en", "zh"):
        found = times(text, lang, now)
        if len(found) == 1 and isinstance(found[0].value, dict):
            return None  # a stretch of time: no one value
        if len(found) == 1 and found[0].end - found[0].start >= len(text.strip(" .!?。！？")) - 1:
            if t is SlotType.time and found[0].info.get("grain") in ("day", "week", "month", "year"):
                return None
            return datetime.fromisoformat(found[0].value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip().lower()
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    m = _NUM.fullmatch(text) or _NUM.search(text)
    if m:
        return float(m.group().replace(",", ".")) if any(c in m.group() for c in ".,") else int(m.group())
    from dialogkit.components.nlu.builtin.numbers import cn_number, en_number

    whole = en_number(text) if text.isascii() else cn_number(text)  # "fifty five", "二十五"
    if whole is not None:
        return whole
    for word, n in NUMBER_WORDS.items():
        if re.search(rf"\b{re.escape(word)}\b", text):
            return n
    return None


def value_problem(slot: Slot, value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``slot``, or None."""
    t = slot.type
    if value is None:
        return None
    if t is SlotType.bool and not isinstance(value, bool):
        return "a bool slot takes true or false"
    if t in (SlotType.number, SlotType.amount, SlotType.date, SlotType.time, SlotType.datetime):
        ok, _, why = check_slot_value(slot, value)
        return None if ok else f"a {t.value} slot: {why}"
    if t in (SlotType.int, SlotType.float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{'an int' if t is SlotType.int else 'a float'} slot takes a number"
        if t is SlotType.int and isinstance(value, float) and not value.is_integer():
            return "an int slot takes a whole number"
        if slot.min is not None and value < slot.min or slot.max is not None and value > slot.max:
            return f"{value} is outside [{slot.min}, {slot.max}]"
    if t is SlotType.categorical and str(value).lower() not in {str(v).lower() for v in slot.values or []}:
        return f"{value!r} is not one of {slot.values}"
    if t is SlotType.text and not isinstance(value, str):
        return "a text slot takes a string"
    return None
