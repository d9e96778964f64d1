"""The BERT NLU on ONNX Runtime: the fast inference path, with int8 weights where they agree.

At training (``BertNLU.save``) the joint model is exported to ONNX (``model.onnx``, fp32) and
its encoder quantized to int8 weights per output channel (``model.int8.onnx``, ONNX Runtime's
dynamic quantization; the intent and tag heads stay fp32); both are run on the bot's examples
(the held-out ones when training kept 200 or more aside, else the training ones) and int8 is
kept only when it picks the same intent and the same tags as fp32 on at least
``int8_min_agreement`` of them (``onnx.json`` records the figures and the choice). A model trained before this existed
is exported on first load into the cache
(``$DIALOGKIT_CACHE/onnx/<sha256 of its weights>``), never into the verified archive.

Inference needs no torch: tokenization (``tokenizers``), the feature bags, the graph
(ONNX Runtime), the softmax and the CRF's Viterbi decoding (numpy, with the transition scores
exported from the torch CRF) all run on numpy arrays. The sparse feature bags are averaged
here (a gather and a mean) and fed to the graph pooled, as ``JointIntentSlotModel.from_features``
takes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..training.devices import cores

__all__ = ["OnnxJointModel", "available", "export", "export_cached", "export_or_torch", "viterbi"]

logger = logging.getLogger(__name__)
FP32, INT8, INFO = "model.onnx", "model.int8.onnx", "onnx.json"
HEADS = "onnx_heads.npz"  # CRF transitions and the feature bags' embedding tables
OPSET = 17
FORMAT = 1


def available() -> bool:
    """Whether ONNX Runtime can be used here (it is a dependency, but a slim install may lack it)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


# --- export (torch) -------------------------------------------------------------------


def export_or_torch(
    model: Any,
    tokenizer: Any,
    featurizer: Any,
    texts: list[str],
    lang: str,
    max_length: int,
    directory: Path,
    int8: bool | str,
    min_agreement: float,
    required: bool,
) -> dict[str, Any] | None:
    """:func:`export`, or (unless ``required``) None with a warning when the exporter cannot
    trace the encoder: its partial files go, and the model runs on torch."""
    try:
        return export(model, tokenizer, featurizer, texts, lang, max_length, directory, int8, min_agreement)
    except Exception as e:  # noqa: BLE001 - an encoder the exporter cannot trace still runs on torch
        if required:
            raise
        for name in (FP32, INT8, INFO, HEADS):
            (directory / name).unlink(missing_ok=True)
        logger.warning("bert_nlu: could not export to ONNX (%s: %s); it runs on torch", type(e).__name__, str(e)[:200])
        return None


