"""Meaning checks on a loaded domain: names, types, placeholders and the flow graph.

:func:`validate` returns a list of :class:`~framework.errors.Issue` (errors and warnings); the schema has
already been checked by the loader. The CLI's ``dialogkit validate`` prints them; :func:`check` raises on
errors and is what training and the Agent call before the first turn.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..domain.builtins import ACTION_SESSION_START, AFFIRM, BUILTIN_ACTIONS, BUILTIN_INTENTS, DENY, DM_RESPONSES
from ..domain.expressions import Expression, ExpressionError
from ..domain.loader import LoadedDomain
from ..domain.schema import REMOTE_ACTION, Domain, FromEntity, FromIntent, FromText, Slot, SlotType
from ..domain.schema import RUNTIME_RESPONSES as RUNTIME_RESPONSE_TEXTS
from ..domain.slot_types import value_problem
from ..domain.syntax import PAYLOAD_RE, placeholders, unbalanced_brace
from ..domain.training_data import collect_examples
from ..errors import ConfigError, DialogkitError, DomainError, Issue, Location, did_you_mean, message
from ..runtime.pipeline import get_component_class, resolve_pipeline
from .action_check import check_refs
from .flow_checks import FlowChecks

__all__ = [
    "BUILTIN_ACTIONS",
    "BUILTIN_INTENTS",
    "RUNTIME_RESPONSES",
    "check",
    "placeholders",
    "validate",
]

# said by the runtime itself: never "unused"
RUNTIME_RESPONSES = set(RUNTIME_RESPONSE_TEXTS) | DM_RESPONSES
# the domain section each kind of name is defined in
SECTIONS = {
    "intent": "intents",
    "entity": "entities",
    "slot": "slots",
    "response": "responses",
    "action": "actions",
    "flow": "flows",
}




class _Checker(FlowChecks):
    def __init__(self, loaded: LoadedDomain):
        self.loaded = loaded
        self._code_text: str | None = None
        self.d: Domain = loaded.domain
        self.issues: list[Issue] = []
        self.broken_flows: set[str] = set()  # flows with dangling links/gotos: no graph-shape cascades
        self.used: dict[str, set[str]] = {k: set() for k in ("intent", "entity", "slot", "response", "action", "flow")}
        self.code_refs: list[tuple[str, str, str, tuple[Any, ...]]] = []  # (ref, kind, owner, yaml path)
        self.resolved: list[tuple[str, Any]] = []  # the pipeline's components and configs (when it resolves)
        self.found_by_pipeline: set[str] = set()  # entities its components find undeclared (:meth:`pipeline`)

    def add(self, code: str, path: tuple[Any, ...], severity: str = "error", **fields: Any) -> None:
        self.issues.append(message(code, self.loaded.where(*path), severity, **fields))

    def ref(self, kind: str, name: str, path: tuple[Any, ...], where: str) -> bool:
        """Record a use of ``name``; report it if undefined. Returns True when defined."""
        self.used[kind].add(name)
        table = {
            "intent": set(self.d.intents) | BUILTIN_INTENTS,
            "entity": set(self.d.entities) | self.found_by_pipeline,
            "slot": set(self.d.slots),
            "response": set(self.d.responses),
            "action": set(self.d.actions) | BUILTIN_ACTIONS,
            "flow": set(self.d.flows),
        }[kind]
        if name in table:
            return True
        self.add(
            "DK301", path, kind=kind, name=name, where=where, hint=did_you_mean(name, table), section=SECTIONS[kind]
        )
        return False

    def condition(self, text: str, path: tuple[Any, ...], where: str) -> None:
        try:
            expr = Expression(text)
        except ExpressionError as e:
            self.add("DK209", path, expr=text, problem=f"{e.problem} (at character {e.position + 1})")
            return
        for name in sorted(expr.slot_names()):
            self.ref("slot", name, path, where)

    # --- sections ---------------------------------------------------------------------

    def run(self) -> list[Issue]:
        self.pipeline()
        self.language()
        self.examples()
        self.slots()
        self.responses()
        self.actions()
        self.flows()
        self.code()
        self.unused()
        return self.issues

    def pipeline(self) -> None:
        """Components, their config keys and types: the same code path `train` builds them with."""
        try:
            self.resolved = resolve_pipeline(self.loaded)
        except DialogkitError as e:
            self.issues.extend(e.issues)
        # defined: what a component finds whatever the bot declares (builtin_entities' dimensions)
        self.found_by_pipeline = {e for n, c in self.resolved for e in get_component_class(n).entities_found(c)}

    def language(self) -> None:
        from ..domain.tokenization import supported_language

        if not supported_language(self.d.language):
            self.add(
                "DK203",
                ("language",),
                where="language",
                problem=f"'{self.d.language}' is not a language spaCy can tokenize",
                fix="use a spaCy language code such as en, de, fr, zh, ja, xx (multi-language)",
            )

    def examples(self) -> None:
        for i, block in enumerate(self.d.nlu):
            self.ref("intent", block.intent, ("nlu", i, "intent"), f"nlu block {i + 1}")
        try:
            examples = collect_examples(self.loaded)
        except DialogkitError as e:  # DataError: malformed annotations, with locations
            self.issues.extend(e.issues)
            return
        for ex in examples:
            for span in ex.entities:
                if span.entity not in self.d.entities:
                    self.issues.append(message("DK406", ex.location, intent=ex.intent, entity=span.entity))
                elif (
                    span.role
                    and self.d.entities[span.entity].roles
                    and span.role not in self.d.entities[span.entity].roles
                ):
                    self.issues.append(
                        message(
                            "DK203",
                            ex.location,
                            where=f"example of '{ex.intent}'",
                            problem=f"role '{span.role}' is not a role of entity "
                            f"'{span.entity}'{did_you_mean(span.role, self.d.entities[span.entity].roles)}",
                            fix=f"use one of: {', '.join(self.d.entities[span.entity].roles)}",
                        )
                    )

    def slots(self) -> None:
        for name, slot in self.d.slots.items():
            base = ("slots", name)
            if slot.invalid_response:
                self.ref("response", slot.invalid_response, (*base, "invalid_response"), f"slot '{name}'")
            if slot.validator:
                self.module(slot.validator, name, (*base, "validator"), kind="slot validator")
            for intent in (AFFIRM, DENY) if slot.confirm_correction else ():
                if intent not in self.d.intents:
                    self.add("DK320", (*base, "confirm_correction"), slot=name, intent=intent)
            for i, m in enumerate(slot.mappings):
                p = (*base, "mappings", i)
                where = f"mapping {i + 1} of slot '{name}'"
                for intent in (
                    m.intents()
                    if not isinstance(m, FromIntent)
                    else [m.intent]
                    if isinstance(m.intent, str)
                    else m.intent
                ):
                    self.ref("intent", intent, (*p, "intent"), where)
                for intent in m.not_intents():
                    self.ref("intent", intent, (*p, "not_intent"), where)
                for j, c in enumerate(m.conditions):
                    if c.active_flow:
                        self.ref("flow", c.active_flow, (*p, "conditions", j, "active_flow"), where)
                    if c.requested_slot:
                        self.ref("slot", c.requested_slot, (*p, "conditions", j, "requested_slot"), where)
                if isinstance(m, FromEntity):
                    if self.ref("entity", m.entity, (*p, "entity"), where) and m.role:
                        roles = self.d.entities[m.entity].roles
                        if roles and m.role not in roles:
                            self.add(
                                "DK203",
                                (*p, "role"),
                                where=where,
                                problem=f"role '{m.role}' is not a role of entity "
                                f"'{m.entity}'{did_you_mean(m.role, roles)}",
                                fix=f"use one of: {', '.join(roles)}",
                            )
                    self.entity_fits(name, slot, m, p)
                elif isinstance(m, FromIntent):
                    problem = value_problem(slot, m.value)
                    if problem:
                        self.add(
                            "DK304",
                            (*p, "value"),
                            slot=name,
                            type=slot.type.value,
                            mapping=f"from_intent value {m.value!r}",
                            why=problem,
                            fix="give a value of the slot's type",
                        )
                elif isinstance(m, FromText) and slot.type is SlotType.bool:
                    self.add(
                        "DK304",
                        p,
                        slot=name,
                        type="bool",
                        mapping="from_text",
                        why="free text is not a yes/no answer",
                        fix="use from_intent mappings (e.g. affirm -> true, deny -> false)",
                    )

    def entity_fits(self, name: str, slot: Slot, m: FromEntity, path: tuple[Any, ...]) -> None:
        """A categorical slot filled from an entity must accept the entity's known canonical values."""
        entity = self.d.entities.get(m.entity)
        if entity is None or slot.type is not SlotType.categorical:
            return
        allowed = {str(v).lower() for v in slot.values or []}
        variants = _all_synonym_variants(entity)
        known = {str(v).lower() for v in entity.synonyms} | {v.lower() for v in entity.lookup if v not in variants}
        bad = sorted(v for v in known if v not in allowed)
        if bad:
            self.add(
                "DK304",
                path,
                slot=name,
                type="categorical",
                mapping=f"entity '{m.entity}'",
                why=f"its values {bad[:5]} are not among the slot's values",
                fix="add them to the slot's `values:` or map them with synonyms",
            )

    def module(self, ref: str, owner: str, path: tuple[Any, ...], kind: str = "action") -> None:
        """Note a custom action or slot validator to import-check (see :meth:`code`)."""
        if ref == REMOTE_ACTION:
            endpoints = Path(self.loaded.directory) / "endpoints.yml"
            if not endpoints.is_file():
                self.add("DK703", path, "warning", name=owner, problem=f"there is no {endpoints}")
            return
        self.code_refs.append((ref, kind, owner, path))

    def code(self) -> None:
        """Import every action and validator module in a child process (the bot's code never runs
        here) and report what would fail at run time: missing modules and functions, errors at
        import time (at their file:line), functions that cannot take dialogkit's arguments."""
        root = Path(self.loaded.directory)
        # actions are called as fn(tracker, dispatcher), validators as fn(value, tracker): two arguments each
        results = check_refs({ref: 2 for ref, _, _, _ in self.code_refs}, root.parent if root.is_file() else root)
        for ref, kind, owner, path in self.code_refs:
            problem = results.get(ref)
            if problem is None:
                continue
            module, _, attr = ref.partition(":")
            what = f"{kind} '{owner}'"
            if problem.kind == "missing_module":
                self.add("DK312", path, module=module, name=what)
            elif problem.kind == "missing_function":
                self.add(
                    "DK315", path, what=what, module=module, attr=attr, hint=did_you_mean(attr, problem.suggestions)
                )
            elif problem.kind in ("import_error", "timeout") and problem.path:
                referenced = self.loaded.where(*path)
                code_root = root.parent if root.is_file() else root
                file = Path(problem.path)
                with contextlib.suppress(ValueError):  # the module's path as the user gave the bot's
                    file = code_root / file.resolve().relative_to(code_root.resolve())
                self.issues.append(
                    message(
                        "DK314",
                        Location(str(file), problem.line, problem.column),
                        what=what,
                        module=module,
                        problem=f"{problem.problem} (referenced at {referenced})",
                    )
                )
            elif problem.kind in ("import_error", "timeout"):
                self.add("DK314", path, what=what, module=module, problem=problem.problem)
            else:
                self.add("DK316", path, what=what, problem=problem.problem)

    def responses(self) -> None:
        for name, resp in self.d.responses.items():
            if resp.record is not None:  # said without a record, its fields are read from the slots of their names
                self.used["slot"].update(f for f in resp.record.fields if f in self.d.slots)
            for i, v in enumerate(resp.variations):
                p = ("responses", name, i)
                for field in ("text",):
                    text = getattr(v, field)
                    self.braces(text or "", (*p, field), name)
                    for ph in placeholders(text or ""):
                        self.used["slot"].add(ph)
                        if ph not in self.d.slots:
                            self.add("DK303", (*p, field), name=ph, response=name, hint=did_you_mean(ph, self.d.slots))
                if v.condition:
                    self.condition(v.condition, (*p, "condition"), f"response '{name}'")
                for j, b in enumerate(v.buttons):
                    m = PAYLOAD_RE.match(b.payload)
                    if m:
                        self.ref("intent", m.group(1), (*p, "buttons", j, "payload"), f"a button of '{name}'")
            for i, para in enumerate(resp.paraphrases):
                pp = ("responses", name, "paraphrases", i)
                self.braces(para.text, pp, name)
                for ph in placeholders(para.text):
                    self.used["slot"].add(ph)
                    if ph not in self.d.slots:
                        self.add("DK303", pp, name=ph, response=name, hint=did_you_mean(ph, self.d.slots))
                for slot in para.slots:
                    self.ref("slot", slot, (*pp, "slots", slot), f"a paraphrase of '{name}'")
                if para.condition:
                    self.condition(para.condition, (*pp, "condition"), f"response '{name}'")

    def braces(self, text: str, path: tuple[Any, ...], response: str) -> None:
        """A `{` or `}` that opens or closes no placeholder would be printed to users as it is."""
        column = unbalanced_brace(text)
        if column is not None:
            self.add(
                "DK317",
                path,
                response=response,
                brace=text[column],
                column=column + 1,
                text=text[max(0, column - 20) : column + 20],
            )

    def actions(self) -> None:
        for name, ref in self.d.actions.items():
            self.module(ref, name, ("actions", name))

    def _code(self) -> str:
        """The text of the bot's action code files, read once (an unreadable one is the import check's)."""
        if self._code_text is None:
            from .bot_code import action_code_files

            self._code_text = "\n".join(_text_of(p) for p in action_code_files(self.loaded))
        return self._code_text

    # --- flows ------------------------------------------------------------------------

    def unused(self) -> None:
        # said by the runtime
        asked = {f"utter_ask_{s}" for s in self.d.slots} | {f"utter_continue_{f}" for f in self.d.flows}
        # a response the bot's action code names, as a quoted string (dispatcher.utter(response="..."))
        code = self._code()
        self.used["response"].update(r for r in self.d.responses if f'"{r}"' in code or f"'{r}'" in code)
        for kind, table, exempt in (
            ("intent", self.d.intents, BUILTIN_INTENTS),
            ("entity", self.d.entities, set()),
            ("slot", self.d.slots, set()),
            ("response", self.d.responses, RUNTIME_RESPONSES | asked),
            ("action", self.d.actions, {ACTION_SESSION_START}),  # the bot's own session start: the agent runs it
        ):
            for name in table:
                if name not in self.used[kind] and name not in exempt:
                    self.add("DK302", (SECTIONS[kind], name), "warning", kind=kind, name=name)


