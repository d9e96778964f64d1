"""Writing what ``dialogkit interactive`` learned into a bot's files: entries appended as text to a YAML
list (comments and earlier entries kept), or to the next free file name."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def append_entries(path: Path, key: str, entries: list[dict[str, Any]], header: str, note: str) -> Path:
    """Append ``entries`` to the list under top-level ``key`` of the YAML file ``path`` as text
    (comments and earlier entries stay), or write a new file. When ``path`` was edited into a
    shape that cannot take them (another last section, invalid YAML), the next free ``-N`` name
    is used instead; returns the file written."""
    import yaml

    from ..yamlio import load_yaml

    items = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=1000, default_style=None)
    items = "".join(f"  {line}\n" if line else "\n" for line in items.rstrip("\n").split("\n"))
    for candidate in _candidates(path):
        if not candidate.exists():
            candidate.parent.mkdir(parents=True, exist_ok=True)
            candidate.write_text(f"{header}{key}:\n  # {note}\n{items}", encoding="utf-8")
            return candidate
        old = candidate.read_text(encoding="utf-8")
        tops = [ln for ln in old.splitlines() if ln and not ln[0].isspace() and not ln.startswith("#")]
        if not tops or tops[-1].rstrip() != f"{key}:":
            continue
        candidate.write_text(f"{old}{'' if old.endswith(chr(10)) else chr(10)}  # {note}\n{items}", encoding="utf-8")
        try:
            data = load_yaml(candidate).data
            if isinstance(data, dict) and isinstance(data.get(key), list) and data[key][-len(entries):] == entries:
                return candidate
        except Exception:  # noqa: BLE001 - not readable after appending: put it back, try the next name
            pass
        candidate.write_text(old, encoding="utf-8")
    raise RuntimeError(f"no free file name next to {path}")  # pragma: no cover - 100 taken names


def _candidates(path: Path) -> list[Path]:
    return [path] + [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(2, 100)]
