"""Rasa itself as the oracle: per test story, does ``dialogkit test`` give Rasa's verdict?

    python bench/bench_rasa_oracle.py [--corpus ../rasa-corpus] [--only NAME] [--no-write]

For every Rasa project with test stories in the corpus (``../shared/rasa-examples`` and the
public projects ``bench/rasa_corpus.py`` exports to ``--corpus``):

- **Rasa 3.6.21** (its own virtualenv, ``make rasa-oracle-env``): a copy of the project, its
  domain migrated with ``rasa data migrate`` when it is a 2.x one, ``rasa train core`` and
  ``rasa test core --stories tests`` (replay: the stories' own intents and events). The verdict
  of each story and its first wrong prediction are read from Rasa's
  ``failed_test_stories.yml`` / ``successful_test_stories.yml``. Results are cached under
  ``.cache/oracle/`` by the project's content, so a second run only re-measures dialogkit.
- **dialogkit** (the checkout on PYTHONPATH, else this one): ``import_rasa_project`` unedited,
  training with a light NLU (as bench_rasa_replay.py: replay gives the intents) and
  ``dialogkit test``'s replay.

Reported per project: does it import clean, Rasa's and dialogkit's passes, agreement (the
stories where both give the same verdict), and every disagreement with both first wrong
predictions. Targets (issue 27): every project imports; agreement >= 98 % of the stories;
every story Rasa passes, dialogkit passes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

# after PYTHONPATH: an older checkout given there is the one measured
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.bench_rasa_replay import measure as dialogkit_measure  # noqa: E402
from bench.rasa_corpus import DEFAULT_OUT  # noqa: E402
from bench.report import ROOT, write  # noqa: E402

RASA_VENV = ROOT / ".cache" / "rasa-3.6.21"
CACHE = ROOT / ".cache" / "oracle"
SHARED = ROOT.parent / "shared" / "rasa-examples"
PREDICTED = re.compile(r"^\s*- (?:action|intent|active_loop): (\S+).*# predicted: (\S+)")


RECIPE = "rasa-3.6.21/2"  # change it with what the Rasa side does (migration, commands): cached verdicts are redone


def content_hash(project: Path) -> str:
    h = hashlib.sha256(RECIPE.encode())
    for f in sorted(p for p in project.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(project)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def story_blocks(path: Path) -> list[tuple[str, str | None]]:
    """(story name, first wrong prediction or None) for each story in a Rasa results file."""
    if not path.is_file():
        return []
    out: list[tuple[str, str | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^- story: (.*?)(?:\s+# .*)?$", line)
        if m:
            out.append((m.group(1).strip().strip("\"'"), None))
            continue
        p = PREDICTED.match(line)
        if p and out and out[-1][1] is None:
            out[-1] = (out[-1][0], f"expected {p.group(1)}, predicted {p.group(2)}")
    return out


def rasa(args: list[str], cwd: Path, log: Path, timeout: float) -> subprocess.CompletedProcess[bytes]:
    with log.open("ab") as f:
        return subprocess.run(
            [str(RASA_VENV / "bin" / "rasa"), *args],
            cwd=cwd,
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(cwd),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "RASA_TELEMETRY_ENABLED": "false",
            },
        )


def last_error(log: Path) -> str:
    lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").replace("\r", "\n").splitlines()
             if ln.strip() and "it/s" not in ln and "Warning" not in ln]
    hits = [i for i, ln in enumerate(lines) if re.search(r"Error|Exception|error", ln)] or [len(lines) - 1]
    i = hits[-1]
    if i < 0:
        return "no output"
    said = lines[i].strip()
    if said.endswith(":") and i + 1 < len(lines):  # "... the errors found during validation:" and the first of them
        said += " " + lines[i + 1].strip()
    return said[:400]


SLOT_CLASSES = {"TextSlot": "text", "BooleanSlot": "bool", "CategoricalSlot": "categorical", "FloatSlot": "float",
                "ListSlot": "list", "AnySlot": "any", "UnfeaturizedSlot": "any"}


def _hand_migrate(domain: dict[str, Any]) -> bool:
    """What Rasa 3's migration guide asks for by hand and `rasa data migrate` leaves: slot types
    written as Rasa 2 class paths (`rasa.shared.core.slots.TextSlot`, `UnfeaturizedSlot`)."""
    changed = False
    for slot in (domain.get("slots") or {}).values():
        kind = str(slot.get("type", "")) if isinstance(slot, dict) else ""
        short = kind.rsplit(".", 1)[-1]
        if short in SLOT_CLASSES and kind != SLOT_CLASSES[short]:
            slot["type"] = SLOT_CLASSES[short]
            if short == "UnfeaturizedSlot":
                slot["influence_conversation"] = False
            changed = True
    return changed


def rasa_copy(project: Path, work: Path, log: Path) -> dict[str, Any]:
    """Copy ``project`` to ``work`` as Rasa 3.6 can train it: a 2.x domain migrated with
    ``rasa data migrate`` (and what its guide asks for by hand); returns what was done."""
    shutil.copytree(project, work)
    done: dict[str, Any] = {}
    domain = work / "domain.yml"
    data = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}) if domain.is_file() else {}
    version = str(data.get("version", ""))
    if _hand_migrate(data):
        domain.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        done["hand_migrated"] = (
            "slot types given as Rasa 2 class paths → their Rasa 3 names (UnfeaturizedSlot → any, not influencing)"
        )
    old_slots = any(isinstance(v, dict) and "mappings" not in v for v in (data.get("slots") or {}).values())
    if version.startswith("2") or (not version and old_slots):
        rasa(["data", "migrate", "-d", "domain.yml", "--out", "migrated_domain.yml"], work, log, 600)
        if (work / "migrated_domain.yml").is_file():
            domain.unlink()
            (work / "migrated_domain.yml").rename(domain)
        done["migrated"] = True
    return done


def rasa_verdicts(project: Path) -> dict[str, Any]:
    """Train and test ``project`` with Rasa (cached by content)."""
    key = content_hash(project)
    cached = CACHE / f"{project.name}-{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        work, log = Path(tmp) / "project", Path(tmp) / "rasa.log"
        result: dict[str, Any] = {"trains": False, **rasa_copy(project, work, log)}
        trained = rasa(["train", "core", "--fixed-model-name", "core", "--out", "models"], work, log, 3600)
        model = work / "models" / "core.tar.gz"
        if trained.returncode != 0 or not model.is_file():
            result["error"] = "rasa train core: " + last_error(log)
        else:
            result["trains"] = True
            tested = rasa(
                [
                    "test",
                    "core",
                    "--model",
                    str(model),
                    "--stories",
                    "tests",
                    "--out",
                    "results",
                    "--successes",
                    "--no-plot",
                ],
                work,
                log,
                3600,
            )
            results = work / "results"
            passed = story_blocks(results / "successful_test_stories.yml")
            failed = story_blocks(results / "failed_test_stories.yml")
            if tested.returncode != 0 and not (passed or failed):
                result["error"] = "rasa test core: " + last_error(log)
            result["stories"] = [{"story": n, "passed": True, "first_wrong": None} for n, _ in passed] + \
                                [{"story": n, "passed": False, "first_wrong": w} for n, w in failed]
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def plain_name(story: str) -> str:
    """A story's name as written (Rasa's results add the file it came from: `name (tests/x.yml)`)."""
    return re.sub(r" \([^()]*\.ya?ml\)$", "", story)


def compare(rasa_result: dict[str, Any], dk: dict[str, Any]) -> dict[str, Any]:
    """Story by story (matched by name, in order for names used twice)."""
    dk_by_name: dict[str, list[dict[str, Any]]] = {}
    for s in dk.get("verdicts", []):
        dk_by_name.setdefault(s["story"], []).append(s)
    rows, agree, both_pass = [], 0, 0
    for s in rasa_result.get("stories", []):
        mine = dk_by_name.get(plain_name(s["story"])) or [None]
        d = mine.pop(0)
        if d is None:
            rows.append({"story": s["story"], "rasa": s["passed"], "dialogkit": None, "why": "not run by dialogkit"})
            continue
        if d["passed"] == s["passed"]:
            agree += 1
            both_pass += s["passed"]
        else:
            rows.append(
                {
                    "story": s["story"],
                    "rasa": s["passed"],
                    "dialogkit": d["passed"],
                    "rasa_first_wrong": s["first_wrong"],
                    "dialogkit_failure": d["failure"],
                }
            )
    return {"agree": agree, "both_pass": both_pass, "disagreements": rows}


def projects(corpus: Path) -> list[Path]:
    from dialogkit.framework.rasa.importer import is_rasa_project

    found = []
    for root in (SHARED, corpus):
        if root.is_dir():
            found += sorted(
                d
                for d in root.rglob("*")
                if d.is_dir() and "tests" not in d.parts and is_rasa_project(d) and any(d.glob("tests/*.yml"))
            )
    return found


def corpus_cli(doc: str | None) -> tuple[argparse.Namespace, list[Path]]:
    """The command line of a corpus bench (``--corpus``, ``--only``, ``--no-write``) and the projects it names."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--corpus",
        default=str(DEFAULT_OUT),
        help="the exported public projects (bench/rasa_corpus.py; default ../rasa-corpus)",
    )
    p.add_argument("--only", help="only the projects whose name contains this")
    p.add_argument("--no-write", action="store_true", help="print the results as JSON; do not write BENCHMARKS.md")
    args = p.parse_args()
    if not (RASA_VENV / ".installed").is_file():
        sys.exit(f"Rasa is not installed in {RASA_VENV}: run `make rasa-oracle-env` first")
    found = [d for d in projects(Path(args.corpus)) if not args.only or args.only in str(d)]
    if not found:
        sys.exit(f"no Rasa projects with tests/ in {SHARED} or {args.corpus}: run `python bench/rasa_corpus.py` first")
    return args, found


