"""What each `dialogkit` command does (:mod:`dialogkit.framework.cli.main` parses the command
line). Imports stay inside the commands so `--help` is instant."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "cmd_data_convert",
    "cmd_import",
    "cmd_init",
    "cmd_interactive",
    "cmd_schema",
    "cmd_serve",
    "cmd_shell",
    "cmd_test",
    "cmd_train",
    "cmd_validate",
    "cmd_visualize",
    "print_issues",
]


def print_issues(issues: list[Any], stream: Any = None) -> None:
    stream = stream or sys.stderr
    for issue in issues:
        print(issue.render(), file=stream)


def _bot_source(directory: str) -> contextlib.AbstractContextManager[str]:
    from ..rasa.importer import bot_source

    return bot_source(directory)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..build.validation import validate
    from ..domain.loader import load_domain

    with _bot_source(args.dir) as source:
        loaded = load_domain(source)
        issues = validate(loaded, strict=args.strict)
    print_issues(issues)
    errors = [i for i in issues if i.severity == "error"]
    warnings = len(issues) - len(errors)
    d = loaded.domain
    summary = (
        f"{len(d.intents)} intents, {len(d.entities)} entities, {len(d.slots)} slots, {len(d.responses)} responses, "
        f"{len(d.flows)} flows"
    )
    if errors:
        print(f"{args.dir}: {len(errors)} error(s), {warnings} warning(s) ({summary})", file=sys.stderr)
        return 2
    print(f"{args.dir}: valid ({summary}; {warnings} warning(s))")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from ..domain.schema import Domain

    schema = Domain.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dialogkit domain"
    text = json.dumps(schema, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Write the starter bot into DIR, train it and open the shell (or stop after writing with --no-train)."""
    import shutil

    from ..errors import DomainError, Location, message

    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DomainError(message("DK114", Location(str(target)), path=str(target)))
    starter = Path(__file__).parent / "starter"
    shutil.copytree(starter, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    import re

    name = re.sub(r"[^A-Za-z0-9_-]+", "_", target.resolve().name).strip("_") or "mybot"
    domain_file = target / "domain.yml"
    domain_file.write_text(
        domain_file.read_text(encoding="utf-8").replace("name: coffee", f"name: {name}", 1), encoding="utf-8"
    )
    files = sorted(str(f.relative_to(target)) for f in target.rglob("*") if f.is_file())
    print(f"wrote a starter bot to {target}/: {', '.join(files)}")
    model = Path(args.out) if args.out else Path("models") / name
    if args.no_train:
        print(f"next: dialogkit train {target} --out {model} && dialogkit shell {model}")
        return 0
    from ..build.training import train

    result = train(target, model, progress=_train_progress(False))
    print_issues([w for w in result.warnings if w.severity == "warning" and w.code.startswith("DK6")])
    _print_train_summary(result)
    print(
        f"trained {model} in {result.seconds:.1f}s; edit {target}/domain.yml and {target}/data/nlu.yml, then "
        f"`dialogkit train {target} --out {model}`"
    )
    from .shell import run_shell

    return run_shell(str(model))


def _train_progress(verbose: bool) -> Any:
    """Progress lines of `train`: per-epoch lines only with -v (each trainer draws a bar on a terminal instead)."""
    from ..build.training import is_epoch_line

    def say(message: str) -> None:
        if verbose or not is_epoch_line(message):
            print(f"  {message}", flush=True)

    return say


def _print_train_summary(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, box=None, pad_edge=False, show_edge=False)
    for column in ("component", "", "time", "what it found"):
        table.add_column(column)
    for c in result.components:
        found = "; ".join(
            f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in (c.get("summary") or {}).items()
        )
        table.add_row(c["name"], c["status"], f"{c['seconds']:.1f}s", found)
    Console(soft_wrap=True).print(table)


def cmd_train(args: argparse.Namespace) -> int:
    import shutil

    from ..build.training import train

    with _bot_source(args.dir) as source:  # a Rasa project is imported on the fly
        from ..build.bot_models import default_model_dir

        out = (
            Path(args.out)
            if args.out
            else default_model_dir(source)
            if source == args.dir
            else Path("models") / Path(args.dir).resolve().name
        )
        if source != args.dir:
            report_file = out.with_name(out.name + ".rasa_import.md")
            report_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(source) / "rasa_import.md", report_file)
            print(f"import report: {report_file}")
        finetune = None if args.finetune is None else Path(args.finetune or out)
        if args.devices > 1:  # the first process prints the summary
            from ..build.training import train_on_devices

            if finetune is not None:
                from ..errors import ConfigError, message

                raise ConfigError(
                    message(
                        "DK603", name="train --finetune", problem="not with --devices", fix="fine-tune with one process"
                    )
                )
            train_on_devices(source, out, args.devices, force=args.force, seed=args.seed)
            result = None
        else:
            result = train(
                source,
                out,
                force=args.force,
                seed=args.seed,
                progress=_train_progress(args.verbose),
                finetune=finetune,
                epoch_fraction=args.epoch_fraction,
            )
    if result is not None:  # what components found always; validation warnings with -v
        print_issues(
            [w for w in result.warnings if w.severity == "warning" and (args.verbose or w.code.startswith("DK6"))]
        )
        _print_train_summary(result)
    if args.tar:
        import tarfile

        tar = out.with_name(out.name + ".tar.gz")
        with tarfile.open(tar, "w:gz") as t:
            t.add(out, arcname=out.name)
        print(f"wrote {tar}")
    if result is not None:
        print(
            f"trained {out} in {result.seconds:.1f}s (trained: {', '.join(result.trained) or 'none'}; reused: "
            f"{', '.join(result.reused) or 'none'})"
        )
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from ..build.bot_models import ready_model
    from .shell import run_shell

    model = ready_model(args.model, say=lambda m: print(m, file=sys.stderr))
    return run_shell(
        model, debug=args.debug, script=args.script, conversation_id=args.conversation_id, endpoints=args.endpoints
    )


