"""The sentence classifier: bert_nlu's second opinion on the intent from the message's own n-grams."""

from __future__ import annotations

import numpy as np
import pytest

from dialogkit.components.nlu.sentence_classifier import FILE, VOCABULARY, SentenceClassifier, combine, readings_of
from dialogkit.components.nlu.sparse_features import CharNgramFeaturizer

# a ticket bot's messages, one character per word as the Chinese tokenizer gives them
TRAIN = {
    0: ["我要订票", "帮我订两张票", "订一张去上海的票", "我想买票"],  # book
    1: ["票能退吗", "怎么退票", "退票要手续费吗", "可以退吗"],  # refund
    2: ["你好", "您好", "你好啊", "早上好"],  # greet
}


def words(text: str) -> list[str]:
    return list(text)


def fitted(n_intents: int = 4) -> SentenceClassifier:
    lists = [words(t) for texts in TRAIN.values() for t in texts]
    labels = [i for i, texts in TRAIN.items() for _ in texts]
    return SentenceClassifier.fit(CharNgramFeaturizer.fit(lists), lists, labels, n_intents)


@pytest.mark.parametrize(("text", "intent"), [("订三张票", 0), ("退票吗", 1), ("您好啊", 2)])
def test_unseen_messages_are_told_apart_by_the_ngrams_they_share(text, intent):
    probs = np.exp(fitted().log_proba([words(text)]))[0]
    assert probs.argmax() == intent
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_an_intent_without_examples_is_ruled_out_and_unknown_text_spreads_over_the_others():
    probs = np.exp(fitted(n_intents=4).log_proba([words("天气"), []]))
    assert probs[:, 3].max() < 1e-9  # the fourth intent had no training example
    assert probs[1, :3].max() < 0.9  # no feature known: no intent stands out


def test_two_intents_and_one_intent():
    lists = [words(t) for t in TRAIN[0] + TRAIN[1]]
    two = SentenceClassifier.fit(CharNgramFeaturizer.fit(lists), lists, [0] * 4 + [1] * 4, 2)
    assert np.exp(two.log_proba([words("订票"), words("退票吗")])).argmax(1).tolist() == [0, 1]
    one = SentenceClassifier.fit(CharNgramFeaturizer.fit(lists), lists, [1] * 8, 3)
    assert np.exp(one.log_proba([words("订票")]))[0].round(6).tolist() == [0.0, 1.0, 0.0]


def test_saved_as_arrays_and_json_and_loaded_the_same(tmp_path):
    c = fitted()
    c.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([FILE, VOCABULARY])
    again = SentenceClassifier.load(tmp_path)
    assert again is not None
    texts = [words("订三张票"), words("退票")]
    np.testing.assert_allclose(again.log_proba(texts), c.log_proba(texts), rtol=1e-6)
    assert SentenceClassifier.load(tmp_path / "nothing") is None


def test_the_product_of_experts_agrees_where_both_do_and_defers_to_the_surer_one():
    joint = np.array([[0.7, 0.2, 0.1], [0.34, 0.33, 0.33]])
    other = np.log(np.array([[0.8, 0.1, 0.1], [0.05, 0.9, 0.05]]))
    mixed = combine(joint, other)
    assert mixed.sum(1) == pytest.approx([1.0, 1.0])
    assert mixed.argmax(1).tolist() == [0, 1]
    assert mixed[0, 0] > 0.7  # two experts agreeing are surer than either


def test_chinese_readings_keep_the_intent_through_a_homophone_slip(tmp_path):
    """推 is read as 退 is (tui): a pinyin input method's slip. The characters' n-grams lose it, the
    readings keep it."""
    assert readings_of(list("我要退票")) == readings_of(list("我要推票"))
    lists = [words(t) for texts in TRAIN.values() for t in texts]
    labels = [i for i, texts in TRAIN.items() for _ in texts]
    slips = [words("推票"), words("推票吧")]  # 退票 (a refund) with the slip: only 票 is left of its characters
    without = SentenceClassifier.fit(CharNgramFeaturizer.fit(lists), lists, labels, 3)
    assert without.readings is None and np.exp(without.log_proba(slips)).argmax(1).tolist() == [0, 0]  # booking
    c = SentenceClassifier.fit(CharNgramFeaturizer.fit(lists), lists, labels, 3, readings=True)
    assert c.readings is not None and "r:tui_piao" in c.readings
    assert np.exp(c.log_proba(slips)).argmax(1).tolist() == [1, 1]
    c.save(tmp_path)
    again = SentenceClassifier.load(tmp_path)
    assert again is not None and again.readings == c.readings
    np.testing.assert_allclose(again.log_proba([words("怎么推票")]), c.log_proba([words("怎么推票")]), rtol=1e-6)