def project_name(project: Path) -> str:
    """``form-examples/01-actions`` for ../shared/rasa-examples, the folder's name for the others."""
    return str(project.relative_to(SHARED) if SHARED in project.parents else project.name)


def main() -> None:
    args, found = corpus_cli(__doc__)
    results: dict[str, Any] = {}
    for n, project in enumerate(found):
        name = project_name(project)
        r = rasa_verdicts(project)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                dk = dialogkit_measure(project, Path(tmp), verdicts=True)
            except Exception as e:  # a crash is a finding, not the end of the run
                dk = {"imports": False, "error": f"crashed: {type(e).__name__}: {e}"[:300]}
        entry: dict[str, Any] = {
            "rasa": {k: v for k, v in r.items() if k != "stories"},
            "dialogkit": {k: v for k, v in dk.items() if k not in ("verdicts", "failed")},
        }
        entry["rasa"]["passed"] = sum(s["passed"] for s in r.get("stories", []))
        entry["rasa"]["stories"] = len(r.get("stories", []))
        entry.update(compare(r, dk))
        results[name] = entry
        print(
            f"[{n + 1}/{len(found)}] {name}: Rasa {entry['rasa']['passed']}/{entry['rasa']['stories']}"
            + (f" ({r['error']})" if r.get("error") else "")
            + (
                f", dialogkit {dk['passed']}/{dk['stories']}"
                if dk["imports"]
                else f", dialogkit does not import: {dk['error']}"
            )
            + f", agree {entry['agree']}",
            file=sys.stderr,
            flush=True,
        )
    if args.no_write:
        print(json.dumps(results, indent=1))
        return
    write_report(results, args)


