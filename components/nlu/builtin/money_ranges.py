"""Ranges of money and amounts with one end said: Duckling's amount-of-money intervals.

- between two amounts, the first said as a bare number taking the second's currency and scale
  ("between 10 and 20 dollars", "from 10 to 20 dollars", "$10-$20", "10-20k dollars", "5.6到5.78元",
  "五块六到五块七毛八");
- one end ("under seven euros", "no more than 7 euros", "at most 7€", "$50 or less", "1.2元以下",
  "最多一块二"; "at least $1.42", "over 1.42 dollars", "$10 and up", "3.04块以上", "至少三块四分").

An interval's value is ``{"from": 10, "to": 20}`` (an end not said: None), its ``info`` the ends'
amounts with their currencies (``{"type": "interval", "from": {"value": 10, "unit": "USD"}, ...}``),
as builtin_entities gives a time interval and Rasa passes Duckling's on. Where "and" joins two numbers,
"between" must come first: "2 and 20 dollars" is no range.
"""

from __future__ import annotations

import re

from .numbers import (
    CN_NUM,
    DIGITS,
    MONEY_SCALES,
    RANGE_OPENS,
    WORD_NUM,
    Found,
    alternation,
    cn_number,
    digits_value,
    en_number,
    whole,
)
from .units import GRAINS, en_units

__all__ = ["money_interval", "money_ranges"]

_SCALES = MONEY_SCALES
# the scales said after a range's second end ("10-20k euros"); "m" alone is as often metres or minutes there
_SCALE_WORDS = alternation(w for w in _SCALES if w != "m")
# the first end said as a number before the second end's amount ("10-", "between ten and", "from 10 to")
_EN_FIRST = re.compile(
    rf"(?:\b(?P<kw>between|from)\s+)?(?:\babout\s+|\baround\s+|\broughly\s+)?(?P<n>{DIGITS}|{WORD_NUM})"
    rf"(?:\s?(?P<scale>k|thousand|million|billion|bn|lakhs?|crores?)\b)?\s*(?P<to>-|–|\bto\b|\band\b)\s*$",
    re.I,
)
# the first end said as an amount ("$10-", "between 10 dollars and")
_EN_JOIN = re.compile(r"^\s*(?P<to>-|–|\bto\b|\band\b)\s*$", re.I)
_UP_TO = re.compile(r"\b(?:under|below|less\s+than|lower\s+than|no\s+more\s+than|not\s+more\s+than|at\s+most|up\s+to"
                    r"|maximum(?:\s+of)?|max(?:imum)?|within|cheaper\s+than)\s+(?:of\s+)?$", re.I)
_FROM = re.compile(r"\b(?:over|above|more\s+than|at\s+least|no\s+less\s+than|not\s+less\s+than|minimum(?:\s+of)?"
                   r"|min|from|starting\s+(?:at|from))\s+$", re.I)
_UP_TO_AFTER = re.compile(r"^\s+(?:or\s+(?:less|under|below|lower|cheaper)|at\s+most|max(?:imum)?|tops)\b", re.I)
_FROM_AFTER = re.compile(r"^(?:\s*\+|\s+(?:or\s+(?:more|over|above|higher)|and\s+(?:up|above|over)|plus)\b)", re.I)
# "from" after a change ("change it from $20 to $30", "the price went from 10 to 20 dollars"): two amounts, one
# after the other, not a range
_CHANGED = re.compile(r"\b(?:chang\w*|updat\w*|correct\w*|increas\w*|decreas\w*|rais\w*|lower\w*|reduc\w*|switch\w*"
                      r"|mov\w*|bump\w*|cut|go|goes|going|went|gone|rose|risen|fell|fallen|dropped|jumped)\b"
                      r"(?:\s+[\w']+){0,3}\s+from\s+(?:about\s+|around\s+)?$", re.I)
