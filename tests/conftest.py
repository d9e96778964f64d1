"""Shared fixtures. No test touches the network or ../shared."""

import atexit
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# unpacked .tar.gz models go to a throwaway cache, never the user's ~/.cache; the process that makes it (the
# pytest run, not its xdist workers or subprocesses, which inherit it) removes it when it ends
if "DIALOGKIT_CACHE" not in os.environ:
    os.environ["DIALOGKIT_CACHE"] = tempfile.mkdtemp(prefix="dialogkit-test-cache-")
    atexit.register(shutil.rmtree, os.environ["DIALOGKIT_CACHE"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ROOT / "domains"


@pytest.fixture
def write_bot(tmp_path):
    """write_bot({"domain.yml": "...", "data/nlu.yml": "..."}) -> bot directory."""

    def _write(files: dict, name: str = "bot") -> Path:
        root = tmp_path / name
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return _write


# the group of the tests on the session's restaurant model (a test asking for it with request.getfixturevalue
# names the group in its marks: the hook below sees only the fixtures a test declares)
ON_THE_RESTAURANT_MODEL = pytest.mark.xdist_group("restaurant_model")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups into the tests' ids
def pytest_collection_modifyitems(items):
    # a test on the trained restaurant bot waits for its real encoder's training (over a minute
    # on 2 cores): slow, so `pytest -m "not slow"` stays a quick run. Under `pytest -n 2 --dist loadgroup`
    # (make test) the tests sharing a session model trained on the real encoder run in one process, so it
    # is trained once per run: the restaurant bot's tests together, and each Rasa module's (its projects)
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "restaurant_model" in names:
            item.add_marker(pytest.mark.slow)
            item.add_marker(ON_THE_RESTAURANT_MODEL)
        elif "rasa_models" in names:
            item.add_marker(pytest.mark.xdist_group(f"rasa_models:{item.module.__name__}"))
    # the longest first, so neither process is left with one at the end: the groups (a model trained for
    # several tests), then the other slow tests, then the rest (a stable sort: each part keeps its order)
    items.sort(key=lambda item: (item.get_closest_marker("xdist_group") is None,
                                 item.get_closest_marker("slow") is None))


def trained_bot(root: Path, files: dict) -> Path:
    """Write a bot's ``files`` ({"domain.yml": ..., "actions.py": ...}) under ``root``/bot and train
    it; returns the model's path (for module-scoped fixtures, which cannot use write_bot)."""
    from dialogkit.framework.build.training import train

    for rel, text in files.items():
        (root / "bot" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "bot" / rel).write_text(text, encoding="utf-8")
    train(root / "bot", root / "model")
    return root / "model"


@pytest.fixture(scope="session")
def restaurant_model(tmp_path_factory):
    """The restaurant bot, trained once per test session (tests using it are marked slow)."""
    from dialogkit.framework.build.training import train

    out = tmp_path_factory.mktemp("models") / "restaurant"
    train(DOMAINS / "restaurant", out)
    return out


# The light stand-in pipeline: engine tests train in well under a second. The BERT NLU
# has its own tests (tests/components/nlu) and the example bots use it for real.
STAND_IN = """pipeline:
  - name: rule_entity_extractor
  - name: keyword_intent_classifier
  - name: flow_policy
  - name: template_nlg
"""

MINIMAL = """
version: "1"
""" + STAND_IN + """intents:
  greet:
    examples: |
      - hi
      - hello
      - hey there
  book:
    examples: |
      - book a table for [4](party_size)
      - a table for [two]{"entity": "party_size", "value": "2"} please
      - I want to book
entities:
  party_size:
    synonyms:
      "2": [two]
slots:
  party_size:
    type: int
    min: 1
    max: 20
    mappings:
      - type: from_entity
        entity: party_size
responses:
  utter_greet:
    - "Hi!"
  utter_ask_party_size:
    - "How many?"
  utter_done:
    - "A table for {party_size}."
flows:
  greet:
    when: {intent: greet}
    steps:
      - say: utter_greet
  book:
    when: {intent: book}
    steps:
      - collect: party_size
      - say: utter_done
"""


@pytest.fixture
def minimal_bot(write_bot):
    return write_bot({"domain.yml": MINIMAL})
