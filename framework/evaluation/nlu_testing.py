"""`dialogkit test nlu`: score a bot's NLU on held-out data or by cross-validation.

- ``--data FILE``: train the NLU on the bot's examples, test on the examples in FILE
  (a YAML data file or bot directory); with ``--model``, test that trained model instead.
- ``--cross-validation K``: K stratified folds over the bot's examples.
- neither: one stratified 80/20 split.

Only the NLU components of the pipeline are trained. Reports go to ``--out``
(results.json, report.md, confusion_matrix.png).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..build.training import build_pipeline
from ..build.validation import check
from ..domain.loader import LoadedDomain, load_domain
from ..domain.tokenization import tokenize
from ..domain.training_data import Example, collect_examples
from ..errors import ConfigError, message
from ..runtime.agent import Agent
from .nlu_metrics import evaluate_parses, write_report

__all__ = ["run_nlu_test", "stratified_folds", "train_nlu"]


def train_nlu(loaded: LoadedDomain, examples: list[Example], seed: int = 42, progress: Any = None) -> Agent:
    """An Agent holding only the bot's NLU components, trained on ``examples``."""
    from ..runtime.pipeline import TrainingContext

    components = [c for _, c in build_pipeline(loaded) if c.stage == "nlu"]
    context = TrainingContext(loaded, examples, seed, progress=progress)
    for c in components:
        if c.trainable:
            c.train(context)
    return Agent(loaded.domain, components, {})


def stratified_folds(examples: list[Example], k: int, seed: int = 42) -> list[list[int]]:
    """K lists of example indexes; each intent's examples are spread evenly over the folds."""
    rng = random.Random(seed)
    by_intent: dict[str | None, list[int]] = {}
    for i, ex in enumerate(examples):
        by_intent.setdefault(ex.intent, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for idx in by_intent.values():
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(i)
        offset += len(idx)
    return folds


def _parse_all(agent: Agent, examples: list[Example]) -> list[dict[str, Any]]:
    return [agent.parse(ex.text) for ex in examples]


def run_nlu_test(bot_dir: str, data: str | None = None, folds: int | None = None, model: str | None = None,
                 out: str = "results/nlu", seed: int = 42, progress: Any = None,
                 each_fold: Callable[[Agent], None] | None = None) -> dict[str, Any]:
    """Train and parse as ``dialogkit test nlu`` does; ``each_fold`` is called with each fold's trained
    agent (cross-validation), e.g. to parse other messages with it."""
    loaded = load_domain(bot_dir)
    check(loaded)
    examples = collect_examples(loaded)
    lang = loaded.domain.language
    gold: list[Example]
    parses: list[dict[str, Any]]
    if model is not None:
        if data is None:
            raise ConfigError(
                message(
                    "DK603",
                    name="test nlu",
                    problem="--model needs --data (the model was trained on the bot's own examples)",
                    fix="pass --data FILE with held-out examples",
                )
            )
        gold = collect_examples(load_domain(data))
        parses = _parse_all(Agent.load(model), gold)
        title = f"NLU of {model} on {data}"
    elif data is not None:
        gold = collect_examples(load_domain(data))
        parses = _parse_all(train_nlu(loaded, examples, seed, progress), gold)
        title = f"NLU of {bot_dir} trained on its examples, tested on {data}"
    else:
        k = folds or 5
        fold_idx = stratified_folds(examples, k, seed)
        if not folds:
            fold_idx = [fold_idx[0]]  # one 80/20 split
        gold, parses = [], []
        for n, test_idx in enumerate(fold_idx, 1):
            held = set(test_idx)
            if progress:
                progress(f"fold {n}/{len(fold_idx)}: training on {len(examples) - len(held)}, testing on {len(held)}")
            agent = train_nlu(loaded, [ex for i, ex in enumerate(examples) if i not in held], seed, progress)
            if each_fold is not None:
                each_fold(agent)
            test = [examples[i] for i in test_idx]
            gold += test
            parses += _parse_all(agent, test)
        title = f"NLU of {bot_dir}: {k}-fold cross-validation" if folds else f"NLU of {bot_dir}: stratified 80/20 split"
    report = evaluate_parses(gold, parses, lambda text: tokenize(text, lang))
    report["title"] = title
    write_report(report, out, title)
    return report


def is_nlu_test_file(data: Any) -> bool:
    """A tests/ file of NLU examples (Rasa's ``tests/test_nlu.yml``): ``nlu:`` and no conversations or stories."""
    return isinstance(data, dict) and "nlu" in data and not ({"conversations", "stories"} & set(data))


def nlu_test_files(bot_dir: str | Path) -> list[Path]:
    """The bot's ``tests/*.yml`` files that hold NLU examples."""
    from ..yamlio import load_yaml

    tests = Path(bot_dir) / "tests"
    return [
        p
        for p in sorted(tests.glob("*.y*ml"))
        if tests.is_dir() and is_nlu_test_file(load_yaml(p, allow_empty=True).data)
    ]


def read_nlu_test_file(path: str | Path) -> list[Example]:
    """The examples of a Rasa-style NLU file (``nlu: - intent: ... examples: |``), each located
    at its line; items without ``intent`` (synonyms, regexes, lookups) are not test examples."""
    from ..domain.training_data import AnnotationError, parse_example, split_block
    from ..errors import DataError
    from ..yamlio import load_yaml

    doc = load_yaml(path, allow_empty=True)
    examples, issues = [], []
    for i, item in enumerate((doc.data or {}).get("nlu") or []):
        if not isinstance(item, dict) or "intent" not in item:
            continue
        loc = doc.positions.find(("nlu", i))
        for raw in split_block(item.get("examples") or []):
            try:
                text, spans = parse_example(raw.lstrip("\x00"))
            except AnnotationError as e:
                issues.append(message("DK401", loc, text=raw[:60], problem=str(e)))
                continue
            if text.strip():
                examples.append(Example(text, str(item["intent"]), tuple(spans), loc))
    if issues:
        raise DataError(issues)
    return examples


def run_nlu_files(agent: Agent, paths: list[Path], out: str | Path) -> dict[str, Any]:
    """Parse the examples of NLU test files with ``agent`` and evaluate them as ``test nlu`` does
    (``dialogkit test`` runs a bot's ``tests/`` NLU files this way, as ``rasa test`` does)."""
    gold = [ex for p in paths for ex in read_nlu_test_file(p)]
    report = evaluate_parses(gold, _parse_all(agent, gold), lambda text: tokenize(text, agent.domain.language))
    report["title"] = "NLU test files: " + ", ".join(p.name for p in paths)
    write_report(report, out, report["title"])
    return report


def print_summary(report: dict[str, Any], out: str) -> None:
    i, s = report["intent"], report["slots"]
    print(report["title"])
    print(f"  examples           {report['examples']}")
    print(f"  intent accuracy    {i['accuracy'] * 100:.2f}   macro-F1 {i['macro_f1'] * 100:.2f}")
    print(f"  slot P / R / F1    {s['precision'] * 100:.2f} / {s['recall'] * 100:.2f} / {s['f1'] * 100:.2f}")
    print(f"  sentence accuracy  {report['sentence_accuracy'] * 100:.2f}")
    print(f"  errors             {len(report['errors'])}")
    print(f"  reports in {Path(out)}/ (results.json, report.md, confusion_matrix.png)")
