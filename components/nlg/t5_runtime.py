"""T5 inference in plain torch: the same weights as ``T5ForConditionalGeneration``.

Training uses transformers; a served bot only needs the forward pass and decoding, and
importing transformers' T5 costs about 3 s of start-up. This module reads the saved
``config.json`` + ``model.safetensors`` (HF parameter names), runs the encoder once and
decodes with a key/value cache, greedy or beam search, batched. Equality with
transformers is tested (``tests/components/nlg/test_t5_runtime.py``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class T5Settings:
    vocab_size: int
    d_model: int
    d_kv: int
    d_ff: int
    num_layers: int
    num_decoder_layers: int
    num_heads: int
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    layer_norm_epsilon: float = 1e-6
    feed_forward_proj: str = "relu"
    tie_word_embeddings: bool = True
    scale_decoder_outputs: bool | None = None  # transformers >= 5 names it; older configs imply it by tying
    separate_lm_head: bool = False  # an untied output matrix is stored (older flan-t5 checkpoints)
    decoder_start_token_id: int = 0
    eos_token_id: int = 1
    pad_token_id: int = 0

    @classmethod
    def from_json(cls, path: Path) -> T5Settings:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> T5Settings:
        data = dict(data)
        if data.get("num_decoder_layers") is None:
            data.pop("num_decoder_layers", None)
        data.setdefault("num_decoder_layers", data["num_layers"])
        data.setdefault("scale_decoder_outputs", data.get("tie_word_embeddings", True))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @property
    def gated(self) -> bool:
        return self.feed_forward_proj.startswith("gated-")


def relative_bucket(relative: torch.Tensor, bidirectional: bool, num_buckets: int, max_distance: int) -> torch.Tensor:
    """T5's log-spaced relative-position buckets (exact for short distances)."""
    buckets = torch.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative > 0).long() * num_buckets
        relative = relative.abs()
    else:
        relative = -torch.clamp(relative, max=0)
    exact = num_buckets // 2
    large = exact + (torch.log(relative.float().clamp(min=1) / exact) / math.log(max_distance / exact) * (num_buckets - exact)).long()
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(relative < exact, relative, large)


class _Norm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps)).to(self.weight.dtype)


class _Attention(nn.Module):
    def __init__(self, s: T5Settings, bias: bool):
        super().__init__()
        inner = s.num_heads * s.d_kv
        self.q, self.k, self.v = (nn.Linear(s.d_model, inner, bias=False) for _ in range(3))
        self.o = nn.Linear(inner, s.d_model, bias=False)
        self.h, self.dk = s.num_heads, s.d_kv
        self.qkv: torch.Tensor | None = None  # fused by T5Runtime.prepare() for decoding
        if bias:
            self.relative_attention_bias = nn.Embedding(s.relative_attention_num_buckets, s.num_heads)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], -1, self.h, self.dk).transpose(1, 2)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        scores = q @ k.transpose(-1, -2) + bias  # T5 folds the 1/sqrt(d) scale into its weights
        out = F.softmax(scores.float(), dim=-1).to(q.dtype) @ v
        return self.o(out.transpose(1, 2).reshape(q.shape[0], -1, self.h * self.dk))


class _FF(nn.Module):
    def __init__(self, s: T5Settings):
        super().__init__()
        if s.gated:
            self.wi_0 = nn.Linear(s.d_model, s.d_ff, bias=False)
            self.wi_1 = nn.Linear(s.d_model, s.d_ff, bias=False)
        else:
            self.wi = nn.Linear(s.d_model, s.d_ff, bias=False)
        self.wo = nn.Linear(s.d_ff, s.d_model, bias=False)
        self.gated = s.gated
        self.act = s.feed_forward_proj.removeprefix("gated-")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gated:
            h = F.gelu(self.wi_0(x), approximate="tanh") if self.act.startswith("gelu") else F.relu(self.wi_0(x))
            return self.wo(h * self.wi_1(x))
        h = self.wi(x)
        return self.wo(F.gelu(h, approximate="tanh") if self.act.startswith("gelu") else F.relu(h))