_CN_UP_TO_BEFORE = re.compile(r"(?:最多|至多|不超过|不到|低于|少于|顶多)$")
_CN_FROM_BEFORE = re.compile(r"(?:至少|起码|最少|不少于|不低于|超过|高于|多于)$")
_CN_UP_TO_AFTER = re.compile(r"^(?:以下|以内|之内|之下)")
_CN_FROM_AFTER = re.compile(r"^(?:以上|起|多)")
# the second end said as a bare number after an amount ("£25-35"): not an amount of its own, nor a count of things
_EN_SECOND = re.compile(
    rf"\s*(?P<to>-|–|\bto\b|\band\b)\s*(?P<n>{DIGITS}|{WORD_NUM})(?:\s?(?P<scale>{_SCALE_WORDS})\b)?(?![\w.,]?\d)"
    r"(?!\s*(?:[$€£¥₹%]|(?:people|persons|guests|adults|kids|children|items|pieces|units"
    rf"|percent|nights?|{en_units(*GRAINS)}|[ap]\.?m\b|o'?clock)\b))", re.I)
_CN_SECOND = re.compile(rf"(?P<to>到|至|-|~|～)(?P<n>{CN_NUM})(?![\d块元钱毛角分蚊个张人天])")
_CN_FIRST = re.compile(rf"(?P<n>{CN_NUM})(?P<to>到|至|-|~|～)$")
_REACH = 80  # characters before an amount searched for the words of its range


def _before(text: str, end: int) -> tuple[str, int]:
    """The words just before ``end`` (a range's first end, or what says an end, is a few words away) and where
    they begin: patterns anchored at their end are searched there, not in the whole message."""
    start = max(0, end - _REACH)
    return text[start:end], start


def money_interval(start: int, end: int, low: float | None, high: float | None, unit: str) -> Found:
    ends = {side: None if v is None else whole(round(v, 2)) for side, v in (("from", low), ("to", high))}
    info: dict = {"type": "interval"}
    info |= {side: {"value": v, "unit": unit} for side, v in ends.items() if v is not None}
    return Found(start, end, "amount-of-money", ends, info)


def _en_first(said: str, scale: str | None) -> float | None:
    value = digits_value(said) if re.fullmatch(DIGITS, said) else en_number(said)
    return None if value is None else value * _SCALES.get((scale or "").lower(), 1)


def _scale_of(text: str) -> int:
    """The scale word or suffix an amount was said with ("20k dollars", "9 lakh rupees"): 1 if none."""
    m = re.search(r"(?<=\d)\s?(k|thousand|million|billion|bn|lakhs?|crores?)\b|\b(thousand|million|billion|lakhs?"
                  r"|crores?)\b", text, re.I)
    return _SCALES[(m.group(1) or m.group(2)).lower()] if m else 1


def money_ranges(text: str, lang: str, amounts: list[Found]) -> list[Found]:
    """The ranges and one-ended amounts in ``text``, built on the single ``amounts`` found in it: each amount is
    read in one of them at most, by the first shape that takes it."""
    ordered = sorted((a for a in amounts if not isinstance(a.value, dict)), key=lambda a: a.start)
    used: set[int] = set()
    out: list[Found] = []
    for shape in (_two_amounts, _number_then_amount, _amount_then_number, _one_end):
        out += shape(text, lang, ordered, used)
    return out


def _two_amounts(text: str, lang: str, ordered: list[Found], used: set[int]) -> list[Found]:
    """ "$10-$20", "between 10 dollars and 20 dollars", 五块六到五块七毛八."""
    out = []
    for i, high in enumerate(ordered):
        if i == 0 or i - 1 in used:
            continue
        lower = ordered[i - 1]
        between = text[lower.end:high.start]
        join = re.fullmatch(r"\s*(到|至|-|~|～)\s*", between) if lang == "zh" else _EN_JOIN.match(between)
        if join is None or lower.info["unit"] != high.info["unit"] or lower.value >= high.value:
            continue
        head, at = _before(text, lower.start)
        kw = RANGE_OPENS.search(head) if lang != "zh" else None
        if kw is not None and _CHANGED.search(head):
            continue
        if join.group(join.lastindex or 0).lower() == "and" and kw is None:
            continue  # "2 dollars and 20 dollars": two amounts
        out.append(money_interval(at + kw.start() if kw else lower.start, high.end, lower.value, high.value,
                             high.info["unit"]))
        used |= {i - 1, i}
    return out


