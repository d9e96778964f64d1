"""T5 inference in numpy: the generator a bot runs, without torch or transformers.

Training uses transformers; a running bot only needs the forward pass and decoding. This
module reads the saved ``config.json`` + ``model.safetensors`` (HF parameter names) with
``safetensors.numpy``, runs the encoder once and decodes with a key/value cache, greedy or
beam search, batched, in float32 with the matrices transposed once. So a bot whose NLU
runs on ONNX Runtime serves its generator with no torch in the process. Equality with
transformers' ``T5ForConditionalGeneration`` (log-probabilities, greedy output) is tested
in ``tests/components/nlg/test_generator.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .constraints import Placement

__all__ = ["T5Runtime", "T5Settings", "pad_batch", "relative_bucket"]

NEG = np.finfo(np.float32).min


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
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @property
    def gated(self) -> bool:
        return self.feed_forward_proj.startswith("gated-")

    @property
    def gelu(self) -> bool:
        return self.feed_forward_proj.removeprefix("gated-").startswith("gelu")


def relative_bucket(relative: np.ndarray, bidirectional: bool, num_buckets: int, max_distance: int) -> np.ndarray:
    """T5's log-spaced relative-position buckets (exact for short distances)."""
    buckets = np.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative > 0).astype(relative.dtype) * num_buckets
        relative = np.abs(relative)
    else:
        relative = -np.minimum(relative, 0)
    exact = num_buckets // 2
    scaled = np.log(np.maximum(relative, 1).astype(np.float32) / np.float32(exact)) / np.float32(
        math.log(max_distance / exact)
    )
    large = np.minimum(exact + (scaled * np.float32(num_buckets - exact)).astype(relative.dtype), num_buckets - 1)
    return buckets + np.where(relative < exact, relative, large)


