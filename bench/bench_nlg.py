"""NLG benchmark on the cleaned E2E dev set: the compact T5 generator vs a template baseline.

    python bench/bench_nlg.py [--e2e ../shared/data/e2e-cleaned/devel-fixed.no-ol.csv]
                              [--epochs 40] [--no-init-compare] [--limit N]

The MRs are split 80/20 (seeded) so that no MR is in both train and test; 10% of the
training MRs are held out for early stopping. ``name`` and ``near`` are delexicalised
(``{name}``, ``{near}``, filled back after generation); the other attributes are given
as values the model must put into words. The guard checks every candidate (beam search,
4 candidates) with the lexicon below and falls back to the template baseline when none
passes. Slot error rate is measured with independent patterns (``bench/e2e_slots.py``):
(missing + wrong) / required values, "added" values reported next to it. BLEU is
sacrebleu corpus BLEU against all references of each test MR.

Targets (issue 5): SER <= 1% after the guard; BLEU >= template baseline + 8; training
<= 30 minutes on 2 cores; p50 generation <= 30 ms per reply.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.e2e_slots import slot_errors  # noqa: E402
from bench.report import ROOT, write  # noqa: E402

DELEX = ("name", "near")
# Surface forms the guard accepts for each value (the generator's view; measuring uses e2e_slots.py).
LEXICON: dict[str, dict[str, list[str]]] = {
    "eatType": {
        "coffee shop": ["coffee shop", "coffee house", "cafe", "café"],
        "restaurant": ["restaurant"],
        "pub": ["pub"],
    },
    "area": {
        "city centre": ["city centre", "centre of the city", "city center", "centre", "center"],
        "riverside": ["riverside", "river side", "by the river", "near the river", "river"],
    },
    "familyFriendly": {
        "yes": [
            "family friendly",
            "kid friendly",
            "kids friendly",
            "child friendly",
            "children friendly",
            "families",
            "family",
        ],
        "no": [
            "not family friendly",
            "not kid friendly",
            "not kids friendly",
            "not child friendly",
            "not children friendly",
            "non family friendly",
            "isn't family friendly",
            "isn't kid friendly",
            "isn't child friendly",
            "not a family friendly",
            "not very family friendly",
            "adults only",
            "no children",
            "no kids",
            "not for families",
            "not suitable for families",
            "not family oriented",
        ],
    },
    "food": {
        "Chinese": ["chinese"],
        "English": ["english", "british"],
        "Japanese": ["japanese"],
        "French": ["french"],
        "Indian": ["indian"],
        "Fast food": ["fast food"],
        "Italian": ["italian"],
    },
    "priceRange": {
        "cheap": ["cheap", "inexpensive", "low price", "low priced", "low cost", "affordable"],
        "moderate": [
            "moderate",
            "moderately priced",
            "mid price",
            "mid priced",
            "mid range",
            "average price",
            "average priced",
            "reasonably priced",
        ],
        "high": ["high price", "high priced", "expensive", "high cost", "price range is high", "pricey"],
        "less than £20": ["less than £20", "under £20", "below £20", "less than 20"],
        "£20-25": ["£20 25", "£20 £25", "20 25", "£20 to £25", "20 to 25", "between £20 and £25"],
        "more than £30": ["more than £30", "over £30", "above £30", "more than 30"],
    },
    "customer rating": {
        "low": ["low customer rating", "low rating", "low rated", "rated low", "poor rating", "poorly rated", "low"],
        "average": ["average customer rating", "average rating", "rated average", "average"],
        "high": ["high customer rating", "high rating", "highly rated", "rated highly", "high"],
        "1 out of 5": ["1 out of 5", "one out of five", "1 star", "one star"],
        "3 out of 5": ["3 out of 5", "three out of five", "3 star", "three star"],
        "5 out of 5": ["5 out of 5", "five out of five", "5 star", "five star"],
    },
}


# E2E references state numeric ranges and verbal levels for each other ("high price range"
# for "more than £30", "5 star" ... "highly rated"); the measuring checker accepts the same.
for _attr, _pairs in (("priceRange", (("less than £20", "cheap"), ("£20-25", "moderate"), ("more than £30", "high"))),
                      ("customer rating", (("1 out of 5", "low"), ("3 out of 5", "average"), ("5 out of 5", "high")))):
    for _num, _word in _pairs:
        LEXICON[_attr][_num] = LEXICON[_attr][_num] + LEXICON[_attr][_word]


def parse_mr(mr: str) -> dict[str, str]:
    return {a.strip(): v for a, v in re.findall(r"([^,\[]+)\[([^\]]*)\]", mr)}


def template(mr: dict[str, str]) -> str:
    """The template baseline: one hand-written sentence plan, every attribute always stated."""
    ff = mr.get("familyFriendly")
    kind = mr.get("eatType", "place")
    adjective = "family-friendly " if ff == "yes" else ""
    first = f"{mr['name']} is a {adjective}{kind}" if "name" in mr else f"There is a {adjective}{kind}"
    if "food" in mr:
        first += f" serving {mr['food']} food"
    if "area" in mr:
        first += " in the city centre" if mr["area"] == "city centre" else " by the riverside"
    if "near" in mr:
        first += f" near {mr['near']}"
    out = [first + "."]
    price = mr.get("priceRange")
    if price:
        out.append(
            f"It is {price}."
            if price in ("cheap",)
            else f"It has a {price} price range."
            if price in ("moderate", "high")
            else f"Prices are {price}."
            if "than" in price
            else f"Prices are in the {price} range."
        )
    rating = mr.get("customer rating")
    if rating:
        out.append(
            f"It has a customer rating of {rating}."
            if "out of" in rating
            else f"It has {'an' if rating[0] in 'aeiou' else 'a'} {rating} customer rating."
        )
    if ff == "no":
        out.append("It is not family-friendly.")
    return " ".join(out)


def delexicalize(ref: str, mr: dict[str, str]) -> str:
    text = ref.replace("{", "{{").replace("}", "}}")
    for attr in DELEX:
        if attr in mr:
            text = re.sub(re.escape(mr[attr]), "{" + attr + "}", text, flags=re.IGNORECASE)
    return text


def load(path: Path) -> dict[str, list[str]]:
    by_mr: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_mr.setdefault(row["mr"], []).append(row["ref"].strip())
    return by_mr


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--e2e", default=str(ROOT.parent / "shared" / "data" / "e2e-cleaned" / "devel-fixed.no-ol.csv"))
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--no-init-compare",
        action="store_true",
        help="skip training the second model (random embeddings) used to measure init_embeddings",
    )
    p.add_argument("--limit", type=int, help="smoke run: only N MRs (results not written to BENCHMARKS.md)")
    args = p.parse_args()

    import sacrebleu
    import torch

    from dialogkit.components.nlg.generator import GeneratorConfig, split_pairs
    from dialogkit.components.nlg.generator_trainer import FitSettings, fit
    from dialogkit.components.nlg.guard import Lexicon, check
    from dialogkit.components.nlg.plans import linearize
    from dialogkit.components.nlg.t5_model import build_model
    from dialogkit.components.nlg.t5_runtime import T5Runtime, pad_batch
    from dialogkit.components.nlg.templates import fill

    torch.set_num_threads(2)
    by_mr = load(Path(args.e2e))
    mrs = sorted(by_mr)
    random.Random(args.seed).shuffle(mrs)
    if args.limit:
        mrs = mrs[: args.limit]
    cut = int(len(mrs) * 0.8)
    train_mrs, test_mrs = mrs[:cut], mrs[cut:]
    slots = sorted({a for m in mrs for a in parse_mr(m)})

    def request(mr: dict[str, str]) -> tuple[str, list[str], dict[str, str]]:
        present = [a for a in DELEX if a in mr]
        values = {a: v for a, v in mr.items() if a not in DELEX}
        return linearize("inform", present, values, []), present, values

    pairs = [(request(parse_mr(m))[0], delexicalize(ref, parse_mr(m))) for m in train_mrs for ref in by_mr[m]]
    train, held = split_pairs(pairs, 0.1, args.seed)
    values = {a: sorted(LEXICON[a]) for a in LEXICON}
    lexicon = Lexicon({a: dict(v) for a, v in LEXICON.items()}, values)

    def train_model(init: bool) -> tuple[Any, Any, Any, float]:
        cfg = GeneratorConfig(init_embeddings=init)
        codec, model = build_model(cfg, slots, [t for pr in pairs for t in pr], args.seed)
        settings = FitSettings(
            epochs=args.epochs, patience=args.patience, batch_size=32, learning_rate=1e-3, seed=args.seed
        )
        t0 = time.perf_counter()
        result = fit(model, codec, train, held, settings, progress=lambda m: print(m, flush=True))
        seconds = time.perf_counter() - t0
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            runtime = T5Runtime.from_dir(Path(tmp))
        return codec, runtime, result, seconds

    def decode(codec: Any, runtime: Any, inputs: list[str], beams: int, ret: int) -> list[list[str]]:
        out = []
        for i in range(0, len(inputs), 32):
            ids, mask = pad_batch([codec.encode(x, 96) for x in inputs[i : i + 32]], codec.pad_id)
            out += [[codec.decode(h) for h, _ in hyps] for hyps in runtime.generate(ids, mask, 80, beams, ret)]
        return out

    def evaluate(codec: Any, runtime: Any, beams: int = 4, ret: int = 4) -> dict[str, Any]:
        parsed = [parse_mr(m) for m in test_mrs]
        reqs = [request(mr) for mr in parsed]
        cands = decode(codec, runtime, [r[0] for r in reqs], beams, ret)
        before, after, fallbacks, failures = [], [], 0, []
        for mr, (_, present, vals), options in zip(parsed, reqs, cands, strict=True):
            filled = dict(mr)
            before.append(fill(options[0], filled, ""))
            chosen = None
            for c in options:
                v = check(
                    c,
                    required_placeholders=present,
                    required_values=vals,
                    response_slots=slots,
                    filled=filled,
                    lexicon=lexicon,
                )
                if v.ok:
                    chosen = c
                    break
                if c is options[0] and len(failures) < 10:
                    failures.append({"mr": mr, "generated": fill(c, filled, ""), "guard": v.reason})
            if chosen is None:
                fallbacks += 1
                after.append(template(mr))
            else:
                after.append(fill(chosen, filled, ""))
        return {"before": before, "after": after, "fallback_rate": fallbacks / len(parsed), "guard_failures": failures}

    refs = [by_mr[m] for m in test_mrs]
    width = max(len(r) for r in refs)
    streams = [[r[i] if i < len(r) else None for r in refs] for i in range(width)]

    def bleu(hyps: list[str]) -> float:
        return sacrebleu.corpus_bleu(hyps, streams).score

    def ser(hyps: list[str]) -> dict[str, float]:
        tot = [0, 0, 0, 0]
        for h, m in zip(hyps, test_mrs, strict=True):
            for i, x in enumerate(slot_errors(h, parse_mr(m))):
                tot[i] += x
        return {
            "required": tot[0],
            "missing": tot[1],
            "wrong": tot[2],
            "added": tot[3],
            "ser": (tot[1] + tot[2]) / tot[0],
            "ser_with_added": (tot[1] + tot[2] + tot[3]) / tot[0],
        }

    baseline = [template(parse_mr(m)) for m in test_mrs]
    human_ser = ser([r[0] for r in refs])
    codec, runtime, result, train_seconds = train_model(True)
    ev = evaluate(codec, runtime)
    ev8 = evaluate(codec, runtime, 8, 8)  # every beam of a wider search reranked by the guard

    # latency: one reply at a time, uncached, beam 4 (the default) and greedy
    inputs = [request(parse_mr(m))[0] for m in test_mrs[:200]]
    lat: dict[str, list[float]] = {"beam": [], "greedy": [], "beam8": []}
    for x in inputs[:5]:
        decode(codec, runtime, [x], 4, 4)
    for name, beams in (("beam", 4), ("greedy", 1), ("beam8", 8)):
        for x in inputs:
            t = time.perf_counter()
            decode(codec, runtime, [x], beams, beams)
            lat[name].append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    decode(codec, runtime, inputs, 4, 4)
    batch_ms = (time.perf_counter() - t) * 1000 / len(inputs)
    greedy_hyps = [c[0] for c in decode(codec, runtime, [request(parse_mr(m))[0] for m in test_mrs], 1, 1)]
    greedy_filled = [fill(h, parse_mr(m), "") for h, m in zip(greedy_hyps, test_mrs, strict=True)]

    compare = None
    if not args.no_init_compare:
        c2, r2, res2, sec2 = train_model(False)
        ev2 = evaluate(c2, r2)
        compare = {
            "train_seconds": sec2,
            "epochs_run": res2.epochs_run,
            "best_epoch": res2.best_epoch,
            "best_held_out_loss": res2.best_loss,
            "bleu_before_guard": bleu(ev2["before"]),
            "ser_before_guard": ser(ev2["before"]),
            "fallback_rate": ev2["fallback_rate"],
        }

    p50 = {k: statistics.median(v) for k, v in lat.items()}
    p95 = {k: sorted(v)[int(0.95 * len(v)) - 1] for k, v in lat.items()}
    results = {
        "data": args.e2e,
        "mrs": len(mrs),
        "train_mrs": len(train_mrs),
        "test_mrs": len(test_mrs),
        "train_pairs": len(train),
        "held_out_pairs": len(held),
        "model": {
            "vocabulary": len(codec),
            "parameters": sum(p.numel() for p in runtime.parameters()),
            "config": GeneratorConfig().model_dump(
                include={"d_model", "d_ff", "d_kv", "num_heads", "num_layers", "num_decoder_layers"}
            ),
        },
        "train_seconds": train_seconds,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "history": result.history,
        "template_baseline": {"bleu": bleu(baseline), "ser": ser(baseline)},
        "generator_before_guard": {"bleu": bleu(ev["before"]), "ser": ser(ev["before"])},
        "generator_greedy_before_guard": {"bleu": bleu(greedy_filled), "ser": ser(greedy_filled)},
        "generator_after_guard": {
            "bleu": bleu(ev["after"]),
            "ser": ser(ev["after"]),
            "fallback_rate": ev["fallback_rate"],
        },
        "generator_after_guard_beam8": {
            "bleu": bleu(ev8["after"]),
            "ser": ser(ev8["after"]),
            "fallback_rate": ev8["fallback_rate"],
        },
        "human_first_reference": {"ser": human_ser},
        "latency_ms": {"p50": p50, "p95": p95, "batched_beam_per_reply": batch_ms},
        "init_embeddings_off": compare,
        "guard_failures": ev["guard_failures"],
        "examples": [
            {"mr": m, "template": b, "generated": a}
            for m, b, a in list(zip(test_mrs, baseline, ev["after"], strict=True))[:8]
        ],
    }
    base_bleu, after_bleu = results["template_baseline"]["bleu"], results["generator_after_guard"]["bleu"]
    after_ser = results["generator_after_guard"]["ser"]["ser"]

    def pct(x: float) -> str:
        return f"{x * 100:.2f}%"

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    after8 = results["generator_after_guard_beam8"]
    rows = [
        ("BLEU: template baseline", f"{base_bleu:.2f}", "-"),
        (
            "BLEU: generator before guard (beam 4) / greedy",
            f"{results['generator_before_guard']['bleu']:.2f} / {results['generator_greedy_before_guard']['bleu']:.2f}",
            "-",
        ),
        (
            "BLEU: generator after guard, beam 4 (4 checked)",
            f"{after_bleu:.2f} ({verdict(after_bleu >= base_bleu + 8)}: {after_bleu - base_bleu:+.2f})",
            ">= baseline + 8",
        ),
        (
            "BLEU: generator after guard, beam 8 (all 8 checked)",
            f"{after8['bleu']:.2f} ({verdict(after8['bleu'] >= base_bleu + 8)}: {after8['bleu'] - base_bleu:+.2f})",
            ">= baseline + 8",
        ),
        ("SER: template baseline", pct(results["template_baseline"]["ser"]["ser"]), "-"),
        ("SER: generator before guard", pct(results["generator_before_guard"]["ser"]["ser"]), "-"),
        (
            "SER: generator after guard, beam 4 / beam 8",
            f"{pct(after_ser)} / {pct(after8['ser']['ser'])} "
            f"({verdict(max(after_ser, after8['ser']['ser']) <= 0.003)})",
            "<= 0.3%",
        ),
        (
            "added (hallucinated) values per required: before / after guard",
            " / ".join(
                f"{results[k]['ser']['added'] / results[k]['ser']['required'] * 100:.2f}%"
                for k in ("generator_before_guard", "generator_after_guard")
            ),
            "-",
        ),
        (
            "guard fallback rate (test MRs), beam 4",
            f"{pct(ev['fallback_rate'])} ({verdict(ev['fallback_rate'] <= 0.05)})",
            "<= 5%",
        ),
        (
            "guard fallback rate (test MRs), beam 8 all checked",
            f"{pct(ev8['fallback_rate'])} ({verdict(ev8['fallback_rate'] <= 0.05)})",
            "<= 5%",
        ),
        ("SER of the human references (first per MR, same checker)", pct(human_ser["ser"]), "-"),
        (
            "training wall time",
            f"{train_seconds / 60:.1f} min ({result.epochs_run} epochs, best {result.best_epoch}) "
            f"({verdict(train_seconds <= 1800)})",
            "<= 30 min",
        ),
        (
            "generation p50 / p95 per reply, beam 4, batch 1",
            f"{p50['beam']:.1f} / {p95['beam']:.1f} ms ({verdict(p50['beam'] <= 15)})",
            "p50 <= 15 ms",
        ),
        (
            "generation p50 / p95 per reply, greedy, batch 1",
            f"{p50['greedy']:.1f} / {p95['greedy']:.1f} ms ({verdict(p50['greedy'] <= 15)})",
            "p50 <= 15 ms",
        ),
        ("generation p50 / p95 per reply, beam 8, batch 1", f"{p50['beam8']:.1f} / {p95['beam8']:.1f} ms", "-"),
        ("generation per reply, beam 4, batches of 32", f"{batch_ms:.1f} ms", "-"),
    ]
    if compare:
        rows.append(
            (
                "init_embeddings off (random embeddings): BLEU / SER before guard, held-out loss",
                f"{compare['bleu_before_guard']:.2f} / {pct(compare['ser_before_guard']['ser'])}, "
                f"{compare['best_held_out_loss']:.3f} (on: {result.best_loss:.3f})",
                "measure",
            )
        )
    for m, v, t_ in rows:
        print(f"{m}: {v} (target {t_})")
    if args.limit:
        return
    write(
        "nlg",
        "NLG: E2E cleaned dev set (t5_nlg, compact, from scratch)",
        "make bench-nlg",
        rows,
        results,
        notes=f"Split by MR: {len(train_mrs)} train MRs ({len(train)} pairs + {len(held)} held out for early "
        f"stopping), {len(test_mrs)} test MRs, {sum(len(r) for r in refs)} test references. Compact T5: "
        f"{results['model']['parameters'] / 1e6:.1f}M parameters, vocabulary of {len(codec)} pieces from the "
        "packaged encoder. After the guard, replies with no passing candidate are the template baseline's. Slot "
        "errors measured with `bench/e2e_slots.py` (independent of the guard's lexicon). Examples and guard "
        "failures: the JSON.",
    )


if __name__ == "__main__":
    main()
