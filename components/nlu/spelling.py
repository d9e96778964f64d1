"""Typos of the bot's own words, corrected before the NLU model reads a message.

The model learned "order" and "pizza" from the bot's examples; "ordr a piza" reaches it as
word pieces it never saw together. :class:`Speller` knows the words of the bot's examples
(with how often each occurs) and, for an English bot, the packaged encoder's whole words.
A word of the message it knows neither way (letters only, 3 or more) is replaced, for the
model only, by the closest word within one edit (two for words of 8 or more letters; an edit
is a dropped, added or changed letter or two neighbours swapped, rapidfuzz's ``OSA``; a word
of 3 letters only by one a letter longer: "mch" → much, never "the" → "tho"): the bot's own
words first, else an English word the typed word is a slip of (the encoder's list lacks many words:
"wifi" is no slip of wife, "paypal" none of papal, "restarting" none of starting; they stay as typed).
Among words as close, one the typed word is a slip of
comes first (a letter dropped or doubled, two neighbours swapped, a neighbouring key on a
QWERTY keyboard: noise.py's slips; "wnat" → want, not what; "latop" → laptop, not atop), then the
more frequent (in the bot's examples; for English words, the encoder's vocabulary order); two
of the bot's words as close and as frequent change nothing, unless the bot writes one of them beside
the typed word's neighbour ("can you hellp with": help, which the bot writes before "with", not the
more frequent hello). A slip can make another word ("were is the restaurant", "reserve a tale"): a
word of the language that the bot's examples never use is read as a bot word it is a slip of only
where the bot writes that word beside one of the typed word's neighbours, in at least a quarter of the
places it writes a word there (after "a" the restaurant bot mostly writes "table"), much as Chinese is
read below; "we were there" and "thanks a lot" (the bot writes "a lost card" once) stay.
A rarer word of the language, one the encoder's list lacks but the English dictionary has
(pyspellchecker's word counts: "spam", "vegan", "latte", "importing"), is a word, not a typo: it is read as
another only where that one is :data:`MORE_COMMON` (1000) times as common, in English or in the bot's examples
(the noisy channel's odds: "lief" is life, "hoe" how, "booing" the booking bot's booking; "spam" is no span,
"vegan" no began), or where the bot writes that word beside one of its neighbours, as above.
Chat shorthand ("pls", "thx", "cya", "acct": shorthand.py) is read as what it stands for where the bot's
examples do not write it, not as the nearest word ("pls" was plus).
Entity values keep what the user typed (the offsets do not move): the rule extractor's fuzzy
matching and the synonyms read those.

Languages written without spaces (Chinese, Japanese, Thai) have no letters to slip: their typos
are other characters. For Chinese, :class:`ReadingSpeller` takes the commonest slip of a pinyin
input method, a character read the same: a character the bot's examples never use ("布是") is
replaced, for the model only, by the bot's most frequent character that can be read the same
way (不: both read "bu", without tones, pypinyin's readings) and that the bot writes beside the
character before or after it (不是 is in its examples). A character with no such reading stays:
a city the bot has not seen ("拉萨") is not made into other characters. The other slips of typing
(noise.py's) are read from the bot's pairs too: two neighbours swapped ("消取" for 取消, "好您") are put
back where the bot never writes the pair as typed, writes it the other way round, and the swap
makes more of the message's pairs the bot's (a pair that is a word of the dictionary, 议会 beside
会议, stays); a character typed twice ("了了") is read once where the bot never writes it doubled
and writes it beside its neighbour. A dropped character is not guessed.
Other unspaced scripts are left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dialogkit.framework.domain.tokenization import UNSPACED, unspaced

from .noise import is_slip
from .shorthand import shorthand
from .word_boundaries import dictionary_word

__all__ = [
    "UNSPACED", "AsRead", "ReadingSpeller", "Speller", "char_readings", "corrections", "read_by_pinyin", "speller_for",
    "speller_from_json", "unspaced",
]


# the share of the places the bot writes a word after (or before) a neighbour that makes a slip into another
# word read as that word there (Speller._expected)
EXPECTED = 0.25
# a typed word that is a rarer word of the language (in its dictionary, not among the encoder's words) is read as
# a word it is a slip of only where that word is this many times as common: the noisy channel's odds, with about
# one word in thirty typed with a slip and some thirty slips of a word, which a slip must beat ("lief" is life,
# 6500 times as common; "spam" stays, span is 4 times as common, "vegan" 31, "latte" 99, "nerd" 830)
MORE_COMMON = 1000


class Speller:
    def __init__(self, counts: dict[str, int], known: Iterable[str] = (), pairs: dict[str, int] | None = None,
                 short: dict[str, str] | None = None, language: str = ""):
        self.counts = counts
        self.language = language  # whose dictionary (word frequencies) weighs a typed word that is a word
        self._total = sum(counts.values()) or 1
        self.short = short or {}  # chat shorthand and what it stands for ("pls": please; shorthand.py)
        words = list(known)  # the language's words, the more common first
        self._rank = {w: i for i, w in enumerate(words)}
        self._known = frozenset(words) | frozenset(counts)
        self.pairs = pairs or {}  # "a b": how often the bot's examples write b after a (older archives: none)
        self._sides: Counter[str] = Counter()  # "a " / " b": how often a is followed, b preceded, by a word
        for pair, n in self.pairs.items():
            a, b = pair.split(" ")
            self._sides[a + " "] += n
            self._sides[" " + b] += n
        self._own = _by_length(counts)  # the bot's words by length (a typo is within two letters of its word)
        self._words = _by_length(words)  # the language's, by length
        self._cache: dict[str, tuple[list[str], frozenset[str], str | None]] = {}

    @classmethod
    def fit(cls, word_lists: Iterable[Iterable[str]], language: str) -> Speller:
        lists = [[w.lower() for w in words] for words in word_lists]
        counts = Counter(w for words in lists for w in words if w.isalpha())
        pairs = Counter(f"{a} {b}" for words in lists for a, b in zip(words, words[1:], strict=False)
                        if _wordlike(a) and _wordlike(b))
        return cls(dict(counts), _known(language), dict(pairs), shorthand(language), language)

    def correct(self, word: str, before: str = "", after: str = "") -> str:
        """``word`` as the bot's examples spell it, or unchanged; ``before`` and ``after``, the words
        either side of it, break ties and read slips that make another word (see the module docstring).
        Chat shorthand the bot's examples do not write is read as what it stands for ("pls": please)."""
        lower = word.lower()
        if lower in self.counts:
            return word
        if lower in self.short:
            return self.short[lower] if lower != self.short[lower] else word
        if len(lower) < 3 or not lower.isalpha():
            return word
        if lower not in self._cache:
            self._cache[lower] = self._candidates(lower)
            if len(self._cache) > 50_000:
                self._cache.clear()
        own, free, other = self._cache[lower]
        before, after = before.lower(), after.lower()
        # a word of the language is another only where the bot writes that one beside its neighbours, unless
        # that one is free: far more common than a rarer word ("lief" is life, "spam" stays)
        own = [w for w in own if w in free or self._expected(w, before, after)]
        if not own:
            return other or word
        ranked = sorted(
            ((is_slip(lower, w), self._beside(w, before, after), self.counts[w], w) for w in own), reverse=True
        )
        if not ranked or (len(ranked) > 1 and ranked[0][:3] == ranked[1][:3]):
            return word  # as likely, as close and as frequent: no guess
        return ranked[0][3]

    def correct_words(self, words: list[str]) -> list[str]:
        """Each word of a message as the bot's examples spell it (see :meth:`correct`), read beside its
        neighbours as typed."""
        return [
            self.correct(w, words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "")
            for i, w in enumerate(words)
        ]

    def _share(self, word: str) -> float:
        """How often ``word`` is written: its share of the bot's examples' words or of the language's, whichever
        is more."""
        return max(self.counts.get(word, 0) / self._total, self._in_language(word))

    def _in_language(self, word: str) -> float:
        """``word``'s share of the words of the language's dictionary (0 for a word it lacks)."""
        counts, total = dictionary(self.language)
        return counts.get(word, 0) / total

    def _beside(self, word: str, before: str, after: str) -> bool:
        return f"{before} {word}" in self.pairs or f"{word} {after}" in self.pairs

    def _expected(self, word: str, before: str, after: str) -> bool:
        """The bot writes ``word`` in at least a quarter of the places it writes after ``before`` or
        before ``after`` (after "a" the restaurant bot writes "table"; the banking bot writes "lost" once
        among many, and "thanks a lot" stays)."""
        return any(
            side in self._sides and self.pairs.get(pair, 0) >= EXPECTED * self._sides[side]
            for pair, side in ((f"{before} {word}", before + " "), (f"{word} {after}", " " + after))
        )

    def _candidates(self, lower: str) -> tuple[list[str], frozenset[str], str | None]:
        """The bot's words ``lower`` may be a typo of (the closest), those of them it is read as whatever its
        neighbours (all, for a word the language lacks), and the language's word for a word close to none of
        them. A word of the language: the bot's words it is a slip of, none free but those MORE_COMMON times as
        common as a rarer word of its dictionary."""
        most = 2 if len(lower) >= 8 else 1
        typed = 0.0 if lower in self._known else self._in_language(lower)
        if lower in self._known or typed:
            own = [w for n in (len(lower) - 1, len(lower), len(lower) + 1) for w in self._own.get(n, [])
                   if is_slip(lower, w)]
            if not typed:
                return own, frozenset(), None
            # a rarer word of the language is read as a common one it is a slip of only where that is
            # MORE_COMMON times as common, in English or in the bot's examples
            free = frozenset(w for w in own if self._share(w) >= MORE_COMMON * typed)
            sizes = [len(lower) - 1, len(lower), len(lower) + 1][len(lower) == 3:]  # "sop" is stop, never so
            common = [(self._share(w), w) for n in sizes for w in self._words.get(n, []) if is_slip(lower, w)]
            common = [(f, w) for f, w in common if f >= MORE_COMMON * typed]
            return own, free, max(common)[1] if common else None
        # 3 letters: one was dropped
        lengths = [4] if len(lower) == 3 else range(len(lower) - most, len(lower) + most + 1)
        own = [w for n in lengths for w in self._own.get(n, [])]
        hits = process.extract(lower, own, scorer=OSA.distance, score_cutoff=most, limit=None)
        if hits:
            best = min(d for _, d, _ in hits)
            closest = [w for w, d, _ in hits if d == best]
            return closest, frozenset(closest), None
        near = [w for n in lengths for w in self._words.get(n, [])]
        found = process.extract(lower, near, scorer=OSA.distance, score_cutoff=most, limit=None)
        if not found:
            return [], frozenset(), None
        # a word the bot never uses is read as another word of the language only when it is a slip of it ("wnat"
        # is want): a word the list lacks is no typo of its nearest word ("wifi" is no wife, "halal" no hall)
        slips = [w for w, _, _ in found if is_slip(lower, w)]
        return [], frozenset(), min(slips, key=lambda w: self._rank[w]) if slips else None

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts, "pairs": self.pairs}

    @classmethod
    def from_json(cls, data: dict[str, Any], language: str) -> Speller:
        return cls(data["counts"], _known(language), data.get("pairs"), shorthand(language), language)


