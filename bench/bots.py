"""Bot variants the benches compare."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml


def with_templates(bot: str | Path, dest: str | Path) -> Path:
    """A copy of ``bot`` in ``dest`` whose replies come from its templates (`t5_nlg` replaced by
    `template_nlg`; comments in its domain.yml are not kept)."""
    from dialogkit.framework.runtime.pipeline import DEFAULT_PIPELINE

    dest = Path(dest)
    shutil.copytree(bot, dest)
    domain = yaml.safe_load((dest / "domain.yml").read_text(encoding="utf-8"))
    pipeline = domain.get("pipeline") or DEFAULT_PIPELINE
    domain["pipeline"] = [s if s.get("name") != "t5_nlg" else {"name": "template_nlg"} for s in pipeline]
    (dest / "domain.yml").write_text(yaml.safe_dump(domain, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def example_bot(bot: str) -> tuple[Any, str, str, list[Any]]:
    """An example bot (a name under domains/, or a folder): (loaded domain, name, language, its examples)."""
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    path = Path(bot) if Path(bot).is_dir() else Path(__file__).resolve().parents[1] / "domains" / bot
    loaded = load_domain(path)
    return loaded, loaded.domain.name or path.name, loaded.domain.language, collect_examples(loaded)