def export(model: Any, tokenizer: Any, featurizer: Any, texts: list[str], lang: str, max_length: int, directory: Path,
           int8: bool | str = "auto", min_agreement: float = 0.99) -> dict[str, Any]:
    """Export ``model`` (a :class:`JointIntentSlotModel`) into ``directory``; decide int8 on
    ``texts`` (the bot's examples). Returns what ``onnx.json`` records."""
    import torch

    from .features import encode, words_of

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sample = encode(
        tokenizer, [words_of(t, lang) for t in (texts[:2] or ["hello there", "hi"])], max_length, featurizer
    )
    sparse = model.word_bag is not None
    names = ["input_ids", "attention_mask", "word_index"] + (["word_feats", "sentence_feats"] if sparse else [])
    args: tuple[Any, ...] = (sample.input_ids, sample.attention_mask, sample.word_index)
    if sparse:
        with torch.inference_mode():
            args += model.bag_features(sample.word_index, sample.sparse)
    axes = {
        "input_ids": {0: "batch", 1: "pieces"},
        "attention_mask": {0: "batch", 1: "pieces"},
        "word_index": {0: "batch", 1: "words"},
        "word_feats": {0: "batch", 1: "words"},
        "sentence_feats": {0: "batch"},
        "intent_logits": {0: "batch"},
        "emissions": {0: "batch", 1: "words"},
    }
    was_training = model.training
    model.train(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(
                _exportable(model),
                args,
                str(directory / FP32),
                dynamo=False,
                opset_version=OPSET,
                input_names=names,
                output_names=["intent_logits", "emissions"],
                dynamic_axes={k: v for k, v in axes.items() if k in names or k in ("intent_logits", "emissions")},
            )
    finally:
        model.train(was_training)
    heads = {
        "start": model.crf.start_transitions,
        "end": model.crf.end_transitions,
        "transitions": model.crf.transitions,
    }
    if sparse:
        heads |= {"word_bag": model.word_bag.weight, "sentence_bag": model.sentence_bag.weight}
    np.savez(directory / HEADS, **{k: v.detach().float().numpy() for k, v in heads.items()})
    info: dict[str, Any] = {"format": FORMAT, "opset": OPSET, "precision": "fp32", "checked_on": 0}
    if int8 is not False:
        info |= _quantize(directory, tokenizer, featurizer, texts, lang, max_length, int8, min_agreement)
    (directory / INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def _exportable(model: Any) -> Any:
    """``model.from_features`` as a module of its own for the exporter (which switches the
    module it is given to eval mode and back; the caller restores the model's own mode)."""
    import torch

    class FromFeatures(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: Any) -> Any:
            return self.model.from_features(*args)

    return FromFeatures().train(False)


def _quantize(directory: Path, tokenizer: Any, featurizer: Any, texts: list[str], lang: str, max_length: int,
              int8: bool | str, min_agreement: float) -> dict[str, Any]:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # the encoder's weights per output channel; the two small heads that make the decisions stay fp32
    heads = [
        n.name for n in onnx.load(str(directory / FP32)).graph.node if "intent_head" in n.name or "tag_head" in n.name
    ]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs a "consider pre-processing" note on the root logger
    try:
        quantize_dynamic(
            str(directory / FP32),
            str(directory / INT8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=heads,
        )
    finally:
        root.setLevel(level)  # the application's logging as it was
    if int8 is True or not texts:  # forced, or nothing to check it on
        (directory / (FP32 if int8 is True else INT8)).unlink()
        return {"precision": "int8" if int8 is True else "fp32", "checked_on": 0}
    fp32, q8 = OnnxJointModel(directory, precision="fp32"), OnnxJointModel(directory, precision="int8")
    same_intent = same_tags = 0
    for start in range(0, len(texts), 32):
        chunk = texts[start : start + 32]
        a = fp32.predict(tokenizer, featurizer, chunk, lang, max_length)
        b = q8.predict(tokenizer, featurizer, chunk, lang, max_length)
        same_intent += int((a[0].argmax(-1) == b[0].argmax(-1)).sum())
        same_tags += sum(x == y for x, y in zip(a[1], b[1]))
    intent_agreement, tag_agreement = same_intent / len(texts), same_tags / len(texts)
    keep = intent_agreement >= min_agreement and tag_agreement >= min_agreement
    (directory / (FP32 if keep else INT8)).unlink()  # the archive carries the one it runs
    return {
        "precision": "int8" if keep else "fp32",
        "checked_on": len(texts),
        "int8_intent_agreement": intent_agreement,
        "int8_tag_agreement": tag_agreement,
        "min_agreement": min_agreement,
    }


def export_cached(path: Path, load_torch: Any, tokenizer: Any, featurizer: Any, lang: str, max_length: int) -> Path:
    """The ONNX export of the model in ``path`` (a trained component folder without one): made
    once into the cache, keyed by the weights' hash, by ``load_torch()`` → the torch model."""
    digest = hashlib.sha256((Path(path) / "model.safetensors").read_bytes()).hexdigest()
    root = Path(os.environ.get("DIALOGKIT_CACHE") or Path.home() / ".cache" / "dialogkit") / "onnx" / digest
    if (root / INFO).is_file():
        return root
    tmp = root.with_name(f"{digest}.tmp{os.getpid()}")
    # fp32 only: without the bot's examples there is nothing to check int8 against
    export(load_torch(), tokenizer, featurizer, [], lang, max_length, tmp, int8=False)
    try:
        tmp.rename(root)
    except OSError:  # another process made it meanwhile
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return root


# --- inference (numpy + ONNX Runtime) ------------------------------------------------


class OnnxJointModel:
    """The exported joint model: ``predict`` → (intent probabilities, tag paths, tag confidences)."""

    def __init__(self, directory: Path, precision: str | None = None, threads: int | None = None):
        import onnxruntime as ort

        directory = Path(directory)
        self.info = (
            json.loads((directory / INFO).read_text(encoding="utf-8"))
            if (directory / INFO).is_file()
            else {"precision": "fp32"}
        )
        self.precision = precision or self.info.get("precision", "fp32")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cores()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(directory / (INT8 if self.precision == "int8" else FP32)), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        heads = np.load(directory / HEADS)
        self.start, self.end, self.transitions = heads["start"], heads["end"], heads["transitions"]
        self.word_bag = heads["word_bag"] if "word_bag" in heads.files else None
        self.sentence_bag = heads["sentence_bag"] if "sentence_bag" in heads.files else None

    def run(self, batch: Any) -> tuple[np.ndarray, np.ndarray]:
        """Intent logits (B, I) and emissions (B, W, K) for an ``encode(..., tensors="np")`` batch."""
        feed = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask, "word_index": batch.word_index}
        if "word_feats" in self.inputs:
            s = batch.sparse
            b, w = batch.word_index.shape
            feed["word_feats"] = _bags(self.word_bag, s.word_ids, s.word_offsets).reshape(b, s.words_per_row, -1)[:, :w]
            feed["sentence_feats"] = _bags(self.sentence_bag, s.sentence_ids, s.sentence_offsets)
        logits, emissions = self.session.run(None, feed)
        return logits, emissions

    def predict(
        self, tokenizer: Any, featurizer: Any, texts: list[str], lang: str, max_length: int
    ) -> tuple[np.ndarray, list[list[int]]]:
        from .features import encode, words_of

        batch = encode(tokenizer, [words_of(t, lang) for t in texts], max_length, featurizer, tensors="np")
        logits, emissions = self.run(batch)
        return logits, self.decode(emissions, batch.word_mask)

    def decode(self, emissions: np.ndarray, word_mask: np.ndarray) -> list[list[int]]:
        return [
            viterbi(emissions[b, : int(word_mask[b].sum())], self.start, self.end, self.transitions)
            for b in range(len(emissions))
        ]


def _bags(weight: Any, ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``relu(EmbeddingBag(mode="mean"))``: the mean of each bag's rows (an empty bag is 0)."""
    out = np.zeros((len(offsets), weight.shape[1]), dtype=np.float32)
    ends = np.append(offsets[1:], len(ids))
    for i, (a, b) in enumerate(zip(offsets, ends)):
        if b > a:
            out[i] = weight[ids[a:b]].mean(0)
    return np.maximum(out, 0.0)


def viterbi(emissions: np.ndarray, start: np.ndarray, end: np.ndarray, transitions: np.ndarray) -> list[int]:
    """The best tag path for one sequence (L, K) under a linear-chain CRF (``transitions[i, j]``:
    the score of tag j after tag i), as ``torchcrf.CRF.decode`` computes it."""
    score = start + emissions[0]
    back = []
    for t in range(1, len(emissions)):
        total = score[:, None] + transitions + emissions[t][None, :]
        back.append(total.argmax(0))
        score = total.max(0)
    best = [int((score + end).argmax())]
    for idx in reversed(back):
        best.append(int(idx[best[-1]]))
    return best[::-1]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
