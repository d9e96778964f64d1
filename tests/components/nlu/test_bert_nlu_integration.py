"""The real default encoder (packaged MiniLM) on the restaurant bot: held-out accuracy floors,
through the `dialogkit test nlu` command."""

import json

import pytest

from dialogkit.framework.cli.main import main
from tests.conftest import DOMAINS

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` skips it (a quick run while developing)


def test_restaurant_held_out_split_with_the_default_encoder(tmp_path, capsys):
    out = tmp_path / "nlu"
    assert main(["test", "nlu", str(DOMAINS / "restaurant"), "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    assert report["examples"] >= 40
    assert report["intent"]["accuracy"] >= 0.85, report["intent"]
    assert report["slots"]["f1"] >= 0.80, report["slots"]
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    md = (out / "report.md").read_text()
    assert "| intent accuracy |" in md and "## Entities" in md
    text = capsys.readouterr().out
    assert "intent accuracy" in text and "slot P / R / F1" in text
