"""The `dialogkit` command line. Imports stay inside commands so `--help` is instant."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from dialogkit.framework.errors import DialogkitError
from dialogkit.framework.version import __version__

__all__ = ["main"]


def _print_issues(issues: list[Any], stream: Any = None) -> None:
    stream = stream or sys.stderr
    for issue in issues:
        print(issue.render(), file=stream)


def _bot_source(directory: str) -> contextlib.AbstractContextManager[str]:
    from dialogkit.framework.rasa.importer import bot_source

    return bot_source(directory)


def cmd_validate(args: argparse.Namespace) -> int:
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.validation import validate

    with _bot_source(args.dir) as source:
        loaded = load_domain(source)
        issues = validate(loaded, strict=args.strict)
    _print_issues(issues)
    errors = [i for i in issues if i.severity == "error"]
    warnings = len(issues) - len(errors)
    d = loaded.domain
    summary = f"{len(d.intents)} intents, {len(d.entities)} entities, {len(d.slots)} slots, {len(d.responses)} responses, {len(d.flows)} flows"
    if errors:
        print(f"{args.dir}: {len(errors)} error(s), {warnings} warning(s) ({summary})", file=sys.stderr)
        return 2
    print(f"{args.dir}: valid ({summary}; {warnings} warning(s))")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from dialogkit.framework.domain.schema import Domain

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

    from dialogkit.framework.errors import DomainError, Location, message

    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DomainError(message("DK114", Location(str(target)), path=str(target)))
    starter = Path(__file__).parent / "starter"
    shutil.copytree(starter, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    import re

    name = re.sub(r"[^A-Za-z0-9_-]+", "_", target.resolve().name).strip("_") or "mybot"
    domain_file = target / "domain.yml"
    domain_file.write_text(domain_file.read_text(encoding="utf-8").replace("name: coffee", f"name: {name}", 1), encoding="utf-8")
    files = sorted(str(f.relative_to(target)) for f in target.rglob("*") if f.is_file())
    print(f"wrote a starter bot to {target}/: {', '.join(files)}")
    model = Path(args.out) if args.out else Path("models") / name
    if args.no_train:
        print(f"next: dialogkit train {target} --out {model} && dialogkit shell {model}")
        return 0
    from dialogkit.framework.training import train

    result = train(target, model, progress=_train_progress(False))
    _print_issues([w for w in result.warnings if w.severity == "warning" and w.code.startswith("DK6")])
    _print_train_summary(result)
    print(f"trained {model} in {result.seconds:.1f}s; edit {target}/domain.yml and {target}/data/nlu.yml, then `dialogkit train {target} --out {model}`")
    from dialogkit.framework.shell import run_shell

    return run_shell(str(model))


def _train_progress(verbose: bool) -> Any:
    """Progress lines of `train`: per-epoch lines only with -v (each trainer draws a bar on a terminal instead)."""
    from dialogkit.framework.training import is_epoch_line

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
        found = "; ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in (c.get("summary") or {}).items())
        table.add_row(c["name"], c["status"], f"{c['seconds']:.1f}s", found)
    Console(soft_wrap=True).print(table)


def cmd_train(args: argparse.Namespace) -> int:
    import shutil

    from dialogkit.framework.training import train

    with _bot_source(args.dir) as source:  # a Rasa project is imported on the fly
        from dialogkit.framework.models import default_model_dir

        out = Path(args.out) if args.out else default_model_dir(source) if source == args.dir else Path("models") / Path(args.dir).resolve().name
        if source != args.dir:
            report_file = out.with_name(out.name + ".rasa_import.md")
            report_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(source) / "rasa_import.md", report_file)
            print(f"import report: {report_file}")
        if args.devices > 1:  # the first process prints the summary
            from dialogkit.framework.training import train_on_devices

            train_on_devices(source, out, args.devices, force=args.force, seed=args.seed)
            result = None
        else:
            result = train(source, out, force=args.force, seed=args.seed, progress=_train_progress(args.verbose))
    if result is not None:  # what components found always; validation warnings with -v
        _print_issues([w for w in result.warnings if w.severity == "warning" and (args.verbose or w.code.startswith("DK6"))])
        _print_train_summary(result)
    if args.tar:
        import tarfile

        tar = out.with_name(out.name + ".tar.gz")
        with tarfile.open(tar, "w:gz") as t:
            t.add(out, arcname=out.name)
        print(f"wrote {tar}")
    if result is not None:
        print(f"trained {out} in {result.seconds:.1f}s (trained: {', '.join(result.trained) or 'none'}; reused: {', '.join(result.reused) or 'none'})")
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from dialogkit.framework.models import ready_model
    from dialogkit.framework.shell import run_shell

    model = ready_model(args.model, say=lambda m: print(m, file=sys.stderr))
    return run_shell(model, debug=args.debug, script=args.script, conversation_id=args.conversation_id, endpoints=args.endpoints)


def cmd_interactive(args: argparse.Namespace) -> int:
    from dialogkit.framework.interactive import run_interactive

    return run_interactive(args.bot, model=args.model, endpoints=args.endpoints)


def cmd_test(args: argparse.Namespace) -> int:
    target = args.target
    if len(target) == 2 and target[0] == "nlu":
        from dialogkit.framework.nlu_testing import print_summary, run_nlu_test

        out = args.out or "results/nlu"
        with _bot_source(target[1]) as source:
            report = run_nlu_test(source, data=args.data, folds=args.cross_validation, model=args.model, out=out, progress=lambda m: print(f"  {m}"))
        print_summary(report, out)
        return 0
    if len(target) == 2 and target[0] == "nlg" and not (args.data or args.cross_validation):
        from dialogkit.framework import nlg_testing

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
    from dialogkit.framework.conversation_tests import run_cli

    return run_cli(target[0], model=args.model, out=args.out, stories_out=args.stories_out, endpoints=args.endpoints,
                   story_mode="e2e" if args.e2e else "replay")


def cmd_serve(args: argparse.Namespace) -> int:
    import json
    import time

    t0 = time.perf_counter()
    import uvicorn

    from dialogkit.framework.models import ready_model
    from dialogkit.framework.server import SERVE_OPTIONS_ENV, serve_app

    args.model = ready_model(args.model, say=lambda m: print(m, flush=True))
    options = {k: getattr(args, k) for k in ("model", "endpoints", "store", "store_url", "store_path", "lock_url", "event_stream", "workers",
                                             "batch_size", "batch_wait_ms", "auth_token", "max_body_bytes", "max_message_chars", "cors")}
    app, where = serve_app(options)  # in this process too: every mistake is reported before a worker starts
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(f"serving {args.model} on http://{args.host}:{args.port} (trackers: {where}{workers}; loaded in {time.perf_counter() - t0:.1f}s)", flush=True)
    if args.workers > 1:
        del app
        os.environ[SERVE_OPTIONS_ENV] = json.dumps(options)
        uvicorn.run("dialogkit.framework.server:app_from_env", factory=True, workers=args.workers, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dialogkit.framework.rasa.importer import import_rasa_project

    report = import_rasa_project(args.src, args.dest, overwrite=args.force)
    counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
    print(f"imported {args.src} -> {args.dest}: {counts}")
    for note in report.dropped:
        print(f"  {note.kind}: {note.what}" + (f"  ({note.where})" if note.where else ""))
    print(f"report: {Path(args.dest) / 'rasa_import.md'} ({len(report.dropped)} not represented, {len(report.notes) - len(report.dropped)} mapped approximately)")
    print(f"next: dialogkit train {args.dest}" + ("   (custom actions run on the action server named in endpoints.yml: start it first)" if report.counts.get("custom actions") else ""))
    return 0


def cmd_visualize(args: argparse.Namespace) -> int:
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.validation import check
    from dialogkit.framework.visualize import to_html, to_mermaid

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
    from dialogkit.framework import training_data as td

    if args.source_format == "bio" and args.target_format == "yaml":
        examples = td.read_bio(args.src)
        td.write_nlu_yaml(examples, args.dest)
    elif args.source_format == "yaml" and args.target_format == "bio":
        from dialogkit.framework.domain.loader import load_domain

        examples = td.collect_examples(load_domain(args.src))
        td.write_bio(examples, args.dest)
    else:
        print(f"error: cannot convert {args.source_format} to {args.target_format}; use --from bio --to yaml or --from yaml --to bio", file=sys.stderr)
        return 2
    print(f"converted {len(examples)} examples: {args.src} ({args.source_format}) -> {args.dest} ({args.target_format})")
    return 0


def _usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    parser.print_help()
    return 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialogkit", description="Build, train, test and run dialogue bots from one domain YAML.")
    p.add_argument("--version", action="version", version=f"dialogkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("init", help="write a small working bot into a new folder, train it and open the shell")
    s.add_argument("dir", nargs="?", default="mybot", help="a new or empty folder (default: mybot)")
    s.add_argument("--out", help="model directory (default: models/<folder name>)")
    s.add_argument("--no-train", action="store_true", help="only write the files")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("validate", help="check a bot directory: schema, names, types, flow graph")
    s.add_argument("dir", help="bot directory (domain.yml + data/*.yml) or a single YAML file")
    s.add_argument("--strict", action="store_true", help="treat warnings as errors")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("schema", help="print the domain JSON Schema (for editor autocompletion)")
    s.add_argument("--out", help="write to this file instead of stdout")
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("train", help="train a bot into a model archive")
    s.add_argument("dir", help="bot directory, or a Rasa 3 project (imported on the fly)")
    s.add_argument("--out", help="archive directory (default: models/<bot directory name>)")
    s.add_argument("--force", action="store_true", help="retrain every component even if unchanged")
    s.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    s.add_argument("--tar", action="store_true", help="also write <out>.tar.gz")
    s.add_argument("--verbose", "-v", action="store_true", help="print validation warnings and each training epoch")
    s.add_argument("--devices", type=int, default=1, help="train with N processes (distributed data parallel: one per GPU, or CPU processes with gloo)")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("shell", help="talk to a trained bot (reads piped input too)")
    s.add_argument("model", nargs="?", default=None, help="a model, or a bot folder (its model, trained or brought up to date first); default: the bot in the current folder")
    s.add_argument("--debug", action="store_true", dest="debug", help="show intent, entities, slots, flow and timings per turn")
    s.add_argument("--script", help="play the user lines of this file instead of reading input")
    s.add_argument("--conversation-id", default="shell", help="conversation id (default: shell)")
    s.add_argument("--endpoints", help="Rasa endpoints.yml naming the action server for `remote` actions (default: the one stored at training)")
    s.set_defaults(func=cmd_shell)

    s = sub.add_parser("interactive", help="talk to a bot and correct it turn by turn; corrections become NLU data and conversation tests",
                       description="Per message: confirm or correct the intent (a number or a name) and the entities (the message retyped with "
                                   "[text](entity) annotations, or '-'), then what the bot did (responses/actions, comma-separated). Corrected "
                                   "messages are appended to BOT/data/interactive.yml (`nlu:` blocks), each conversation to BOT/tests/interactive.yml. "
                                   "Commands: /train (save, retrain what changed, go on), /save, /restart, /slots, /help, /exit. Reads piped input too.")
    s.add_argument("bot", nargs="?", default=None, help="the bot folder (default: the current folder); its model is trained or brought up to date first")
    s.add_argument("--model", help="the model to talk to and retrain (default: the bot's own, models/<bot name>)")
    s.add_argument("--endpoints", help="Rasa endpoints.yml naming the action server for `remote` actions")
    s.set_defaults(func=cmd_interactive)

    s = sub.add_parser("test", help="run a bot's conversation tests (`test DIR`), evaluate its NLU (`test nlu DIR`) or its generator (`test nlg DIR`)",
                       description="`dialogkit test DIR` runs DIR/tests/*.yml conversations and Rasa test stories (DIR may be a Rasa project: "
                                   "it is imported on the fly); `dialogkit test nlu DIR` scores the NLU "
                                   "(held-out --data, --cross-validation K, or one stratified 80/20 split); `dialogkit test nlg DIR` scores "
                                   "the response generator on held-out variations/paraphrases (BLEU, slot error rate, guard fallback rate), "
                                   "or a trained generator on its own targets with --model.")
    s.add_argument("target", nargs="+", metavar="[nlu|nlg] DIR", help="bot directory, optionally preceded by `nlu` or `nlg`")
    s.add_argument("--model", help="trained model to test (default: the bot's own, models/<bot name>, trained or brought up to date first; test nlu/nlg train held-out models)")
    s.add_argument("--out", help="results: a JSON file for conversation tests, a folder for NLU / NLG (default: results/nlu, results/nlg)")
    s.add_argument("--data", help="nlu: held-out examples (YAML data file or bot directory)")
    s.add_argument("--cross-validation", type=int, metavar="K", help="nlu: K-fold stratified cross-validation")
    s.add_argument("--stories-out", default="results", help="Rasa test stories: folder for story_report.json, failed_test_stories.yml (default: results)")
    s.add_argument("--endpoints", help="Rasa endpoints.yml naming the action server for `remote` actions")
    s.add_argument("--e2e", action="store_true", help="Rasa test stories end to end: user texts through the NLU, custom actions run (a failed one fails the story); default: replay them as `rasa test` does (the story's intents, entities and action outcomes given)")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("serve", help="serve a trained bot over HTTP (Rasa-compatible REST channel, web chat at /)")
    s.add_argument("model", nargs="?", default=None, help="a model, or a bot folder (its model, trained or brought up to date first); default: the bot in the current folder")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5005)
    s.add_argument("--auth-token", help="require this token (?token= or Bearer header); or set DIALOGKIT_AUTH_TOKEN")
    s.add_argument("--store", choices=["sqlite", "memory", "redis", "sql"], help="tracker store (default: tracker_store in --endpoints, else sqlite: a file next to the model)")
    s.add_argument("--store-url", help="redis://HOST:6379/0 or postgresql+psycopg://USER:PASS@HOST/DB for --store redis/sql")
    s.add_argument("--store-path", help="SQLite file (default: <model>.trackers.sqlite)")
    s.add_argument("--lock-url", help="redis://... for the per-conversation lock several processes share (default with --store redis: the same server)")
    s.add_argument("--event-stream", metavar="REDIS_URL", help="publish every event to the Redis Stream dialogkit:events (or event_broker in --endpoints)")
    s.add_argument("--workers", type=int, default=1, help="server processes (several need a shared store and lock: --store redis|sql)")
    s.add_argument("--batch-size", type=int, default=32, help="parse up to this many concurrent messages together (1: no batching)")
    s.add_argument("--batch-wait-ms", type=float, default=5.0, help="how long a message may wait for others to batch with")
    s.add_argument("--max-body-bytes", type=int, default=64 * 1024)
    s.add_argument("--max-message-chars", type=int, default=5000)
    s.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument("--cors", nargs="+", metavar="ORIGIN", help='let web pages from these origins call the API (e.g. a chat widget; "*" for any), like `rasa run --cors`')
    s.add_argument("--endpoints", help="Rasa endpoints.yml: action_endpoint for `remote` actions; tracker_store, lock_store, event_broker")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("import", help="convert another framework's project into a dialogkit bot (`import rasa SRC DEST`)")
    s.add_argument("framework", choices=["rasa"], help="the source framework (rasa: Rasa 3.x)")
    s.add_argument("src", help="the Rasa project directory (domain.yml or domain/, config.yml, data/, tests/)")
    s.add_argument("dest", help="the dialogkit bot directory to write (new or empty)")
    s.add_argument("--force", action="store_true", help="write into a non-empty DEST, replacing the files the import writes")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("visualize", help="draw the flow graph as an HTML page and Mermaid text")
    s.add_argument("dir", help="bot directory")
    s.add_argument("--out", default="flows.html", help="HTML file to write (default: flows.html)")
    s.add_argument("--mermaid", help="Mermaid file to write (default: the HTML path with .mmd)")
    s.set_defaults(func=cmd_visualize)

    data = sub.add_parser("data", help="training data tools")
    dsub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    s = dsub.add_parser("convert", help="convert NLU data between BIO (ATIS layout) and dialogkit YAML")
    s.add_argument("src", help="BIO directory (seq.in, seq.out, label) or YAML file/bot directory")
    s.add_argument("dest", help="YAML file or BIO directory to write")
    s.add_argument("--from", dest="source_format", choices=["bio", "yaml"], required=True)
    s.add_argument("--to", dest="target_format", choices=["bio", "yaml"], required=True)
    s.set_defaults(func=cmd_data_convert)
    data.set_defaults(func=partial(_usage, data))
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("DIALOGKIT_DEBUG") == "1"
    logging.basicConfig(level=logging.DEBUG if os.environ.get("DIALOGKIT_DEBUG") == "1" else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DialogkitError as e:
        _print_issues(e.issues)
        if debug:
            raise
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug in dialogkit: say so without dumping a traceback on the user
        if debug:
            raise
        print(f"internal error: {type(e).__name__}: {e}\n(run `dialogkit --debug ...` for the traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
