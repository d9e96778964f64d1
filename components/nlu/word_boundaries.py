"""Where words begin and end in scripts written without spaces: no entity the model tags cuts a word.

Chinese is tokenized one character per word (spaCy's default), so the joint model tags
characters, and a small bot's tagger (on an encoder not made for Chinese, above all) tags single
characters of ordinary words: 天 of 天气 as a city, 回 of 回头见 as a seat, 外 of 外卖. A value
users mean is whole words. With a dictionary segmenter (jieba, dictionary only: no guessed words)
a span the model tags whose start or end falls inside a word is dropped; a span over several
whole words (魔都 is 魔 + 都 to the dictionary) is kept. Lookup, synonym and regex matches are not
filtered (they are the bot's own phrases). Languages without a segmenter here: no filter (their
words are spaced, and the model tags whole words already).
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

__all__ = ["dictionary_word", "dictionary_words", "has_segmenter", "read_text", "tagged_words", "word_edges"]

_LOCK = threading.Lock()
_SEGMENTERS: dict[str, Any] = {}


def has_segmenter(lang: str) -> bool:
    return lang.split("-")[0].split("_")[0].lower() == "zh"


def _jieba() -> Any:
    """jieba's tokenizer, its dictionary loaded once per process (half a second; bert_nlu's load
    parses a message, so a server pays it at start-up, not in a user's turn)."""
    with _LOCK:
        return _jieba_unlocked()


def _jieba_unlocked() -> Any:
    if "zh" not in _SEGMENTERS:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on every start
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        _SEGMENTERS["zh"] = tokenizer
    return _SEGMENTERS["zh"]


def word_edges(text: str, lang: str) -> set[int] | None:
    """The character offsets where words of ``text`` begin or end; None without a segmenter."""
    if not has_segmenter(lang):
        return None
    edges = {0, len(text)}
    for _word, start, end in dictionary_words(text):
        edges.update((start, end))
    return edges


@lru_cache(maxsize=64)
def dictionary_words(text: str) -> tuple[tuple[str, int, int], ...]:
    """``text``'s words by the dictionary (no guessed words): (word, start, end); the last messages' kept (the
    grammar asks about each numeral of a message)."""
    return tuple(_jieba().tokenize(text, HMM=False))


@lru_cache(maxsize=64)
def tagged_words(text: str) -> tuple[tuple[str, str, int], ...]:
    """``text``'s dictionary words with jieba's part of speech (``a`` adjective, ``v`` verb, ``t`` time...)
    and where each starts."""
    with _LOCK:
        if "zh-pos" not in _SEGMENTERS:
            import jieba.posseg

            _SEGMENTERS["zh-pos"] = jieba.posseg.POSTokenizer(_jieba_unlocked())
        tagger = _SEGMENTERS["zh-pos"]
    out, at = [], 0
    for pair in tagger.cut(text, HMM=False):
        out.append((pair.word, pair.flag, at))
        at += len(pair.word)
    return tuple(out)


def dictionary_word(text: str) -> bool:
    """``text`` is a word of the Chinese dictionary (jieba's, with a frequency)."""
    return bool(_jieba().FREQ.get(text, 0) > 0)


def read_text(text: str, words: list[tuple[str, int, int]]) -> str:
    """``text`` with each word as the model read it (spelling corrected) where it keeps its length,
    so that the boundaries are those of what the model tagged, at the user's offsets."""
    chars = list(text)
    for word, start, end in words:
        if len(word) == end - start:
            chars[start:end] = list(word)
    return "".join(chars)
