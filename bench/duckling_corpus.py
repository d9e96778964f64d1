"""Duckling's own test corpus, read from a snapshot of facebook/duckling, as data.

Duckling (the extractor Rasa's ``DucklingEntityExtractor`` calls) keeps, per dimension and
language, a corpus of expressions with the value each must parse to
(``Duckling/<Dimension>/<LANG>/Corpus.hs``), relative to one reference time: Tuesday
2013-02-12 04:30:00 at UTC-2. This module reads those files (Haskell source, read as text:
nothing of it is run or copied into this repository) into :class:`Case` rows for
bench_duckling.py. The snapshot is a git directory (the workplace's ``fetch`` leaves one under
/work/.mirror/facebook+duckling/repo) or a plain checkout.

Read: ``examples (<expected>) [ "text", ... ]`` blocks of the corpus proper (``allExamples`` and
the default locale's ``custom`` ones) and the ``negativeCorpus`` strings (must not parse).
Left out: ``latentCorpus`` (Duckling's opt-in latent readings, "the 21st" alone) and ``diffCorpus``
(another reference time).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DIMENSIONS = {  # our dimension -> Duckling's folder
    "time": "Time",
    "number": "Numeral",
    "ordinal": "Ordinal",
    "duration": "Duration",
    "amount-of-money": "AmountOfMoney",
}
REFERENCE = datetime(2013, 2, 12, 4, 30, 0, tzinfo=timezone(timedelta(hours=-2)))
GRAINS = {"Second", "Minute", "Hour", "Day", "Week", "Month", "Quarter", "Year"}
# Duckling's currency names -> ISO codes (Dollar, Pound, Cent... are Duckling's ambiguous units)
CURRENCIES = {"Dollar": "$", "Pound": "£", "Cent": "cent", "Unnamed": None, "Euro": "EUR", "Bitcoin": "BTC",
              "Dinar": "dinar", "Dirham": "dirham", "Riyal": "riyal", "Rial": "rial"}


@dataclass(frozen=True)
class Case:
    dimension: str  # ours
    kind: str  # value | interval | negative
    expected: Any  # time: (iso, grain) or ((from iso, to iso), grain); numbers: float; amount: (value, unit)...
    text: str
    source: str  # the corpus file


def read_text(snapshot: Path, path: str) -> str | None:
    """One file of the snapshot (a git directory or a checkout), None when it has none."""
    plain = snapshot / path
    if plain.is_file():
        return plain.read_text(encoding="utf-8")
    try:
        out = subprocess.run(["git", "--git-dir", str(snapshot), "show", f"HEAD:{path}"], capture_output=True,
                             check=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return out.stdout.decode("utf-8")


def _balanced(text: str, i: int, open_: str, close: str) -> int:
    """The index after the bracket that closes the one at ``i`` (strings skipped)."""
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == '"':
            j = _string_end(text, j)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError(f"unbalanced {open_} at {i}")


def _string_end(text: str, i: int) -> int:
    j = i + 1
    while text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _strings(block: str) -> list[str]:
    out, j = [], 0
    while (j := block.find('"', j)) >= 0:
        end = _string_end(block, j)
        out.append(_unescape(block[j + 1:end - 1]))
        j = end
    return out


def _unescape(s: str) -> str:
    # Haskell escapes: \" \\ \n and decimal code points (\12354)
    return re.sub(r'\\(\d+|.)', lambda m: chr(int(m.group(1))) if m.group(1).isdigit()
                  else {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def _sections(source: str) -> dict[str, str]:
    """Top-level definitions: name -> its text."""
    marks = [(m.start(), m.group(1)) for m in re.finditer(r"^([a-z][A-Za-z0-9_']*)\s*=", source, re.M)]
    return {name: source[start:(marks[k + 1][0] if k + 1 < len(marks) else len(source))]
            for k, (start, name) in enumerate(marks)}


def _datetime(fields: str) -> datetime:
    y, mo, d, h, mi, s = (int(float(x)) for x in fields.split(","))
    return datetime(y, mo, d, h, mi, s, tzinfo=REFERENCE.tzinfo)


def _number(s: str) -> float:
    return float(s.replace("(", "").replace(")", "").strip())


def _expected(dimension: str, expr: str) -> tuple[str, Any] | None:
    """(kind, expected) for one ``examples (...)`` head; None for shapes not read."""
    expr = " ".join(expr.split())
    if dimension == "time":
        m = re.fullmatch(r"datetime(?:Holiday)? \(([-\d, ]+)\) (\w+)(?: \".*\")?", expr)
        if m and m.group(2) in GRAINS:
            return "value", (_datetime(m.group(1)).isoformat(), m.group(2).lower())
        m = re.fullmatch(r"datetimeInterval(?:Holiday)? \(\(([-\d, ]+)\), \(([-\d, ]+)\)\) (\w+)(?: \".*\")?", expr)
        if m and m.group(3) in GRAINS:
            return "interval", ((_datetime(m.group(1)).isoformat(), _datetime(m.group(2)).isoformat()),
                                m.group(3).lower())
        m = re.fullmatch(r"datetimeOpenInterval (After|Before) \(([-\d, ]+)\) (\w+)(?: \".*\")?", expr)
        if m and m.group(3) in GRAINS:  # one end: the other is None, as Rasa gives it
            at = _datetime(m.group(2)).isoformat()
            return "interval", ((at, None) if m.group(1) == "After" else (None, at), m.group(3).lower())
        return None
    if dimension in ("number", "ordinal"):
        m = re.fullmatch(r"(?:NumeralValue|OrdinalData) (\(-[\d.e]+\)|[\d.e]+)", expr)
        return ("value", _number(m.group(1))) if m else None
    if dimension == "duration":
        m = re.fullmatch(r"DurationData (\d+) (\w+)", expr)
        return ("value", (int(m.group(1)), m.group(2).lower())) if m and m.group(2) in GRAINS else None
    if dimension == "amount-of-money":
        m = re.fullmatch(r"simple (\w+) \(?(-?[\d.e]+)\)?", expr)
        if m:
            unit = CURRENCIES.get(m.group(1), m.group(1))
            return "value", (_number(m.group(2)), unit)
        # a range, and one end (Duckling's under: the most, above: the least); the other end None
        m = re.fullmatch(r"between (\w+) \(([-\d.e]+), ([-\d.e]+)\)", expr)
        if m:
            return "interval", ((_number(m.group(2)), _number(m.group(3))), CURRENCIES.get(m.group(1), m.group(1)))
        m = re.fullmatch(r"(under|above) (\w+) \(?([-\d.e]+)\)?", expr)
        if m:
            at = _number(m.group(3))
            return "interval", ((None, at) if m.group(1) == "under" else (at, None),
                                CURRENCIES.get(m.group(2), m.group(2)))
        return None
    return None


# Duckling's locale corpora (the expressions of one country: its holidays, its date order) and how the
# country writes a date with slashes
LOCALES = {"en": {"US": "MDY", "CA": "MDY", "PH": "MDY", "GB": "DMY", "AU": "DMY", "NZ": "DMY", "IE": "DMY",
                  "IN": "DMY", "ZA": "DMY", "JM": "DMY", "BZ": "DMY", "TT": "DMY"},
           "zh": {"CN": "MDY", "HK": "MDY", "TW": "MDY", "MO": "MDY"}}


def read_corpus(snapshot: Path, lang: str, locale: str | None = None) -> tuple[list[Case], dict[str, int]]:
    """The cases of every dimension for ``lang`` ("en", "zh"), or of one of its ``locale`` corpora ("GB");
    and how many example blocks of each file were of a shape not read (``between``, ``under``...)."""
    cases: list[Case] = []
    skipped: dict[str, int] = {}
    for dimension, folder in DIMENSIONS.items():
        path = f"Duckling/{folder}/{lang.upper()}/" + (f"{locale}/" if locale else "") + "Corpus.hs"
        source = read_text(snapshot, path)
        if source is None:
            continue
        sections = _sections(source)
        body = "".join(text for name, text in sections.items() if name in ("allExamples", "defaultCorpus", "corpus"))
        j = 0
        while (j := body.find("examples (", j)) >= 0:
            head_end = _balanced(body, j + len("examples "), "(", ")")
            expr = body[j + len("examples ") + 1:head_end - 1]
            list_start = body.find("[", head_end)
            list_end = _balanced(body, list_start, "[", "]")
            try:
                got = _expected(dimension, expr)
            except ValueError:  # a year Python's datetime cannot hold (before year 1)
                got = None
            if got is None:
                skipped[path] = skipped.get(path, 0) + 1
            else:
                kind, expected = got
                cases += [Case(dimension, kind, expected, t, path) for t in _strings(body[list_start:list_end])]
            j = list_end
        negative = sections.get("negativeCorpus", "")
        if "examples =" in negative:
            start = negative.find("[", negative.find("examples ="))
            cases += [Case(dimension, "negative", None, t, path)
                      for t in _strings(negative[start:_balanced(negative, start, "[", "]")])]
    return cases, skipped
