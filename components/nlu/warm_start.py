"""``train --finetune``: bert_nlu continues from a previous model's weights (Rasa's ``rasa train
--finetune``) instead of starting from the pretrained encoder.

Everything whose shape still fits is copied: the encoder(s), the bot's feature bags (their
vocabulary is the previous model's, kept as it was, as Rasa keeps its featurizers' when it
fine-tunes), and the rows of the intent head, the tag head and the CRF for every intent and
tag both models know. An intent or tag the previous model did not have starts fresh. A
previous model on another encoder (or another shape of it) cannot be continued: the caller
trains from scratch and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["HEADS", "previous_labels", "warm_start"]

# parameter -> which label list indexes its first (and, for transitions, second) dimension
HEADS = {
    "intent_head.weight": "intents",
    "intent_head.bias": "intents",
    "tag_head.weight": "tags",
    "tag_head.bias": "tags",
    "crf.start_transitions": "tags",
    "crf.end_transitions": "tags",
    "crf.transitions": "tags",
}


def previous_labels(previous: Path) -> dict[str, list[str]] | None:
    """The previous model's intents and tags (None: no bert_nlu model there)."""
    labels = previous / "labels.json"
    if not labels.is_file() or not (previous / "model.safetensors").is_file():
        return None
    data = json.loads(labels.read_text(encoding="utf-8"))
    return {"intents": list(data["intents"]), "tags": list(data["tags"])}


def warm_start(model: Any, previous: Path, labels: dict[str, list[str]]) -> tuple[bool, str]:
    """Copy what fits of the model saved in ``previous`` into ``model`` (whose label lists are
    ``labels``). Returns (done, what happened in words)."""
    import torch
    from safetensors.torch import load_file

    old_labels = previous_labels(previous)
    if old_labels is None:
        return False, f"no bert_nlu model in {previous}"
    old = load_file(str(previous / "model.safetensors"))
    state = model.state_dict()
    for key, value in state.items():
        if key not in HEADS and key in old and old[key].shape != value.shape:
            return (
                False,
                f"the previous model's `{key}` has another shape ({tuple(old[key].shape)} vs {tuple(value.shape)}): "
                "another encoder",
            )
    copied = kept = 0
    with torch.no_grad():
        for key, value in state.items():
            if key not in old:
                continue
            if key not in HEADS:
                value.copy_(old[key])
                copied += 1
                continue
            names = HEADS[key]
            before = {name: i for i, name in enumerate(old_labels[names])}
            pairs = [(i, before[name]) for i, name in enumerate(labels[names]) if name in before]
            if old[key].dim() > 1 and key != "crf.transitions" and old[key].shape[1:] != value.shape[1:]:
                continue  # the head reads features of another width: it starts fresh
            for i, j in pairs:
                if key == "crf.transitions":
                    for k, m in pairs:
                        value[i, k] = old[key][j, m]
                else:
                    value[i] = old[key][j]
            kept += 1
    new = {n: [x for x in labels[n] if x not in set(old_labels[n])] for n in ("intents", "tags")}
    said = f"continued from {previous.parent.parent.name}: {copied} tensors and {kept} heads copied"
    if new["intents"] or new["tags"]:
        said += f"; new: {', '.join(new['intents'] + new['tags'])}"
    return True, said
