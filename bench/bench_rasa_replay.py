"""Public Rasa projects replayed as ``rasa test`` replays them: does each import unedited, and
how many of its test stories pass?

    python bench/bench_rasa_replay.py [--root ../shared/rasa-examples/rasa2] [--no-write]

For every Rasa project under ``--root`` that has test stories: ``import_rasa_project`` (a
project that does not import is reported with the first error), training with a light NLU
(rule entities + keyword classifier: a replayed story gives the intents and entities, so the
NLU does not decide anything here and training takes seconds), and ``dialogkit test``'s
default replay of its test stories (the stories' intents and entities, custom actions not
run: their outcome is what the story says). End to end runs need each project's action
server; ``make bench-rasa`` does that for the projects it has actions for.

``--no-write`` prints the results as JSON instead of writing BENCHMARKS.md (to measure an
older checkout: ``PYTHONPATH=<its worktree> python bench/bench_rasa_replay.py --no-write``).
Target (issue 27): every project imports, and passes every story Rasa passes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import yaml

# after PYTHONPATH: an older checkout given there is the one measured
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.report import ROOT, write  # noqa: E402

# None: the DM the import chose
LIGHT = [{"name": "rule_entity_extractor"}, {"name": "keyword_intent_classifier"}, None, {"name": "template_nlg"}]


def _lines(files: Iterable[Path]) -> int:
    """Lines of YAML (how big a project is, before and after the import)."""
    return sum(len(f.read_text(encoding="utf-8", errors="replace").splitlines()) for f in files if f.is_file())


def measure(project: Path, tmp: Path, verdicts: bool = False) -> dict:
    """Import, train and replay ``project``; with ``verdicts``, each story's verdict too."""
    from dialogkit.framework.build.training import train
    from dialogkit.framework.errors import DialogkitError
    from dialogkit.framework.rasa.importer import import_rasa_project
    from dialogkit.framework.rasa.test_stories import load_test_stories, run_test_stories, summary
    from dialogkit.framework.runtime.agent import Agent

    bot, model = tmp / "bot", tmp / "model"
    t0 = time.perf_counter()
    try:
        import_rasa_project(project, bot)
        size = {"rasa_lines": _lines(p for p in project.rglob("*.y*ml") if "tests" not in p.relative_to(project).parts),
                "dialogkit_lines": _lines([bot / "domain.yml", *(bot / "data").rglob("*.y*ml")])}
        domain_file = bot / "domain.yml"
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
        # keep what the import chose for the DM (two-stage fallback...), lighten the NLU
        dm = next((c for c in domain.get("pipeline") or [] if c.get("name") == "flow_policy"), {"name": "flow_policy"})
        domain["pipeline"] = [LIGHT[0], LIGHT[1], dm, LIGHT[3]]
        domain_file.write_text(yaml.safe_dump(domain, sort_keys=False, allow_unicode=True), encoding="utf-8")
        train(bot, model)
        stories = load_test_stories(bot)
    except DialogkitError as e:
        return {"imports": False, "error": str(e).strip().splitlines()[0][:300]}
    ran = run_test_stories(Agent.load(model), stories, "replay")
    s = summary(ran)
    out = {
        "imports": True,
        **size,
        "seconds": round(time.perf_counter() - t0, 1),
        "stories": s["stories"],
        "passed": s["passed"],
        "action_accuracy": s["action_accuracy"],
        "failed": s["failed"],
    }
    if verdicts:
        out["verdicts"] = [{"story": r.story.name, "passed": r.passed, "failure": r.failure} for r in ran]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(ROOT.parent / "shared" / "rasa-examples" / "rasa2"),
                   help="folder of Rasa projects (default: ../shared/rasa-examples/rasa2)")
    p.add_argument("--no-write", action="store_true", help="print the results as JSON; do not write BENCHMARKS.md")
    args = p.parse_args()

    from dialogkit.framework.rasa.importer import is_rasa_project

    root = Path(args.root)
    projects = sorted(d for d in root.rglob("*") if d.is_dir() and is_rasa_project(d) and any(d.glob("tests/*.yml")))
    if not projects:
        sys.exit(f"no Rasa projects with tests/ under {root}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, project in enumerate(projects):
            name = str(project.relative_to(root))
            results[name] = r = measure(project, Path(tmp) / str(n))
            shown = f"{r['passed']}/{r['stories']} stories pass" if r["imports"] else f"does not import: {r['error']}"
            print(f"{name}: {shown}", file=sys.stderr, flush=True)
    if args.no_write:
        print(json.dumps(results, indent=1))
        return
    imported = [r for r in results.values() if r["imports"]]
    rows = [
        (
            name,
            f"{r['passed']}/{r['stories']} test stories pass replayed, action accuracy {r['action_accuracy']:.3f}"
            if r["imports"]
            else f"does not import: {r['error']}",
            "imports; every story Rasa passes",
        )
        for name, r in results.items()
    ]
    rows.append(("projects that import unedited", f"{len(imported)} of {len(results)}", "all"))
    rows.append(
        (
            "test stories passed, replayed",
            f"{sum(r['passed'] for r in imported)} of {sum(r['stories'] for r in imported)} (in the projects that "
            "import)",
            "-",
        )
    )
    write(
        "rasa_replay",
        "Public Rasa projects, replayed (import unedited, test stories)",
        f"python bench/bench_rasa_replay.py --root {args.root}",
        rows,
        results,
        notes="Light NLU (rule entities + keyword classifier; replay gives the stories' own intents and entities); "
        "custom actions not run, their outcome is what the story says, as `rasa test` replays. Rasa's own verdicts "
        "are not measured here (issue 27's oracle bench).",
    )


if __name__ == "__main__":
    main()
