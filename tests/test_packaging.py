"""Packaging: one import namespace (`dialogkit`), nothing generic installed at the top level.

The card keeps the top-level folders framework/ and components/; pyproject.toml maps them to
`dialogkit.framework` and `dialogkit.components`. These tests check the mapping covers every
package folder, that no module imports the folders by their bare names (which would only work
in a source checkout), and that a non-editable install works next to an app that has its own
`components` package.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import tomllib

from dialogkit.framework.build.training import train
from tests.conftest import MINIMAL, ROOT

PACKAGE_FOLDERS = {"framework": "dialogkit.framework", "components": "dialogkit.components"}


def test_every_package_folder_is_installed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"dialogkit"}
    for folder, package in PACKAGE_FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *rel)))
    assert found == listed


def test_the_checkout_resolves_dialogkit_imports_without_an_import_hook():
    # static tools (mypy, ruff, editors) read dialogkit.framework.* from the checkout through
    # these links, exactly as Python imports it
    for folder in PACKAGE_FOLDERS:
        link = ROOT / "dialogkit" / folder
        assert link.is_symlink() and link.resolve() == (ROOT / folder).resolve()
    assert "__path__" not in (ROOT / "dialogkit" / "__init__.py").read_text(encoding="utf-8")


def test_no_module_imports_the_bare_folder_names():
    offenders = []
    for folder in ("dialogkit", "framework", "components", "tests", "bench", "domains"):
        for path in (ROOT / folder).rglob("*.py"):
            if "broken_bots" in path.parts:  # deliberately broken fixtures (syntax errors)
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and not node.level
                    else []
                )
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in PACKAGE_FOLDERS
                ]
    assert offenders == []


APP = """
import json
import sys

import components  # the app's own package, not dialogkit's
from dialogkit import Agent

agent = Agent.load(sys.argv[1])
replies = [m["text"] for m in agent.handle("hello", conversation_id="u1")]
print(json.dumps({"mine": components.MINE, "replies": replies}))
"""


def test_non_editable_install_next_to_an_app_with_its_own_components_package(write_bot, tmp_path):
    # a wheel built from a copy of the sources (the build leaves nothing in the checkout; setuptools >= 77,
    # a dev dependency, builds it without the `wheel` package)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("dialogkit", "framework", "components"):
        shutil.copytree(ROOT / folder, src / folder, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            *map(str, wheels.glob("*.whl")),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    top = sorted(p.name for p in site.iterdir() if p.name != "bin" and not p.name.endswith(".dist-info"))
    assert top == ["dialogkit"]
    assert (site / "dialogkit" / "framework" / "server" / "static" / "chat.html").is_file()
    assert (site / "dialogkit" / "framework" / "cli" / "starter" / "domain.yml").is_file()

    # a fresh interpreter: the installed package, then the dependencies of this environment
    # (their folder added as a plain path, so this checkout's editable install is not seen)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    fresh_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(fresh_site) / "deps.pth").write_text(f"{site}\n{sysconfig.get_paths()['purelib']}\n")

    model = tmp_path / "model"
    train(write_bot({"domain.yml": MINIMAL}), model)
    app = tmp_path / "app"
    (app / "components").mkdir(parents=True)
    (app / "components" / "__init__.py").write_text('MINE = "the app\'s components"\n')
    (app / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([python, "app.py", str(model)], cwd=app, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"mine": "the app's components", "replies": ["Hi!"]}
    where = subprocess.run(
        [python, "-c", "import dialogkit.framework; print(dialogkit.framework.__file__)"],
        cwd=app,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.strip().startswith(str(site))
    cli = subprocess.run(
        [python, "-m", "dialogkit", "validate", str(ROOT / "domains" / "restaurant")],
        cwd=app,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