def _text_of(path: Any) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return str(path.read_text(encoding="utf-8"))
    return ""


def _all_synonym_variants(entity: Any) -> set[str]:
    return {v for variants in entity.synonyms.values() for v in variants}


def validate(loaded: LoadedDomain | str | Path, strict: bool = False) -> list[Issue]:
    """All meaning issues of ``loaded`` (a bot folder, or what :func:`load_domain` read from one);
    with ``strict`` warnings become errors. A folder that cannot be read raises :class:`DomainError`."""
    if isinstance(loaded, (str, Path)):
        from ..domain.loader import load_domain

        loaded = load_domain(loaded)
    issues = _Checker(loaded).run()
    if strict:
        issues = [Issue(i.code, i.text, i.fix, i.location, "error") for i in issues]
    seen, unique = set(), []
    for i in issues:
        key = (i.code, i.text, str(i.location))
        if key not in seen:
            seen.add(key)
            unique.append(i)
    return unique


def check(loaded: LoadedDomain) -> list[Issue]:
    """Raise :class:`DomainError` if ``loaded`` has errors; return its warnings."""
    issues = validate(loaded)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        # pipeline problems (DK6xx) alone are configuration errors; anything else is the domain's
        raise (ConfigError if all(i.code.startswith("DK6") for i in errors) else DomainError)(errors)
    return issues
