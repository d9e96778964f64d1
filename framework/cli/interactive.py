"""`dialogkit interactive`: talk to a bot, correct what it understood and did, keep the result.

For each message it shows what the NLU found and asks, one line each (Enter accepts):

- ``intent``: a number from the ranking shown, or any intent's name;
- ``entities``: the message retyped with inline annotations (``to [Paris](city)``), or ``-`` for none;

then runs the turn with the confirmed intent and entities, shows what the bot did (responses
said, actions run) and asks ``next``: the responses/actions it should have run, comma-separated.
Flows are written, not learned, so a corrected ``next`` is kept as what the conversation test
expects (it fails until a flow does it) and the session says so.

What it keeps: messages whose intent or entities were corrected are appended to the bot's NLU
data as ``nlu:`` blocks with inline annotations (``data/interactive.yml``); each conversation is
appended to ``tests/interactive.yml`` as a conversation test (the confirmed intents, the slots
set, the responses and actions). Both are written by appending, so comments and earlier entries
stay; a file that cannot take the entries (edited into another shape) is left alone and the
next free ``-N`` name is used. ``/train`` saves and retrains the bot's model (only the
components whose data changed: the NLU after corrections) and carries on in the same
conversation. ``/save`` writes the corrections and the finished conversations now; the current
conversation is saved when it ends (``/restart``, ``/exit`` or the end of the input).
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..domain.builtins import BUILTIN_INTENTS
from ..errors import did_you_mean
from ..runtime.tracker import ActionExecuted
from .corrections import append_entries

__all__ = ["InteractiveSession", "append_entries", "run_interactive"]  # append_entries: from .corrections

HELP = ("each prompt: Enter accepts; intent: a number or an intent name; entities: the message with "
        "annotations, e.g. 'to [Paris](city)', or '-' for none; next: responses/actions, comma-separated.\n"
        "commands: /train (save, retrain what changed, go on)  /save  /restart  /slots  /help  /exit")


class _EndOfInput(Exception):
    pass


@dataclass
class _Io:
    stdin: TextIO
    out: TextIO
    tty: bool

    def ask(self, prompt: str) -> str:
        if self.tty:
            try:
                return input(prompt)
            except EOFError:
                raise _EndOfInput from None
        raw = self.stdin.readline()
        if not raw:
            raise _EndOfInput
        answer = raw.rstrip("\n")
        print(f"{prompt}{answer}", file=self.out)  # piped: the transcript shows what was answered
        return answer

    def say(self, text: str) -> None:
        print(text, file=self.out)


@dataclass
class InteractiveSession:
    """A developer's session with one bot: the model, what was corrected, what is not saved yet."""

    bot: Path
    model: str
    agent: Any
    data_file: Path
    tests_file: Path
    started: str = field(default_factory=lambda: _dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    steps: list[dict[str, Any]] = field(default_factory=list)  # the current conversation's test steps
    conversations: list[dict[str, Any]] = field(default_factory=list)  # finished, not saved yet
    examples: list[tuple[str, str]] = field(default_factory=list)  # (intent, annotated text), not saved yet
    number: int = 1  # of the current conversation in this session
    known: set[tuple[str, str]] | None = None  # (intent, annotated text) the bot has or this session noted

    @property
    def conversation_id(self) -> str:
        return f"interactive-{self.number}"

    # --- one message --------------------------------------------------------------------

    def turn(self, text: str, io: _Io) -> None:
        from ..domain.training_data import EntitySpan, format_example

        agent = self.agent
        before = dict(agent.tracker(self.conversation_id).slots)
        start = len(agent.tracker(self.conversation_id).events)
        payload = text.strip().startswith("/")
        given = None
        step: dict[str, Any] = {"user": text}
        if not payload:
            parse = agent.parse(text)
            found = (parse.get("intent") or {}).get("name")
            ranked = (parse.get("intent_ranking") or [])[:5]
            io.say(
                "  intent: "
                + (", ".join(f"{i}) {r['name']} {r['confidence']:.2f}" for i, r in enumerate(ranked, 1)) or "(none)")
            )
            intent = self._ask_intent(io, found, [r["name"] for r in ranked])
            spans = [
                EntitySpan(
                    e["start"],
                    e["end"],
                    e["entity"],
                    text[e["start"] : e["end"]],
                    role=e.get("role"),
                    group=e.get("group"),
                )
                for e in parse.get("entities") or []
                if e.get("start") is not None
            ]
            io.say(f"  entities: {format_example(text, spans) if spans else '(none)'}")
            confirmed = self._ask_entities(io, text, spans)
            if intent != found or _span_key(confirmed) != _span_key(spans):
                self._keep_example(intent, format_example(text, confirmed), io)
            given = {
                "intent": {"name": intent, "confidence": 1.0},
                "entities": self._entities(text, confirmed, parse.get("entities") or []),
            }
            step["intent"] = intent
        turn = agent.handle_turn(text, self.conversation_id, "cmdline", parse=given)
        for m in turn.messages:
            io.say(f"bot> {m.get('text') or ''}")
        new = agent.tracker(self.conversation_id).events[start:]
        after = agent.tracker(self.conversation_id).slots
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            io.say("  slots: " + ", ".join(f"{k}={v!r}" for k, v in changed.items()))
        for r in turn.refused:  # a value the DM did not take is otherwise invisible
            io.say(f"  refused: {r['slot']}={r['value']!r} ({r['why']})")
        did = [("bot", m["response"]) for m in turn.messages if m.get("response")]
        did += [("action", e.name) for e in new if isinstance(e, ActionExecuted) and e.name in agent.domain.actions]
        io.say(f"  next: {', '.join(name for _, name in did) or '(nothing)'}")
        expected = self._ask_next(io, did)
        self.steps.append(step)
        self.steps += [{kind: name} for kind, name in expected]
        if changed:
            self.steps.append({"slots": changed})

    def _ask_intent(self, io: _Io, found: str | None, ranking: list[str]) -> str:
        known = [*self.agent.domain.intents, *sorted(BUILTIN_INTENTS)]
        while True:
            numbers = f"1-{len(ranking)} or " if ranking else ""
            answer = io.ask(f"  intent ok? [Enter: {found}; or {numbers}a name] ").strip()
            if not answer and found:
                return found
            if not answer:
                io.say("  the NLU found no intent: pick one by its number or name")
                continue
            if answer.isdigit() and 1 <= int(answer) <= len(ranking):
                return ranking[int(answer) - 1]
            if answer in known:
                return answer
            io.say(
                f"  '{answer}' is not an intent of this bot{did_you_mean(answer, known)}; an intent must be "
                "declared under `intents:` first"
            )

    def _ask_entities(self, io: _Io, text: str, spans: list[Any]) -> list[Any]:
        from ..domain.training_data import AnnotationError, parse_example

        declared = self.agent.domain.entities
        while True:
            answer = io.ask(
                "  entities ok? [Enter: yes; or the message with [text](entity) annotations; '-' for none] "
            ).strip()
            if not answer:
                return spans
            if answer == "-":
                return []
            try:
                plain, marked = parse_example(answer)
            except AnnotationError as e:
                io.say(f"  could not read the annotations: {e}")
                continue
            if plain != text:
                io.say(f"  the text must stay the message as sent ({text!r}); got {plain!r}: annotate, do not reword")
                continue
            unknown = [s.entity for s in marked if s.entity not in declared]
            if unknown:
                io.say(
                    f"  '{unknown[0]}' is not an entity of this bot{did_you_mean(unknown[0], declared)}; declare it "
                    "under `entities:` first"
                )
                continue
            return marked

    def _ask_next(self, io: _Io, did: list[tuple[str, str]]) -> list[tuple[str, str]]:
        domain = self.agent.domain
        while True:
            answer = io.ask(
                "  next ok? [Enter: yes; or the responses/actions it should have run, comma-separated; '-' for none] "
            ).strip()
            if not answer:
                return did
            names = [] if answer == "-" else [n.strip() for n in answer.split(",") if n.strip()]
            unknown = [n for n in names if n not in domain.responses and n not in domain.actions]
            if unknown:
                io.say(
                    f"  '{unknown[0]}' is neither a response nor an action of this "
                    f"bot{did_you_mean(unknown[0], [*domain.responses, *domain.actions])}"
                )
                continue
            expected = [("bot" if n in domain.responses else "action", n) for n in names]
            if expected != did:
                io.say(
                    "  kept as what the test expects; the flows did otherwise, so tests/ will fail here until a flow "
                    "does it (edit `flows:`); the conversation goes on from what the bot did"
                )
            return expected

    def _entities(self, text: str, spans: list[Any], parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The confirmed spans as NLU entities: values as the NLU found them where the span is
        unchanged, else through the bot's synonyms (as the rule extractor maps them)."""
        from ..domain.tokenization import normalize_phrase

        synonyms = self.agent.domain.synonym_map()
        found = {(e.get("start"), e.get("end"), e["entity"]): e for e in parsed}
        out = []
        for s in spans:
            same = found.get((s.start, s.end, s.entity))
            value = (
                same["value"]
                if same
                else s.value
                if s.value is not None
                else synonyms.get((s.entity, normalize_phrase(s.text)), s.text)
            )
            out.append({"entity": s.entity, "value": value, "start": s.start, "end": s.end, "confidence": 1.0,
                        "role": s.role, "group": s.group, "extractor": "interactive"})
        # entities without a span (none from text NLU today) are kept as the NLU gave them
        return out + [e for e in parsed if e.get("start") is None]

    def _keep_example(self, intent: str, annotated: str, io: _Io) -> None:
        if self.known is None:  # the bot's examples, read once per session (the corrections are added as they come)
            self.known = self._read_examples()
        if (intent, annotated) in self.known:
            return
        self.known.add((intent, annotated))
        self.examples.append((intent, annotated))
        io.say(f"  noted for the NLU data: {intent}: {annotated}")

    def _read_examples(self) -> set[tuple[str, str]]:
        from ..domain.loader import load_domain
        from ..domain.training_data import collect_examples, format_example

        try:
            return {
                (ex.intent or "", format_example(ex.text, ex.entities))
                for ex in collect_examples(load_domain(self.bot))
            }
        except Exception:  # noqa: BLE001 - the bot being edited meanwhile: no dedup is better than no session
            return set()

    # --- conversations, saving, retraining ----------------------------------------------

    def end_conversation(self) -> None:
        if any("user" in s for s in self.steps):
            self.conversations.append({"name": f"interactive {self.started} #{self.number}", "steps": self.steps})
        self.steps = []
        self.number += 1

    def save(self, io: _Io) -> None:
        """Append the corrected examples and the finished conversations to the bot's files."""
        if not self.examples and not self.conversations:
            io.say("nothing new to save")
            return
        if self.examples:
            blocks: list[dict[str, Any]] = []
            for intent, line in self.examples:
                if blocks and blocks[-1]["intent"] == intent:
                    blocks[-1]["examples"].append(line)
                else:
                    blocks.append({"intent": intent, "examples": [line]})
            header = "# NLU examples corrected in `dialogkit interactive` (appended; edit freely).\n"
            written = append_entries(
                self.data_file,
                "nlu",
                [_nlu_block(b) for b in blocks],
                header,
                f"{self.started}: {len(self.examples)} example(s)",
            )
            io.say(f"saved {len(self.examples)} corrected example(s) to {written}")
            self.examples = []
        if self.conversations:
            header = "# Conversations recorded with `dialogkit interactive` (appended; edit freely).\n"
            written = append_entries(self.tests_file, "conversations", self.conversations, header, self.started)
            io.say(f"saved {len(self.conversations)} conversation(s) as tests in {written}")
            self.conversations = []

    def retrain(self, io: _Io) -> None:
        from ..build.training import train
        from ..runtime.agent import Agent

        self.save(io)
        io.say(f"retraining {self.model} from {self.bot} (components whose data did not change are reused)...")
        result = train(self.bot, self.model)
        store = self.agent.store
        self.agent = Agent.load(self.model, store=store)  # the same conversations go on
        io.say(
            f"retrained in {result.seconds:.1f}s (trained: {', '.join(result.trained) or 'none'}; reused: "
            f"{', '.join(result.reused) or 'none'})"
        )


def _span_key(spans: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((s.start, s.end, s.entity, s.role, s.group) for s in spans)


def _nlu_block(block: dict[str, Any]) -> dict[str, Any]:
    return {"intent": block["intent"], "examples": list(block["examples"])}






def run_interactive(bot: str | None, model: str | None = None, endpoints: str | None = None,
                    stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """The interactive session on the bot folder ``bot`` (default: the current folder)."""
    from ..build.bot_models import is_bot_dir, ready_model
    from ..errors import DomainError, Location, message
    from ..runtime.agent import Agent

    out = stdout or sys.stdout
    stdin = stdin or sys.stdin
    root = Path(bot or ".")
    if not is_bot_dir(root):
        raise DomainError(message("DK116", Location(str(root)), path=str(root)))
    if model is None:
        model = ready_model(str(root), say=lambda m: print(m, file=out))
    agent = Agent.load(model)
    if endpoints:
        agent.use_endpoints(endpoints)
    io = _Io(stdin, out, stdin.isatty())
    session = InteractiveSession(
        root, model, agent, root / "data" / "interactive.yml", root / "tests" / "interactive.yml"
    )
    io.say(f"dialogkit interactive: {agent.manifest.get('domain_name') or root} ({model}). {HELP}")
    try:
        while True:
            text = io.ask("you> ")
            command = text.strip()
            if not command:
                continue
            if command in ("/exit", "/quit"):
                break
            if command == "/help":
                io.say(HELP)
            elif command == "/save":
                session.save(io)
                io.say("(this conversation is saved as a test when it ends: /restart or /exit)")
            elif command == "/train":
                session.retrain(io)
            elif command == "/slots":
                io.say(
                    ", ".join(
                        f"{k}={v!r}"
                        for k, v in session.agent.tracker(session.conversation_id).slots.items()
                        if v is not None
                    )
                    or "(no slot set)"
                )
            elif command == "/restart":
                session.end_conversation()
                io.say("bot> (new conversation)")
            else:
                session.turn(text, io)
    except _EndOfInput:
        pass
    except KeyboardInterrupt:
        io.say("")
    session.end_conversation()
    session.save(io)
    return 0