def write_report(results: dict[str, Any], args: argparse.Namespace) -> None:
    rows = []
    total = agree = rasa_pass = both_pass = 0
    for name, e in results.items():
        r, d = e["rasa"], e["dialogkit"]
        compared = r["stories"] if d.get("imports") else 0
        total += r["stories"]
        agree += e["agree"] if d.get("imports") else 0
        rasa_pass += r["passed"]
        both_pass += e["both_pass"] if d.get("imports") else 0
        rasa_cell = f"{r['passed']}/{r['stories']}" + (f" ({r['error']})" if r.get("error") else "")
        dk_cell = f"{d['passed']}/{d['stories']}" if d.get("imports") else f"does not import: {d.get('error')}"
        rows.append(
            (
                name,
                f"imports clean: {'yes' if d.get('imports') else 'no'}; Rasa {rasa_cell}; dialogkit {dk_cell}; "
                f"agree {e['agree'] if d.get('imports') else 0}/{compared}",
                "agree on every story",
            )
        )
    imported = sum(1 for e in results.values() if e["dialogkit"].get("imports"))
    sized = [
        (e["dialogkit"]["rasa_lines"], e["dialogkit"]["dialogkit_lines"], name)
        for name, e in results.items()
        if "rasa_lines" in e["dialogkit"]
    ]
    if sized:
        rasa_lines, dk_lines, biggest = max(sized)
        rows.append(
            (
                "import size, largest project",
                f"{biggest}: {rasa_lines} lines of Rasa YAML → {dk_lines} lines of dialogkit YAML "
                f"({dk_lines / rasa_lines:.2f}x; all projects "
                f"{sum(d for _, d, _ in sized) / sum(r for r, _, _ in sized):.2f}x)",
                "linear in the project",
            )
        )
    rows.append(("projects that import unedited", f"{imported} of {len(results)}", "all"))
    rows.append(
        (
            "stories where dialogkit gives Rasa's verdict",
            f"{agree} of {total} ({agree / total:.1%})" if total else "-",
            ">= 98 %",
        )
    )
    rows.append(("stories Rasa passes that dialogkit passes too", f"{both_pass} of {rasa_pass}", "all"))
    write(
        "rasa_oracle",
        "Rasa as the oracle: per-story verdicts of `rasa test core` and `dialogkit test`",
        f"python bench/bench_rasa_oracle.py --corpus {args.corpus}",
        rows,
        results,
        notes="Rasa 3.6.21 (`make rasa-oracle-env`; 2.x domains migrated with `rasa data migrate`), `rasa train core` "
        "with each project's own config, `rasa test core` on its tests/. dialogkit: the project imported unedited, "
        "light NLU, `dialogkit test` replay. The corpus: ../shared/rasa-examples and the public projects listed in "
        "bench/rasa_corpus.py (exported outside the repo). Every disagreement, with both first wrong predictions, "
        "is in bench/results/rasa_oracle.json.",
    )


if __name__ == "__main__":
    main()