class _SelfAttentionLayer(nn.Module):
    def __init__(self, s: T5Settings, bias: bool):
        super().__init__()
        self.SelfAttention = _Attention(s, bias)
        self.layer_norm = _Norm(s.d_model, s.layer_norm_epsilon)


class _CrossAttentionLayer(nn.Module):
    def __init__(self, s: T5Settings):
        super().__init__()
        self.EncDecAttention = _Attention(s, False)
        self.layer_norm = _Norm(s.d_model, s.layer_norm_epsilon)


class _FFLayer(nn.Module):
    def __init__(self, s: T5Settings):
        super().__init__()
        self.DenseReluDense = _FF(s)
        self.layer_norm = _Norm(s.d_model, s.layer_norm_epsilon)


class _Block(nn.Module):
    def __init__(self, s: T5Settings, decoder: bool, bias: bool):
        super().__init__()
        layers: list[nn.Module] = [_SelfAttentionLayer(s, bias)]
        if decoder:
            layers.append(_CrossAttentionLayer(s))
        layers.append(_FFLayer(s))
        self.layer = nn.ModuleList(layers)


class _Stack(nn.Module):
    def __init__(self, s: T5Settings, decoder: bool):
        super().__init__()
        n = s.num_decoder_layers if decoder else s.num_layers
        self.block = nn.ModuleList(_Block(s, decoder, i == 0) for i in range(n))
        self.final_layer_norm = _Norm(s.d_model, s.layer_norm_epsilon)


