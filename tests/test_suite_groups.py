"""`make test` runs the suite in two pytest-xdist processes; the tests sharing a session model trained on the
real encoder must run in one of them, or the model is trained in both (minutes each). Checked on a toy suite
with this suite's grouping hook (tests/conftest.py), the way make test runs it."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tests_sharing_a_trained_model_run_in_one_process(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import pytest
        from tests.conftest import pytest_collection_modifyitems  # noqa: F401 - the hook under test

        @pytest.fixture(scope="session")
        def restaurant_model():
            return "model"

        @pytest.fixture(scope="session")
        def rasa_models():
            return "models"
    """))
    (tmp_path / "test_toy.py").write_text(textwrap.dedent("""
        import os
        import pytest

        def record(kind, i):
            with open(f"{kind}-{i}", "w") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"])

        @pytest.mark.parametrize("i", range(6))
        def test_on_the_restaurant_bot(restaurant_model, i):
            record("restaurant", i)

        @pytest.mark.parametrize("i", range(6))
        def test_on_a_rasa_project(rasa_models, i):
            record("rasa", i)

        @pytest.mark.parametrize("i", range(6))
        def test_alone(i):
            record("alone", i)
    """))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2", "--dist", "loadgroup",
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0 and "18 passed" in done.stdout, done.stdout + done.stderr
    for kind in ("restaurant", "rasa"):
        workers = {(tmp_path / f"{kind}-{i}").read_text() for i in range(6)}
        assert len(workers) == 1, f"the {kind} tests ran in {sorted(workers)}: a pytest-xdist that groups nothing?"
