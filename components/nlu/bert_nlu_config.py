"""The settings of :class:`~dialogkit.components.nlu.bert_nlu.BertNLU`: the ``- name: bert_nlu`` entry of a
pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from dialogkit.framework.runtime.pipeline import ComponentConfig

# `contrastive_epochs: auto`: pair training where a bot has fewer examples per intent than this on average
# (SetFit's few-shot regime, typically 8 or 16 examples per class; a large data set trains the heads alone)
PAIR_TRAINING_BELOW = 64
AUTO_PAIR_EPOCHS = 20


def pair_epochs(setting: int | str, intents: list[int] | list[str]) -> int:
    """The epochs of pair training ``contrastive_epochs: setting`` gives examples of these ``intents``
    (one per example): ``auto`` is :data:`AUTO_PAIR_EPOCHS` for few examples per intent, else 0."""
    if setting != "auto":
        return int(setting)
    return AUTO_PAIR_EPOCHS if len(intents) < PAIR_TRAINING_BELOW * max(len(set(intents)), 1) else 0


class BertNLUConfig(ComponentConfig):
    encoder: str = "default"
    separate_encoders: bool = False
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    label_smoothing: float = 0.1
    max_length: int = 128
    threshold: float = 0.4
    ranking_size: int = 10
    patience: int = 5
    # a wall-clock budget for training, in minutes: the epochs that fit it, with the learning rate's decay ending
    # where it does (components/training/schedule.py TimeBudget); None: `epochs` (and early stopping) alone
    max_training_minutes: float | None = Field(default=None, gt=0)
    # without a held-out split: training stops once the training loss has not fallen by this share below its
    # best in `patience` epochs (the heads have fitted the bot's examples); 0 runs every epoch
    converged_tolerance: float = Field(default=0.01, ge=0, lt=1)
    validation_fraction: float = 0.1
    min_examples_for_validation: int = 300
    seed: int = 42
    freeze_embeddings: bool = True  # word embeddings stay as pretrained: faster steps, less overfitting on small bots
    # character n-gram and word features of the bot's own data, joined to the encoder's output; "auto": on
    # when the encoder was not made for the bot's language (there they help most; measured in bench-nlu-bots)
    char_features: bool | Literal["auto"] = "auto"
    # a second opinion on the intent: a linear classifier over the message's n-grams and words (TF-IDF),
    # combined with the joint head as a product of experts; "auto": as char_features (measured in bench-nlu-bots)
    sentence_classifier: bool | Literal["auto"] = "auto"
    # pair training of the encoder before the heads (as SetFit): messages of one intent drawn together, of two
    # apart, for this many epochs; "auto": on where the bot has few examples per intent (fewer than
    # PAIR_TRAINING_BELOW on average), off for large data sets (measured in bench-nlu-bots)
    contrastive_epochs: int | Literal["auto"] = "auto"
    contrastive_learning_rate: float = 2e-5
    # words in a match of an entity's lookup, synonym or regex carry that entity's feature (Rasa's
    # RegexFeaturizer with use_lookup_tables and use_regexes; components/nlu/lookup_features.py)
    lookup_features: bool = True
    # where a language has a word segmenter (Chinese: jieba's dictionary), an entity span the model tags
    # that starts or ends inside a word is dropped (components/nlu/word_boundaries.py)
    word_boundaries: bool = True
    char_ngrams: tuple[int, int] = (1, 4)  # n-gram lengths, inside word boundaries
    max_char_features: int = 20000
    char_feature_dim: int = 128
    char_feature_learning_rate: float = 1e-2
    # copies of each training example with one typo (components/nlu/noise.py: a letter dropped, swapped, doubled or
    # a neighbouring key; for Chinese a character dropped, swapped, doubled or read the same), trained on where the
    # speller does not restore them; a fraction: that share of the examples. Off: on the example bots one copy each
    # did not make typo'd messages better understood (bench-typos --set typo_augmentation=1)
    typo_augmentation: float = Field(default=0.0, ge=0, le=10)
    # typos of the bot's own words corrected for the model (.spelling); auto: spaced scripts
    spelling: bool | Literal["auto"] = "auto"
    quantize: bool = False  # the torch path only: dynamic int8 Linear layers
    # "auto": ONNX Runtime when it is installed (exported at training; a model trained before is exported
    # on first load, into the cache), else torch. "onnx" requires it; "torch" never uses it.
    runtime: Literal["auto", "onnx", "torch"] = "auto"
    int8: bool | Literal["auto"] = "auto"  # onnx: int8 weights; auto = when they agree with fp32 on the bot's examples
    # share of examples with the same intent and the same tags as fp32: at most 0.2 % of decisions may differ
    int8_min_agreement: float = 0.998
    threads: int | None = None

    @field_validator("char_ngrams")
    @classmethod
    def _ngram_range(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 8:
            raise ValueError(
                "char_ngrams is [shortest, longest] n-gram length, 1 <= shortest <= longest <= 8, e.g. [1, 4]"
            )
        return v