class T5Runtime(nn.Module):
    """Encoder-decoder forward + cached greedy/beam decoding."""

    def __init__(self, s: T5Settings):
        super().__init__()
        self.s = s
        self._out: torch.Tensor | None = None
        self.shared = nn.Embedding(s.vocab_size, s.d_model)
        self.encoder = _Stack(s, False)
        self.decoder = _Stack(s, True)
        if s.separate_lm_head:
            self.lm_head = nn.Linear(s.d_model, s.vocab_size, bias=False)

    @classmethod
    def from_dir(cls, path: Path) -> T5Runtime:
        from safetensors.torch import load_file

        return cls.from_state(T5Settings.from_json(path / "config.json"), load_file(str(path / "model.safetensors")))

    @classmethod
    def from_model(cls, model: Any) -> T5Runtime:
        """From a transformers ``T5ForConditionalGeneration`` in memory (freshly trained)."""
        return cls.from_state(T5Settings.from_dict(model.config.to_dict()), {k: v.detach().clone() for k, v in model.state_dict().items()})

    @classmethod
    def from_state(cls, settings: T5Settings, state: dict[str, torch.Tensor]) -> T5Runtime:
        settings.separate_lm_head = "lm_head.weight" in state and not torch.equal(state["lm_head.weight"], state["shared.weight"])
        model = cls(settings)
        state = {k: v for k, v in state.items() if not k.endswith("embed_tokens.weight") and not (k == "lm_head.weight" and not settings.separate_lm_head)}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"generator weights do not match its config (missing {missing[:3]}, unexpected {unexpected[:3]})")
        model.train(False)
        model.prepare()
        return model

    def prepare(self) -> None:
        """Inference-only layouts: one fused q/k/v matrix per decoder layer, the output matrix transposed once."""
        with torch.no_grad():
            for blk in self.decoder.block:
                a = blk.layer[0].SelfAttention
                a.qkv = torch.cat([a.q.weight, a.k.weight, a.v.weight], 0)
            out = self.lm_head.weight if self.s.separate_lm_head else self.shared.weight
            scale = self.s.d_model**-0.5 if self.s.scale_decoder_outputs else 1.0
            self._out = (out * scale).t().contiguous()

    # --- pieces ---------------------------------------------------------------------

    def _bias(self, attn: _Attention, q_len: int, k_len: int, bidirectional: bool) -> torch.Tensor:
        ctx = torch.arange(q_len)[:, None]
        mem = torch.arange(k_len)[None, :]
        b = relative_bucket(mem - ctx, bidirectional, self.s.relative_attention_num_buckets, self.s.relative_attention_max_distance)
        return attn.relative_attention_bias(b).permute(2, 0, 1).unsqueeze(0)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.shared(input_ids)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        bias = self._bias(self.encoder.block[0].layer[0].SelfAttention, x.shape[1], x.shape[1], True) + mask
        for blk in self.encoder.block:
            sa, ff = blk.layer[0], blk.layer[1]
            h = sa.layer_norm(x)
            a = sa.SelfAttention
            x = x + a.attend(a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h)), bias)
            x = x + ff.DenseReluDense(ff.layer_norm(x))
        return self.encoder.final_layer_norm(x)

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        h = self.decoder.final_layer_norm(h)
        if getattr(self, "_out", None) is not None:
            return h @ self._out
        if self.s.scale_decoder_outputs:
            h = h * self.s.d_model**-0.5
        return self.lm_head(h) if self.s.separate_lm_head else h @ self.shared.weight.t()

    def _cross_cache(self, memory: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        out = []
        for blk in self.decoder.block:
            a = blk.layer[1].EncDecAttention
            out.append((a.split(a.k(memory)), a.split(a.v(memory))))
        return out

    def _decoder_bias(self, max_length: int) -> torch.Tensor:
        """Self-attention position bias for every (query, key) position up to ``max_length``."""
        return self._bias(self.decoder.block[0].layer[0].SelfAttention, max_length, max_length, False)

    def _step(self, tokens: torch.Tensor, pos: int, cache: list[list[torch.Tensor]], cross: list[tuple[torch.Tensor, torch.Tensor]],
              cross_mask: torch.Tensor, bias_table: torch.Tensor) -> torch.Tensor:
        """One decoder step for ``tokens`` (batch,) at position ``pos``; updates ``cache`` in place."""
        x = self.shared(tokens)[:, None, :]
        bias = bias_table[:, :, pos : pos + 1, : pos + 1]
        for i, blk in enumerate(self.decoder.block):
            sa, ca, ff = blk.layer
            h = sa.layer_norm(x)
            a = sa.SelfAttention
            if getattr(a, "qkv", None) is not None:
                q, k, v = (a.split(t) for t in F.linear(h, a.qkv).chunk(3, -1))
            else:
                q, k, v = a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h))
            if cache[i]:
                k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
            cache[i][:] = [k, v]
            x = x + a.attend(q, k, v, bias)
            h = ca.layer_norm(x)
            c = ca.EncDecAttention
            x = x + c.attend(c.split(c.q(h)), cross[i][0], cross[i][1], cross_mask)
            x = x + ff.DenseReluDense(ff.layer_norm(x))
        return self._logits(x[:, 0])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        """Logits for teacher-forced ``decoder_input_ids`` (used to check equality with transformers)."""
        memory = self.encode(input_ids, attention_mask)
        cross = self._cross_cache(memory)
        cross_mask = (1.0 - attention_mask[:, None, None, :].to(memory.dtype)) * torch.finfo(memory.dtype).min
        cache: list[list[torch.Tensor]] = [[] for _ in self.decoder.block]
        table = self._decoder_bias(decoder_input_ids.shape[1])
        return torch.stack([self._step(decoder_input_ids[:, t], t, cache, cross, cross_mask, table) for t in range(decoder_input_ids.shape[1])], 1)

    # --- decoding -------------------------------------------------------------------

    @torch.inference_mode()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_length: int = 64, num_beams: int = 1, num_return: int = 1) -> list[list[tuple[list[int], float]]]:
        """For each input, up to ``num_return`` ``(token ids, score)`` best first.

        Greedy when ``num_beams`` is 1; else beam search with length-normalised scores.
        """
        memory = self.encode(input_ids, attention_mask)
        if num_beams == 1:
            return [[hyp] for hyp in self._greedy(memory, attention_mask, max_length)]
        return self._beam(memory, attention_mask, max_length, num_beams, max(1, min(num_return, num_beams)))

    def _greedy(self, memory: torch.Tensor, mask: torch.Tensor, max_length: int) -> list[tuple[list[int], float]]:
        n = memory.shape[0]
        cross = self._cross_cache(memory)
        cross_mask = (1.0 - mask[:, None, None, :].to(memory.dtype)) * torch.finfo(memory.dtype).min
        cache: list[list[torch.Tensor]] = [[] for _ in self.decoder.block]
        tokens = torch.full((n,), self.s.decoder_start_token_id, dtype=torch.long)
        table = self._decoder_bias(max_length)
        out: list[list[int]] = [[] for _ in range(n)]
        score = torch.zeros(n)
        done = torch.zeros(n, dtype=torch.bool)
        for pos in range(max_length):
            logp = F.log_softmax(self._step(tokens, pos, cache, cross, cross_mask, table).float(), -1)
            best = logp.argmax(-1)
            score += torch.where(done, torch.zeros(n), logp.gather(1, best[:, None])[:, 0])
            for i in range(n):
                if not done[i]:
                    out[i].append(int(best[i]))
            done |= best == self.s.eos_token_id
            if bool(done.all()):
                break
            tokens = best
        return [(ids[:-1] if ids and ids[-1] == self.s.eos_token_id else ids, float(score[i]) / max(1, len(ids))) for i, ids in enumerate(out)]

    def _beam(self, memory: torch.Tensor, mask: torch.Tensor, max_length: int, k: int, num_return: int) -> list[list[tuple[list[int], float]]]:
        n = memory.shape[0]
        memory = memory.repeat_interleave(k, 0)
        mask = mask.repeat_interleave(k, 0)
        cross = self._cross_cache(memory)
        cross_mask = (1.0 - mask[:, None, None, :].to(memory.dtype)) * torch.finfo(memory.dtype).min
        cache: list[list[torch.Tensor]] = [[] for _ in self.decoder.block]
        tokens = torch.full((n * k,), self.s.decoder_start_token_id, dtype=torch.long)
        table = self._decoder_bias(max_length)
        scores = torch.zeros(n, k)
        scores[:, 1:] = -1e9  # all beams start identical: keep one
        seqs: list[list[int]] = [[] for _ in range(n * k)]
        finished: list[list[tuple[list[int], float]]] = [[] for _ in range(n)]
        for pos in range(max_length):
            logp = F.log_softmax(self._step(tokens, pos, cache, cross, cross_mask, table).float(), -1)
            vocab = logp.shape[-1]
            total = (scores.view(-1, 1) + logp).view(n, k * vocab)
            top, idx = total.topk(2 * k, dim=-1)
            beam_src, tok = idx // vocab, idx % vocab
            new_scores = torch.full((n, k), -1e9)
            new_src = torch.zeros(n, k, dtype=torch.long)
            new_tok = torch.full((n, k), self.s.pad_token_id, dtype=torch.long)
            for b in range(n):
                j = 0
                for c in range(2 * k):
                    src = b * k + int(beam_src[b, c])
                    t, sc = int(tok[b, c]), float(top[b, c])
                    if sc <= -1e8:
                        break
                    if t == self.s.eos_token_id:
                        if len(finished[b]) < k:
                            finished[b].append((list(seqs[src]), sc / max(1, len(seqs[src]) + 1)))
                        continue
                    new_scores[b, j], new_src[b, j], new_tok[b, j] = sc, src, t
                    j += 1
                    if j == k:
                        break
            if all(len(f) >= k for f in finished):
                break
            sources = new_src.view(-1)
            seqs = [[*seqs[int(s_)], int(t)] for s_, t in zip(sources, new_tok.view(-1), strict=True)]
            for layer in cache:
                layer[:] = [layer[0].index_select(0, sources), layer[1].index_select(0, sources)]
            scores, tokens = new_scores, new_tok.view(-1)
        for b in range(n):
            if len(finished[b]) < num_return:  # hit max_length: keep the live beams too
                finished[b] += [(seqs[b * k + j], float(scores[b, j]) / max(1, len(seqs[b * k + j]))) for j in range(k) if scores[b, j] > -1e8]
            finished[b].sort(key=lambda h: -h[1])
            finished[b] = finished[b][:num_return]
        return finished
