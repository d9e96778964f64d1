"""Fixtures the server tests share."""

import shutil

import pytest

from dialogkit.framework.build.training import train
from tests.conftest import DOMAINS, STAND_IN


@pytest.fixture(scope="session")
def light_model(tmp_path_factory):
    """The restaurant bot with the light pipeline (the BERT NLU is tested elsewhere)."""
    root = tmp_path_factory.mktemp("bots")
    bot = root / "restaurant"
    shutil.copytree(DOMAINS / "restaurant", bot)
    text = (bot / "domain.yml").read_text()
    start, end = text.index("pipeline:"), text.index("session:")
    (bot / "domain.yml").write_text(text[:start] + STAND_IN + "\n" + text[end:])
    out = root / "model"
    train(bot, out)
    return out