def _number_then_amount(text: str, lang: str, ordered: list[Found], used: set[int]) -> list[Found]:
    """ "10-20 dollars", "between 10 and 20 dollars", "7-9 lakh rupees" (7 lakh), 5.6到5.78元."""
    out = []
    for i, high in enumerate(ordered):
        if i in used:
            continue
        before, at = _before(text, high.start)
        if lang == "zh":
            m = _CN_FIRST.search(before)
            low = cn_number(m.group("n")) if m else None
        else:
            m = _EN_FIRST.search(before)
            if m is not None and m.group("to").lower() == "and" and not m.group("kw"):
                m = None  # "2 and 20 dollars": two numbers, then an amount
            if m is not None and ((m.group("kw") and _CHANGED.search(before[:m.start("n")]))
                                  or any(a.start < at + m.end("n") and at + m.start("n") < a.end for a in ordered)):
                m = None  # after a change; or the number is an amount's ("$20 to $30" after a change)
            low = _en_first(m.group("n"), m.group("scale")) if m else None
            scale = _scale_of(text[high.start:high.end])
            if low is not None and m is not None and not m.group("scale") and low * scale <= high.value:
                low *= scale  # "10-20k dollars": 10k, "7-9 lakh rupees": 7 lakh
        if m is None or low is None or low >= high.value:
            continue
        start = at + (m.start("kw") if m.groupdict().get("kw") else m.start())
        out.append(money_interval(start, high.end, low, high.value, high.info["unit"]))
        used.add(i)
    return out


def _amount_then_number(text: str, lang: str, ordered: list[Found], used: set[int]) -> list[Found]:
    """ "£25-35", "$10 to 20", "$10-20k" (from 10k), "between $10 and 20", 25块到35."""
    out = []
    for i, low_amount in enumerate(ordered):
        if i in used:
            continue
        m = (_CN_SECOND if lang == "zh" else _EN_SECOND).match(text[low_amount.end:low_amount.end + _REACH])
        head, at = _before(text, low_amount.start)
        if m is None or (lang != "zh" and m.group("to").lower() == "and" and not RANGE_OPENS.search(head)):
            continue
        top = cn_number(m.group("n")) if lang == "zh" else _en_first(m.group("n"), m.groupdict().get("scale"))
        if top is None:
            continue
        low = low_amount.value
        if m.groupdict().get("scale") and low * _SCALES[m.group("scale").lower()] <= top:
            low *= _SCALES[m.group("scale").lower()]
        if low >= top or (lang != "zh" and _CHANGED.search(head)):
            continue
        kw = RANGE_OPENS.search(head) if lang != "zh" else None
        out.append(money_interval(at + kw.start() if kw else low_amount.start, low_amount.end + m.end(), low, top,
                             low_amount.info["unit"]))
        used.add(i)
    return out


def _one_end(text: str, lang: str, ordered: list[Found], used: set[int]) -> list[Found]:
    """ "under 7 euros", "no less than $1.42", "$50 or less", "$10 and up", 至少三块四分, 1.2元以下."""
    out = []
    zh = lang == "zh"
    for i, one in enumerate(ordered):
        if i in used:
            continue
        (before, at), after = _before(text, one.start), text[one.end:one.end + _REACH]
        ends = [  # (where the words saying it is the most or the least begin, the range)
            (at + m.start(), (None, one.value)) for m in [(_CN_UP_TO_BEFORE if zh else _UP_TO).search(before)] if m
        ] + [(at + m.start(), (one.value, None)) for m in [(_CN_FROM_BEFORE if zh else _FROM).search(before)]
             if m and not (not zh and _CHANGED.search(before))]
        if ends:  # the longest words said ("no less than" is the least, not "less than")
            first, (least, most) = min(ends, key=lambda e: e[0])
            out.append(money_interval(first, one.end, least, most, one.info["unit"]))
            continue
        for after_words, (least, most) in (((_CN_UP_TO_AFTER if zh else _UP_TO_AFTER).match(after), (None, one.value)),
                                         ((_CN_FROM_AFTER if zh else _FROM_AFTER).match(after), (one.value, None))):
            if after_words is not None:
                out.append(money_interval(one.start, one.end + after_words.end(), least, most, one.info["unit"]))
                break
    return out
