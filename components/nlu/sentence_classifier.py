"""A second opinion on the intent: a linear classifier over the message's own n-gram features.

The joint model's intent head is fine-tuned with the encoder. On a small bot (a few hundred
examples) whose language the encoder was not made for, a simpler model over the bot's own
character n-grams and words is about as accurate on its own and errs on other messages
(measured in ``make bench-nlu-bots``), so the two are combined as a product of experts: the
intent probabilities are the normalised geometric mean of the joint head's and this
classifier's.

Features are those of :meth:`CharNgramFeaturizer.of_sentence` (the message's words and its
character n-grams across words) and, for Chinese, how its characters are read (pinyin syllables
and their pairs, :func:`readings_of`: a pinyin input method's slip changes the character, not
the reading), weighted as TF-IDF (sublinear term frequency, smoothed inverse
document frequency, unit length) as in scikit-learn's ``TfidfVectorizer``; the classifier is
scikit-learn's multinomial logistic regression. What is saved is plain arrays
(``sentence_classifier.safetensors``: the inverse document frequencies, the weights and the
biases) and the feature vocabulary with the readings seen (``sentence_classifier.json``); nothing
is pickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .sparse_features import _UNSPACED, CharNgramFeaturizer

__all__ = ["SentenceClassifier"]

FILE = "sentence_classifier.safetensors"
VOCABULARY = "sentence_classifier.json"
# inverse regularisation strength of the logistic regression: the features are few per message and
# unit length, so weak regularisation (as in scikit-learn's examples for text) fits them best
C = 100.0


def readings_of(words: list[str]) -> list[str]:
    """How the message's Chinese characters are read: its pinyin syllables without tones, one by one and
    in pairs ("北京" and its homophone slip "背景" both give ``r:bei``, ``r:jing``, ``r:bei_jing``)."""
    from pypinyin import lazy_pinyin

    runs, run = [], ""
    for w in words:  # runs of Chinese characters, read with pypinyin's phrase context
        if w and all(_UNSPACED.match(c) for c in w):
            run += w
        elif run:
            runs.append(run)
            run = ""
    syllables = [[s for s in lazy_pinyin(r) if s.isascii() and s.isalpha()] for r in runs + ([run] if run else [])]
    return [f"r:{s}" for syl in syllables for s in syl] + [
        f"r:{a}_{b}" for syl in syllables for a, b in zip(syl, syl[1:], strict=False)
    ]


class SentenceClassifier:
    def __init__(
        self,
        featurizer: CharNgramFeaturizer,
        idf: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray,
        readings: list[str] | None = None,
    ):
        self.featurizer = featurizer  # the feature vocabulary (the joint model's own when it reads bags)
        # the readings seen in training (Chinese bots), their ids after the featurizer's; None: not read
        self.readings = readings
        self.reading_ids = {f: len(featurizer) + i for i, f in enumerate(readings or [])}
        self.idf = idf.astype(np.float32)  # (F,)
        self.weight = weight.astype(np.float32)  # (F, K), K = the bot's intents, in the component's order
        self.bias = bias.astype(np.float32)  # (K,)

    def _ids(self, words: list[str]) -> list[int]:
        """The ids of the message's features in the vocabulary (unknown ones dropped), with repeats."""
        known = self.featurizer.ids
        ids = [i for f in self.featurizer.of_sentence(words) if (i := known.get(f)) is not None]
        if self.readings is not None:
            ids += [i for f in readings_of(words) if (i := self.reading_ids.get(f)) is not None]
        return ids

    def _rows(self, word_lists: list[list[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each message's TF-IDF vector as (feature ids, unit-length weights)."""
        out = []
        for words in word_lists:
            ids, counts = np.unique(np.array(self._ids(words), int), return_counts=True)
            v = (1.0 + np.log(counts)) * self.idf[ids]
            out.append((ids, (v / np.linalg.norm(v)).astype(np.float32) if len(ids) else v.astype(np.float32)))
        return out

    def log_proba(self, word_lists: list[list[str]]) -> np.ndarray:
        """Log-probabilities (B, K) of the bot's intents for each message's words (numpy only: no scipy
        at inference)."""
        scores = np.stack([vals @ self.weight[ids] + self.bias for ids, vals in self._rows(word_lists)])
        scores -= scores.max(-1, keepdims=True)
        return np.asarray(scores - np.log(np.exp(scores).sum(-1, keepdims=True)))

    @classmethod
    def fit(
        cls,
        featurizer: CharNgramFeaturizer,
        word_lists: list[list[str]],
        labels: list[int],
        n_intents: int,
        seed: int = 42,
        readings: bool = False,
    ) -> SentenceClassifier:
        """Fit on each message's words and its intent's index among ``n_intents``; an intent without
        examples here gets a bias that rules it out. ``readings``: also how its Chinese characters are
        read (:func:`readings_of`), so that a homophone slip of a pinyin input method keeps them."""
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        seen_readings = sorted({f for words in word_lists for f in readings_of(words)}) if readings else None
        n = len(featurizer) + len(seen_readings or [])
        probe = cls(featurizer, np.ones(n), np.zeros((n, n_intents)), np.zeros(n_intents), seen_readings)
        df = np.zeros(n)
        for words in word_lists:
            df[list(set(probe._ids(words)))] += 1
        idf = np.log((1 + len(word_lists)) / (1 + df)) + 1.0
        rows = cls(featurizer, idf, np.zeros((n, n_intents)), np.zeros(n_intents), seen_readings)._rows(word_lists)
        x = csr_matrix(
            (
                np.concatenate([v for _, v in rows]),
                np.concatenate([i for i, _ in rows]),
                np.cumsum([0] + [len(i) for i, _ in rows]),
            ),
            shape=(len(rows), n),
        )
        y = np.asarray(labels)
        weight, bias = np.zeros((n, n_intents)), np.full(n_intents, -30.0)
        seen = np.unique(y)
        if len(seen) == 1:  # one intent: nothing to tell apart
            bias[seen[0]] = 0.0
            return cls(featurizer, idf, weight, bias, seen_readings)
        model = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(x, y)
        coef = model.coef_ if len(seen) > 2 else np.vstack([-model.coef_[0], model.coef_[0]]) / 2
        intercept = model.intercept_ if len(seen) > 2 else np.array([-model.intercept_[0], model.intercept_[0]]) / 2
        weight[:, model.classes_] = coef.T
        bias[model.classes_] = intercept
        return cls(featurizer, idf, weight, bias, seen_readings)

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file({"idf": self.idf, "weight": self.weight, "bias": self.bias}, str(directory / FILE))
        vocabulary = {"featurizer": self.featurizer.to_json(), "readings": self.readings}
        (directory / VOCABULARY).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> SentenceClassifier | None:
        """The classifier saved in ``directory``; None for a model trained without one."""
        from safetensors.numpy import load_file

        if not (directory / FILE).is_file():
            return None
        arrays = load_file(str(directory / FILE))
        vocabulary = json.loads((directory / VOCABULARY).read_text(encoding="utf-8"))
        featurizer = CharNgramFeaturizer.from_json(vocabulary["featurizer"])
        return cls(featurizer, arrays["idf"], arrays["weight"], arrays["bias"], vocabulary["readings"])


def combine(joint_probs: np.ndarray, log_proba: np.ndarray) -> np.ndarray:
    """The product of experts: the normalised geometric mean of the two distributions (B, K)."""
    mixed = (np.log(np.clip(joint_probs, 1e-12, None)) + log_proba) / 2
    mixed -= mixed.max(-1, keepdims=True)
    out = np.exp(mixed)
    return np.asarray(out / out.sum(-1, keepdims=True))
