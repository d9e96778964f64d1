"""The `dialogkit` command line: its arguments and help (what each command does is in
:mod:`dialogkit.framework.cli.commands`, whose imports stay inside the commands so `--help` is instant)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial

from ..errors import DialogkitError
from ..version import __version__
from . import commands

__all__ = ["main"]


def _usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    parser.print_help()
    return 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dialogkit", description="Build, train, test and run dialogue bots from one domain YAML."
    )
    p.add_argument("--version", action="version", version=f"dialogkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("init", help="write a small working bot into a new folder, train it and open the shell")
    s.add_argument("dir", nargs="?", default="mybot", help="a new or empty folder (default: mybot)")
    s.add_argument("--out", help="model directory (default: models/<folder name>)")
    s.add_argument("--no-train", action="store_true", help="only write the files")
    s.set_defaults(func=commands.cmd_init)

    s = sub.add_parser("validate", help="check a bot directory: schema, names, types, flow graph")
    s.add_argument("dir", help="bot directory (domain.yml + data/*.yml) or a single YAML file")
    s.add_argument("--strict", action="store_true", help="treat warnings as errors")
    s.set_defaults(func=commands.cmd_validate)

    s = sub.add_parser("schema", help="print the domain JSON Schema (for editor autocompletion)")
    s.add_argument("--out", help="write to this file instead of stdout")
    s.set_defaults(func=commands.cmd_schema)

    s = sub.add_parser("train", help="train a bot into a model archive")
    s.add_argument("dir", help="bot directory, or a Rasa 3 project (imported on the fly)")
    s.add_argument("--out", help="archive directory (default: models/<bot directory name>)")
    s.add_argument("--force", action="store_true", help="retrain every component even if unchanged")
    s.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    s.add_argument("--tar", action="store_true", help="also write <out>.tar.gz")
    s.add_argument("--verbose", "-v", action="store_true", help="print validation warnings and each training epoch")
    s.add_argument(
        "--devices",
        type=int,
        default=1,
        help="train with N processes (distributed data parallel: one per GPU, or CPU processes with gloo)",
    )
    s.add_argument(
        "--finetune",
        nargs="?",
        const="",
        default=None,
        metavar="MODEL",
        help="continue the NLU model from MODEL (default: the one at --out) on the data as it is now, for a fraction "
        "of the epochs",
    )
    s.add_argument(
        "--epoch-fraction",
        type=float,
        default=0.25,
        help="with --finetune: the share of the configured epochs to train (default: 0.25)",
    )
    s.set_defaults(func=commands.cmd_train)

    s = sub.add_parser("shell", help="talk to a trained bot (reads piped input too)")
    s.add_argument(
        "model",
        nargs="?",
        default=None,
        help="a model, or a bot folder (its model, trained or brought up to date first); default: the bot in the "
        "current folder",
    )
    s.add_argument(
        "--debug", action="store_true", dest="debug", help="show intent, entities, slots, flow and timings per turn"
    )
    s.add_argument("--script", help="play the user lines of this file instead of reading input")
    s.add_argument("--conversation-id", default="shell", help="conversation id (default: shell)")
    s.add_argument(
        "--endpoints",
        help="Rasa endpoints.yml naming the action server for `remote` actions (default: the one stored at training)",
    )
    s.set_defaults(func=commands.cmd_shell)

    s = sub.add_parser(
        "interactive",
        help="talk to a bot and correct it turn by turn; corrections become NLU data and conversation tests",
        description="Per message: confirm or correct the intent (a number or a name) and the entities (the message "
        "retyped with [text](entity) annotations, or '-'), then what the bot did (responses/actions, comma-separated). "
        "Corrected messages are appended to BOT/data/interactive.yml (`nlu:` blocks), each conversation to "
        "BOT/tests/interactive.yml. Commands: /train (save, retrain what changed, go on), /save, /restart, /slots, "
        "/help, /exit. Reads piped input too.",
    )
    s.add_argument(
        "bot",
        nargs="?",
        default=None,
        help="the bot folder (default: the current folder); its model is trained or brought up to date first",
    )
    s.add_argument("--model", help="the model to talk to and retrain (default: the bot's own, models/<bot name>)")
    s.add_argument("--endpoints", help="Rasa endpoints.yml naming the action server for `remote` actions")
    s.set_defaults(func=commands.cmd_interactive)

    s = sub.add_parser(
        "test",
        help="run a bot's conversation tests (`test DIR`), evaluate its NLU (`test nlu DIR`) or its generator (`test "
        "nlg DIR`)",
        description="`dialogkit test DIR` runs DIR/tests/*.yml conversations and Rasa test stories (DIR may be a Rasa "
        "project: it is imported on the fly); `dialogkit test nlu DIR` scores the NLU (held-out --data, "
        "--cross-validation K, or one stratified 80/20 split); `dialogkit test nlg DIR` scores the response "
        "generator on held-out variations/paraphrases and record field combinations (BLEU, slot error rate, guard "
        "fallback rate), or a trained "
        "generator on its own targets with --model.",
    )
    s.add_argument(
        "target", nargs="+", metavar="[nlu|nlg] DIR", help="bot directory, optionally preceded by `nlu` or `nlg`"
    )
    s.add_argument(
        "--model",
        help="trained model to test (default: the bot's own, models/<bot name>, trained or brought up to date first; "
        "test nlu/nlg train held-out models)",
    )
    s.add_argument(
        "--out",
        help="results: a JSON file for conversation tests, a folder for NLU / NLG (default: results/nlu, results/nlg)",
    )
    s.add_argument("--data", help="nlu: held-out examples (YAML data file or bot directory)")
    s.add_argument("--cross-validation", type=int, metavar="K", help="nlu: K-fold stratified cross-validation")
    s.add_argument(
        "--stories-out",
        default="results",
        help="Rasa test stories: folder for story_report.json, failed_test_stories.yml (default: results)",
    )
    s.add_argument("--endpoints", help="Rasa endpoints.yml naming the action server for `remote` actions")
    s.add_argument(
        "--e2e",
        action="store_true",
        help="Rasa test stories end to end: user texts through the NLU, custom actions run (a failed one fails the "
        "story); default: replay them as `rasa test` does (the story's intents, entities and action outcomes "
        "given)",
    )
    s.add_argument(
        "--coverage",
        action="store_true",
        help="flow coverage: which steps, branches (if then/else, expect intents, on_error, goto) and asks of each "
        "flow the conversation tests ran; a summary with the untested branches at file:line, coverage.json and "
        "coverage.html (the flow graph, what ran green, what never ran red) in --coverage-out",
    )
    s.add_argument(
        "--coverage-out", default="results", help="folder for coverage.json and coverage.html (default: results)"
    )
    s.add_argument(
        "--coverage-min",
        type=float,
        metavar="PERCENT",
        help="fail the run when branch coverage is under PERCENT (implies --coverage)",
    )
    s.set_defaults(func=commands.cmd_test)

    s = sub.add_parser("serve", help="serve a trained bot over HTTP (Rasa-compatible REST channel, web chat at /)")
    s.add_argument(
        "model",
        nargs="?",
        default=None,
        help="a model, or a bot folder (its model, trained or brought up to date first); default: the bot in the "
        "current folder",
    )
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5005)
    s.add_argument("--auth-token", help="require this token (?token= or Bearer header); or set DIALOGKIT_AUTH_TOKEN")
    s.add_argument(
        "--jwt-secret",
        help="accept a JWT signed with this secret (or public key) as `Authorization: Bearer <jwt>`, as `rasa run "
        "--jwt-secret`; a conversation's routes need user.username = its id or user.role = admin in the payload; "
        "or set DIALOGKIT_JWT_SECRET",
    )
    s.add_argument("--jwt-method", default="HS256", help="the JWT's signing algorithm (default HS256; RS256 for a "
                   "public key)")
    s.add_argument(
        "--credentials",
        help="credentials.yml: the channels to serve besides rest (callback, socketio, or a class of your own), "
        "webhooks at /webhooks/<name>/webhook; a Rasa project's file carries over (channels without an adapter "
        "are skipped)",
    )
    s.add_argument(
        "--store",
        choices=["sqlite", "memory", "redis", "sql"],
        help="tracker store (default: tracker_store in --endpoints, else sqlite: a file next to the model)",
    )
    s.add_argument(
        "--store-url", help="redis://HOST:6379/0 or postgresql+psycopg://USER:PASS@HOST/DB for --store redis/sql"
    )
    s.add_argument("--store-path", help="SQLite file (default: <model>.trackers.sqlite)")
    s.add_argument(
        "--lock-url",
        help="redis://... for the per-conversation lock several processes share (default with --store redis: the "
        "same server)",
    )
    s.add_argument(
        "--event-stream",
        metavar="REDIS_URL",
        help="publish every event to the Redis Stream dialogkit:events (or event_broker in --endpoints)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (several need a shared store and lock: --store redis|sql)",
    )
    s.add_argument(
        "--batch-size", type=int, default=32, help="parse up to this many concurrent messages together (1: no batching)"
    )
    s.add_argument(
        "--batch-wait-ms", type=float, default=5.0, help="how long a message may wait for others to batch with"
    )
    s.add_argument("--max-body-bytes", type=int, default=64 * 1024)
    s.add_argument("--max-message-chars", type=int, default=5000)
    s.add_argument(
        "--max-in-flight",
        type=int,
        default=64,
        help="messages answered at once per process; one more gets 503 + Retry-After at once instead of queueing (0: "
        "no bound)",
    )
    s.add_argument(
        "--max-wait-ms",
        type=float,
        default=1000.0,
        help="the longest a message waits for a worker before it gets 503 + Retry-After, unread (0: no bound)",
    )
    s.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument(
        "--cors",
        nargs="+",
        metavar="ORIGIN",
        help='let web pages from these origins call the API (e.g. a chat widget; "*" for any), like `rasa run --cors`',
    )
    s.add_argument(
        "--endpoints",
        help="Rasa endpoints.yml: action_endpoint for `remote` actions; tracker_store, lock_store, event_broker",
    )
    s.set_defaults(func=commands.cmd_serve)

    s = sub.add_parser(
        "import", help="convert another framework's project into a dialogkit bot (`import rasa SRC DEST`)"
    )
    s.add_argument("framework", choices=["rasa"], help="the source framework (rasa: Rasa 3.x)")
    s.add_argument("src", help="the Rasa project directory (domain.yml or domain/, config.yml, data/, tests/)")
    s.add_argument("dest", help="the dialogkit bot directory to write (new or empty)")
    s.add_argument(
        "--force", action="store_true", help="write into a non-empty DEST, replacing the files the import writes"
    )
    s.set_defaults(func=commands.cmd_import)

    s = sub.add_parser("visualize", help="draw the flow graph as an HTML page and Mermaid text")
    s.add_argument("dir", help="bot directory")
    s.add_argument("--out", default="flows.html", help="HTML file to write (default: flows.html)")
    s.add_argument("--mermaid", help="Mermaid file to write (default: the HTML path with .mmd)")
    s.set_defaults(func=commands.cmd_visualize)

    data = sub.add_parser("data", help="training data tools")
    dsub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    s = dsub.add_parser("convert", help="convert NLU data between BIO (ATIS layout) and dialogkit YAML")
    s.add_argument("src", help="BIO directory (seq.in, seq.out, label) or YAML file/bot directory")
    s.add_argument("dest", help="YAML file or BIO directory to write")
    s.add_argument("--from", dest="source_format", choices=["bio", "yaml"], required=True)
    s.add_argument("--to", dest="target_format", choices=["bio", "yaml"], required=True)
    s.set_defaults(func=commands.cmd_data_convert)
    data.set_defaults(func=partial(_usage, data))
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or os.environ.get("DIALOGKIT_DEBUG") == "1"
    logging.basicConfig(
        level=logging.DEBUG if os.environ.get("DIALOGKIT_DEBUG") == "1" else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DialogkitError as e:
        commands.print_issues(e.issues)
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
        print(
            f"internal error: {type(e).__name__}: {e}\n(run `dialogkit --debug ...` for the traceback and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
