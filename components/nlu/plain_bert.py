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

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .encoder_source import BertSettings

__all__ = ["BertEncoder", "BertSettings"]


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

        out = F.scaled_dot_product_attention(
            split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask
        )
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
