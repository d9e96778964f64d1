"""NLU latency: parse time at batch 1 on a 15-word message and throughput at batch 32,
next to the bare encoder forward pass measured in the same run.

    python bench/bench_latency.py [--bot domains/restaurant] [--runs 200]

Target (issue 3): parse p50 <= 1.3 x bare encoder forward (batch 1). The component is
built with the bot's labels and the default encoder; latency does not depend on how
well it was trained, so it is trained for one epoch only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402

MESSAGE = "please book a table for four people at an italian place in the centre tonight"


def timed(fn, runs: int) -> list[float]:
    for _ in range(10):
        fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def measure(loaded, examples, quantize: bool, runs: int) -> dict:
    import tempfile

    import torch

    from dialogkit.components.nlu.bert_nlu import BertNLU
    from dialogkit.components.nlu.features import encode, words_of
    from dialogkit.framework.agent import Agent
    from dialogkit.framework.components import TrainingContext, resolve_config

    component = BertNLU(resolve_config("bert_nlu", {"epochs": 1, "quantize": quantize}), loaded.domain)
    component.train(TrainingContext(loaded, examples))
    with tempfile.TemporaryDirectory() as tmp:
        component.save(Path(tmp))
        t1 = time.perf_counter()
        component = BertNLU.load(Path(tmp), component.config, loaded.domain)
        load_seconds = time.perf_counter() - t1
        t2 = time.perf_counter()
        component.parse_batch([MESSAGE])
        first_parse = time.perf_counter() - t2
    agent = Agent(loaded.domain, [component], {})
    batch = encode(component.tokenizer, [words_of(MESSAGE, "en")], 128)
    encoder = component.model.encoder

    def bare() -> None:
        with torch.inference_mode():
            encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask)

    # interleaved, so both see the same machine state (caches, clock speed, other load)
    for _ in range(10):
        bare()
        agent.parse(MESSAGE)
    bare_t, parse_t = [], []
    for _ in range(runs):
        t = time.perf_counter()
        bare()
        bare_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        agent.parse(MESSAGE)
        parse_t.append(time.perf_counter() - t)
    texts = [MESSAGE] * 32
    batch_t = timed(lambda: component.parse_batch(texts), max(10, runs // 10))
    return {
        "bare_encoder_ms_p50": statistics.median(bare_t) * 1000,
        "parse_ms_p50": statistics.median(parse_t) * 1000,
        "parse_ms_p99": pct(parse_t, 0.99) * 1000,
        "ratio_p50": statistics.median(parse_t) / statistics.median(bare_t),
        "batch32_messages_per_s": 32 / statistics.median(batch_t),
        "load_seconds": load_seconds,
        "first_parse_ms": first_parse * 1000,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bot", default=str(ROOT / "domains" / "restaurant"))
    p.add_argument("--runs", type=int, default=200)
    args = p.parse_args()

    import torch

    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.training_data import collect_examples

    assert len(MESSAGE.split()) == 15
    loaded = load_domain(args.bot)
    examples = collect_examples(loaded)
    results: dict = {"message_words": 15, "threads": torch.get_num_threads()}
    for quantize in (False, True):
        key = "int8" if quantize else "fp32"
        results[key] = measure(loaded, examples, quantize, args.runs)
        print(key, results[key], flush=True)
    rows = []
    for key in ("fp32", "int8"):
        r = results[key]
        rows += [
            (f"{key}: parse p50 / p99, batch 1, 15 words", f"{r['parse_ms_p50']:.1f} / {r['parse_ms_p99']:.1f} ms", "-"),
            (f"{key}: bare encoder forward p50 (same run)", f"{r['bare_encoder_ms_p50']:.1f} ms", "-"),
            (f"{key}: parse p50 / bare forward p50", f"{r['ratio_p50']:.2f} x ({'met' if r['ratio_p50'] <= 1.3 else 'missed'})", "<= 1.3 x"),
            (f"{key}: throughput at batch 32", f"{r['batch32_messages_per_s']:.0f} messages/s", "-"),
            (f"{key}: load time / first parse", f"{r['load_seconds']:.2f} s / {r['first_parse_ms']:.0f} ms", "-"),
        ]
    write("latency", "NLU latency (bert_nlu, default encoder)", "make bench-latency", rows, results,
          notes=f"Message: \"{MESSAGE}\". Parse = Agent.parse (spaCy words, tokenizer, encoder, heads, CRF Viterbi, rule merge).")


if __name__ == "__main__":
    main()
