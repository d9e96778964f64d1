"""Slot realisation check for E2E NLG texts, used to *measure* slot error rate.

Independent of the generator's guard lexicon (``bench_nlg.LEXICON``): one regular
expression per attribute value, written against the E2E references in the style of the
E2E-cleaning slot checker (Dušek et al., 2019), so the "after guard" figures are not
judged by the guard's own rules. A value counts as *missing* when its pattern does not
match, *wrong* when another value of the same attribute matches instead, *added* when an
attribute that is not in the MR matches. As in that checker, a verbal rating may follow its noun
("a customer rating of high"), and a match inside another value's longer match does not count
("family-friendly" in "non family-friendly").
"""

from __future__ import annotations

import re

_NOT = r"(?:not|n't|non|isn't|no)\W+(?:\w+\W+){0,2}?"
_FAMILY = r"(?:famil(?:y|ies)|kids?|child(?:ren)?|children's)[\s-]*(?:friendly|oriented|welcome)"

PATTERNS: dict[str, dict[str, str]] = {
    "eatType": {
        "coffee shop": r"coffee[\s-]*(?:shop|house)|caf[eé]\b(?!\s+(?:rouge|brazil|sicilia))",
        "restaurant": r"restaurant",
        "pub": r"\bpub\b",
    },
    "area": {
        "city centre": r"cent(?:re|er)|downtown",
        "riverside": r"river",
    },
    "familyFriendly": {
        "no": rf"{_NOT}{_FAMILY}|adults?[\s-]only|(?:no|not "
        r"for)\s+(?:kids|children|families)|not\s+(?:suitable|good|ideal)\s+for\s+(?:kids|children|famil)",
        "yes": rf"(?<!not\s)(?<!n't\s){_FAMILY}|(?:welcomes?|for|allows?|suitable for|good "
        r"for)\s+(?:the\s+)?(?:whole\s+)?(?:kids|children|famil)",
    },
    "food": {
        "Chinese": r"chinese",
        "English": r"english|british",
        "Japanese": r"japanese|sushi",
        "French": r"french",
        "Indian": r"indian(?!\s+cuisine)",
        "Fast food": r"fast[\s-]*food|burgers?",
        "Italian": r"italian|pasta|pizza",
    },
    "priceRange": {
        "cheap": r"cheap|inexpensive|low[\s-]*(?:cost|price)|affordabl|budget",
        "moderate": r"moderat|mid[\s-]*(?:range|price)|average[\s-]*pric|reasonabl",
        "high": r"high[\s-]*(?:price|cost|end)|expensive|pricey|price\s+range\s+(?:is\s+)?high",
        "less than £20": r"(?:less than|under|below|cheaper than)\s*£?\s*20|£?20\s*(?:or less|and under)",
        "£20-25": r"£?\s*20\s*(?:-|to|and)\s*£?\s*25",
        "more than £30": r"(?:more than|over|above|exceeds?|upwards of)\s*£?\s*30|£?30\s*(?:\+|plus|or more)",
    },
    "customer rating": {
        "low": r"\blow(?:ly)?[\s-]*(?:customer\s+)?(?:rat|review|score)"
        r"|rat\w*\s+(?:as\s+|is\s+|of\s+)?(?:very\s+)?(?:low|poor)|poor(?:ly)?\s+(?:rat|review)",
        "average": r"average[\s-]*(?:customer\s+)?(?:rat|review|score)|rat\w*\s+(?:as\s+|is\s+|of\s+)?average",
        "high": r"high(?:ly)?[\s-]*(?:customer\s+)?(?:rat|review|score|recommend)"
        r"|rat\w*\s+(?:as\s+|is\s+|it\s+|of\s+)?(?:very\s+)?high|great\s+(?:customer\s+)?(?:rat|review)",
        "1 out of 5": r"\b(?:1|one)\s*(?:out\s*of\s*|/\s*|of\s*)(?:5|five)|\b(?:1|one)[\s-]*star",
        "3 out of 5": r"\b(?:3|three)\s*(?:out\s*of\s*|/\s*|of\s*)(?:5|five)|\b(?:3|three)[\s-]*star",
        "5 out of 5": r"\b(?:5|five)\s*(?:out\s*of\s*|/\s*|of\s*)(?:5|five)|\b(?:5|five)[\s-]*star",
    },
}
# Verbal and numeric values that E2E references use for each other (as the E2E-cleaning
# checker accepts them): "cheap" for "less than £20", "highly rated" for "5 out of 5"...
_SAME = {
    ("priceRange", "less than £20"): "cheap",
    ("priceRange", "£20-25"): "moderate",
    ("priceRange", "more than £30"): "high",
    ("customer rating", "1 out of 5"): "low",
    ("customer rating", "3 out of 5"): "average",
    ("customer rating", "5 out of 5"): "high",
}
for (attr, value), other in _SAME.items():
    PATTERNS[attr][value] += "|" + PATTERNS[attr][other]
_COMPILED = {a: {v: re.compile(p, re.IGNORECASE) for v, p in vals.items()} for a, vals in PATTERNS.items()}


def _hits(pats: dict[str, re.Pattern[str]], text: str) -> set[str]:
    """The values whose patterns match ``text``, but for a match inside another value's longer match
    ("family-friendly" in "non family-friendly"), as the E2E-cleaning checker drops such substrings."""
    spans = {v: [m.span() for m in p.finditer(text)] for v, p in pats.items()}
    longer = [(a, b) for ss in spans.values() for a, b in ss]

    def inside(s: tuple[int, int]) -> bool:
        return any(a <= s[0] and s[1] <= b and (a, b) != s for a, b in longer)

    return {v for v, ss in spans.items() if any(not inside(s) for s in ss)}


def slot_report(text: str, mr: dict[str, str]) -> dict:
    """The attributes of ``mr`` that ``text`` misses or states wrongly, and those it adds.

    ``name`` and ``near`` are checked verbatim; ``near``'s own words are blanked first so
    "Raja Indian Cuisine" does not count as Indian food.
    """
    required = 0
    missing: list[str] = []
    wrong: list[str] = []
    added: list[str] = []
    rest = text
    for attr in ("name", "near"):
        if attr in mr:
            required += 1
            if mr[attr].lower() not in rest.lower():
                missing.append(attr)
            rest = re.sub(re.escape(mr[attr]), " ", rest, flags=re.IGNORECASE)
    for attr, pats in _COMPILED.items():
        hits = _hits(pats, rest)
        if attr in mr:
            required += 1
            same = {mr[attr], _SAME.get((attr, mr[attr]))} | {
                v for (a, v), o in _SAME.items() if a == attr and o == mr[attr]
            }
            if mr[attr] not in hits:
                missing.append(attr)
            if hits - same:
                wrong.append(attr)
        elif hits:
            added.append(attr)
    return {"required": required, "missing": missing, "wrong": wrong, "added": added}
