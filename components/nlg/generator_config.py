"""The settings of :class:`~dialogkit.components.nlg.generator.T5NLG`: the ``- name: t5_nlg`` entry of a pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .templates import TemplateConfig


class GeneratorConfig(TemplateConfig):
    model: str | None = None  # a pretrained T5 to fine-tune (HF id or directory); None trains a compact one
    encoder: str = "default"  # vocabulary (and embeddings) of the compact model
    init_embeddings: bool = True
    d_model: int = 256
    d_ff: int = 512
    d_kv: int = 64
    num_heads: int = 4
    num_layers: int = 2
    num_decoder_layers: int = 2
    dropout: float = 0.1
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float | None = None  # 1e-3 for the compact model, 3e-4 for a pretrained one
    label_smoothing: float = 0.1
    patience: int = 8
    # a wall-clock budget for training, in minutes: the epochs that fit it (as bert_nlu's); None: none
    max_training_minutes: float | None = Field(default=None, gt=0)
    min_steps: int | None = None  # train at least this many steps; None: bounded by the data (see auto_min_steps)
    gate: bool = True  # keep the generator off where its check after training finds it worse than the templates
    gate_max_off: float = 0.5  # off for the whole bot when it is refused on more than this share of responses
    gate_bleu_margin: float = 1.0  # ... or scores this much BLEU under the templates on held-out variations
    held_out: float = 0.1  # fraction of inputs held out for early stopping ...
    min_pairs_for_held_out: int = 300  # ... when there are at least this many pairs
    max_input_length: int = 96
    max_length: int = 80
    decoding: Literal["greedy", "beam"] = "beam"
    num_beams: int = 4
    candidates: int = 3  # beams kept; the guard checks each
    constrained: bool = True  # decoding says exactly the placeholders given, once each (never ends before)
    pick: Literal["best", "random"] = "random"  # among the candidates that pass the guard ...
    variety_margin: float = 0.15  # ... and score within this (mean log-prob per token) of the best
    cache_size: int = 4096
    threads: int | None = None
