"""Text <-> token ids for the response generator.

Two codecs share one interface (``encode(text) -> ids``, ``decode(ids) -> text``); both
keep ``{slot}`` placeholders as single tokens so values are never spelled by the model:

* :class:`WordPieceCodec` (the offline default) takes its vocabulary from the packaged
  encoder's WordPiece ``vocab.txt``. That vocabulary is lower-cased, so case is kept with
  marker tokens (``[CAP]`` before a capitalised word, ``[UP]`` before an all-caps one), and
  spacing with markers only where it differs from the usual rule (no space before
  ``.,!?`` etc., none between Chinese or Japanese characters, which are tokens one by one as
  BERT splits them). Only the pieces seen in training are kept, which makes the softmax
  small. A word the vocabulary cannot spell as it is (accented, or in characters the
  encoder never saw) is spelt character by character with pieces of its own, so every
  training text round-trips exactly (:func:`unwritable` checks it); pieces never seen in
  training become ``[UNK]``.
* :class:`HFCodec` wraps the tokenizer of a pretrained T5 (sentencepiece keeps case and
  spacing); placeholders are added to it as new tokens.

Decoded text is a template: literal braces come back doubled (``{{``) so filling it with
:func:`components.nlg.templates.fill` never expands model output.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PAD, EOS, UNK = "[PAD]", "[EOS]", "[UNK]"
CAP, UP, SP, NOSP = "[CAP]", "[UP]", "[SP]", "[NOSP]"
MARKERS = (CAP, UP, SP, NOSP)
# Han ideographs and kana are tokens one character at a time (as BERT's basic tokenizer
# does); with full-width punctuation they are written without spaces between them.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNSPACED_PUNCT = "\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(r"\{\{|\}\}|\{(\w+)\}|[" + _UNSPACED + r"]|[^\W" + _UNSPACED + r"]+|[^\w\s]")
_NO_SPACE_RE = re.compile("[" + _UNSPACED + _UNSPACED_PUNCT + "]")
_NO_SPACE_BEFORE = set(".,!?;:)]}%'’-/")
_NO_SPACE_AFTER = set("([{$£€'’-/#@")


def placeholder(slot: str) -> str:
    return "{" + slot + "}"


def _pretokens(text: str) -> list[tuple[str, str | None, bool]]:
    """``(token, slot or None, space_before)`` for every word, punctuation mark or ``{slot}``."""
    out = []
    end = 0
    for m in _TOKENS.finditer(text):
        tok = m.group(0)
        if tok in ("{{", "}}"):
            tok = tok[0]
        out.append((tok, m.group(1), m.start() > end))
        end = m.end()
    return out


def _default_space(prev: str, cur: str) -> bool:
    if _NO_SPACE_RE.match(cur[:1]) or _NO_SPACE_RE.match(prev[-1:]):
        return False
    return not (cur in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER)


def _fold(word: str) -> str:
    """What the uncased encoder vocabulary sees: NFD, accents stripped, lower case."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn").lower()


