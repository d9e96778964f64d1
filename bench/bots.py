"""Bot variants the benches compare."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml


def with_templates(bot: str | Path, dest: str | Path) -> Path:
    """A copy of ``bot`` in ``dest`` whose replies come from its templates (`t5_nlg` replaced by
    `template_nlg`; comments in its domain.yml are not kept)."""
    from dialogkit.framework.components import DEFAULT_PIPELINE

    dest = Path(dest)
    shutil.copytree(bot, dest)
    domain = yaml.safe_load((dest / "domain.yml").read_text(encoding="utf-8"))
    pipeline = domain.get("pipeline") or DEFAULT_PIPELINE
    domain["pipeline"] = [s if s.get("name") != "t5_nlg" else {"name": "template_nlg"} for s in pipeline]
    (dest / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest
