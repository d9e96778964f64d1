"""What a trained bert_nlu writes into its model folder and reads back.

The folder holds the joint model's weights (``model.safetensors``), the encoders' configs, the
tokenizer files, the label maps (``labels.json``), which encoder it was trained from
(``encoder.json``), the character features and speller when on, the training figures, and the
ONNX export (int8 when it agrees with fp32) that inference runs on when ONNX Runtime is there.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .bert_nlu_config import BertNLUConfig
from .spelling import ReadingSpeller, Speller, speller_from_json

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

    from .bert_nlu import BertNLU

logger = logging.getLogger(__name__)


class BertNLUFiles:
    """``save`` and ``load`` of :class:`~dialogkit.components.nlu.bert_nlu.BertNLU` (a mixin: the
    attributes below are the component's, set in its ``__init__``)."""

    config: BertNLUConfig
    model: Any
    tokenizer: Any
    intents: list[str]
    tags: list[str]
    shortest: dict[str, int]
    scripts: list[str] | None
    fit_result: Any
    featurizer: Any
    speller: Speller | ReadingSpeller | None
    sentence: Any
    encoder_info: dict[str, Any]
    fast: Any
    exported: dict[str, Any] | None
    _texts: list[str]

    if TYPE_CHECKING:  # the component's own methods, used here

        def __init__(self, config: BertNLUConfig, domain: Domain) -> None: ...
        def _lang(self) -> str: ...
        def _threads(self) -> None: ...
        def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]: ...

    # --- save / load --------------------------------------------------------------------

    def _wants_onnx(self) -> bool:
        from . import onnx_runtime

        if self.config.runtime == "torch":
            return False
        if onnx_runtime.available():
            return True
        if self.config.runtime == "onnx":
            raise ValueError(
                "runtime: onnx needs ONNX Runtime: `pip install onnxruntime onnx` (or set `runtime: torch`)"
            )
        return False

    def save(self, path: Path) -> None:
        from safetensors.torch import save_model

        save_model(self.model, str(path / "model.safetensors"))
        self.model.encoder.config.save_pretrained(path / "encoder")
        if self.model.slot_encoder is not None:
            self.model.slot_encoder.config.save_pretrained(path / "slot_encoder")
        self.tokenizer.save_pretrained(path / "tokenizer")
        (path / "labels.json").write_text(
            json.dumps({"intents": self.intents, "tags": self.tags, "shortest": self.shortest,
                        "scripts": self.scripts}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
        (path / "encoder.json").write_text(
            json.dumps(self.encoder_info, indent=1, ensure_ascii=False), encoding="utf-8"
        )  # which encoder, for which languages
        if self.featurizer is not None:
            (path / "sparse.json").write_text(
                json.dumps(self.featurizer.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        if self.speller is not None:
            (path / "spelling.json").write_text(
                json.dumps(self.speller.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        if self.sentence is not None:
            self.sentence.save(path)
        if self.fit_result is not None:
            (path / "training.json").write_text(json.dumps(self.fit_result.__dict__, indent=1), encoding="utf-8")
        if self._wants_onnx():
            self._export(path)

    def _export(self, path: Path) -> None:
        from . import onnx_runtime

        self.exported = onnx_runtime.export_or_torch(
            self.model,
            self.tokenizer,
            self.featurizer,
            self._texts,
            self._lang(),
            self.config.max_length,
            path,
            self.config.int8,
            self.config.int8_min_agreement,
            self.config.runtime == "onnx",
        )

    @classmethod
    def load(cls, path: Path, config: BertNLUConfig, domain: Domain) -> BertNLU:
        from . import onnx_runtime
        from .encoder_source import BertSettings

        self = cast("BertNLU", cls(config, domain))
        labels = json.loads((path / "labels.json").read_text(encoding="utf-8"))
        if (path / "encoder.json").is_file():  # archives before it was recorded: the config names the encoder
            self.encoder_info = json.loads((path / "encoder.json").read_text(encoding="utf-8"))
        self.intents, self.tags = labels["intents"], labels["tags"]
        self.shortest = labels.get("shortest", {})  # archives before it: no span is too short
        self.scripts = labels.get("scripts")  # archives before it: no message is foreign
        if (path / "sparse.json").is_file():  # archives before the features have none
            from .sparse_features import CharNgramFeaturizer

            self.featurizer = CharNgramFeaturizer.from_json(
                json.loads((path / "sparse.json").read_text(encoding="utf-8"))
            )
        if (path / "spelling.json").is_file() and config.spelling is not False:
            self.speller = speller_from_json(
                json.loads((path / "spelling.json").read_text(encoding="utf-8")), self._lang()
            )
        if config.sentence_classifier is not False:  # models trained before it have none
            from .sentence_classifier import SentenceClassifier

            self.sentence = SentenceClassifier.load(path)
        dirs = [path / "encoder"] + ([path / "slot_encoder"] if (path / "slot_encoder").is_dir() else [])
        plain = all(BertSettings.from_json(d / "config.json").supported() for d in dirs)
        onnx = self._wants_onnx()
        if plain or (onnx and (path / "tokenizer" / "tokenizer.json").is_file()):
            from .tokenizer import FastTokenizer

            self.tokenizer = FastTokenizer(path / "tokenizer")  # the `tokenizers` library: no transformers, no torch
        else:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(path / "tokenizer", use_fast=True)
        if onnx:
            exported = path if (path / onnx_runtime.INFO).is_file() else None
            try:
                if exported is None:  # trained before the export existed: once, into the cache
                    exported = onnx_runtime.export_cached(
                        path,
                        lambda: self._load_torch(path, dirs, plain),
                        self.tokenizer,
                        self.featurizer,
                        self._lang(),
                        config.max_length,
                    )
                self.fast = onnx_runtime.OnnxJointModel(exported, threads=config.threads)
                # the tokenizers and the session's first run, here rather than in a user's turn
                self.parse_batch(["warm up"])
                return self
            except Exception as e:  # noqa: BLE001 - `auto`: an export that cannot be made or run here leaves the torch path
                if config.runtime == "onnx":
                    raise
                self.fast = None
                logger.warning(
                    "bert_nlu: the ONNX Runtime path is not available (%s: %s); running on torch",
                    type(e).__name__,
                    str(e)[:200],
                )
        self.model = self._load_torch(path, dirs, plain)
        return self

    def _load_torch(self, path: Path, dirs: list[Path], plain: bool) -> Any:
        import torch
        from safetensors.torch import load_model

        from .joint_model import JointIntentSlotModel

        config = self.config
        self._threads()
        if plain:  # plain-torch BERT: no transformers import, fast start
            from .encoder_source import BertSettings
            from .plain_bert import BertEncoder

            encoders = [BertEncoder(BertSettings.from_json(d / "config.json")) for d in dirs]
        else:
            from transformers import AutoConfig, AutoModel

            from .encoder_source import skip_weight_init

            with skip_weight_init():  # every weight is overwritten from model.safetensors below
                encoders = [AutoModel.from_config(AutoConfig.from_pretrained(d)) for d in dirs]
        model = JointIntentSlotModel(encoders[0], len(self.intents), len(self.tags), config.dropout,
                                     encoders[1] if len(encoders) > 1 else None, config.label_smoothing,
                                     len(self.featurizer) if self.featurizer else 0, config.char_feature_dim)
        load_model(model, str(path / "model.safetensors"))
        model.train(False)  # inference mode
        if config.quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return model