class WordPieceCodec:
    """Case- and spacing-preserving codec over a lower-cased WordPiece vocabulary."""

    kind = "wordpiece"

    def __init__(self, encoder_vocab: dict[str, int], tokens: list[str] | None = None, slots: Iterable[str] = ()):
        self.encoder_vocab = encoder_vocab
        self.tokens: list[str] = tokens or [PAD, EOS, UNK, *MARKERS]
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self._placeholders: dict[str, int] | None = None
        for s in slots:
            self.add(placeholder(s))

    @classmethod
    def from_encoder(cls, encoder_dir: str | Path, slots: Iterable[str] = ()) -> WordPieceCodec:
        vocab_file = Path(encoder_dir) / "vocab.txt"
        lines = vocab_file.read_text(encoding="utf-8").splitlines()
        return cls({t: i for i, t in enumerate(lines)}, slots=slots)

    # vocabulary ---------------------------------------------------------------------

    def add(self, token: str) -> int:
        if token not in self.ids:
            self._placeholders = None
            self.ids[token] = len(self.tokens)
            self.tokens.append(token)
        return self.ids[token]

    def grow(self, texts: Iterable[str]) -> None:
        """Add every piece the ``texts`` need (done once, on the training data)."""
        for text in texts:
            for piece in self._pieces(text):
                self.add(piece)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def eos_id(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self.tokens)

    def placeholder_ids(self) -> dict[str, int]:
        """Each slot placeholder's token id (``{slot}`` -> id); kept until a token is added (read at every decoding)."""
        if self._placeholders is None:
            self._placeholders = {t[1:-1]: i for t, i in self.ids.items()
                                  if len(t) > 2 and t[0] == "{" and t[-1] == "}"}
        return self._placeholders

    def encoder_rows(self) -> list[int | None]:
        """For each token, its row in the encoder's embedding matrix (None for our own tokens)."""
        return [
            self.encoder_vocab.get(t) if t not in (PAD, EOS, UNK, *MARKERS) and not t.startswith("{") else None
            for t in self.tokens
        ]

    # encoding -----------------------------------------------------------------------

    def _wordpiece(self, word: str) -> list[str]:
        low = word.lower()
        if _fold(word) != low:  # accents the uncased vocabulary drops: spell the word out
            return [c if i == 0 else "##" + c for i, c in enumerate(low)]
        pieces, start = [], 0
        while start < len(low):
            end = len(low)
            while end > start:
                piece = low[start:end] if start == 0 else "##" + low[start:end]
                if piece in self.encoder_vocab:
                    break
                end -= 1
            if end == start:  # a character the vocabulary lacks: a piece of its own
                end = start + 1
                piece = low[start] if start == 0 else "##" + low[start]
            pieces.append(piece)
            start = end
        return pieces or [UNK]

    def _pieces(self, text: str) -> list[str]:
        out: list[str] = []
        prev = ""
        for i, (tok, slot, space) in enumerate(_pretokens(text)):
            if i and space != _default_space(prev, tok if slot is None else "x"):
                out.append(SP if space else NOSP)
            prev = tok if slot is None else "x"
            if slot is not None:
                out.append(placeholder(slot))
                continue
            if tok[0].isupper():
                out.append(UP if len(tok) > 1 and tok.isupper() else CAP)
            out += self._wordpiece(tok)
        return out

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        unk = self.ids[UNK]
        ids = [self.ids.get(p, unk) for p in self._pieces(text)]
        if max_length is not None:
            ids = ids[: max_length - 1]
        return [*ids, self.eos_id]

    # decoding -----------------------------------------------------------------------

    def decode(self, ids: Iterable[int]) -> str:
        words: list[list[Any]] = []  # [text, case, space-override]
        case = space = None
        for i in ids:
            if i in (self.pad_id,):
                continue
            if i == self.eos_id:
                break
            t = self.tokens[i] if 0 <= i < len(self.tokens) else UNK
            if t in (CAP, UP):
                case = t
            elif t in (SP, NOSP):
                space = t
            elif t.startswith("##") and words and not words[-1][0].startswith("{"):
                words[-1][0] += t[2:]
            else:
                words.append([t, case, space])
                case = space = None
        text, prev = "", ""
        for i, (word, case, space) in enumerate(words):
            if word == UNK:
                word = ""
            shown = (
                word
                if word.startswith("{") and word.endswith("}") and len(word) > 2
                else word.replace("{", "{{").replace("}", "}}")
            )
            if case == CAP:
                shown = shown[:1].upper() + shown[1:]
            elif case == UP:
                shown = shown.upper()
            key = "x" if shown.startswith("{") and len(shown) > 2 and not shown.startswith("{{") else word
            if i:
                gap = space == SP or (space != NOSP and _default_space(prev, key))
                text += " " if gap else ""
            text += shown
            prev = key
        return text

    # persistence --------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "tokens": self.tokens, "encoder_ids": self.encoder_rows()}

    def save(self, path: Path) -> None:
        (path / "codec.json").write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, encoder_dir: str | Path | None) -> WordPieceCodec:
        data = json.loads((path / "codec.json").read_text(encoding="utf-8"))
        if encoder_dir is not None and (Path(encoder_dir) / "vocab.txt").is_file():
            vocab = {
                t: i for i, t in enumerate((Path(encoder_dir) / "vocab.txt").read_text(encoding="utf-8").splitlines())
            }
        else:  # the saved subset is enough to encode anything the model knows
            vocab = {t: r for t, r in zip(data["tokens"], data["encoder_ids"], strict=True) if r is not None}
        return cls(vocab, tokens=list(data["tokens"]))


class HFCodec:
    """The tokenizer of a pretrained T5, with one added token per slot placeholder."""

    kind = "hf"

    def __init__(self, tokenizer: Any, slots: Iterable[str] = ()):
        self.tokenizer = tokenizer
        new = [placeholder(s) for s in slots if placeholder(s) not in tokenizer.get_vocab()]
        if new:
            tokenizer.add_tokens(new)

    def grow(self, texts: Iterable[str]) -> None:  # the pretrained vocabulary is fixed
        pass

    def placeholder_ids(self) -> dict[str, int]:
        """Each slot placeholder's token id (``{slot}`` -> id): the tokens added for them."""
        return {t[1:-1]: i for t, i in self.tokenizer.get_added_vocab().items() if re.fullmatch(r"\{\w+\}", t)}

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    def __len__(self) -> int:
        return len(self.tokenizer)

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        escaped = re.sub(r"\{\{|\}\}", lambda m: m.group(0)[0], text)
        ids = list(self.tokenizer(escaped, add_special_tokens=True)["input_ids"])
        if not ids or ids[-1] != self.eos_id:  # T5 tokenizers end with </s>; others may not
            ids.append(self.eos_id)
        if max_length is not None and len(ids) > max_length:
            ids = [*ids[: max_length - 1], self.eos_id]
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        text = self.tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=True)
        slots = set(self.tokenizer.get_added_vocab())
        parts = re.split(r"(\{\w+\})", text)
        return "".join(p if p in slots else p.replace("{", "{{").replace("}", "}}") for p in parts).strip()

    def save(self, path: Path) -> None:
        self.tokenizer.save_pretrained(str(path / "tokenizer"))
        (path / "codec.json").write_text(json.dumps({"kind": self.kind}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> HFCodec:
        from transformers import AutoTokenizer

        return cls(AutoTokenizer.from_pretrained(str(path / "tokenizer"), local_files_only=True))


def unwritable(codec: Any, texts: Iterable[str]) -> str | None:
    """The first of ``texts`` the codec cannot write back exactly (spacing aside), or None."""
    for text in texts:
        if " ".join(codec.decode(codec.encode(text)).split()) != " ".join(text.split()):
            return text
    return None


def load_codec(path: Path, encoder_dir: str | Path | None) -> WordPieceCodec | HFCodec:
    kind = json.loads((path / "codec.json").read_text(encoding="utf-8")).get("kind")
    return HFCodec.load(path) if kind == "hf" else WordPieceCodec.load(path, encoder_dir)
