"""Chinese swapped and doubled characters read back by the speller, on Chinese NLU data not written for it.

Each corpus (the example bot tickets_zh, and any Chinese Rasa NLU file given: Rasa 1.x JSON with
``rasa_nlu_data.common_examples``, a Rasa YAML NLU file, or one message per line) is split into five
folds (seed 0); bert_nlu's Chinese speller (components/nlu/spelling.py, ``ReadingSpeller``) is fitted
on four and reads the fifth: each held-out message as written (how many the swap/double rule reads
otherwise: false readings, or the corpus's own typos), and with one slip injected (seed 28,
components/nlu/noise.py): two neighbouring characters swapped, one character doubled; a slipped message
is read back when the speller reads it exactly as it reads the message as written. Once with the rule,
once without it (the homophone rule alone), so the rule's share is the difference. No torch: seconds.
Usage: ``make bench-zh-slips`` (``ZH_CORPORA="a.json b.yml"``; ``--no-write`` prints only).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_HAN = re.compile(r"[\u4e00-\u9fff]")


def messages(path: Path) -> list[str]:
    """The Chinese messages of a corpus file (see the module docstring), annotations stripped."""
    from dialogkit.framework.domain.training_data import parse_example, split_block

    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        lines = [e["text"] for e in json.loads(text)["rasa_nlu_data"]["common_examples"]]
    elif path.suffix in (".yml", ".yaml"):
        import yaml

        lines = [parse_example(ex)[0] for block in yaml.safe_load(text).get("nlu", [])
                 for ex in split_block(block.get("examples", ""))]
    else:
        lines = [line.split("|")[0] for line in text.splitlines()]
    return sorted({t.strip() for t in lines if _HAN.search(t)})


def score(texts: list[str], seed: int = 28) -> dict[str, Any]:
    from dialogkit.components.nlu.noise import slip
    from dialogkit.components.nlu.spelling import ReadingSpeller

    class WithoutRule(ReadingSpeller):  # the homophone rule alone
        def _unslip(self, text: list[str]) -> None:
            pass

    texts = texts[:]
    random.Random(0).shuffle(texts)
    rng = random.Random(seed)
    out: dict[str, Any] = {"messages": 0, "read otherwise as written": [], **{k: [0, 0, 0] for k in ("swap", "double")}}
    for fold in range(5):
        train = [list(t) for i, t in enumerate(texts) if i % 5 != fold]
        rule, plain = ReadingSpeller.fit(train), WithoutRule.fit(train)
        for text in texts[fold::5]:
            out["messages"] += 1
            as_written, plainly = _read(rule, text), _read(plain, text)
            if as_written != plainly:
                out["read otherwise as written"].append([text, as_written])
            for kind in ("swap", "double"):
                noisy = slip(text, rng, (kind,))[0]
                if noisy == text or len(text) < 2:
                    continue
                out[kind][2] += 1
                out[kind][0] += _read(rule, noisy) == as_written
                out[kind][1] += _read(plain, noisy) == plainly
    return out


def _read(speller: Any, text: str) -> str:
    return "".join(speller.correct_words(list(text)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="*", help="Chinese NLU files (Rasa JSON or YAML, or a message per line)")
    p.add_argument("--no-write", action="store_true", help="print only (BENCHMARKS.md untouched)")
    args = p.parse_args()

    from bench.report import write
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    corpora = {"tickets_zh (example bot)": sorted({e.text for e in collect_examples(load_domain(ROOT / "domains"
                                                                                             / "tickets_zh"))})}
    for path in map(Path, args.corpora):
        corpora[path.name] = messages(path)
    results, rows = {}, []
    for name, texts in corpora.items():
        r = results[name] = score(texts)
        rows.append((f"{name} ({r['messages']} held-out messages): read otherwise as written by the rule",
                     str(len(r["read otherwise as written"])), "-"))
        for kind, label in (("swap", "two characters swapped"), ("double", "a character doubled")):
            on, off, total = r[kind]
            rows.append((f"{name}: {label} ({total}), read back with the rule (without)",
                         f"{on / max(total, 1) * 100:.1f} % ({off / max(total, 1) * 100:.1f} %)", "-"))
    for metric, value, _ in rows:
        print(f"{metric}: {value}")
    if not args.no_write:
        write("zh_slips", "Chinese swapped and doubled characters read back (the speller, 5 folds)",
              "make bench-zh-slips", rows, results,
              notes="The speller fitted on four folds of each corpus reads the fifth: messages as written (how many "
              "the swap/double rule reads otherwise: the JSON lists them, false readings or the corpus's own "
              "typos) and with one slip injected (seed 28); read back = read exactly as the message as written. "
              "In brackets: the homophone rule alone. Corpora other than the example bot are public projects "
              "their authors wrote, held out from the rule's design; the run's corpora are named in the rows.")


if __name__ == "__main__":
    main()
