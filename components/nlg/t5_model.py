"""The T5 model a generator trains: compact, from scratch on a vocabulary grown from the bot's
texts (its word embeddings taken from the encoder), or a pretrained one given by ``model:``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generator_config import GeneratorConfig

__all__ = ["build_model", "init_from_encoder", "load_pretrained"]


def build_model(cfg: GeneratorConfig, slots: list[str], texts: list[str], seed: int) -> tuple[Any, Any]:
    """The codec and a ``T5ForConditionalGeneration`` to train: pretrained, or compact from scratch."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from ..nlu.encoder_source import resolve_encoder
    from .codec import HFCodec, WordPieceCodec

    torch.manual_seed(seed)
    if cfg.model:
        tokenizer, model = load_pretrained(cfg.model)
        codec: Any = HFCodec(tokenizer, slots)
        model.resize_token_embeddings(len(codec))
        if cfg.dropout is not None:
            model.config.dropout_rate = cfg.dropout
        return codec, model
    encoder_dir = resolve_encoder(cfg.encoder)
    codec = WordPieceCodec.from_encoder(encoder_dir, slots)
    codec.grow(texts)
    config = T5Config(vocab_size=len(codec), d_model=cfg.d_model, d_ff=cfg.d_ff, d_kv=cfg.d_kv, num_heads=cfg.num_heads,
                      num_layers=cfg.num_layers, num_decoder_layers=cfg.num_decoder_layers, dropout_rate=cfg.dropout,
                      feed_forward_proj="relu", decoder_start_token_id=codec.pad_id, pad_token_id=codec.pad_id,
                      eos_token_id=codec.eos_id)  # type: ignore[call-arg]  # PretrainedConfig takes the generation ids as **kwargs
    model = T5ForConditionalGeneration(config)
    if cfg.init_embeddings:
        init_from_encoder(model, codec, encoder_dir)
    return codec, model


def load_pretrained(name: str) -> tuple[Any, Any]:
    """Tokenizer and ``T5ForConditionalGeneration`` of a local directory or Hugging Face id."""
    from transformers import AutoTokenizer, T5ForConditionalGeneration
    from transformers.utils import logging as hf_logging

    from dialogkit.framework.errors import ConfigError, message

    from ..nlu.encoder_source import offline

    hf_logging.disable_progress_bar()
    ref = str(Path(name).expanduser()) if Path(name).expanduser().exists() else name
    try:
        tokenizer = AutoTokenizer.from_pretrained(ref, local_files_only=offline())
        model = T5ForConditionalGeneration.from_pretrained(ref, local_files_only=offline())
    except (OSError, ValueError) as e:
        raise ConfigError(
            message(
                "DK603",
                name="t5_nlg",
                problem=f"cannot load generator model '{name}': {str(e).splitlines()[0]}",
                fix="set `model:` to a local T5 directory (config.json, weights, tokenizer) or a model id in the "
                "Hugging Face cache, or remove it to train the compact generator",
            )
        ) from None
    return tokenizer, model


def init_from_encoder(model: Any, codec: Any, encoder_dir: str) -> None:
    """Copy the encoder's word embeddings of our tokens, projected to ``d_model`` by PCA, at T5's init scale."""
    import torch
    from safetensors import safe_open

    with safe_open(str(Path(encoder_dir) / "model.safetensors"), "pt") as f:
        key = next(k for k in f.keys() if k.endswith("word_embeddings.weight"))
        table = f.get_tensor(key).float()
    rows = codec.encoder_rows()
    known = [i for i, r in enumerate(rows) if r is not None]
    if not known:
        return
    vecs = table[torch.tensor([rows[i] for i in known])]
    vecs = vecs - vecs.mean(0, keepdim=True)
    d = model.config.d_model
    if vecs.shape[1] != d:
        q = min(d, vecs.shape[1], len(known))
        _, _, v = torch.pca_lowrank(vecs, q=q, center=False)
        proj = vecs @ v[:, :q]
        vecs = torch.zeros(len(known), d)
        vecs[:, :q] = proj
    std = model.shared.weight.std()
    vecs = vecs / vecs.std().clamp(min=1e-6) * std
    with torch.no_grad():
        model.shared.weight[torch.tensor(known)] = vecs
