"""A bot's own Python code (custom actions, slot validators) and its ``endpoints.yml``,
kept with the model so the trained bot runs the code it was trained with.

Training copies them into the archive (``actions/``, ``endpoints.yml``) and records their
fingerprint in the manifest; a changed file makes the model stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .archive import fingerprint, sha256_file

__all__ = ["action_code_files", "bot_root", "code_fingerprint", "copy_code"]


def bot_root(loaded: Any) -> Path:
    """The bot's folder (``loaded.directory`` may name its domain file)."""
    root = Path(loaded.directory)
    return root.parent if root.is_file() else root


def action_code_files(loaded: Any) -> list[Path]:
    """Python files in the bot directory that hold the domain's actions and validators."""
    root = bot_root(loaded)
    refs = list(loaded.domain.actions.values()) + [s.validator for s in loaded.domain.slots.values() if s.validator]
    files: set[Path] = set()
    for ref in refs:
        top = ref.split(":")[0].split(".")[0]
        if (root / f"{top}.py").is_file():
            files.add(root / f"{top}.py")
        elif (root / top).is_dir():
            files.update(p for p in (root / top).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(files)


def _endpoints(loaded: Any) -> Path | None:
    path = bot_root(loaded) / "endpoints.yml"
    return path if path.is_file() else None


def code_fingerprint(loaded: Any) -> str:
    """What the model's copy of the bot's code depends on: each file's path and content."""
    root = bot_root(loaded)
    files = [*action_code_files(loaded), *filter(None, [_endpoints(loaded)])]
    return fingerprint({str(p.relative_to(root)): sha256_file(p) for p in files})


def copy_code(loaded: Any, archive: Path) -> None:
    """Copy the action code into ``archive/actions`` and ``endpoints.yml`` beside it."""
    root = bot_root(loaded)
    endpoints = _endpoints(loaded)
    if endpoints is not None:
        shutil.copyfile(endpoints, archive / "endpoints.yml")
    for f in action_code_files(loaded):
        rel = f.relative_to(root)
        (archive / "actions" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, archive / "actions" / rel)