class ReadingSpeller:
    """Characters the bot never uses, read as one it does where the bot writes that pair (see the module
    docstring)."""

    def __init__(self, counts: dict[str, int], pairs: Iterable[str] = ()):
        self.counts = counts  # the bot's characters and how often its examples use them
        self.pairs = frozenset(pairs)  # the pairs of neighbouring characters its examples write
        self._by_reading: dict[str, list[str]] = {}
        for c in sorted(counts, key=lambda c: (-counts[c], c)):
            for reading in char_readings(c):
                self._by_reading.setdefault(reading, []).append(c)
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def fit(cls, word_lists: Iterable[Iterable[str]]) -> ReadingSpeller:
        counts: Counter[str] = Counter()
        pairs: set[str] = set()
        for words in word_lists:
            text = "".join(words)
            counts.update(c for c in text if _is_han(c))
            pairs.update(a + b for a, b in zip(text, text[1:], strict=False) if _is_han(a) and _is_han(b))
        return cls(dict(counts), pairs)

    def correct(self, word: str) -> str:
        """One word read alone (see :meth:`correct_words`)."""
        return self.correct_words([word])[0]

    def correct_words(self, words: list[str]) -> list[str]:
        """The message's words with each character the bot never uses read as one it does that is read
        the same and that the bot writes beside the character before or after it (the more frequent
        first); a character with no such reading stays."""
        text = list("".join(words))
        for i, c in enumerate(text):
            if _is_han(c) and c not in self.counts:
                before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else ""
                text[i] = next(
                    (k for k in self._same_reading(c) if before + k in self.pairs or k + after in self.pairs), c
                )
        self._unslip(text)
        out, at = [], 0
        for w in words:
            out.append("".join(text[at : at + len(w)]))
            at += len(w)
        return out

    def _unslip(self, text: list[str]) -> None:
        """Two neighbours swapped put back, a character typed twice read once (``""`` in its place: the
        text keeps one entry per character typed), by the bot's pairs (see the module docstring)."""
        i = 0
        while i + 1 < len(text):
            a, b = text[i], text[i + 1]
            if not (_is_han(a) and _is_han(b)) or a + b in self.pairs:
                i += 1
                continue
            before = text[i - 1] if i else ""
            after = next((c for c in text[i + 2:] if c), "")
            if a == b:
                if before + a in self.pairs or a + after in self.pairs:
                    text[i + 1] = ""  # typed twice: read once
                    i += 2
                    continue
            elif b + a in self.pairs and not dictionary_word(a + b):  # 议会 is no slip of 会议
                was = (before + a in self.pairs) + (b + after in self.pairs)
                now = 1 + (before + b in self.pairs) + (a + after in self.pairs)
                if now > was:
                    text[i], text[i + 1] = b, a
                    i += 2
                    continue
            i += 1

    def _same_reading(self, c: str) -> list[str]:
        """The bot's characters that can be read as ``c`` can, the more frequent first."""
        if c not in self._cache:
            found = {k for r in char_readings(c) for k in self._by_reading.get(r, [])}
            self._cache[c] = sorted(found, key=lambda k: (-self.counts[k], k))
            if len(self._cache) > 50_000:
                self._cache.clear()
        return self._cache[c]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "readings", "counts": self.counts, "pairs": sorted(self.pairs)}


