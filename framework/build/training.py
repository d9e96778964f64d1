"""Train a bot into a model archive, reusing components whose fingerprint is unchanged.

The archive also holds the bot's action code and ``endpoints.yml`` (copied on every
training; :mod:`dialogkit.framework.build.bot_code`).

A component's fingerprint covers its name, code version, resolved config and the
data it learns from. When the output directory already holds a valid archive with
the same fingerprint for a component, its files are copied over instead of
retraining. The new archive is built in a staging directory and swapped in only
when complete, so a failed training never destroys the previous model.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.loader import LoadedDomain, load_domain
from ..domain.training_data import collect_examples
from ..errors import ArchiveError, ConfigError, message
from ..runtime.pipeline import Component, TrainingContext, component_errors, get_component_class, resolve_pipeline
from .archive import build_manifest, fingerprint, read_manifest, replace_directory, unpack_if_tarball, write_manifest
from .bot_code import code_fingerprint, copy_code
from .validation import check

__all__ = [
    "TrainResult",
    "build_pipeline",
    "component_fingerprints",
    "is_epoch_line",
    "stale_components",
    "train",
    "train_on_devices",
]

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    out: Path
    trained: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[Any] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)  # per component: name, status, seconds, summary


_EPOCH_LINE = re.compile(r"^(?:[\w ]+ )?epoch \d+:")


def is_epoch_line(message: str) -> bool:
    """A trainer's per-epoch line (shown by ``train -v``; a progress bar stands for them otherwise)."""
    return bool(_EPOCH_LINE.match(message.strip()))


def build_pipeline(loaded: LoadedDomain) -> list[tuple[str, Component]]:
    """Untrained components with resolved configs, in pipeline order."""
    return [(name, get_component_class(name)(config, loaded.domain)) for name, config in resolve_pipeline(loaded)]


