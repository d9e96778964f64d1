"""``builtin_entities``: dates, times, numbers, amounts, durations and ordinals (Duckling's job).

Entities are named after Duckling's dimensions, so a Rasa bot's ``from_entity: time``
mappings work unchanged: ``time`` (ISO 8601 datetime in the configured time zone, ``grain``
in ``additional_info``), ``number``, ``ordinal``, ``amount-of-money`` (the amount; its
currency as ``unit`` in ``additional_info``), ``duration`` (seconds; the said value and unit
in ``additional_info``), ``email``, ``url`` and ``phone-number``. Relative times read from
the message's own time ("now" when it came), not the clock at parse time.

English and Chinese are read by the grammar in :mod:`dialogkit.components.nlu.builtin`;
other languages get dates and times from dateparser (its ``search_dates`` in the bot's
language) and digits as numbers. Where two dimensions cover the same words, the more
specific one is kept (e-mail, url, time, amount, phone number, duration, ordinal, then number): "$20" is an amount,
not also the number 20; words inside a longer expression of another dimension are part of it ("from 10 to 20" is
no time in "from 10 to 20 dollars"), but "the 20th" is both a time and an ordinal (the slot asked reads its
own); and, as in Duckling, nothing found begins or ends inside a word or a number
(:func:`_cuts_a_word`: "around 1.5k" is 1500, not "around 1" as a clock time).
Put it after ``bert_nlu``: an entity of the same name an earlier
component found on the same words (the model's ``time`` span "7pm") is replaced by the
normalised one; entities of other names on those words stay, as Rasa keeps Duckling's and
DIET's side by side. Where bert_nlu's spelling read a word as another (``Turn.corrections``:
"tomorow" as tomorrow), the message is also read so, and what that finds is put on the words typed.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Literal, cast

from pydantic import field_validator

from dialogkit.framework.domain.tokenization import unspaced
from dialogkit.framework.runtime.pipeline import Component, ComponentConfig, Turn
from dialogkit.framework.runtime.turn import Entity
from dialogkit.framework.runtime.turn import entity as make_entity

from .builtin.durations import durations
from .builtin.money import amounts
from .builtin.numbers import Found, numbers, ordinals, simplified
from .builtin.times import times
from .spelling import AsRead

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

__all__ = ["DIMENSIONS", "BuiltinEntities", "BuiltinEntitiesConfig", "extract"]

# Most specific first: on overlapping words the first dimension here wins.
DIMENSIONS = ("email", "url", "time", "amount-of-money", "phone-number", "duration", "ordinal", "number")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+")
_THE_NTH = re.compile(r"(?:the\s+)?\d{1,2}(?:st|nd|rd|th)", re.I)
_PHONE = re.compile(r"(?<![\w+])(?<!\d[.,])\+?\d[\d\s().-]{6,}\d(?!\w)")
_DECIMAL = re.compile(r"\d+\.\d+")  # "0.00000000" is a number: a phone number has no one decimal point


class BuiltinEntitiesConfig(ComponentConfig):
    dimensions: list[str] | None = None  # Duckling's names; None: all of DIMENSIONS
    timezone: str | None = None  # an IANA zone ("Europe/Berlin"); None: UTC. A message's metadata `timezone` wins
    date_order: Literal["MDY", "DMY"] = "MDY"  # how "3/4" reads

    @field_validator("dimensions")
    @classmethod
    def _known(cls, dims: list[str] | None) -> list[str] | None:
        unknown = [d for d in dims or [] if d not in DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimension(s) {', '.join(unknown)}: use {', '.join(DIMENSIONS)}")
        return dims

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is not None:
            _zone_info(name)
        return name


@functools.lru_cache(maxsize=256)
def _zone_info(name: str | None) -> tzinfo:
    if name is None:
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}': use an IANA name such as Europe/Berlin or Asia/Shanghai"
        ) from None


def extract(
    text: str, lang: str, now: datetime, dimensions: tuple[str, ...] = DIMENSIONS, date_order: str = "MDY"
) -> list[Found]:
    """Every builtin entity in ``text``, overlaps resolved (see the module docstring)."""
    if lang == "zh":  # traditional characters read as simplified, one for one (the spans stay the user's)
        text = simplified(text)
    found: list[Found] = []
    if "email" in dimensions:
        found += [Found(m.start(), m.end(), "email", m.group()) for m in _EMAIL.finditer(text)]
    if "url" in dimensions:
        found += [Found(m.start(), m.end(), "url", m.group().rstrip(".,;:!?)")) for m in _URL.finditer(text)]
    if "phone-number" in dimensions:
        found += [
            Found(m.start(), m.end(), "phone-number", re.sub(r"[^\d+]", "", m.group())) for m in _PHONE.finditer(text)
            if not _DECIMAL.fullmatch(m.group())
        ]
    if "time" in dimensions:
        found += times(text, lang, now, date_order) if lang in ("en", "zh") else _dateparser_times(text, lang, now)
    readers = {"amount-of-money": amounts, "duration": durations, "ordinal": ordinals, "number": numbers}
    for dim, read in readers.items():
        if dim in dimensions:
            found += read(text, lang)
    rank = {d: i for i, d in enumerate(DIMENSIONS)}
    kept: list[Found] = []
    found = every = [f for f in found if not _cuts_a_word(text, f.start, f.end, not unspaced(lang))]
    # words inside a longer expression of another dimension are part of it: "from 10 to 20" is no time in "from
    # 10 to 20 dollars", nor "around 10" in "around 10-20 dollars"
    found = [f for f in found if not any(g.dim != f.dim and g.start <= f.start and f.end <= g.end
                                         and g.end - g.start > f.end - f.start for g in found)]
    for f in sorted(found, key=lambda f: (rank[f.dim], f.start - f.end, f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    # "the 20th" alone is a day of the month or the twentieth of something: both are kept on the same words, and
    # the slot asked reads its own (as Rasa keeps Duckling's time and ordinal side by side)
    kept += [Found(k.start, k.end, "ordinal", o.value) for k in list(kept) for o in every
             if k.dim == "time" and o.dim == "ordinal" and k.start <= o.start and o.end == k.end
             and _THE_NTH.fullmatch(text[k.start:k.end])]
    return sorted(kept, key=lambda f: (f.start, rank[f.dim]))


def _cuts_a_word(text: str, start: int, end: int, spaced: bool = True) -> bool:
    """Whether ``[start, end)`` begins or ends inside a word or a number, as Duckling refuses a match
    that does: letters on both sides of an edge ("5" in "v5x"; a ``spaced`` language's only: Chinese
    is written without spaces), digits on both ("1" in "12"), or a number going on ("around 1" in
    "around 1.5k", "1" in "1,000"). A letter and a digit may meet ("4ppl", "3点")."""

    def joined(a: str, b: str) -> bool:
        return (spaced and a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())

    def goes_on(i: int) -> bool:  # a decimal point or a thousands separator at text[i], between digits
        if not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            return False
        return text[i] == "." or (text[i] == "," and re.match(r",\d{3}(?!\d)", text[i:]) is not None)

    before, after = text[start - 1 : start], text[end : end + 1]
    return bool(
        (before and joined(before, text[start]))
        or (after and joined(text[end - 1], after))
        or (start >= 2 and goes_on(start - 1))
        or goes_on(end)
    )


def _dateparser_times(text: str, lang: str, now: datetime) -> list[Found]:
    """Dates and times in other languages, by dateparser (no grain: ``day`` when midnight)."""
    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",  # "mai" is the 1st of May, not the day of the month it is today
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        hits = search_dates(text, languages=[lang], settings=settings) or []
    except Exception:  # noqa: BLE001 - an unsupported language or a parser slip: no dates, never a failed message
        return []
    out, cursor = [], 0
    for said, value in hits:
        start = text.find(said, cursor)
        if start < 0 or len(said.strip()) < 3:
            continue
        cursor = start + len(said)
        value = value.replace(tzinfo=now.tzinfo)
        iso = value.isoformat(timespec="seconds")
        grain = "day" if (value.hour, value.minute) == (0, 0) else "minute"
        out.append(Found(start, cursor, "time", iso, {"value": iso, "grain": grain, "type": "value"}))
    return out


class BuiltinEntities(Component):
    name = "builtin_entities"
    stage = "nlu"
    Config = BuiltinEntitiesConfig
    config: BuiltinEntitiesConfig
    requires = ("text", "time", "metadata")
    assigns = ("entities",)

    def __init__(self, config: BuiltinEntitiesConfig, domain: Domain):
        super().__init__(config, domain)
        self._zone = _zone_info(config.timezone)
        self._dims = tuple(config.dimensions or DIMENSIONS)
        if unspaced(domain.language) and {"time", "number"} & set(self._dims):
            from .word_boundaries import has_segmenter, tagged_words

            if has_segmenter(domain.language):  # the dictionary and its tags loaded now, not in a user's turn
                tagged_words("一点")

    @classmethod
    def entities_found(cls, config: ComponentConfig) -> set[str]:
        """Its dimensions: a slot maps ``time`` or ``number`` without declaring it."""
        return set(cast(BuiltinEntitiesConfig, config).dimensions or DIMENSIONS)

    def _zone_of(self, turn: Turn) -> tzinfo:
        """The user's time zone when the channel sent one (metadata ``timezone``, an IANA name),
        else the configured one; a name that is no zone is ignored."""
        name = turn.metadata.get("timezone")
        if isinstance(name, str) and 0 < len(name) <= 64:
            try:
                return _zone_info(name)
            except ValueError:
                logger.debug("metadata timezone %r is not an IANA zone; using %s", name, self.config.timezone or "UTC")
        return self._zone

    def process(self, turn: Turn) -> None:
        zone = self._zone_of(turn)
        now = datetime.fromtimestamp(turn.time, zone) if turn.time is not None else datetime.now(zone)
        for f in self._found(turn, now):
            # the same entity found on these words by an earlier extractor (a model's `time` span
            # "7pm") gives way to the normalised one; other entities there stay (Rasa's rule)
            turn.entities[:] = [e for e in turn.entities if e["entity"] != f.dim or not _overlaps(f, e)]
            found: Entity = make_entity(f.dim, f.value, self.name, f.start, f.end)
            if f.info:
                found["additional_info"] = dict(f.info)
            turn.entities.append(found)
        turn.entities.sort(key=lambda e: (e.get("start") is None, e.get("start") or 0))

    def _found(self, turn: Turn, now: datetime) -> list[Found]:
        """What :func:`extract` finds in the message; where an earlier component read words as
        others (bert_nlu's spelling: "tomorow", "fvie"), in the message as read, its spans put back
        on the words typed and its ``info`` saying what was read (``read_as``)."""
        lang = self.domain.language
        found = extract(turn.text, lang, now, self._dims, self.config.date_order)
        fixes = sorted((c for c in turn.corrections if 0 <= c["start"] < c["end"] <= len(turn.text)),
                       key=lambda c: c["start"])
        if not fixes:
            return found
        read = AsRead(turn.text, fixes)
        for f in extract(read.text, lang, now, self._dims, self.config.date_order):
            if (span := read.typed(f.start, f.end)) is None:
                continue  # no word read otherwise in it: found as typed
            start, end = span
            if any(start < g.end and g.start < end and not (start <= g.start and g.end <= end) for g in found):
                continue  # it would cut something found as typed: that stands
            # "fvie hundred": five hundred, not the hundred typed right
            found = [g for g in found if not (start <= g.start and g.end <= end)]
            found.append(Found(start, end, f.dim, f.value, {**f.info, "read_as": read.text[f.start:f.end]}))
        return sorted(found, key=lambda f: f.start)


def _overlaps(f: Found, e: Entity) -> bool:
    start, end = e.get("start"), e.get("end")
    return start is not None and end is not None and f.start < end and start < f.end
