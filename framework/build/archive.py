"""The model archive: a directory (or .tar.gz of it) that `dialogkit train` writes.

Layout::

    models/<name>/
      manifest.json          format, framework version, domain fingerprint,
                             per-component resolved config + fingerprint, sha256 of every file
      domain.json            the validated domain the model was trained on
      components/<i>_<name>/ each component's files: safetensors, tokenizer files, JSON

No pickle anywhere. :func:`read_manifest` verifies the format, every hash and that
no file was added, and refuses anything else with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any

from ..errors import ArchiveError, Location, message
from ..version import __version__

__all__ = [
    "ARCHIVE_FORMAT",
    "build_manifest",
    "fingerprint",
    "forget_unpacked",
    "model_cache",
    "read_manifest",
    "replace_directory",
    "sha256_file",
    "unpack_if_tarball",
    "write_manifest",
]

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"


def fingerprint(*parts: Any) -> str:
    """Stable sha256 of JSON-serialisable ``parts``."""
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _all_files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file() and p.name != MANIFEST
    )


def build_manifest(root: Path, domain_fingerprint: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": ARCHIVE_FORMAT,
        "framework_version": __version__,
        "domain_fingerprint": domain_fingerprint,
        "components": components,
        "files": {rel: sha256_file(root / rel) for rel in _all_files(root)},
    }


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")


def read_manifest(root: Path, verify: bool = True) -> dict[str, Any]:
    """Load and verify ``root/manifest.json``; raise :class:`ArchiveError` when anything is off."""
    mpath = root / MANIFEST
    if not root.is_dir() or not mpath.is_file():
        raise ArchiveError(message("DK501", Location(str(root)), path=str(root)))
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ArchiveError(message("DK502", Location(str(mpath)), problem=str(e))) from None
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("files"), dict)
        or not isinstance(manifest.get("components"), list)
    ):
        raise ArchiveError(message("DK502", Location(str(mpath)), problem="missing 'files' or 'components'"))
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(
            message("DK505", Location(str(mpath)), found=manifest.get("format"), expected=ARCHIVE_FORMAT)
        )
    for i, entry in enumerate(manifest["components"]):
        if (
            not isinstance(entry, dict)
            or not all(isinstance(entry.get(k), str) for k in ("name", "dir"))
            or not isinstance(entry.get("config"), dict)
        ):
            raise ArchiveError(
                message(
                    "DK502",
                    Location(str(mpath)),
                    problem=f"component entry {i + 1} needs a `name`, a `dir` and a `config` mapping",
                )
            )
        folder = (root / entry["dir"]).resolve()
        if root.resolve() not in folder.parents:
            raise ArchiveError(
                message(
                    "DK507",
                    Location(str(mpath)),
                    problem=f"component '{entry['name']}' points at '{entry['dir']}', outside the archive",
                )
            )
    if verify:
        files: dict[str, str] = manifest["files"]
        for rel, expected in files.items():
            p = (root / rel).resolve()
            if root.resolve() not in p.parents:
                raise ArchiveError(message("DK507", Location(str(mpath)), problem=f"path '{rel}' leaves the archive"))
            if not p.is_file():
                raise ArchiveError(message("DK504", Location(str(root / rel)), file=rel))
            actual = sha256_file(p)
            if actual != expected:
                raise ArchiveError(
                    message("DK503", Location(str(root / rel)), file=rel, expected=expected[:12], actual=actual[:12])
                )
        for rel in _all_files(root):
            if rel not in files:
                raise ArchiveError(message("DK506", Location(str(root / rel)), file=rel))
    return manifest


MAX_UNPACKED_BYTES = 4 * 1024**3  # a model tarball may unpack to at most this (DIALOGKIT_MAX_MODEL_BYTES)
MAX_MEMBERS = 100_000
KEEP_UNPACKED = 4  # unpacked tarballs kept in the cache, most recently used first


def model_cache() -> Path:
    """Where .tar.gz models are unpacked: ``$DIALOGKIT_CACHE/models`` or ``~/.cache/dialogkit/models``."""
    base = os.environ.get("DIALOGKIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dialogkit"
    )
    return Path(base) / "models"


def unpack_if_tarball(path: Path) -> Path:
    """Return a directory for ``path``: itself, or its .tar.gz unpacked once into :func:`model_cache`.

    The tarball is checked before anything is written (plain files and folders only, inside
    the archive, at most :data:`MAX_UNPACKED_BYTES` in all); it is unpacked into a staging
    folder that becomes the cache entry (named by the tarball's sha256) in one rename, so a
    failed or interrupted unpack leaves nothing behind and a second load reuses the first.
    """
    if path.is_dir() or not path.name.endswith((".tar.gz", ".tgz")):
        return path
    if not path.is_file():
        raise ArchiveError(message("DK501", Location(str(path)), path=str(path)))
    cache = model_cache()
    dest = cache / sha256_file(path)[:32]
    if not dest.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=cache))
        try:
            _extract(path, staging, int(os.environ.get("DIALOGKIT_MAX_MODEL_BYTES") or MAX_UNPACKED_BYTES))
            try:
                os.replace(staging, dest)
            except OSError:  # another process unpacked the same tarball first: use theirs
                pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    os.utime(dest)  # most recently used
    _prune(cache, keep=dest)
    entries = list(dest.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest


def forget_unpacked(root: Path) -> None:
    """Remove an unpacked tarball from the cache (after it failed to load); no-op for other paths."""
    cache = model_cache().resolve()
    root = root.resolve()
    entry = root if root.parent == cache else root.parent if root.parent.parent == cache else None
    if entry is not None:
        shutil.rmtree(entry, ignore_errors=True)


def _extract(path: Path, dest: Path, max_bytes: int) -> None:
    try:
        with tarfile.open(path, "r:gz") as tar:
            total = 0
            for n, member in enumerate(tar, 1):  # headers only: nothing is written before all pass
                if (
                    not (member.isfile() or member.isdir())
                    or member.name.startswith("/")
                    or ".." in Path(member.name).parts
                ):
                    raise ArchiveError(
                        message(
                            "DK507",
                            Location(str(path)),
                            problem=f"member '{member.name}' is not a plain file inside the archive",
                        )
                    )
                total += member.size
                if total > max_bytes or n > MAX_MEMBERS:
                    raise ArchiveError(
                        message(
                            "DK507",
                            Location(str(path)),
                            problem=f"it unpacks to more than {max_bytes} bytes or {MAX_MEMBERS} files (set "
                            "DIALOGKIT_MAX_MODEL_BYTES for larger models)",
                        )
                    )
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise ArchiveError(message("DK507", Location(str(path)), problem=str(e))) from None


def _prune(cache: Path, keep: Path) -> None:
    entries = sorted(
        (p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [p for p in entries if p != keep][KEEP_UNPACKED - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def replace_directory(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``, keeping the old target until the new one is in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    backup = target.with_name(target.name + ".old")
    if backup.exists():
        shutil.rmtree(backup)
    if target.exists():
        os.replace(target, backup)
    os.replace(staging, target)
    if backup.exists():
        shutil.rmtree(backup)
