"""Fixtures for the Rasa-compatibility tests: a real rasa-sdk action server and the
example projects (copies under tests/rasa/projects) imported and trained once."""

import contextlib
import io
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROJECTS = HERE / "projects"
EXAMPLES = ["moodbot", "01-actions", "02-slots", "03-conditions", "04-from-text", "05-validation"]


def _sdk_python() -> Path:
    env = os.environ.get("DIALOGKIT_RASA_SDK_PYTHON")
    return Path(env) if env else ROOT / ".venv-rasa-sdk" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    """A rasa-sdk action server on 127.0.0.1 running tests/rasa/action_server/actions.py;
    yields the path of an endpoints.yml naming it."""
    python = _sdk_python()
    if not python.exists():
        pytest.fail(
            f"no rasa-sdk environment at {python}: run `make rasa-sdk-env` (make test does it) or set "
            "DIALOGKIT_RASA_SDK_PYTHON"
        )
    port = _free_port()
    log = tmp_path_factory.mktemp("action-server") / "server.log"
    env = dict(os.environ, SANIC_HOST="127.0.0.1", PYTHONPATH=str(HERE / "action_server"))
    with open(log, "w") as out:
        proc = subprocess.Popen([str(python), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                                cwd=HERE / "action_server", env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"the rasa-sdk action server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        endpoints = tmp_path_factory.mktemp("endpoints") / "endpoints.yml"
        endpoints.write_text(f"action_endpoint:\n  url: {url}/webhook\n  timeout: 2\n", encoding="utf-8")
        yield endpoints
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class _Trained:
    model: Path
    out: str  # what `dialogkit train` printed
    err: str


class RasaModels:
    """``rasa_models(name)`` -> the model of an example project under tests/rasa/projects, trained
    once per test process the way a user trains one: ``dialogkit train PROJECT --out DIR`` (imported on
    the fly, with the pipeline the importer chooses: the real encoder); ``rasa_models.printed(name)``
    -> what that command printed (stdout, stderr)."""

    def __init__(self, base: Path):
        self.base = base
        self.trained: dict[str, _Trained] = {}

    def __call__(self, name: str) -> Path:
        return self._train(name).model

    def printed(self, name: str) -> tuple[str, str]:
        trained = self._train(name)
        return trained.out, trained.err

    def _train(self, name: str) -> _Trained:
        from dialogkit.framework.cli.main import main

        if name not in self.trained:
            out, err = io.StringIO(), io.StringIO()
            model = self.base / "models" / name
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["train", str(PROJECTS / name), "--out", str(model)])
            assert code == 0, out.getvalue() + err.getvalue()
            self.trained[name] = _Trained(model, out.getvalue(), err.getvalue())
        return self.trained[name]


@pytest.fixture(scope="session")
def rasa_models(tmp_path_factory) -> RasaModels:
    """The example projects' models (:class:`RasaModels`), each trained once per test process."""
    return RasaModels(tmp_path_factory.mktemp("rasa-models"))


def passes_both_ways(
    project: Path, model: Path, out: Path, capsys, endpoints: Path | None = None, stories: int | None = None
) -> None:
    """`dialogkit test PROJECT` passes every test story replayed (as `rasa test` does) and with
    `--e2e` (run for real from the text); ``stories``: how many the project has."""
    from dialogkit.framework.cli.main import main

    for mode in ([], ["--e2e"]):
        out_dir = out / ("e2e" if mode else "replay")
        code = main(["test", str(project), "--model", str(model), "--stories-out", str(out_dir), *mode,
                     *(["--endpoints", str(endpoints)] if endpoints else [])])
        printed = capsys.readouterr().out
        assert code == 0, printed
        results = json.loads((out_dir / "results.json").read_text())
        assert results["conversation_accuracy"] == 1.0 and (stories is None or results["stories"] == stories), printed