def cmd_interactive(args: argparse.Namespace) -> int:
    from .interactive import run_interactive

    return run_interactive(args.bot, model=args.model, endpoints=args.endpoints)


def cmd_test(args: argparse.Namespace) -> int:
    target = args.target
    if len(target) == 2 and target[0] == "nlu":
        from ..evaluation.nlu_testing import print_summary, run_nlu_test

        out = args.out or "results/nlu"
        with _bot_source(target[1]) as source:
            report = run_nlu_test(
                source,
                data=args.data,
                folds=args.cross_validation,
                model=args.model,
                out=out,
                progress=lambda m: print(f"  {m}"),
            )
        print_summary(report, out)
        return 0
    if len(target) == 2 and target[0] == "nlg" and not (args.data or args.cross_validation):
        from ..evaluation import nlg_testing

        out = args.out or "results/nlg"
        with _bot_source(target[1]) as source:
            report = nlg_testing.run_nlg_test(source, model=args.model, out=out, progress=lambda m: print(f"  {m}"))
        nlg_testing.print_summary(report, out)
        return 0
    if len(target) != 1 or args.data or args.cross_validation:
        print("usage: dialogkit test DIR            (conversation tests)\n"
              "       dialogkit test nlu DIR [--data FILE] [--cross-validation K]\n"
              "       dialogkit test nlg DIR [--model MODEL]", file=sys.stderr)
        return 2
    from ..evaluation.conversation_tests import run_cli

    coverage = args.coverage_out if (args.coverage or args.coverage_min is not None) else None
    return run_cli(target[0], model=args.model, out=args.out, stories_out=args.stories_out, endpoints=args.endpoints,
                   story_mode="e2e" if args.e2e else "replay", coverage=coverage, coverage_min=args.coverage_min)


def cmd_serve(args: argparse.Namespace) -> int:
    import json
    import time

    t0 = time.perf_counter()
    import uvicorn

    from ..build.bot_models import ready_model
    from ..server.serving import SERVE_OPTIONS_ENV, serve_app

    args.model = ready_model(args.model, say=lambda m: print(m, flush=True))
    options = {
        k: getattr(args, k)
        for k in (
            "model",
            "endpoints",
            "credentials",
            "store",
            "store_url",
            "store_path",
            "lock_url",
            "event_stream",
            "workers",
            "batch_size",
            "batch_wait_ms",
            "auth_token",
            "jwt_secret",
            "jwt_method",
            "max_body_bytes",
            "max_message_chars",
            "cors",
            "max_in_flight",
            "max_wait_ms",
        )
    }
    app, where = serve_app(options)  # in this process too: every mistake is reported before a worker starts
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(
        f"serving {args.model} on http://{args.host}:{args.port} (trackers: {where}{workers}; loaded in "
        f"{time.perf_counter() - t0:.1f}s)",
        flush=True,
    )
    if args.workers > 1:
        del app
        os.environ[SERVE_OPTIONS_ENV] = json.dumps(options)
        uvicorn.run(
            "dialogkit.framework.server.serving:app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=False,
        )
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..rasa.importer import import_rasa_project

    report = import_rasa_project(args.src, args.dest, overwrite=args.force)
    counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
    print(f"imported {args.src} -> {args.dest}: {counts}")
    for note in report.dropped:
        print(f"  {note.kind}: {note.what}" + (f"  ({note.where})" if note.where else ""))
    print(
        f"report: {Path(args.dest) / 'rasa_import.md'} ({len(report.dropped)} not represented, "
        f"{len(report.notes) - len(report.dropped)} mapped approximately)"
    )
    print(
        f"next: dialogkit train {args.dest}"
        + (
            "   (custom actions run on the action server named in endpoints.yml: start it first)"
            if report.counts.get("custom actions")
            else ""
        )
    )
    return 0


def cmd_visualize(args: argparse.Namespace) -> int:
    from ..build.validation import check
    from ..domain.loader import load_domain
    from .visualize import to_html, to_mermaid

    with _bot_source(args.dir) as source:
        loaded = load_domain(source)
    check(loaded)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_html(loaded.domain), encoding="utf-8")
    mermaid = Path(args.mermaid) if args.mermaid else out.with_suffix(".mmd")
    mermaid.write_text(to_mermaid(loaded.domain), encoding="utf-8")
    print(f"wrote {out} and {mermaid}")
    return 0


def cmd_data_convert(args: argparse.Namespace) -> int:
    from ..domain import training_data as td

    if args.source_format == "bio" and args.target_format == "yaml":
        examples = td.read_bio(args.src)
        td.write_nlu_yaml(examples, args.dest)
    elif args.source_format == "yaml" and args.target_format == "bio":
        from ..domain.loader import load_domain

        examples = td.collect_examples(load_domain(args.src))
        td.write_bio(examples, args.dest)
    else:
        print(
            f"error: cannot convert {args.source_format} to {args.target_format}; use --from bio --to yaml or "
            "--from yaml --to bio",
            file=sys.stderr,
        )
        return 2
    print(
        f"converted {len(examples)} examples: {args.src} ({args.source_format}) -> {args.dest} ({args.target_format})"
    )
    return 0
