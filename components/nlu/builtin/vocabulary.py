"""The words the English grammar reads ("quid", "thurs", "fortnight", "lakh"): words of the language to the
speller (components/nlu/spelling.py), never read as a slip of another ("quid" is not "squid" misspelt)."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["grammar_words"]

# words the grammar's patterns spell out, not kept in a table
_SPELLED = ("tmrw tmr tonite fortnight fortnights noon midnight tonight tomorrow yesterday today weekend weekends "
            "half dozen grand bucks buck quid pence penny pennies cents cent asap ish o'clock").split()


@lru_cache(maxsize=1)
def grammar_words() -> frozenset[str]:
    """The English grammar's words, lower case, letters only."""
    from .clock_en import ZONES
    from .days import MONTHS, WEEKDAYS
    from .money import COUNTRY_CURRENCY, CURRENCY_WORDS
    from .numbers import DIGIT_SCALES, ORDINAL_WORDS, SCALES, TENS, UNITS
    from .units import EN_SPELLINGS, en_spellings

    names = [*WEEKDAYS, *MONTHS, *CURRENCY_WORDS, *UNITS, *TENS, *SCALES, *DIGIT_SCALES, *ORDINAL_WORDS, *ZONES,
             *_SPELLED, *en_spellings(*EN_SPELLINGS)]
    names += [country for countries in COUNTRY_CURRENCY.values() for country in countries]
    return frozenset(w for name in names for w in re.split(r"\s+", name.lower()) if w.isalpha() and len(w) > 1)
