"""One model per bot: where a bot's trained model lives, and keeping it up to date.

``dialogkit train DIR`` writes ``models/<bot name>`` (the domain's ``name:``, else the
folder's name) under the current folder (next to the bot's folder when run inside it). ``shell``, ``serve`` and ``test``
accept a bot
folder as well as a model (and default to the bot in the current folder): they find that
bot's model, compare each component's fingerprint with the bot as it is now, retrain only
the stale components (the others are reused) and say which model they use and why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..errors import DomainError, Location, message

__all__ = ["bot_name", "default_model_dir", "is_bot_dir", "is_model", "ready_model"]


def is_bot_dir(path: Path) -> bool:
    return path.is_dir() and (path / "domain.yml").is_file()


def is_model(path: Path) -> bool:
    return (path.is_dir() and (path / "manifest.json").is_file()) or (path.is_file() and path.name.endswith(".tar.gz"))


def bot_name(bot_dir: str | Path) -> str:
    """The bot's name: the domain's ``name:``, else its folder's name."""
    from ..domain.loader import load_domain

    name = load_domain(bot_dir).domain.name
    return name or Path(bot_dir).resolve().name


def default_model_dir(bot_dir: str | Path) -> Path:
    """``models/<bot name>`` in the current folder; run inside the bot's own folder, next to
    it (``../models/<bot name>``), so a model never lands among the bot's sources."""
    bot, here = Path(bot_dir).resolve(), Path.cwd().resolve()
    base = Path(os.path.relpath(bot.parent / "models")) if here == bot or bot in here.parents else Path("models")
    return base / bot_name(bot_dir)


def ready_model(target: str | None, say: Callable[[str], None] = print, seed: int = 42) -> str:
    """The model to use for ``target`` (a model, a bot folder, or None: the current folder),
    trained or brought up to date first when ``target`` is a bot whose model is missing or stale."""
    path = Path(target or ".")
    if is_model(path) or not path.exists():  # a model, or nothing there: loading says what is missing (DK501)
        return str(path)
    if not is_bot_dir(path):
        raise DomainError(message("DK115", Location(str(path)), path=str(path)))
    from .training import stale_components, train

    model = default_model_dir(path)
    stale = stale_components(path, model)
    if stale is None:
        say(f"no trained model for {path} yet: training {model} (the bot's folder stays as it is)")
    elif stale:
        say(
            f"{model} is out of date with {path} ({', '.join(stale)} changed): retraining "
            f"{'it' if len(stale) == 1 else 'them'}, reusing the rest"
        )
    else:
        say(f"using {model} (up to date with {path})")
        return str(model)
    result = train(path, model, seed=seed)
    say(
        f"trained {model} in {result.seconds:.1f}s (trained: {', '.join(result.trained) or 'none'}; reused: "
        f"{', '.join(result.reused) or 'none'})"
    )
    return str(model)