def read_by_pinyin(language: str) -> bool:
    """Chinese (zh, zh-CN, zh-TW...): typed by its readings through a pinyin input method."""
    return language.lower().startswith("zh")


def speller_for(word_lists: list[list[str]], language: str) -> Speller | ReadingSpeller | None:
    """The speller of a language: letters for spaced scripts, readings for Chinese, none for other
    unspaced scripts."""
    if read_by_pinyin(language):
        return ReadingSpeller.fit(word_lists)
    return None if unspaced(language) else Speller.fit(word_lists, language)


def speller_from_json(data: dict[str, Any], language: str) -> Speller | ReadingSpeller:
    """The speller saved by ``to_json`` (files without a kind hold letters)."""
    if data.get("kind") == "readings":
        return ReadingSpeller(data["counts"], data.get("pairs", ()))
    return Speller.from_json(data, language)


def corrections(words: list[tuple[str, int, int]], read: list[str]) -> list[dict[str, Any]]:
    """The words of a message (text, start, end) the speller read otherwise (``read``, one per word), as
    ``Turn.corrections``: ``{start, end, read}``."""
    return [
        {"start": s, "end": e, "read": r} for (w, s, e), r in zip(words, read, strict=True) if r.lower() != w.lower()
    ]


class AsRead:
    """``text`` with the words of ``fixes`` (``{start, end, read}``, sorted; ``Turn.corrections``) read as
    their ``read`` (:attr:`text`), and where a span of it stands in the text typed: what an extractor
    matches in the message as read, put back on the words typed."""

    def __init__(self, text: str, fixes: list[dict[str, Any]]):
        read, at = "", 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self.fixes = fixes
        for c in fixes:
            if c["start"] < at:
                continue  # overlapping corrections: the first stands
            read += text[at:c["start"]] + c["read"]
            self._starts += [*range(at, c["start"]), *[c["start"]] * len(c["read"])]
            self._ends += [*range(at + 1, c["start"] + 1), *[c["end"]] * len(c["read"])]
            at = c["end"]
        self.text = read + text[at:]
        self._starts += list(range(at, len(text)))
        self._ends += list(range(at + 1, len(text) + 1))

    def typed(self, start: int, end: int) -> tuple[int, int] | None:
        """The typed span the span ``[start, end)`` of :attr:`text` stands on; None when no word read
        otherwise is in it (found as typed, or nothing)."""
        a, b = self._starts[start], self._ends[end - 1]
        return (a, b) if any(a <= c["start"] and c["end"] <= b for c in self.fixes) else None


