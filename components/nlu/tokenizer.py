"""The subset of a transformers fast tokenizer the NLU uses, on the ``tokenizers`` library.

No torch and no transformers import: the ONNX Runtime path tokenizes with this and numpy only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FastTokenizer"]


class FastTokenizer:
    """Pre-split words in, ids and attention masks out (torch tensors or numpy arrays)."""

    def __init__(self, directory: Path, max_length: int = 512):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(Path(directory) / "tokenizer.json"))
        config = (
            json.loads((Path(directory) / "tokenizer_config.json").read_text(encoding="utf-8"))
            if (Path(directory) / "tokenizer_config.json").is_file()
            else {}
        )
        pad = config.get("pad_token", "[PAD]")
        pad = pad["content"] if isinstance(pad, dict) else pad
        self.pad_id = self.tok.token_to_id(pad) or 0

    def __call__(self, texts: list[list[str]], is_split_into_words: bool = True, truncation: bool = True,
                 max_length: int = 512, padding: bool = True, return_tensors: str = "pt") -> _Encoded:
        self.tok.enable_truncation(max_length)
        self.tok.enable_padding(pad_id=self.pad_id)
        encs = self.tok.encode_batch(texts, is_pretokenized=True)
        return _Encoded(encs, return_tensors)


class _Encoded(dict):
    def __init__(self, encs: list[Any], tensors: str = "pt"):
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        if tensors == "pt":
            import torch

            super().__init__(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        else:
            super().__init__(input_ids=ids, attention_mask=mask)
        self._encs = encs

    def word_ids(self, b: int) -> list[int | None]:
        return self._encs[b].word_ids


