"""A BERT encoder for inference in plain torch, reading Hugging Face BERT weights.

Loading transformers' modeling code takes seconds; this module is what a trained
archive runs on, so `dialogkit serve` and `shell` start fast. Parameter names mirror
``transformers.BertModel`` so the same safetensors file loads into either; training
still uses transformers. Only ``model_type: bert`` with absolute positions and GELU.

    input_ids (B, T) ─► word + position + type embeddings ─► LayerNorm ─► N × layer ─► (B, T, H)
    layer: x ─► self-attention (heads h, d = H / h) ─► dense ─► +x, LayerNorm
             ─► dense (H → I) ─► GELU ─► dense (I → H) ─► +, LayerNorm
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class BertSettings:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"
    position_embedding_type: str = "absolute"
    model_type: str = "bert"

    @classmethod
    def from_json(cls, path: Path) -> BertSettings:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def supported(self) -> bool:
        return self.model_type == "bert" and self.hidden_act == "gelu" and self.position_embedding_type == "absolute"


class _Output:
    def __init__(self, last_hidden_state: torch.Tensor):
        self.last_hidden_state = last_hidden_state


class _Embeddings(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.word_embeddings = nn.Embedding(s.vocab_size, s.hidden_size)
        self.position_embeddings = nn.Embedding(s.max_position_embeddings, s.hidden_size)
        self.token_type_embeddings = nn.Embedding(s.type_vocab_size, s.hidden_size)
        self.LayerNorm = nn.LayerNorm(s.hidden_size, eps=s.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.size(1), device=input_ids.device)  # (T,)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)  # (B, T, H)


class _SelfAttention(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.heads = s.num_attention_heads
        self.query = nn.Linear(s.hidden_size, s.hidden_size)
        self.key = nn.Linear(s.hidden_size, s.hidden_size)
        self.value = nn.Linear(s.hidden_size, s.hidden_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)  # (B, heads, T, d)

        out = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask)
        return out.transpose(1, 2).reshape(b, t, h)  # (B, T, H)


class _Dense(nn.Module):
    """dense ─► + residual ─► LayerNorm (HF's BertSelfOutput / BertOutput)."""

    def __init__(self, n_in: int, s: BertSettings):
        super().__init__()
        self.dense = nn.Linear(n_in, s.hidden_size)
        self.LayerNorm = nn.LayerNorm(s.hidden_size, eps=s.layer_norm_eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.self = _SelfAttention(s)
        self.output = _Dense(s.hidden_size, s)


class _Intermediate(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.intermediate_size)


class _Layer(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.attention = _Attention(s)
        self.intermediate = _Intermediate(s)
        self.output = _Dense(s.intermediate_size, s)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attention.output(self.attention.self(x, mask), x)
        return self.output(F.gelu(self.intermediate.dense(a)), a)


class _Stack(nn.Module):
    def __init__(self, s: BertSettings):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(s) for _ in range(s.num_hidden_layers))


class _Pooler(nn.Module):  # kept so HF checkpoints load without unexpected keys; unused
    def __init__(self, s: BertSettings):
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.hidden_size)


class BertEncoder(nn.Module):
    """``forward(input_ids, attention_mask).last_hidden_state`` like ``transformers.BertModel``."""

    def __init__(self, settings: BertSettings):
        super().__init__()
        self.settings = settings
        self.config = settings  # the joint model reads config.hidden_size
        self.embeddings = _Embeddings(settings)
        self.encoder = _Stack(settings)
        self.pooler = _Pooler(settings)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any) -> _Output:
        x = self.embeddings(input_ids)
        # additive mask (B, 1, 1, T): 0 for real tokens, a large negative for padding
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return _Output(x)


class FastTokenizer:
    """The subset of a transformers fast tokenizer the NLU uses, on the ``tokenizers`` library."""

    def __init__(self, directory: Path, max_length: int = 512):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(Path(directory) / "tokenizer.json"))
        config = json.loads((Path(directory) / "tokenizer_config.json").read_text(encoding="utf-8")) if (Path(directory) / "tokenizer_config.json").is_file() else {}
        pad = config.get("pad_token", "[PAD]")
        pad = pad["content"] if isinstance(pad, dict) else pad
        self.pad_id = self.tok.token_to_id(pad) or 0

    def __call__(self, texts: list[list[str]], is_split_into_words: bool = True, truncation: bool = True,
                 max_length: int = 512, padding: bool = True, return_tensors: str = "pt") -> _Encoded:
        self.tok.enable_truncation(max_length)
        self.tok.enable_padding(pad_id=self.pad_id)
        encs = self.tok.encode_batch(texts, is_pretokenized=True)
        return _Encoded(encs)


class _Encoded(dict):
    def __init__(self, encs: list[Any]):
        super().__init__(input_ids=torch.tensor([e.ids for e in encs], dtype=torch.long),
                         attention_mask=torch.tensor([e.attention_mask for e in encs], dtype=torch.long))
        self._encs = encs

    def word_ids(self, b: int) -> list[int | None]:
        return self._encs[b].word_ids