def _wordlike(token: str) -> bool:
    return any(c.isalpha() for c in token)


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u4dbf" or "\u4e00" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


@lru_cache(maxsize=20_000)
def char_readings(c: str) -> tuple[str, ...]:
    """How a character can be read: its pinyin syllables without tones (several for a polyphone:
    重 is zhong and chong, 长 chang and zhang)."""
    from pypinyin import Style, pinyin

    return tuple(r for r in pinyin(c, style=Style.NORMAL, heteronym=True)[0] if r.isascii() and r.isalpha())


def _by_length(words: Iterable[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for w in words:
        out.setdefault(len(w), []).append(w)
    return out


@lru_cache(maxsize=8)
def _known(language: str) -> tuple[str, ...]:
    """Words that are never typos besides the bot's own, the more common first: the packaged
    encoder's whole words, for English, then the words builtin_entities' grammar reads ("quid", "thurs")."""
    from .builtin.vocabulary import grammar_words
    from .fuzzy import english_words_by_rank

    if language != "en":
        return ()
    words = english_words_by_rank()
    return words + tuple(sorted(grammar_words() - set(words)))


# a word of pyspellchecker's English list is a word, not a typo, where its counts (OpenSubtitles and others) have
# it this often: 44k words, latte, spam, vegan and overdraft among them; under it misspellings creep in
# ("peperoni" is at 50)
ENGLISH_FLOOR = 100


@lru_cache(maxsize=8)
def dictionary(language: str) -> tuple[dict[str, int], int]:
    """The words of the language's dictionary and how often each is used, and all its words' count (English:
    pyspellchecker's, the words counted :data:`ENGLISH_FLOOR` times or more; no other language has one): what
    tells a rarer word from a typo of a common one (read once, on the first word that needs it)."""
    if language != "en":
        return {}, 1
    from spellchecker import SpellChecker

    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    kept = {w: n for w, n in counts.items() if n >= ENGLISH_FLOOR and w.isascii() and w.isalpha()}
    return kept, sum(counts.values()) or 1
