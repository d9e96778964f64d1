"""Convert a Rasa 3.x (or 2.x) project into a dialogkit bot directory.

    report = import_rasa_project("my-rasa-bot", "bots/my-bot")   # -> ImportReport

Reads ``domain.yml`` (or a ``domain/`` directory of split files), ``config.yml``,
every YAML file under ``data/`` (whatever it holds: ``nlu``, ``stories``, ``rules``,
``responses``) and ``tests/``; writes ``domain.yml``, ``data/nlu.yml``, ``endpoints.yml``
(copied), ``tests/`` (copied; Rasa test stories run as they are) and
``rasa_import.md`` / ``rasa_import.json``: every mapping that is approximate and
everything that could not be represented, each with its file:line.

How the dialogue maps: each Rasa form becomes a flow of ``collect`` steps marked
``form: true`` (its submit rule's actions follow the collects; ``validate_<form>``
becomes the flow's ``validate`` action). Rules and stories are merged into a tree on
their common prefixes, one flow per first intent: the bot's actions become
``say`` / ``action`` / ``call <form>`` steps and the user's next turns an ``expect``
step branching on intent. An intent that only appears inside stories also gets a flow
of its own with what most stories do after it, so it is answered in any context (as
Rasa's policies generalise from stories). Custom actions are ``remote``: served by
the action server named in ``endpoints.yml``.

The stages, one module each, share an :class:`~.state.ImportState`; what they read from the
project travels as typed records (:mod:`.records`: ``Story``, ``Rule``, ``FormSpec``,
``EntityRule``, ``SubmitVariant``, ``Graft``, each with its ``Source`` file and key path):

- ``reading``: finding the project's YAML files and checking the shapes the rest relies on;
- ``migrate``: a Rasa 2.x domain rewritten into 3.x's shape, as ``rasa data migrate`` would;
- ``domain``: intents, entities, slots and their mappings, responses, actions, config.yml;
- ``nlu``: NLU data (examples, synonyms, regexes, lookups) and collecting stories and rules;
- ``forms``: forms → ``form: true`` flows;
- ``dialogue``: rules + stories → a prefix tree → ``on_<intent>`` flows;
- ``writing``: the domain (validated as a :class:`Domain` first), NLU data, tests and the
  report (``report``) written to the bot directory.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ...errors import DomainError, Location, message, show_stand_in
from .config import read_config
from .dialogue import build_dialogue
from .domain import read_domain
from .forms import build_forms
from .migrate import migrate_domain
from .nlu import finish_nlu, read_data
from .reading import checked, is_rasa_project, load_doc, yaml_files
from .report import ImportReport, Note
from .state import RASA_ACTION_ALIASES, ImportState
from .writing import write

__all__ = ["ImportReport", "Note", "RASA_ACTION_ALIASES", "bot_source", "import_rasa_project", "is_rasa_project"]


def _run(st: ImportState) -> ImportReport:
    """Every stage, in order."""
    src = st.src
    domain_files = yaml_files(src / "domain.yml") or yaml_files(src / "domain.yaml") or yaml_files(src / "domain")
    if not domain_files:
        raise DomainError(
            message(
                "DK702",
                Location(str(src)),
                problem="no domain.yml (or domain/ directory) found",
                fix="point `dialogkit import rasa` at the Rasa project's root directory",
            )
        )
    docs = [checked(load_doc(f)) for f in domain_files]
    migrate_domain(st, docs)  # a Rasa 2.x domain, into 3.x's shape
    for d in docs:
        read_domain(st, d)
    config = src / "config.yml"
    if config.is_file():
        read_config(st, checked(load_doc(config)))
    else:
        st.report.add("mapped", "no config.yml: dialogkit's default NLU (rule_entity_extractor + bert_nlu) is used")
        read_config(st, None)
    for f in yaml_files(src / "data"):
        read_data(st, checked(load_doc(f)))
    finish_nlu(st)
    build_forms(st)
    build_dialogue(st)
    write(st)
    return st.report


def import_rasa_project(src: str | Path, dest: str | Path, overwrite: bool = False) -> ImportReport:
    """Convert the Rasa project ``src`` into the dialogkit bot directory ``dest`` (which must be
    new or empty unless ``overwrite``: the files it writes replace those already there)."""
    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        raise DomainError(
            message(
                "DK702",
                Location(str(src)),
                problem="not a directory",
                fix="pass the Rasa project's root directory (with domain.yml, config.yml and data/)",
            )
        )
    if dest.resolve() == src.resolve():
        raise DomainError(
            message(
                "DK702",
                Location(str(dest)),
                problem="the destination is the Rasa project itself",
                fix="write the dialogkit bot to another directory",
            )
        )
    if dest.exists() and not overwrite and (not dest.is_dir() or any(dest.iterdir())):
        raise DomainError(
            message(
                "DK702",
                Location(str(dest)),
                problem="the destination exists and is not empty; importing would overwrite its files",
                fix="choose a new directory, or pass --force to replace domain.yml, data/nlu.yml, endpoints.yml, "
                "tests/ and the report there",
            )
        )
    try:
        return _run(ImportState(src, dest, ImportReport(str(src), str(dest))))
    except (AttributeError, TypeError, KeyError, ValueError) as e:  # a shape `checked` does not cover
        raise DomainError(
            message(
                "DK702",
                Location(str(src)),
                problem=f"part of the project has a shape the importer does not understand ({type(e).__name__}: {e})",
                fix="check the stories, rules and responses against Rasa 3's format (`rasa data validate` helps); "
                "run with --debug for the traceback",
            )
        ) from e


def _to_rasa_files(bot: Path, project: Path, report: ImportReport) -> Callable[[Location], Location]:
    """Where a place in the imported bot came from: an entry of its domain.yml maps to the Rasa
    file:line it was read from (the entry a line falls in: a slot, a response, a flow from a
    rule...); a file copied as it is (``tests/``, ``endpoints.yml``) to the project's own; anything
    else to the Rasa project itself."""
    import bisect

    from ...yamlio import load_yaml

    domain = bot / "domain.yml"
    doc = load_yaml(domain)
    positions = doc.positions
    def line(path: tuple[str, ...]) -> int | None:
        loc = positions.key_locations.get(path) or positions.locations.get(path)
        return loc.line if loc is not None else None

    starts: list[tuple[int, Location | None]] = [
        (n, origin)
        for (section, name), origin in report.sources.items()
        if origin is not None and (n := line((section, name))) is not None
    ]
    sections: list[tuple[int, Location | None]] = [
        (n, None) for section in doc.data if (n := line((section,))) is not None
    ]
    table = sorted(starts + sections, key=lambda e: e[0])
    lines = [line for line, _ in table]

    def translate(loc: Location) -> Location:
        if Path(loc.path) == domain and loc.line is not None:
            i = bisect.bisect_right(lines, loc.line) - 1
            origin = table[i][1] if i >= 0 else None
            if origin is not None:
                return origin
        rel = Path(loc.path).relative_to(bot)
        if rel.parts[:1] == ("tests",) or rel == Path("endpoints.yml"):
            return Location(str(project / rel), loc.line, loc.column)
        return Location(str(project))

    return translate


@contextlib.contextmanager
def bot_source(directory: str | Path) -> Iterator[str]:
    """The bot directory to read: ``directory`` itself, or, for a Rasa project, its import
    into a temporary directory (what was not represented is printed to stderr)."""
    if not is_rasa_project(directory):
        yield str(directory)
        return
    with tempfile.TemporaryDirectory(prefix="dialogkit-rasa-") as tmp:
        report = import_rasa_project(directory, Path(tmp) / "bot")
        show_stand_in(Path(tmp) / "bot", _to_rasa_files(Path(tmp) / "bot", Path(directory), report), str(directory))
        print(
            f"{directory} is a Rasa project: imported it ({len(report.dropped)} item(s) not represented"
            f"{', listed below' if report.dropped else ''}; full report: `dialogkit import rasa {directory} DEST`)",
            file=sys.stderr,
        )
        for note in report.dropped:
            print(f"  {note.where or directory}: {note.kind}: {note.what}", file=sys.stderr)
        yield str(Path(tmp) / "bot")