def train(
    bot_dir: str | Path,
    out: str | Path,
    force: bool = False,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    finetune: str | Path | None = None,
    epoch_fraction: float = 0.25,
) -> TrainResult:
    """Validate ``bot_dir`` and write a model archive to ``out``; see the module docstring.
    In a group of training processes (:func:`train_on_devices`) every process trains and
    only the first writes the archive. ``finetune``: a model (folder or .tar.gz) whose
    components continue training on the bot's data as it is now, for ``epoch_fraction`` of
    their epochs (those that can: bert_nlu; the others train as usual), as ``rasa train
    --finetune``."""
    if not 0 < epoch_fraction <= 1:
        raise ConfigError(
            message(
                "DK603",
                name="train --epoch-fraction",
                problem=f"{epoch_fraction} is not in (0, 1]",
                fix="give a share of the epochs, e.g. 0.25",
            )
        )
    started = time.perf_counter()
    main_process = int(os.environ.get("RANK", "0")) == 0
    say = progress if progress and main_process else (lambda _msg: None)
    loaded = load_domain(bot_dir)
    warnings = check(loaded)
    examples = collect_examples(loaded)
    context = TrainingContext(loaded, examples, seed, progress=say)
    components = build_pipeline(loaded)
    out = Path(out)
    previous = _previous_manifest(out) if not force else None
    base_dir, base = _finetune_base(Path(finetune)) if finetune is not None else (None, None)
    context.epoch_fraction = epoch_fraction
    domain_json = loaded.domain.model_dump(mode="json", by_alias=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=str(out.parent) if out.parent.exists() else None))
    result = TrainResult(out, warnings=warnings)
    context.warnings = result.warnings  # components add theirs (e.g. an encoder not made for the bot's language)
    entries = []
    try:
        (staging / "domain.json").write_text(_json(domain_json), encoding="utf-8")
        for (folder, fp), (name, component) in zip(
            component_fingerprints(components, context), components, strict=True
        ):
            old = _matching(previous, folder, fp)
            context.previous = _base_folder(base_dir, base, folder, name) if old is None else None
            _build_component(
                name, component, context, staging / folder, out / folder if old is not None else None, old, result, say
            )
            entry = {
                "name": name,
                "stage": component.stage,
                "config": component.config.model_dump(mode="json"),
                "fingerprint": fp,
                "dir": folder,
                "code_version": component.code_version,
            }
            summary = old.get("summary") if old is not None else component.describe()
            if summary:  # what the component found while training (e.g. where t5_nlg generates)
                entry["summary"] = summary
            entries.append(entry)
        copy_code(loaded, staging)  # the custom actions it runs, and its action server (endpoints.yml)
        manifest = build_manifest(staging, fingerprint(domain_json), entries)
        manifest["domain_name"] = loaded.domain.name
        manifest["code_fingerprint"] = code_fingerprint(loaded)
        write_manifest(staging, manifest)
        if main_process:
            replace_directory(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _build_component(name: str, component: Component, context: TrainingContext, dest: Path, reuse: Path | None,
                     old: dict[str, Any] | None, result: TrainResult, say: Callable[[str], None]) -> None:
    """Put component ``name`` into ``dest``: copied from the previous archive's folder ``reuse``
    (its manifest entry ``old``) when its fingerprint is unchanged, else trained and saved."""
    dest.mkdir(parents=True)
    if reuse is not None and old is not None:
        shutil.copytree(reuse, dest, dirs_exist_ok=True)
        result.reused.append(name)
        result.components.append(
            {"name": name, "status": "reused", "seconds": 0.0, "summary": old.get("summary") or {}}
        )
        say(f"{name}: unchanged (fingerprint {old['fingerprint'][:10]}), reused")
        # what it found when it was trained (e.g. where t5_nlg generates)
        for key, value in (old.get("summary") or {}).items():
            say(f"{name}: {key} {value}")
        return
    t0 = time.perf_counter()
    with component_errors(name):
        if component.trainable:
            say(f"{name}: training on {len(context.examples)} examples")
            component.train(context)
        component.save(dest)
    result.trained.append(name)
    result.components.append({"name": name, "status": "trained" if component.trainable else "built",
                              "seconds": time.perf_counter() - t0, "summary": component.describe()})
    say(f"{name}: done in {time.perf_counter() - t0:.2f}s")


def component_fingerprints(components: list[tuple[str, Component]], context: TrainingContext) -> list[tuple[str, str]]:
    """(archive folder, fingerprint) of each component: what it is, its config and the data it learns from."""
    return [
        (
            f"components/{i}_{name}",
            fingerprint(name, c.code_version, c.config.model_dump(mode="json"), c.data_fingerprint(context)),
        )
        for i, (name, c) in enumerate(components)
    ]


def stale_components(bot_dir: str | Path, out: str | Path) -> list[str] | None:
    """The components of the model at ``out`` that the bot as it is now would retrain (by
    fingerprint; ``domain`` when only the domain outside them changed); None when there is no
    readable model there. Nothing is trained."""
    # the fingerprints only: shell/serve load (and verify) it next
    previous = _previous_manifest(Path(out), verify=False)
    if previous is None:
        return None
    loaded = load_domain(bot_dir)
    check(loaded)
    components = build_pipeline(loaded)
    context = TrainingContext(loaded, collect_examples(loaded))
    stale = [
        name
        for (folder, fp), (name, _) in zip(component_fingerprints(components, context), components, strict=True)
        if _matching(previous, folder, fp) is None
    ]
    if len(previous["components"]) != len(components):
        stale = stale or ["pipeline"]
    domain_fp = fingerprint(loaded.domain.model_dump(mode="json", by_alias=True))
    if not stale and previous.get("domain_fingerprint") != domain_fp:
        stale = ["domain"]
    if previous.get("code_fingerprint") != code_fingerprint(loaded):
        stale.append("action code")
    return stale


def train_on_devices(
    bot_dir: str | Path, out: str | Path, devices: int, force: bool = False, seed: int = 42, verbose: bool = True
) -> None:
    """Train on ``devices`` processes (GPUs, or CPU processes where there are not that many)
    with distributed data parallelism; the first process writes the archive and reports."""
    from dialogkit.components.training.devices import launch

    launch(devices, _train_and_report, str(bot_dir), str(out), force, seed, verbose)


def _train_and_report(bot_dir: str, out: str, force: bool, seed: int, verbose: bool) -> None:
    result = train(
        bot_dir, out, force=force, seed=seed, progress=(lambda m: print(f"  {m}", flush=True)) if verbose else None
    )
    if int(os.environ.get("RANK", "0")) == 0:
        for w in result.warnings:
            if w.code.startswith("DK6"):
                print(w.render(), flush=True)
        world = os.environ.get("WORLD_SIZE", "1")
        print(
            f"trained {result.out} on {world} processes in {result.seconds:.1f}s (trained: "
            f"{', '.join(result.trained) or 'none'}; reused: {', '.join(result.reused) or 'none'})",
            flush=True,
        )


def _previous_manifest(out: Path, verify: bool = True) -> dict[str, Any] | None:
    """The manifest of the archive at ``out``; ``verify`` hashes every file (needed before
    copying components from it; loading the model verifies it anyway)."""
    if not (out / "manifest.json").is_file():
        return None
    try:
        return read_manifest(out, verify=verify)
    except ArchiveError as e:
        logger.warning("existing archive at %s is not reusable, retraining everything: %s", out, e.issues[0].text)
        return None


def _finetune_base(path: Path) -> tuple[Path, dict[str, Any]]:
    """The model ``train --finetune`` continues from: its folder and its (verified) manifest."""
    root = unpack_if_tarball(path) if path.exists() else path
    if not (root / "manifest.json").is_file():
        raise ConfigError(message("DK603", name="train --finetune", problem=f"no trained model at {path}",
                                  fix="train the bot once without --finetune, or name the model to continue from"))
    return root, read_manifest(root, verify=True)


def _base_folder(root: Path | None, manifest: dict[str, Any] | None, folder: str, name: str) -> Path | None:
    """Component ``name``'s folder in the model to continue from (the same position first)."""
    if root is None or manifest is None:
        return None
    entries = [c for c in manifest["components"] if c.get("name") == name]
    entry = next((c for c in entries if c.get("dir") == folder), entries[0] if entries else None)
    return root / entry["dir"] if entry is not None else None


def _matching(previous: dict[str, Any] | None, folder: str, fp: str) -> dict[str, Any] | None:
    if previous is None:
        return None
    return next((c for c in previous["components"] if c.get("dir") == folder and c.get("fingerprint") == fp), None)


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
