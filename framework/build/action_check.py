"""Check a bot's custom actions and slot validators by importing them in a child process.

``dialogkit validate`` (and therefore ``train``) calls :func:`check_refs`: one short-lived
Python process imports every referenced module with the bot directory on its path and
reports, per reference, whether the module imports, whether the function exists, is
callable and accepts the arguments dialogkit passes. The bot's code never runs inside the
validating process: a module that raises, hangs, exits or changes global state at import
time cannot break validation, and problems come back with the file and line they are at.

Run as ``python -m dialogkit.framework.build.action_check``: reads ``{"sys_path", "refs"}`` as JSON on stdin
(refs: ``{ref: number of call arguments}``), writes ``{ref: problem or null}`` as JSON on stdout.
Nothing read is ever evaluated: references are split into a module name and an attribute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RefProblem", "check_refs"]

TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class RefProblem:
    """Why a ``module:function`` reference cannot be called, and where (when the cause is in a file)."""

    kind: str  # "missing_module" | "import_error" | "missing_function" | "not_callable" | "signature" | "timeout"
    problem: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    suggestions: tuple[str, ...] = ()


def check_refs(
    refs: dict[str, int], code_dir: str | Path, timeout: float = TIMEOUT_SECONDS
) -> dict[str, RefProblem | None]:
    """Import each ``module:function`` in ``refs`` (with how many arguments it is called with)
    in a child process whose path starts with ``code_dir``; return the problem per reference."""
    if not refs:
        return {}
    request = json.dumps({"sys_path": [str(Path(code_dir).resolve()), *sys.path], "refs": refs})
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no __pycache__ in the bot's folder
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dialogkit.framework.build.action_check"],
            input=request,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        problem = RefProblem(
            "timeout", f"importing the action modules took longer than {timeout:.0f} s (code that runs at import time?)"
        )
        return dict.fromkeys(refs, problem)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):  # the child died: os._exit or a crash at import time
        tail = (done.stderr or "").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        problem = RefProblem("import_error", f"importing the action modules ended the process ({tail[0][:200]})")
        return dict.fromkeys(refs, problem)
    return {ref: RefProblem(**p) if p else None for ref, p in answer.items()}


def _check_one(ref: str, n_args: int, code_dir: str) -> dict[str, Any] | None:
    import importlib
    import inspect

    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and (module_name == e.name or module_name.startswith(e.name + ".")):
            return {"kind": "missing_module", "problem": f"module '{module_name}' cannot be found"}
        return _import_failure(e, code_dir)
    except SyntaxError as e:
        return {
            "kind": "import_error",
            "problem": f"syntax error: {e.msg}",
            "path": e.filename,
            "line": e.lineno,
            "column": e.offset,
        }
    except BaseException as e:  # noqa: BLE001 - whatever the module does at import time is reported
        return _import_failure(e, code_dir)
    if not hasattr(module, attr):
        functions = tuple(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        return {
            "kind": "missing_function",
            "problem": f"module '{module_name}' has no '{attr}'",
            "path": getattr(module, "__file__", None),
            "suggestions": functions,
        }
    fn = getattr(module, attr)
    if not callable(fn):
        return {"kind": "not_callable", "problem": f"'{ref}' is a {type(fn).__name__}, not a function"}
    try:
        inspect.signature(fn).bind(*([None] * n_args))
    except TypeError:
        return {"kind": "signature", "problem": f"'{ref}' cannot be called with {n_args} arguments"}
    except ValueError:
        pass  # builtins without a signature: accept
    return None


def _import_failure(error: BaseException, code_dir: str) -> dict[str, Any]:
    """The innermost frame of the traceback inside the bot's own code, if any."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if f.filename.startswith(code_dir)] or frames[-1:]
    where = inside[-1] if inside else None
    return {
        "kind": "import_error",
        "problem": f"importing it raised {type(error).__name__}: {str(error)[:200]}",
        "path": where.filename if where else None,
        "line": where.lineno if where else None,
    }


def _main() -> None:
    request = json.loads(sys.stdin.read())
    sys.path[:] = request["sys_path"]
    code_dir = request["sys_path"][0]
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # a module that prints at import time must not garble the answer
    answer = {ref: _check_one(ref, n, code_dir) for ref, n in request["refs"].items()}
    real_stdout.write("\n" + json.dumps(answer) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    _main()
