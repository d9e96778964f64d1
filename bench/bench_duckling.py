"""builtin_entities against Duckling's own test corpus: the share of its expressions read to its value.

    python bench/bench_duckling.py [--duckling /work/.mirror/facebook+duckling/repo] [--no-write]

Rasa bots get dates, numbers, amounts and durations from Duckling; ``builtin_entities`` does that
job in-process. This bench reads Duckling's corpus (bench/duckling_corpus.py: every English and
Chinese expression of the time, numeral, ordinal, duration and amount-of-money corpora, with the
value Duckling's tests require, at Duckling's reference time, Tuesday 2013-02-12 04:30 at UTC-2)
and parses each with :func:`extract`, as Duckling's tests do: that dimension alone, and right
only when one entity spans the whole expression with Duckling's value (time: the same instant
and grain; intervals: the same start and end (an open one: its one end, the other None); amounts:
value and currency; durations: value and unit). Negative expressions (Duckling's
``negativeCorpus``) must give no entity of the dimension.

The corpus is written for Duckling's rules, so it holds readings a bot seldom meets ("the ides
of march", "3 fortnights", "a quarter past noon on the last Monday of May"): the figure is the
agreement with the reference on its own ground, not a target; what misses is in the JSON, by
dimension, for the next rule to write.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MISSES_KEPT = 40  # per dimension and kind, in the JSON
DEFAULT_SNAPSHOT = Path("/work/.mirror/facebook+duckling/repo")
DOLLARS = {"$", "USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD"}  # Duckling's Dollar: any dollar
SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400,
           "quarter": 91 * 86400, "year": 365 * 86400}


def judge(case: Any, found: list[Any], lang: str, grain: bool = True) -> tuple[bool, str]:
    """(right, what was found) for one case; ``grain=False``: a time's instant right is enough."""
    mine = [f for f in found if f.dim == case.dimension]
    shown = "; ".join(f"{f.value}{' ' + str(f.info.get('grain')) if f.info.get('grain') else ''}"
                      f"{' ' + str(f.info.get('unit')) if f.info.get('unit') else ''} [{f.start}:{f.end}]"
                      for f in mine) or "nothing"
    if case.kind == "negative":
        return not mine, shown
    # the value is what a slot gets: one entity of the dimension, with Duckling's value; its span may leave out
    # a word Duckling's takes in ("on 2/15", "a couple of")
    return len(mine) == 1 and _same(case, mine[0], lang, grain), shown


def _same(case: Any, f: Any, lang: str, grain: bool = True) -> bool:
    expected = case.expected
    if case.dimension == "time":
        (want, want_grain) = expected
        if case.kind == "interval":
            if not isinstance(f.value, dict) or set(f.value) != {"from", "to"}:
                return False
            return all((got is None and end is None) or (got is not None and end is not None and
                                                          _instant(got) == _instant(end))
                       for got, end in ((f.value["from"], want[0]), (f.value["to"], want[1])))
        return isinstance(f.value, str) and _instant(f.value) == _instant(want) and \
            (not grain or f.info.get("grain") == want_grain)
    if case.dimension in ("number", "ordinal"):
        return isinstance(f.value, (int, float)) and abs(float(f.value) - expected) < 1e-6
    if case.dimension == "duration":  # the same length of time ("half an hour" is Duckling's 30 minutes)
        n, unit = expected
        return abs(float(f.value) - n * SECONDS[unit]) < 1e-6
    if case.dimension == "amount-of-money":
        n, unit = expected
        # Duckling's "Dollar" is any dollar, and in Chinese the yuan (元, 块); "Cent" its hundredth
        dollars = DOLLARS | ({"CNY"} if lang == "zh" else set())

        def same_unit(got_unit: Any) -> bool:
            return (got_unit == unit or (unit in ("$", "cent") and got_unit in dollars)
                    or (unit == "£" and got_unit == "GBP") or unit is None)

        def same(got: Any, want: float | None) -> bool:
            if got is None or want is None:
                return got is None and want is None
            return isinstance(got, (int, float)) and abs(float(got) - (want / 100 if unit == "cent" else want)) < 1e-6

        if case.kind == "interval":  # the same ends, each in the currency (an end not said: None)
            ends = f.info.get("from") or f.info.get("to") or {}
            return (isinstance(f.value, dict) and same(f.value.get("from"), n[0]) and same(f.value.get("to"), n[1])
                    and same_unit(ends.get("unit")))
        return not isinstance(f.value, dict) and same(f.value, n) and same_unit(f.info.get("unit"))
    return False


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def run(snapshot: Path) -> dict[str, Any]:
    from bench.duckling_corpus import LOCALES, read_corpus

    results: dict[str, Any] = {}
    for lang in ("en", "zh"):
        cases, skipped = read_corpus(snapshot, lang)
        results[lang] = _score(cases, skipped, lang, "MDY")
        # held out: the locale corpora, not looked at while the grammar's rules were written
        held = {locale: read_corpus(snapshot, lang, locale) for locale in LOCALES[lang]}
        scored = [(_score(c, sk, lang, LOCALES[lang][locale]), locale) for locale, (c, sk) in held.items() if c]
        results[f"{lang} locales"] = {
            "locales": [locale for _, locale in scored],
            "cases": sum(sum(r["cases"][k] for k in r["cases"] if not k.endswith("negative")) for r, _ in scored),
            "right": sum(sum(r["right"][k] for k in r["right"] if not k.endswith("negative")) for r, _ in scored),
            "by_locale": {locale: r for r, locale in scored},
        }
    return results