def _lin(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` as one 2-D matrix product (numpy multiplies a stacked 3-D ``x`` slice by slice)."""
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[1])


def _norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return weight * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * x * x * x)))


class _Layer:
    """One block's matrices, transposed for ``x @ W``; q/k/v fused where they read the same input."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str, s: T5Settings, decoder: bool):
        t = lambda name: np.ascontiguousarray(w[f"{prefix}.{name}.weight"].T)  # noqa: E731
        sa = "layer.0.SelfAttention"
        self.sa_norm = w[f"{prefix}.layer.0.layer_norm.weight"]
        self.qkv = np.concatenate([t(f"{sa}.q"), t(f"{sa}.k"), t(f"{sa}.v")], 1)
        self.sa_o = t(f"{sa}.o")
        ff = 2 if decoder else 1
        if decoder:
            ca = "layer.1.EncDecAttention"
            self.ca_norm = w[f"{prefix}.layer.1.layer_norm.weight"]
            self.ca_q, self.ca_kv, self.ca_o = (
                t(f"{ca}.q"),
                np.concatenate([t(f"{ca}.k"), t(f"{ca}.v")], 1),
                t(f"{ca}.o"),
            )
        self.ff_norm = w[f"{prefix}.layer.{ff}.layer_norm.weight"]
        dense = f"layer.{ff}.DenseReluDense"
        self.wi = np.concatenate([t(f"{dense}.wi_0"), t(f"{dense}.wi_1")], 1) if s.gated else t(f"{dense}.wi")
        self.wo = t(f"{dense}.wo")


class T5Runtime:
    """Encoder-decoder forward + cached greedy/beam decoding, in numpy."""

    def __init__(self, s: T5Settings, weights: dict[str, np.ndarray]):
        self.s = s
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.shared = w["shared.weight"]
        s.separate_lm_head = "lm_head.weight" in w and not np.array_equal(w["lm_head.weight"], self.shared)
        expected = {"shared.weight", "encoder.final_layer_norm.weight", "decoder.final_layer_norm.weight"}
        missing = sorted(k for k in expected if k not in w)
        if missing:
            raise ValueError(f"generator weights do not match its config (missing {missing[:3]})")
        try:
            self.encoder = [_Layer(w, f"encoder.block.{i}", s, False) for i in range(s.num_layers)]
            self.decoder = [_Layer(w, f"decoder.block.{i}", s, True) for i in range(s.num_decoder_layers)]
            self.enc_bias = w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
            self.dec_bias = w["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
        except KeyError as e:
            raise ValueError(f"generator weights do not match its config (missing {e.args[0]})") from None
        self.enc_norm, self.dec_norm = w["encoder.final_layer_norm.weight"], w["decoder.final_layer_norm.weight"]
        out = w["lm_head.weight"] if s.separate_lm_head else self.shared
        scale = np.float32(s.d_model**-0.5 if s.scale_decoder_outputs else 1.0)
        self.out = np.ascontiguousarray((out * scale).T)
        self._tables: dict[int, np.ndarray] = {}

    @classmethod
    def from_dir(cls, path: Path) -> T5Runtime:
        from safetensors.numpy import load_file

        return cls(T5Settings.from_json(path / "config.json"), load_file(str(path / "model.safetensors")))

    @classmethod
    def from_model(cls, model: Any) -> T5Runtime:
        """From a transformers ``T5ForConditionalGeneration`` in memory (freshly trained)."""
        return cls(
            T5Settings.from_dict(model.config.to_dict()),
            {k: v.detach().cpu().float().numpy().copy() for k, v in model.state_dict().items()},
        )

    # --- pieces ---------------------------------------------------------------------

    def _split(self, x: np.ndarray) -> np.ndarray:
        """(batch, length, heads * d_kv) -> (batch, heads, length, d_kv)."""
        return x.reshape(x.shape[0], x.shape[1], self.s.num_heads, self.s.d_kv).transpose(0, 2, 1, 3)

    def _attend(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray, o: np.ndarray) -> np.ndarray:
        out = _softmax(q @ k.transpose(0, 1, 3, 2) + bias) @ v  # T5 folds the 1/sqrt(d) scale into its weights
        n, h, t, d = out.shape
        return _lin(out.transpose(0, 2, 1, 3).reshape(n, t, h * d), o)

    def _ff(self, layer: _Layer, x: np.ndarray) -> np.ndarray:
        h = _lin(x, layer.wi)
        act = _gelu if self.s.gelu else (lambda a: np.maximum(a, 0))
        if self.s.gated:
            a, b = np.split(h, 2, axis=-1)
            return _lin(act(a) * b, layer.wo)
        return _lin(act(h), layer.wo)

    def _position_bias(self, table: np.ndarray, q_len: int, k_len: int, bidirectional: bool) -> np.ndarray:
        rel = np.arange(k_len, dtype=np.int64)[None, :] - np.arange(q_len, dtype=np.int64)[:, None]
        b = relative_bucket(
            rel, bidirectional, self.s.relative_attention_num_buckets, self.s.relative_attention_max_distance
        )
        return table[b].transpose(2, 0, 1)[None]

    def _decoder_table(self, max_length: int) -> np.ndarray:
        """Self-attention position bias for every (query, key) position up to ``max_length`` (cached)."""
        if max_length not in self._tables:
            self._tables[max_length] = self._position_bias(self.dec_bias, max_length, max_length, False)
        return self._tables[max_length]

    def encode(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        x = self.shared[input_ids]
        bias = self._position_bias(self.enc_bias, x.shape[1], x.shape[1], True) + _mask(attention_mask)
        for layer in self.encoder:
            q, k, v = np.split(_lin(_norm(x, layer.sa_norm, self.s.layer_norm_epsilon), layer.qkv), 3, axis=-1)
            x = x + self._attend(self._split(q), self._split(k), self._split(v), bias, layer.sa_o)
            x = x + self._ff(layer, _norm(x, layer.ff_norm, self.s.layer_norm_epsilon))
        return _norm(x, self.enc_norm, self.s.layer_norm_epsilon)

    def _cross_cache(self, memory: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for layer in self.decoder:
            k, v = np.split(_lin(memory, layer.ca_kv), 2, axis=-1)
            out.append((self._split(k), self._split(v)))
        return out

    def _step(
        self,
        tokens: np.ndarray,
        pos: int,
        cache: list[list[np.ndarray]],
        cross: list[tuple[np.ndarray, np.ndarray]],
        cross_mask: np.ndarray,
        table: np.ndarray,
    ) -> np.ndarray:
        """Log-probabilities of the next token after ``tokens`` (batch,) at position ``pos``; updates ``cache``."""
        eps = self.s.layer_norm_epsilon
        x = self.shared[tokens][:, None, :]
        bias = table[:, :, pos : pos + 1, : pos + 1]
        for i, layer in enumerate(self.decoder):
            q, k, v = (self._split(t) for t in np.split(_lin(_norm(x, layer.sa_norm, eps), layer.qkv), 3, axis=-1))
            if cache[i]:
                k, v = np.concatenate([cache[i][0], k], 2), np.concatenate([cache[i][1], v], 2)
            cache[i][:] = [k, v]
            x = x + self._attend(q, k, v, bias, layer.sa_o)
            x = x + self._attend(
                self._split(_lin(_norm(x, layer.ca_norm, eps), layer.ca_q)),
                cross[i][0],
                cross[i][1],
                cross_mask,
                layer.ca_o,
            )
            x = x + self._ff(layer, _norm(x, layer.ff_norm, eps))
        return _log_softmax(_norm(x[:, 0], self.dec_norm, eps) @ self.out)

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, decoder_input_ids: np.ndarray) -> np.ndarray:
        """Log-probabilities for teacher-forced ``decoder_input_ids`` (batch, length, vocab)."""
        memory = self.encode(input_ids, attention_mask)
        cross, cross_mask = self._cross_cache(memory), _mask(attention_mask)
        cache: list[list[np.ndarray]] = [[] for _ in self.decoder]
        table = self._decoder_table(decoder_input_ids.shape[1])
        return np.stack(
            [
                self._step(decoder_input_ids[:, t], t, cache, cross, cross_mask, table)
                for t in range(decoder_input_ids.shape[1])
            ],
            1,
        )

    # --- decoding -------------------------------------------------------------------

    def generate(
        self,
        input_ids: Any,
        attention_mask: Any,
        max_length: int = 64,
        num_beams: int = 1,
        num_return: int = 1,
        placement: Placement | None = None,
    ) -> list[list[tuple[list[int], float]]]:
        """For each input, up to ``num_return`` ``(token ids, score)`` best first; scores are
        length-normalised log-probabilities. Greedy when ``num_beams`` is 1, else beam search.
        With ``placement``, hypotheses say exactly the placeholders each input requires
        (:class:`Placement`); scores are then the constrained model's."""
        ids, mask = np.asarray(input_ids, dtype=np.int64), np.asarray(attention_mask, dtype=np.int64)
        memory = self.encode(ids, mask)
        if num_beams == 1:
            return [[hyp] for hyp in self._greedy(memory, mask, max_length, placement)]
        return self._beam(memory, mask, max_length, num_beams, max(1, min(num_return, num_beams)), placement)

    def _greedy(self, memory: np.ndarray, mask: np.ndarray, max_length: int,
                placement: Placement | None = None) -> list[tuple[list[int], float]]:
        n, eos = memory.shape[0], self.s.eos_token_id
        cross, cross_mask = self._cross_cache(memory), _mask(mask)
        cache: list[list[np.ndarray]] = [[] for _ in self.decoder]
        tokens = np.full(n, self.s.decoder_start_token_id, dtype=np.int64)
        table = self._decoder_table(max_length)
        out: list[list[int]] = [[] for _ in range(n)]
        score = np.zeros(n, dtype=np.float64)
        done = np.zeros(n, dtype=bool)
        said = [frozenset[int]() for _ in range(n)]
        for pos in range(max_length):
            logp = self._step(tokens, pos, cache, cross, cross_mask, table)
            if placement is not None:
                logp = logp + placement.penalties(list(range(n)), said, logp.shape[-1], eos, max_length - pos)
            best = logp.argmax(-1)
            if placement is not None:
                said = [placement.update(s_, int(t)) for s_, t in zip(said, best, strict=True)]
            score += np.where(done, 0.0, logp[np.arange(n), best])
            for i in np.flatnonzero(~done):
                out[i].append(int(best[i]))
            done |= best == eos
            if done.all():
                break
            tokens = best
        return [
            (ids[:-1] if ids and ids[-1] == eos else ids, float(score[i]) / max(1, len(ids)))
            for i, ids in enumerate(out)
        ]

    def _beam(
        self, memory: np.ndarray, mask: np.ndarray, max_length: int, k: int, num_return: int,
        placement: Placement | None = None,
    ) -> list[list[tuple[list[int], float]]]:
        n, eos = memory.shape[0], self.s.eos_token_id
        memory, mask = np.repeat(memory, k, 0), np.repeat(mask, k, 0)
        cross, cross_mask = self._cross_cache(memory), _mask(mask)
        cache: list[list[np.ndarray]] = [[] for _ in self.decoder]
        tokens = np.full(n * k, self.s.decoder_start_token_id, dtype=np.int64)
        table = self._decoder_table(max_length)
        scores = np.zeros((n, k), dtype=np.float32)
        scores[:, 1:] = -1e9  # all beams start identical: keep one
        seqs: list[list[int]] = [[] for _ in range(n * k)]
        finished: list[list[tuple[list[int], float]]] = [[] for _ in range(n)]
        said = [frozenset[int]() for _ in range(n * k)]
        for pos in range(max_length):
            logp = self._step(tokens, pos, cache, cross, cross_mask, table)
            vocab = logp.shape[-1]
            if placement is not None:
                logp = logp + placement.penalties([r // k for r in range(n * k)], said, vocab, eos, max_length - pos)
            total = (scores.reshape(-1, 1) + logp).reshape(n, k * vocab)
            idx = (
                np.argpartition(-total, 2 * k - 1, axis=-1)[:, : 2 * k]
                if 2 * k < total.shape[1]
                else np.tile(np.arange(total.shape[1]), (n, 1))
            )
            top = np.take_along_axis(total, idx, -1)
            order = np.argsort(-top, axis=-1, kind="stable")
            idx, top = np.take_along_axis(idx, order, -1), np.take_along_axis(top, order, -1)
            new_scores = np.full((n, k), -1e9, dtype=np.float32)
            new_src = np.zeros((n, k), dtype=np.int64)
            new_tok = np.full((n, k), self.s.pad_token_id, dtype=np.int64)
            for b in range(n):
                j = 0
                for c in range(idx.shape[1]):
                    src, t, sc = b * k + int(idx[b, c]) // vocab, int(idx[b, c]) % vocab, float(top[b, c])
                    if sc <= -1e8:
                        break
                    if t == eos:
                        if len(finished[b]) < k:
                            finished[b].append((list(seqs[src]), sc / max(1, len(seqs[src]) + 1)))
                        continue
                    new_scores[b, j], new_src[b, j], new_tok[b, j] = sc, src, t
                    j += 1
                    if j == k:
                        break
            if all(len(f) >= k for f in finished):
                break
            sources = new_src.reshape(-1)
            seqs = [[*seqs[int(s_)], int(t)] for s_, t in zip(sources, new_tok.reshape(-1), strict=True)]
            if placement is not None:
                said = [placement.update(said[int(s_)], int(t)) for s_, t in zip(sources, new_tok.reshape(-1))]
            for layer in cache:
                layer[:] = [layer[0][sources], layer[1][sources]]
            scores, tokens = new_scores, new_tok.reshape(-1)
        for b in range(n):
            if len(finished[b]) < num_return:  # hit max_length: keep the live beams too
                finished[b] += [
                    (seqs[b * k + j], float(scores[b, j]) / max(1, len(seqs[b * k + j])))
                    for j in range(k)
                    if scores[b, j] > -1e8
                ]
            finished[b].sort(key=lambda h: -h[1])
            finished[b] = finished[b][:num_return]
        return finished


def pad_batch(rows: list[list[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token id rows padded to one width with ``pad``, and their attention mask (1 = a token)."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def _mask(attention_mask: np.ndarray) -> np.ndarray:
    """Additive attention mask (batch, 1, 1, length): 0 where attended, the float32 minimum where padded."""
    return ((1.0 - attention_mask[:, None, None, :].astype(np.float32)) * NEG).astype(np.float32)
