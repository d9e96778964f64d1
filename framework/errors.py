"""One exception tree and one message catalogue for everything dialogkit reports.

Every user-facing problem is a :class:`DialogkitError` carrying a catalogue code
(``DK1xx`` for YAML/files, ``DK2xx`` for domain schema, ``DK3xx`` for meaning,
``DK4xx`` for training data, ``DK5xx`` for archives, ``DK6xx`` for components
and config). Messages say what is wrong and how to fix it; where a problem has a
place in a file it carries a :class:`Location` so the CLI prints
``path:line:column``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "MESSAGES",
    "ArchiveError",
    "ComponentError",
    "ConfigError",
    "DataError",
    "DialogkitError",
    "DomainError",
    "Issue",
    "Location",
    "did_you_mean",
    "message",
    "show_stand_in",
]

# Catalogue: code -> (what is wrong, how to fix it). Templates are ours; values from
# user files only ever fill the {named} fields, never become the template.
MESSAGES: dict[str, tuple[str, str]] = {
    # files and YAML
    "DK101": ("file not found: {path}", "check the path; a bot is a directory holding domain.yml"),
    "DK102": ("file is not valid UTF-8 (byte 0x{byte} at offset {offset})", "save the file as UTF-8"),
    "DK103": ("file looks binary (it contains NUL bytes), not YAML", "point dialogkit at the YAML text file"),
    "DK104": (
        "file is {size} bytes, over the {limit}-byte limit for YAML files",
        "split it into several files under data/, or pass larger data with `dialogkit data convert`",
    ),
    "DK105": ("file is empty", 'add content, e.g. `version: "1"` and the sections you need, or delete the file'),
    "DK106": (
        "YAML syntax error: {problem}",
        "fix the YAML at this position (indentation, a missing ':' or an unclosed quote are the usual causes)",
    ),
    "DK107": (
        "key '{key}' is defined twice in this mapping (first at line {first_line})",
        "remove or rename one of them",
    ),
    "DK108": (
        "the top level of the file must be a mapping of sections, not {kind}",
        "start the file with keys such as `version:`, `intents:`, `slots:`",
    ),
    "DK109": (
        "YAML document is too deeply nested or too large ({nodes} nodes)",
        "simplify the file; aliases must not expand into huge documents",
    ),
    "DK110": ("mapping keys must be strings, got {kind}", "quote the key"),
    "DK111": (
        "'{path}' is not a directory holding domain.yml",
        "pass the bot directory (with domain.yml), e.g. `dialogkit validate domains/restaurant`",
    ),
    "DK112": ("the file holds several YAML documents", "keep one document per file (remove the extra '---')"),
    "DK115": (
        "'{path}' is neither a trained model (manifest.json, or a .tar.gz) nor a bot folder (domain.yml)",
        "pass a model (e.g. models/restaurant) or a bot folder, or run the command inside the bot's folder",
    ),
    "DK116": (
        "'{path}' is not a bot folder (no domain.yml): `dialogkit interactive` writes the corrections into a bot's "
        "data/ and tests/",
        "pass the bot's folder, or run the command inside it (a Rasa project: `dialogkit import rasa` it first)",
    ),
    "DK114": (
        "'{path}' is not empty: `dialogkit init` never writes into a folder that holds files",
        "name a new or empty folder, e.g. `dialogkit init mybot`",
    ),
    "DK113": (
        "'{path}' is a symbolic link to '{target}', which does not exist or links back to itself",
        "fix the link or remove it from the bot directory",
    ),
    # schema
    "DK201": ("unknown key '{key}' in {where}{hint}", "valid keys are: {valid}"),
    "DK202": ("missing required key '{key}' in {where}", "add `{key}:`"),
    "DK203": ("{where}: {problem}", "{fix}"),
    "DK204": (
        "'{name}' is defined twice in section '{section}' (also at {other})",
        "keep one definition; split bots merge all files, so names must be unique across them",
    ),
    "DK205": (
        "a step must have exactly one of: {kinds}; got {got}",
        "write e.g. `- collect: party_size` or `- say: utter_greet`",
    ),
    "DK206": (
        "invalid name '{name}' in {where}",
        "names use letters, digits, '_', '-' and '.', and start with a letter",
    ),
    "DK207": ("invalid action reference '{ref}'", "write it as `package.module:function`"),
    "DK208": ("invalid regex for entity '{entity}': {problem}", "fix the pattern (it is a Python `re` pattern)"),
    "DK209": (
        "invalid condition '{expr}': {problem}",
        "conditions use slot names, literals, ==, !=, <, <=, >, >=, in, and, or, not, `is set`, `is not set`",
    ),
    "DK210": ("unsupported domain version '{version}'", 'use version: "1"'),
    # meaning
    "DK301": ("undefined {kind} '{name}' used in {where}{hint}", "define it under `{section}:` or fix the name"),
    "DK302": ("{kind} '{name}' is defined but never used", "use it or remove it"),
    "DK319": (
        "flow '{flow}' is named like a repair pattern, but there is no pattern '{pattern}'{hint}",
        "name it pattern_ and one of {patterns} to replace that pattern, or give the flow another name",
    ),
    "DK320": (
        "slot '{slot}' has confirm_correction, but the bot has no intent '{intent}' to answer the confirmation",
        "add the intents affirm and deny with examples (the question's buttons send /affirm and /deny)",
    ),
    "DK303": (
        "placeholder '{{{name}}}' in response '{response}' names no slot{hint}",
        "define a slot '{name}' or fix the placeholder",
    ),
    "DK304": ("slot '{slot}' of type {type} cannot be filled by {mapping}: {why}", "{fix}"),
    "DK305": (
        "flow '{flow}': step {step} can never be reached",
        "remove it or move it before the step that ends the flow ({after})",
    ),
    "DK306": (
        "flow '{flow}': collect '{slot}' has no way to ask",
        "add a response `utter_ask_{slot}`, an action `action_ask_{slot}`, or `ask:` on the step",
    ),
    "DK307": (
        "flow '{flow}': steps {cycle} form a loop that never waits for the user",
        "put a `collect` step inside the loop or end it with a condition",
    ),
    "DK308": (
        "flow '{flow}': collect '{slot}' is a dead end: the slot has no mapping that can fill it",
        "give slot '{slot}' a mapping (from_entity, from_intent or from_text), or the flow a `validate:` action "
        "that sets it",
    ),
    "DK309": (
        "flow '{flow}' can never start: it has no `when:` trigger and no flow links to or calls it",
        "add `when: {{intent: ...}}` or link to it from another flow",
    ),
    "DK310": (
        "flow '{flow}': step {step} is a dead end: no path from it reaches the end of the flow",
        "give the loop a way out (an `if` with an exit, or an `end` step)",
    ),
    "DK311": ("slot '{slot}': {problem}", "{fix}"),
    "DK317": (
        "response '{response}' has an unbalanced '{brace}' at character {column} (...{text}...)",
        "close the placeholder as {{slot}}, or write a literal brace twice: '{{{{' or '}}}}'",
    ),
    "DK318": (
        "flow '{flow}': steps {cycle} form a loop that waits only at collect steps for {slots}; once filled they "
        "are passed through and the loop never waits",
        "clear the slot inside the loop (`set: {{{slots}: null}}`), use `ask_before_filling: true` on the collect, "
        "or give the loop an exit",
    ),
    "DK313": (
        "flow '{flow}': goto '{name}' names no step id in this flow{hint}",
        "give the target step `id: {name}`, or fix the name",
    ),
    "DK312": (
        "module '{module}' for {name} cannot be found",
        "put {module}.py (or a package) in the bot directory, or install the package that provides it",
    ),
    "DK314": (
        "{what}: module '{module}' cannot be imported: {problem}",
        "fix the module; `dialogkit validate` imports it as the bot will, in a separate process",
    ),
    "DK315": (
        "{what}: module '{module}' has no function '{attr}'{hint}",
        "define it in the module (actions take (tracker, dispatcher), validators (value, tracker)) or fix "
        "the reference",
    ),
    "DK316": (
        "{what}: {problem}",
        "actions are called as fn(tracker, dispatcher), slot validators as fn(value, tracker)",
    ),
    # training data
    "DK401": (
        "malformed annotation in example '{text}': {problem}",
        'annotate as [text](entity) or [text]{{"entity": "name", "value": "v", "role": "r"}}',
    ),
    "DK402": (
        "BIO data mismatch in {path}: line {line} has {n_tokens} tokens but {n_tags} tags",
        "each line of seq.in and seq.out must have the same number of whitespace-separated items",
    ),
    "DK403": (
        "BIO files differ in length: {a} has {n_a} lines, {b} has {n_b}",
        "seq.in, seq.out and label must have one line per example",
    ),
    "DK404": ("invalid BIO tag '{tag}' in {path} line {line}", "tags are O, B-<entity> or I-<entity>"),
    "DK405": ("example is empty", "remove the empty `-` line"),
    "DK406": (
        "entity annotation in an example of '{intent}' names '{entity}', which is not declared under `entities:`",
        "declare it under `entities:`",
    ),
    # archives
    "DK501": ("no model archive at {path}", "train one first: `dialogkit train DIR --out {path}`"),
    "DK502": ("archive manifest is unreadable: {problem}", "retrain the model; the archive is damaged"),
    "DK503": (
        "archive file '{file}' fails its checksum (expected {expected}, got {actual})",
        "the archive was modified or truncated; retrain or restore it",
    ),
    "DK504": (
        "archive file '{file}' listed in the manifest is missing",
        "the archive is incomplete; retrain or restore it",
    ),
    "DK505": (
        "archive was written by dialogkit format {found}; this version reads format {expected}",
        "retrain the model with this version",
    ),
    "DK506": (
        "archive holds an unexpected file '{file}' not listed in the manifest",
        "remove the file or retrain; archives are verified as a whole",
    ),
    "DK507": ("archive tarball is unsafe or damaged: {problem}", "extract and inspect it, or retrain"),
    # components and config
    "DK601": ("unknown component '{name}'{hint}", "available components: {available}"),
    "DK602": ("component name '{name}' is registered twice: {first} and {second}", "rename one of the components"),
    "DK603": ("config for component '{name}': {problem}", "{fix}"),
    "DK604": ("component '{name}' failed: {problem}", "see the message above; run with --debug for the traceback"),
    "DK701": ("action server: {problem}", "{fix}"),
    "DK702": ("Rasa project: {problem}", "{fix}"),
    "DK703": (
        "action '{name}' runs on an action server, but {problem}",
        "add endpoints.yml next to domain.yml with `action_endpoint: {{url: http://localhost:5055/webhook}}`, or "
        "pass --endpoints to shell/serve/test",
    ),
    "DK801": ("endpoints {section}: {problem}", "{fix}"),
    "DK802": (
        "conversation '{conversation_id}' changed under this turn (expected {expected} stored events, found "
        "{found}): another process wrote it",
        "nothing was saved from this turn; send the message again. Serve several processes with a Redis lock store "
        "(lock_store: {{type: redis}}) so this does not happen",
    ),
    "DK804": (
        "channel '{name}' is a Rasa channel dialogkit has no adapter for yet: it is skipped",
        "talk to the bot over `rest`, `callback`, `socketio`, `telegram`, `slack` or `twilio`, or write a channel "
        "of your own (docs/interfaces.md)",
    ),
    "DK808": (
        "channel '{name}' needs the package {package}, which is not installed",
        "pip install 'dialogkit[channels]' (or {package} alone)",
    ),
    "DK805": (
        "unknown channel '{name}'{hint}",
        "use one of {known}, or a channel class of your own as `module.ClassName`",
    ),
    "DK806": ("channel '{name}': {field}: {problem}", "fix the setting (docs/interfaces.md lists each channel's)"),
    "DK807": (
        "channel class '{name}' cannot be used: {problem}",
        "define a subclass of dialogkit.framework.server.channels.Channel in a module next to credentials.yml",
    ),
    "DK809": (
        "channel '{name}' is skipped: {keys} left empty",
        "fill them in to serve this channel, or remove the channel from credentials.yml",
    ),
    "DK803": (
        "conversation '{conversation_id}' stayed locked for {seconds} s by another message",
        "send the message again; raise `wait` under lock_store if turns are slow",
    ),
    "DK606": (
        "the bot's language is '{language}' but encoder '{encoder}' was made for {languages}: its vocabulary splits "
        "{language} text into pieces it never learned, so intents and entities are learned poorly",
        "configure an encoder for '{language}' under `pipeline:` (`- name: bert_nlu` with `encoder:` a local model "
        "directory or a Hugging Face id, e.g. bert-base-chinese for zh, or a multilingual one); meanwhile the bot's "
        "own character features (`char_features`, on for such a bot) and its lookup, synonym and regex entities "
        "keep it usable",
    ),
    "DK607": (
        "t5_nlg will not generate replies for {which}: {reason}; the templates are said instead",
        "add responses' variations or `paraphrases:` and retrain, or set `gate: false` under `- name: t5_nlg` to "
        "keep it on anyway",
    ),
    "DK608": (
        "t5_nlg keeps the templates for {n} of {total} responses, where its check after training failed: {which}",
        "add variations or `paraphrases:` to those responses (to a record response, `examples:` of more field "
        "combinations) and retrain, or set `gate: false` under `- name: t5_nlg` to generate them anyway",
    ),
    "DK609": ("component '{name}' {problem}", "{fix}"),
    "DK605": (
        "the pipeline has no {stage} component",
        "add one to `pipeline:` (e.g. {example}) or remove `pipeline:` to use the defaults",
    ),
}


_STAND_INS: list[tuple[str, Callable[[Location], Location], str]] = []


def show_stand_in(folder: str | os.PathLike[str], translate: Callable[[Location], Location], original: str) -> None:
    """Show places in files under ``folder`` (a stand-in written for the user's own files, e.g.
    a Rasa project imported into a temporary bot) as ``translate`` gives them, and the folder
    named in a message as ``original``: messages point at what the user wrote, never at a copy
    that is gone after the command."""
    _STAND_INS.append((str(folder).rstrip("/\\"), translate, original))


def _shown(loc: Location) -> Location:
    for folder, translate, _ in _STAND_INS:
        if loc.path.startswith(folder + os.sep):
            return translate(loc)
    return loc


def _unstood(text: str) -> str:
    """``text`` with every stand-in folder named as the original it stands for."""
    for folder, _, original in _STAND_INS:
        text = text.replace(folder, original)
    return text


@dataclass(frozen=True)
class Location:
    """A place in a file; line and column are 1-based."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        shown = _shown(self)
        out = shown.path
        if shown.line is not None:
            out += f":{shown.line}"
            if shown.column is not None:
                out += f":{shown.column}"
        return out


