"""What a model archive holds, loaded: the domain, each component (checked against the code
that runs it), the action executor and the handoff endpoint (the bot's endpoints.yml, copied in
at training); :class:`~dialogkit.framework.runtime.agent.Agent` is built from them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..build.archive import read_manifest
from ..domain.schema import Domain
from ..errors import ArchiveError, Location, message
from .action_executor import ActionExecutor
from .pipeline import Component, component_errors, get_component_class, made_for_other_languages, resolve_config

__all__ = ["load_parts", "warn_about_languages"]

logger = logging.getLogger(__name__)


def load_parts(root: Path) -> tuple[Domain, list[Component], dict[str, Any], ActionExecutor, Any]:
    """The unpacked archive at ``root``: its domain, components, manifest, action executor and
    handoff (None when its endpoints.yml has no ``handoff:``)."""
    manifest = read_manifest(root)
    try:
        domain = Domain.model_validate(json.loads((root / "domain.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        raise ArchiveError(message("DK502", Location(str(root / "domain.json")), problem=str(e)[:200])) from None
    components = []
    for entry in manifest["components"]:
        name = entry["name"]
        cls_ = get_component_class(name)
        if str(entry.get("code_version")) != str(cls_.code_version):
            raise ArchiveError(
                message(
                    "DK505",
                    Location(str(root)),
                    found=f"{name} v{entry.get('code_version')}",
                    expected=f"{name} v{cls_.code_version}",
                )
            )
        config = resolve_config(name, entry["config"])
        with component_errors(name, "could not load"):
            components.append(cls_.load(root / entry["dir"], config, domain))
    # archives before 0.3 kept the action code in the DM's folder
    folders = [root / e["dir"] for e in manifest["components"]]
    executor = ActionExecutor.from_archive(root, domain, folders)
    handoff = None
    if (root / "endpoints.yml").is_file():
        from .handoff import Handoff, load_handoff

        endpoint = load_handoff(root / "endpoints.yml")
        handoff = Handoff(endpoint) if endpoint else None
    return domain, components, manifest, executor, handoff


def warn_about_languages(domain: Domain, described: dict[str, dict[str, Any]]) -> None:
    """Log a warning for each component whose encoder was made for other languages than the bot's."""
    for name, info in described.items():
        languages = info.get("languages") or []
        if made_for_other_languages(languages, domain.language):
            logger.warning(
                "%s: the bot's language is '%s' but its encoder %s was made for %s; configure an encoder for "
                "'%s' and retrain",
                name,
                domain.language,
                info.get("encoder"),
                ", ".join(languages),
                domain.language,
            )
