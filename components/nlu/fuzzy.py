"""Approximate matches of declared lookup and synonym values: what a user meant by "peperoni".

A span of the message (one to as many words as the longest declared phrase) matches a
declared phrase with the same number of words when they are close enough: by default
(``auto``) within one edit when the longer has 4 or more letters, two edits with 8 or more
(as bert_nlu's spelling reads words: "thia" → thai, "esat" → east); or, where the entity (or
the extractor's ``fuzzy_threshold``) gives one, when their similarity reaches that threshold.
Similarity is 100 × (1 − edits / length of the longer one), edits counted as optimal string
alignment (a dropped, added or changed letter, or two neighbours swapped, is one edit;
rapidfuzz's ``OSA``): "peperoni" → "pepperoni" scores 89, "larg" → "large" 80, "thia" → "thai" 75.

What is never read as a typo:

- a span shorter than ``min_length`` letters (not counting spaces);
- a span whose every word is a *known word*: one the bot's own examples use outside entity
  annotations, or (English bots) a whole word of the packaged encoder's vocabulary
  ("forth" is not "north", "mall" is not "small");
- a span with a word that is not letters (numbers, codes);
- a span where two different values score the same best (ambiguous: nothing is guessed);
- a span that overlaps an exact match, unless it holds the whole match and reads as a longer
  phrase with a slip: "cityy centre" is city centre though "centre" is a value too (the phrase
  must have the words matched exactly); in Chinese also with a homophone, and the match may be
  the phrase itself: "嗒后天" is 大后天 though 后天 is in it, "杭杭州" is 杭州 over its doubled character.

Chinese typos are mostly homophones (the input method offers 坐 for 座): for a Chinese bot a
span of two or more characters that can be read exactly as a declared phrase is read (the
same pinyin without tones, by pypinyin: the phrase as read in context, each typed character with
any of its readings, so "重蜻" is 重庆) matches it with similarity 90 ("二等坐" → 二等座, "杭洲" → 杭州),
unless the span is itself a word of pypinyin's phrase dictionary ("背景" is not 北京). The
slips of the fingers match too, with similarity 85: two neighbouring characters swapped
("州杭" → 杭州), one doubled ("杭杭州"), or one dropped from a phrase of three or more
("石庄" → 石家庄), again never when the span is a word itself ("海上" is not 上海). Letter-level
similarity does not apply to Chinese: one character of two is half the phrase.

In the bot's own context, a single word the rules above refuse for being short (3 letters) or a
known word ("wet", "eats") is read as a typo when the words either side of it (or the message's
edge) are those either side of a value of the same entity in one of the bot's annotated examples
("dinner in the wes": the bot writes "in the [west](area)") and it is one slip (a letter dropped
or doubled, two neighbours swapped, a neighbouring key: :func:`~.noise.is_slip`) from exactly one
value of that entity. "the est side" stays unread (east or west?), and so does "in the best"
(b and w are no neighbouring keys). In Chinese the same holds for a character alone that is one
of the two of exactly one value: "目的地是圳" is 深圳 where the bot writes "目的地是[深圳](city)";
"去京" stays unread (北京 or 南京?), and so does 圳 between characters no example puts a city between,
or alone (a reply of one character is offered at the question instead: "Did you mean").

Overlapping fuzzy matches keep the better score, then the longer span. A match is an entity
with ``extractor: fuzzy`` and ``confidence`` = the similarity / 100, its value the declared
phrase (or its synonym's canonical value), never the typed text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dialogkit.framework.domain.slot_types import one_slip

from .noise import is_slip
from .spelling import char_readings

__all__ = [
    "HOMOPHONE_SCORE", "SLIP_SCORE", "FuzzyIndex", "FuzzyMatch", "english_words_by_rank", "packaged_english_words",
]

HOMOPHONE_SCORE = 90.0
SLIP_SCORE = 85.0  # a Chinese phrase with two characters swapped, one doubled, or one dropped (of 3+)
AUTO_LOWEST = 75.0  # the lowest similarity the `auto` rule takes: one edit in 4 letters, two in 8
CONTEXT_MIN_LETTERS = 3  # the shortest word read as a typo in the bot's own context ("in the wes")
EDGE = ""  # the message's edge, as a neighbour of a word in a context
_HAN = re.compile(r"^[\u3400-\u9fff]{2,}$")
_HAN_CHAR = re.compile(r"^[\u3400-\u9fff]$")


def _holds(key: str, span: list[tuple[str, int, int]], start: int, end: int) -> bool:
    """The declared phrase ``key`` has, as its own words, the words of ``span`` between ``start`` and ``end``."""
    words = [w.lower() for w, s, e in span if start <= s and e <= end]
    phrase = key.lower().split()
    return any(phrase[i:i + len(words)] == words for i in range(len(phrase) - len(words) + 1))


@dataclass(frozen=True)
class FuzzyMatch:
    start: int  # character offsets in the message
    end: int
    key: str  # the declared phrase's lexicon key it matched
    score: float  # 0-100


@lru_cache(maxsize=1)
def english_words_by_rank() -> tuple[str, ...]:
    """Whole words (not word pieces) of the packaged English encoder's vocabulary, lower case,
    in its order (roughly the more common first)."""
    from pathlib import Path

    from .encoder_source import resolve_encoder

    vocab = Path(resolve_encoder("default")) / "vocab.txt"
    if not vocab.is_file():
        return ()
    return tuple(w for w in vocab.read_text(encoding="utf-8").split() if w.isascii() and w.isalpha())


def packaged_english_words(min_length: int) -> frozenset[str]:
    """:func:`english_words_by_rank` of ``min_length`` letters or more."""
    return frozenset(w for w in english_words_by_rank() if len(w) >= min_length)


@lru_cache(maxsize=1)
def _chinese_words() -> frozenset[str]:
    from pypinyin.phrases_dict import phrases_dict

    return frozenset(phrases_dict)


def _sound(text: str) -> list[str]:
    """How a phrase is read: its syllables without tones, polyphones as in the phrase (pypinyin's context)."""
    from pypinyin import lazy_pinyin

    return list(lazy_pinyin(text))


class FuzzyIndex:
    """Declared phrases by word count, each with the threshold of its entity (None: the ``auto`` rule)."""

    def __init__(self, keys: dict[str, float | None], meanings: dict[str, str], known_words: Iterable[str],
                 min_length: int, tokenize: Callable[[str], list[tuple[str, int, int]]], homophones: bool = False,
                 contexts: dict[str, Iterable[str]] | None = None):
        self.min_length = min_length
        # entity -> the neighbours of its values in the bot's examples, "left\0right" (lower case; EDGE at an edge)
        self._contexts = {entity: frozenset(pairs) for entity, pairs in (contexts or {}).items()}
        self._meaning = meanings  # key -> what it stands for (two keys of one value are no ambiguity)
        self.known = frozenset(known_words)
        self._by_words: dict[int, list[str]] = {}
        self._threshold = keys
        for key in keys:
            n = len(tokenize(key))
            self._by_words.setdefault(n, []).append(key)
            if homophones and _HAN.match(key.replace(" ", "")):  # a character doubled or dropped: a span of n±1
                for m in (n + 1, n - 1) if n >= 3 else (n + 1,):
                    self._by_words.setdefault(m, []).append(key)
        self._lowest = min((AUTO_LOWEST if t is None else t for t in keys.values()), default=100.0)
        # the Chinese phrases by length, each with its syllables as read in the phrase (重庆: chong qing)
        self._sounds: dict[int, list[tuple[str, list[str]]]] = {}
        if homophones:
            for key in keys:
                if _HAN.match(key.replace(" ", "")):
                    syllables = _sound(key.replace(" ", ""))
                    self._sounds.setdefault(len(syllables), []).append((key, syllables))
        # the values a lone character can be one of two of (the context rule, Chinese)
        self._two_characters = [key for key, _ in self._sounds.get(2, [])]

    def matches(self, words: list[tuple[str, int, int]], taken: list[tuple[int, int]]) -> list[FuzzyMatch]:
        """The fuzzy matches among a message's ``words`` ((text, start, end), as the tokenizer
        given at construction splits) that overlap no span of ``taken``, but for a Chinese span
        that holds one whole (the caller drops it: the slip is the longer phrase's)."""
        if not self._by_words:
            return []
        found: list[FuzzyMatch] = []
        for n, keys in self._by_words.items():
            for i in range(len(words) - n + 1):
                span = words[i:i + n]
                start, end = span[0][1], span[-1][2]
                held = [(s, e) for s, e in taken if start < e and s < end]
                if any(not (start <= s and e <= end and e - s < end - start) for s, e in held):
                    continue  # it cuts an exact match
                match = self._best(span, start, end, keys)
                if match is None and n == 1 and self._contexts and not self._sounds:
                    match = self._in_context(words, i, keys)
                if match is None:
                    continue
                # a span holding an exact match whole: in Chinese, a slip at the edge of a phrase holds an exact
                # match of part of it (杭杭州, 嗒后天); else the phrase matched must hold the words matched exactly
                # ("cityy centre" is city centre though "centre" is a value too)
                han = bool(self._sounds) and _HAN.match("".join(w for w, _, _ in span)) is not None
                if held and not han and not all(_holds(match.key, span, s, e) for s, e in held):
                    continue
                found.append(match)
        if self._contexts and self._two_characters:  # a Chinese character alone: one of a value's two, in context
            for i, (_, start, end) in enumerate(words):
                if not any(start < e and s < end for s, e in taken) and \
                        (match := self._in_context(words, i, self._two_characters)):
                    found.append(match)
        kept: list[FuzzyMatch] = []
        for m in sorted(found, key=lambda m: (-m.score, m.start - m.end, m.start)):
            if all(m.end <= k.start or m.start >= k.end for k in kept):
                kept.append(m)
        return sorted(kept, key=lambda m: m.start)

    def _best(self, span: list[tuple[str, int, int]], start: int, end: int, keys: list[str]) -> FuzzyMatch | None:
        if self._sounds:
            said = "".join(w for w, _, _ in span)
            if _HAN.match(said):
                return self._homophone(said, start, end, keys) or self._slip(said, start, end, keys)
        lowered = [w.lower() for w, _, _ in span]
        if sum(len(w) for w in lowered) < self.min_length or not all(w.isalpha() for w in lowered):
            return None
        if all(w in self.known for w in lowered):
            return None
        query = " ".join(lowered)
        hits = process.extract(
            query, keys, scorer=OSA.normalized_similarity, score_cutoff=self._lowest / 100 - 1e-6, limit=4
        )
        scored = [(round(score * 100, 1), key) for key, score, _ in hits if self._close(key, query, score)]
        if not scored:
            return None
        scored.sort(key=lambda h: -h[0])
        best_score, best = scored[0]
        if best == query:
            return None  # an exact match the exact pass did not take (a different case rule): not a typo
        if any(score == best_score and self._meaning.get(key) != self._meaning.get(best) for score, key in scored[1:]):
            return None  # two values as close: ambiguous, nothing is guessed
        return FuzzyMatch(start, end, best, best_score)

    def _in_context(self, words: list[tuple[str, int, int]], i: int, keys: list[str]) -> FuzzyMatch | None:
        """Word ``i`` as one slip of exactly one value of an entity whose values the bot's examples put
        between the same two neighbours (the module docstring)."""
        typed, start, end = words[i]
        typed = typed.lower()
        han = bool(self._sounds) and _HAN_CHAR.match(typed) is not None
        if not han and (len(typed) < CONTEXT_MIN_LETTERS or not typed.isalpha() or self._sounds):
            return None
        left = words[i - 1][0].lower() if i else EDGE
        right = words[i + 1][0].lower() if i + 1 < len(words) else EDGE
        if han and left == right == EDGE:
            return None  # a whole reply of one character: offered at the question ("Did you mean"), not guessed
        around = f"{left}\0{right}"
        entities = {entity for entity, pairs in self._contexts.items() if around in pairs}
        if not entities:
            return None  # no example puts a value between these words (most words: cheap)
        hits = [k for k in keys if " " not in k and self._meaning.get(k, "").partition("\0")[0] in entities
                and (one_slip(typed, k, drop_from=2) if han else is_slip(typed, k))]
        if not hits or len({self._meaning.get(k) for k in hits}) > 1:
            return None  # none, or two values as close: no guess
        key = hits[0]
        score = round(OSA.normalized_similarity(typed, key) * 100, 1)
        threshold = self._threshold[key]
        return FuzzyMatch(start, end, key, score) if threshold is None or score >= threshold else None

    def _close(self, key: str, query: str, similarity: float) -> bool:
        """``query`` is near enough ``key``: its entity's similarity threshold, or the `auto` rule
        (one edit for 4+ letters, two for 8+)."""
        threshold = self._threshold[key]
        if threshold is not None:
            return round(similarity * 100, 1) >= threshold
        longest = max(len(key), len(query))
        edits = round((1 - similarity) * longest)
        return longest >= 4 and edits <= (2 if longest >= 8 else 1)

    def _homophone(self, said: str, start: int, end: int, among: list[str]) -> FuzzyMatch | None:
        """A Chinese span that can be read exactly as one declared phrase is (and is no word itself): each
        character with one of its readings, the phrase's characters as the phrase reads them (重蜻 is 重庆, chong
        qing, though 重 alone is mostly zhong; 众庆, zhong qing, is not)."""
        if said in _chinese_words() or said in self.known:
            return None
        keys = [k for k, syllables in self._sounds.get(len(said), [])
                if k.replace(" ", "") != said and k in among
                and all(s in char_readings(c) for c, s in zip(said, syllables, strict=True))]
        meanings = {self._meaning.get(k) for k in keys}
        if not keys or len(meanings) > 1:
            return None  # nothing sounds so, or two values do: no guess
        key = keys[0]
        return FuzzyMatch(start, end, key, HOMOPHONE_SCORE) if HOMOPHONE_SCORE >= (self._threshold[key] or 0) else None

    def _slip(self, said: str, start: int, end: int, keys: list[str]) -> FuzzyMatch | None:
        """A Chinese span that is one declared phrase with one slip of the fingers (see the module
        docstring), and no word itself."""
        if said in _chinese_words() or said in self.known:
            return None
        hits = [k for k in keys if _HAN.match(k.replace(" ", "")) and one_slip(said, k.replace(" ", ""))]
        if not hits or len({self._meaning.get(k) for k in hits}) > 1:
            return None  # none, or two values as close: no guess
        key = hits[0]
        return FuzzyMatch(start, end, key, SLIP_SCORE) if SLIP_SCORE >= (self._threshold[key] or 0) else None