@dataclass(frozen=True)
class Issue:
    """One problem found in user input, with its catalogue code."""

    code: str
    text: str
    fix: str
    location: Location | None = None
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity} {self.code}: {_unstood(self.text)}\n    fix: {_unstood(self.fix)}"


def message(code: str, location: Location | None = None, severity: str = "error", **fields: object) -> Issue:
    """Build an :class:`Issue` from the catalogue entry ``code`` filled with ``fields``."""
    text, fix = MESSAGES[code]
    return Issue(code, text.format(**fields), fix.format(**fields), location, severity)


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class DialogkitError(Exception):
    """Root of every error dialogkit raises on purpose; carries one or more issues."""

    exit_code = 2

    def __init__(self, issues: Issue | list[Issue]):
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        super().__init__("\n".join(i.render() for i in self.issues))

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]


class DomainError(DialogkitError):
    """A domain or data file is unreadable, malformed or inconsistent."""


class DataError(DialogkitError):
    """Training data (NLU examples, BIO files) is malformed."""


class ArchiveError(DialogkitError):
    """A model archive is missing, tampered with, truncated or incompatible."""


class ConfigError(DialogkitError):
    """A pipeline or component configuration is invalid."""


class ComponentError(DialogkitError):
    """A component failed while training or processing; wraps the original exception."""