def _score(cases: list[Any], skipped: dict[str, int], lang: str, date_order: str) -> dict[str, Any]:
    from bench.duckling_corpus import REFERENCE
    from dialogkit.components.nlu.builtin_entities import extract

    tally: Counter[tuple[str, str]] = Counter()
    right: Counter[tuple[str, str]] = Counter()
    instant: Counter[tuple[str, str]] = Counter()
    misses: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        found = extract(case.text, lang, REFERENCE, (case.dimension,), date_order)
        ok, shown = judge(case, found, lang)
        key = (case.dimension, case.kind)
        tally[key] += 1
        right[key] += ok
        instant[key] += ok or judge(case, found, lang, grain=False)[0]
        if not ok:
            misses.setdefault(f"{case.dimension} {case.kind}", []).append(
                {"text": case.text, "expected": case.expected, "found": shown})
    return {
        "cases": {f"{d} {k}": n for (d, k), n in sorted(tally.items())},
        "right": {f"{d} {k}": right[(d, k)] for (d, k) in sorted(tally)},
        "right_any_grain": {f"{d} {k}": instant[(d, k)] for (d, k) in sorted(tally)},
        "shapes_not_read": skipped,
        "misses": {k: v[:MISSES_KEPT] for k, v in misses.items()},
        "missed": {k: len(v) for k, v in misses.items()},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duckling", type=Path, default=DEFAULT_SNAPSHOT,
                   help="a snapshot of github.com/facebook/duckling: its git directory or a checkout")
    p.add_argument("--no-write", action="store_true", help="print the misses as JSON; BENCHMARKS.md untouched")
    args = p.parse_args()
    if not (args.duckling / "HEAD").exists() and not (args.duckling / "Duckling").is_dir():
        p.error(f"{args.duckling}: no Duckling snapshot here (a git directory or checkout of facebook/duckling)")
    results = run(args.duckling)
    rows = []
    for lang, r in results.items():
        if lang.endswith("locales"):
            rows.append((f"{lang}, held out ({', '.join(r['locales'])}; {r['cases']} values and intervals)",
                         f"{100 * r['right'] / max(r['cases'], 1):.1f} %", "-"))
            continue
        for key, n in r["cases"].items():
            share = f"{100 * r['right'][key] / n:.1f} %"
            if key == "time value":
                share += f" ({100 * r['right_any_grain'][key] / n:.1f} % the instant right, any grain)"
            rows.append((f"{lang}: {key} ({n})", share, "-"))
        values = [k for k in r["cases"] if not k.endswith("negative")]
        n_all = sum(r["cases"][k] for k in values)
        rows.append((f"{lang}: every value and interval ({n_all})",
                     f"{100 * sum(r['right'][k] for k in values) / n_all:.1f} %", "-"))
    for row in rows:
        print(" | ".join(row))
    if args.no_write:
        import json

        print(json.dumps(results, indent=1, ensure_ascii=False, default=str))
        return
    from bench.report import write

    write(
        "duckling",
        "builtin_entities against Duckling's test corpus (English, Chinese)",
        "make bench-duckling",
        rows,
        results,
        notes="Share of each corpus read to Duckling's value, at Duckling's reference time (Tuesday 2013-02-12 "
        "04:30, UTC-2), the expression parsed with that dimension alone, as Duckling's tests do: one entity of "
        "the dimension found, with Duckling's value (its span may leave out a word Duckling's takes in: 'on "
        "2/15'). Time: the same instant and grain (and, in brackets, the instant alone: Duckling gives 'in 2 "
        "minutes' the grain second); intervals: the same start and end (an open one, Duckling's After or Before: "
        "its one end, the other None); amounts: value and currency (Duckling's Dollar as any dollar, or the yuan "
        "in Chinese), and a range's two ends (Duckling's between; under and above: one end, the other None); "
        "durations: the same length; negatives: no entity. The corpus "
        "is facebook/duckling's Duckling/<Dimension>/<EN|ZH>/Corpus.hs, read as data from a snapshot outside "
        "this repository (bench/duckling_corpus.py; latent and other-reference-time corpora left out, and "
        "example blocks of shapes not read, counted in the JSON). It is Duckling's own ground, written for its "
        "rules (holidays of many faiths, 'the ides of march', time zones): an agreement figure, not a target. The "
        "grammar's rules were written looking at the misses of the language corpora above: they are a development "
        "set. Held out: the locale corpora (Duckling/<Dimension>/EN/<GB|US|AU...>/Corpus.hs, ZH/<CN|HK|TW|MO>: "
        "each country's own dates and holidays, slashes read day first where the country writes so), not looked "
        "at while the rules were written. "
        "Misses (the first 40 of each dimension and kind): the JSON.",
    )


if __name__ == "__main__":
    main()
