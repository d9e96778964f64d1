"""bench/bench_zh_slips.py: the Chinese corpora it reads and what it counts."""

import json

from bench.bench_zh_slips import messages, score


def test_rasa_json_yaml_and_plain_corpora_give_their_chinese_messages(tmp_path):
    (tmp_path / "nlu.json").write_text(json.dumps({"rasa_nlu_data": {"common_examples": [
        {"text": "我要订票", "intent": "book"}, {"text": "hello", "intent": "greet"}]}}), encoding="utf-8")
    (tmp_path / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: book\n  examples: |\n    - 去[北京](city)\n'
                                      "    - 取消订票\n", encoding="utf-8")
    (tmp_path / "raw.txt").write_text("text,intent\n帮我查一下|request_search\n", encoding="utf-8")
    assert messages(tmp_path / "nlu.json") == ["我要订票"]
    assert messages(tmp_path / "nlu.yml") == sorted(["去北京", "取消订票"])  # annotations stripped
    assert messages(tmp_path / "raw.txt") == ["帮我查一下"]


def test_swaps_and_doubles_are_counted_with_and_without_the_rule():
    texts = [f"{a}取消订票{b}" for a in "我你他" for b in "吧啊呢了"] + ["不要了，取消", "您好", "太感谢了"]
    r = score(texts)
    assert r["messages"] == len(texts)
    for kind in ("swap", "double"):
        with_rule, without, total = r[kind]
        assert total > 0 and 0 <= without <= with_rule <= total
    assert r["swap"][0] > r["swap"][1]  # the rule reads some swaps back the homophone rule alone cannot
