"""The E2E data for the NLG benchmarks: MRs and references, the guard's lexicon, the template
baseline, delexicalisation, and the two ways to split the MRs.

- ``mr_split``: 80/20 by MR (no MR in both); test MRs share their attribute combinations with
  training MRs.
- ``compositional_split``: whole attribute combinations held out: no test MR's set of attributes
  (``name, eatType, food, area``) occurs in training, so the test asks for combinations the
  generator never saw (issue 31's honest split).

Delexicalisation: ``name`` and ``near`` always become ``{name}``/``{near}`` (copied back after
generation). With ``delex="all"`` every attribute whose value a reference states in a form the
lexicon can realise becomes a placeholder too (``{food}``, ``{familyFriendly}``...), filled after
generation from :data:`REALISE`; a value a reference words some other way stays a value the model
must put into words (the guard checks it).
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

DELEX = ("name", "near")
# Surface forms the guard accepts for each value (the generator's view; measuring uses e2e_slots.py).
LEXICON: dict[str, dict[str, list[str]]] = {
    "eatType": {
        "coffee shop": ["coffee shop", "coffee house", "cafe", "café"],
        "restaurant": ["restaurant"],
        "pub": ["pub"],
    },
    "area": {
        "city centre": ["city centre", "centre of the city", "city center", "centre", "center"],
        "riverside": ["riverside", "river side", "by the river", "near the river", "river"],
    },
    "familyFriendly": {
        "yes": [
            "family friendly",
            "kid friendly",
            "kids friendly",
            "child friendly",
            "children friendly",
            "families",
            "family",
        ],
        "no": [
            "not family friendly",
            "not kid friendly",
            "not kids friendly",
            "not child friendly",
            "not children friendly",
            "non family friendly",
            "isn't family friendly",
            "isn't kid friendly",
            "isn't child friendly",
            "not a family friendly",
            "not very family friendly",
            "adults only",
            "no children",
            "no kids",
            "not for families",
            "not suitable for families",
            "not family oriented",
        ],
    },
    "food": {
        "Chinese": ["chinese"],
        "English": ["english", "british"],
        "Japanese": ["japanese"],
        "French": ["french"],
        "Indian": ["indian"],
        "Fast food": ["fast food"],
        "Italian": ["italian"],
    },
    "priceRange": {
        "cheap": ["cheap", "inexpensive", "low price", "low priced", "low cost", "affordable"],
        "moderate": [
            "moderate",
            "moderately priced",
            "mid price",
            "mid priced",
            "mid range",
            "average price",
            "average priced",
            "reasonably priced",
        ],
        "high": ["high price", "high priced", "expensive", "high cost", "price range is high", "pricey"],
        "less than £20": ["less than £20", "under £20", "below £20", "less than 20"],
        "£20-25": ["£20 25", "£20 £25", "20 25", "£20 to £25", "20 to 25", "between £20 and £25"],
        "more than £30": ["more than £30", "over £30", "above £30", "more than 30"],
    },
    "customer rating": {
        "low": ["low customer rating", "low rating", "low rated", "rated low", "poor rating", "poorly rated", "low"],
        "average": ["average customer rating", "average rating", "rated average", "average"],
        "high": ["high customer rating", "high rating", "highly rated", "rated highly", "high"],
        "1 out of 5": ["1 out of 5", "one out of five", "1 star", "one star"],
        "3 out of 5": ["3 out of 5", "three out of five", "3 star", "three star"],
        "5 out of 5": ["5 out of 5", "five out of five", "5 star", "five star"],
    },
}


# E2E references state numeric ranges and verbal levels for each other ("high price range"
# for "more than £30", "5 star" ... "highly rated"); the measuring checker accepts the same.
for _attr, _pairs in (("priceRange", (("less than £20", "cheap"), ("£20-25", "moderate"), ("more than £30", "high"))),
                      ("customer rating", (("1 out of 5", "low"), ("3 out of 5", "average"), ("5 out of 5", "high")))):
    for _num, _word in _pairs:
        LEXICON[_attr][_num] = LEXICON[_attr][_num] + LEXICON[_attr][_word]


def parse_mr(mr: str) -> dict[str, str]:
    return {a.strip(): v for a, v in re.findall(r"([^,\[]+)\[([^\]]*)\]", mr)}


def template(mr: dict[str, str]) -> str:
    """The template baseline: one hand-written sentence plan, every attribute always stated."""
    ff = mr.get("familyFriendly")
    kind = mr.get("eatType", "place")
    adjective = "family-friendly " if ff == "yes" else ""
    first = f"{mr['name']} is a {adjective}{kind}" if "name" in mr else f"There is a {adjective}{kind}"
    if "food" in mr:
        first += f" serving {mr['food']} food"
    if "area" in mr:
        first += " in the city centre" if mr["area"] == "city centre" else " by the riverside"
    if "near" in mr:
        first += f" near {mr['near']}"
    out = [first + "."]
    price = mr.get("priceRange")
    if price:
        out.append(
            f"It is {price}."
            if price in ("cheap",)
            else f"It has a {price} price range."
            if price in ("moderate", "high")
            else f"Prices are {price}."
            if "than" in price
            else f"Prices are in the {price} range."
        )
    rating = mr.get("customer rating")
    if rating:
        out.append(
            f"It has a customer rating of {rating}."
            if "out of" in rating
            else f"It has {'an' if rating[0] in 'aeiou' else 'a'} {rating} customer rating."
        )
    if ff == "no":
        out.append("It is not family-friendly.")
    return " ".join(out)


def delexicalize(ref: str, mr: dict[str, str]) -> str:
    text = ref.replace("{", "{{").replace("}", "}}")
    for attr in DELEX:
        if attr in mr:
            text = re.sub(re.escape(mr[attr]), "{" + attr + "}", text, flags=re.IGNORECASE)
    return text


def load(path: Path) -> dict[str, list[str]]:
    by_mr: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_mr.setdefault(row["mr"], []).append(row["ref"].strip())
    return by_mr


# --- splits -------------------------------------------------------------------------------


def mr_split(mrs: list[str], seed: int, test_share: float = 0.2) -> tuple[list[str], list[str]]:
    shuffled = sorted(mrs)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * (1 - test_share))
    return shuffled[:cut], shuffled[cut:]


def attribute_set(mr: str) -> frozenset[str]:
    return frozenset(parse_mr(mr))


def compositional_split(mrs: list[str], seed: int, test_share: float = 0.2) -> tuple[list[str], list[str]]:
    """Whole attribute sets to test until about ``test_share`` of the MRs are there: no test MR's
    attribute set occurs among the training MRs."""
    groups: dict[frozenset[str], list[str]] = {}
    for m in sorted(mrs):
        groups.setdefault(attribute_set(m), []).append(m)
    keys = sorted(groups, key=lambda k: sorted(k))
    random.Random(seed).shuffle(keys)
    test: list[str] = []
    train: list[str] = []
    for k in keys:
        (test if len(test) < test_share * len(mrs) else train).extend(groups[k])
    return train, test


# --- delexicalising every attribute ---------------------------------------------------------

# what a placeholder of each value becomes after generation (the value itself, but for yes/no)
REALISE = {"familyFriendly": {"yes": "family-friendly", "no": "not family-friendly"}}
PLACEHOLDER = {a: a.replace(" ", "_") for a in ("name", "near", "eatType", "food", "area", "priceRange",
                                                  "customer rating", "familyFriendly")}


def realise(attr: str, value: str) -> str:
    return REALISE.get(attr, {}).get(value, value)


def _surfaces(attr: str, value: str) -> list[str]:
    """The forms a reference may state ``value`` in that the realisation can stand for."""
    if attr == "familyFriendly":
        return sorted(LEXICON[attr][value], key=len, reverse=True)
    return [value]  # the value as written: "5 out of 5", "cheap", "city centre", "Italian"


def delexicalize_all(ref: str, mr: dict[str, str]) -> tuple[str, list[str]]:
    """``ref`` with every attribute it states in a realisable form as a placeholder; returns the
    text and the attributes placed (the others stay values the model must word)."""
    text = delexicalize(ref, mr)
    placed = [a for a in DELEX if a in mr]
    for attr, value in sorted(mr.items(), key=lambda kv: -len(kv[1])):
        if attr in DELEX:
            continue
        for form in _surfaces(attr, value):
            pattern = re.compile(r"(?<![\w£])" + re.escape(form).replace(r"\ ", r"[\s-]+") + r"(?![\w])", re.I)
            if pattern.search(text):
                text = pattern.sub("{" + PLACEHOLDER[attr] + "}", text, count=1)
                placed.append(attr)
                break
    return text, placed
