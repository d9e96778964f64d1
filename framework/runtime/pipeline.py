"""The component contract and the one registry that builds components by name.

A component is a class with a typed pydantic ``Config``, a ``stage`` (nlu, dm or
nlg), ``process(turn)`` and, when it learns, ``train(data)``; ``save(path)`` and
``load(path, config, context)`` move it in and out of a model archive. Nothing
happens in ``__init__`` beyond storing its arguments: no file I/O, no downloads.

Built-in components are listed in :data:`BUILTIN_COMPONENTS` as ``module:Class``
strings and imported only when used, so the CLI starts fast and torch is not
imported by commands that do not need it. Third-party components are added with
:func:`register_component`.
"""

from __future__ import annotations

import contextlib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import ComponentError, ConfigError, DialogkitError, Location, did_you_mean, message
from .turn import AGENT_FIELDS, Turn, turn_fields

if TYPE_CHECKING:
    from ..domain.schema import Domain

__all__ = [
    "BUILTIN_COMPONENTS",
    "Component",
    "ComponentConfig",
    "DEFAULT_PIPELINE",
    "TrainingContext",
    "Turn",
    "available_components",
    "check_stage_data",
    "component_errors",
    "get_component_class",
    "made_for_other_languages",
    "register_component",
    "resolve_config",
    "resolve_pipeline",
]

# One explicit list: name -> "module:Class". Snapshot-tested in tests/framework/test_pipeline.py.
BUILTIN_COMPONENTS: dict[str, str] = {
    "bert_nlu": "dialogkit.components.nlu.bert_nlu:BertNLU",
    "keyword_intent_classifier": "dialogkit.components.nlu.keyword_intent:KeywordIntentClassifier",
    "rule_entity_extractor": "dialogkit.components.nlu.rule_entities:RuleEntityExtractor",
    "builtin_entities": "dialogkit.components.nlu.builtin_entities:BuiltinEntities",
    "flow_policy": "dialogkit.components.dm.flow_policy:FlowPolicy",
    "template_nlg": "dialogkit.components.nlg.templates:TemplateNLG",
    "t5_nlg": "dialogkit.components.nlg.generator:T5NLG",
}

# Used when a domain has no `pipeline:`; works offline with no config at all.
DEFAULT_PIPELINE: list[dict[str, Any]] = [
    {"name": "rule_entity_extractor", "learn_from_examples": False},
    {"name": "bert_nlu"},
    {"name": "flow_policy"},
    {"name": "t5_nlg"},
]

_EXTRA: dict[str, type[Component]] = {}
# The domain sections each stage learns from (None: all of it).
_STAGE_DATA: dict[str, tuple[str, ...] | None] = {
    "nlu": ("language", "intents", "entities", "nlu"),
    "dm": None,  # everything but `pipeline` (each component's config is fingerprinted on its own)
    "nlg": ("language", "responses", "slots"),
}


class ComponentConfig(BaseModel):
    """Base for component configs: typed, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class TrainingContext:
    """What a trainable component learns from: the loaded domain and its parsed examples."""

    loaded: Any
    examples: list[Any]
    seed: int = 42
    validation: list[Any] | None = None  # held-out examples for early stopping, if the caller has them
    progress: Any = None  # callable(str) for per-epoch lines
    # Issues a component reports about what it learned (printed by `train`)
    warnings: list[Any] = field(default_factory=list)
    previous: Path | None = None  # `train --finetune`: this component's folder in the model to continue from
    # `train --finetune`: the share of its epochs a component continuing from `previous` trains
    epoch_fraction: float = 1.0


class Component(ABC):
    """Base of every pipeline component."""

    name: ClassVar[str]
    stage: ClassVar[str]  # "nlu" | "dm" | "nlg"
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    trainable: ClassVar[bool] = False
    code_version: ClassVar[str] = "1"  # bump when a change must invalidate trained archives
    # The Turn fields this component needs filled before it runs, and those it fills
    # (checked when the pipeline is built: :func:`check_stage_data`).
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ComponentConfig, domain: Domain):
        self.config = config
        self.domain = domain

    @classmethod
    def entities_found(cls, config: ComponentConfig) -> set[str]:
        """The entities this component finds with ``config`` whatever the bot declares (a slot may map
        them without declaring them under ``entities:``); most find only the bot's own."""
        return set()

    @abstractmethod
    def process(self, turn: Turn) -> None:
        """Read and update ``turn`` for one user message."""

    def process_batch(self, turns: list[Turn]) -> None:
        """Process several turns; components that can batch (a neural encoder) override this."""
        for turn in turns:
            self.process(turn)

    def train(self, context: TrainingContext) -> None:
        """Learn from ``context``. Only trainable components override this."""
        raise NotImplementedError(f"component '{self.name}' is not trainable")

    def data_fingerprint(self, context: TrainingContext) -> Any:
        """What this component learns from; a change here means retraining."""
        domain = context.loaded.domain.model_dump(mode="json", by_alias=True)
        keys = _STAGE_DATA[self.stage] or [k for k in domain if k != "pipeline"]
        return {k: domain[k] for k in keys}

    def describe(self) -> dict[str, Any]:
        """What a user should know about this loaded component (shown by `shell` and `/version`)."""
        return {}

    def save(self, path: Path) -> None:  # noqa: B027 - stateless components have nothing to save
        """Write learned state into directory ``path`` (safetensors / JSON only)."""

    @classmethod
    def load(cls, path: Path, config: Any, domain: Domain) -> Component:
        """Rebuild the component from ``path`` written by :meth:`save`."""
        return cls(config, domain)

    @classmethod
    def config_actions(cls, config: ComponentConfig) -> dict[str, str]:
        """Actions this component's config names (config key -> action), checked by ``validate``
        as references to the domain's actions; a DM component that runs one on every message
        (it may extract slots) names it here."""
        return {}

    @classmethod
    def config_flows(cls, config: ComponentConfig) -> dict[str, str]:
        """Flows this component's config names (config key -> flow), checked by ``validate`` as
        references to the domain's flows (a flow started this way needs no ``when``)."""
        return {}


@contextlib.contextmanager
def component_errors(name: str, doing: str = "") -> Iterator[None]:
    """Name component ``name`` in any failure inside (DK604, ``doing`` says in what, e.g.
    "could not load"); dialogkit's own errors pass through as they are."""
    try:
        yield
    except DialogkitError:
        raise
    except Exception as e:
        raise ComponentError(
            message("DK604", name=name, problem=f"{doing + ': ' if doing else ''}{type(e).__name__}: {e}")
        ) from e


def made_for_other_languages(languages: Sequence[str], language: str) -> bool:
    """True when a model whose card names ``languages`` was not made for the bot's ``language``
    (unknown languages, a multilingual model or a bot in ``xx`` never count as a mismatch)."""
    return bool(languages) and "multi" not in languages and language not in languages and language != "xx"


def register_component(name: str, cls: type[Component] | str) -> None:
    """Register a component class (or ``module:Class`` string) under ``name``."""
    if name in BUILTIN_COMPONENTS or name in _EXTRA:
        first = BUILTIN_COMPONENTS.get(name) or _qualname(_EXTRA[name])
        raise ConfigError(
            message("DK602", name=name, first=first, second=cls if isinstance(cls, str) else _qualname(cls))
        )
    _EXTRA[name] = cls if not isinstance(cls, str) else _import(cls)


def available_components() -> list[str]:
    return sorted({*BUILTIN_COMPONENTS, *_EXTRA})


def get_component_class(name: str) -> type[Component]:
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in BUILTIN_COMPONENTS:
        raise ConfigError(
            message(
                "DK601",
                name=name,
                hint=did_you_mean(name, available_components()),
                available=", ".join(available_components()),
            )
        )
    return _import(BUILTIN_COMPONENTS[name])


def resolve_config(
    name: str, user_config: dict[str, Any], locate: Callable[[tuple[Any, ...]], Location | None] | None = None
) -> ComponentConfig:
    """Merge ``user_config`` over the component's defaults; raise a clear error on bad keys.

    ``locate`` maps a key path inside the component's config to a place in the domain file.
    """
    cls = get_component_class(name)
    try:
        return cls.Config.model_validate(user_config)
    except ValidationError as e:
        issues = []
        valid = list(cls.Config.model_fields)
        for err in e.errors(include_url=False):
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problem = f"unknown key '{key}'{did_you_mean(key, valid)}; valid keys: {', '.join(valid) or '(none)'}"
            else:
                problem = f"'{key}': {err['msg']}"
            loc = locate(tuple(err["loc"])) if locate else None
            issues.append(
                message("DK603", loc, name=name, problem=problem, fix="fix the component's keys under `pipeline:`")
            )
        raise ConfigError(issues) from None


STAGES = ("nlu", "dm", "nlg")
_STAGE_EXAMPLES = {"nlu": "bert_nlu", "dm": "flow_policy", "nlg": "template_nlg"}


def resolve_pipeline(loaded: Any) -> list[tuple[str, ComponentConfig]]:
    """The domain's pipeline (or the default) as (name, resolved config) pairs: every component
    known, every config key and type right, every stage present. One code path for
    ``dialogkit validate`` and ``train``; all problems are raised together, located in the file."""
    specs = loaded.domain.pipeline
    # (the default pipeline's components run with their own defaults, as they always have)
    pairs = [(s.name, s.config()) for s in specs] if specs else [(d["name"], {}) for d in DEFAULT_PIPELINE]
    issues = []
    resolved: list[tuple[str, ComponentConfig]] = []
    for i, (name, cfg) in enumerate(pairs):
        try:
            resolved.append((name, resolve_config(name, cfg, locate=partial(_in_pipeline, loaded, i))))
        except ConfigError as e:
            issues.extend(_located(e.issues, loaded.where("pipeline", i, "name") if specs else None))
    if not issues:
        stages = {get_component_class(name).stage for name, _ in resolved}
        for stage in STAGES:
            if stage not in stages:
                issues.append(
                    message(
                        "DK605", loaded.where("pipeline"), stage=stage, example=f"`- name: {_STAGE_EXAMPLES[stage]}`"
                    )
                )
    if not issues:
        where = (lambda i: loaded.where("pipeline", i, "name")) if specs else (lambda i: None)
        issues.extend(check_stage_data([get_component_class(name) for name, _ in resolved], where))
    if issues:
        raise ConfigError(issues)
    return resolved


def check_stage_data(
    classes: list[type[Component]], where: Callable[[int], Location | None] = lambda i: None
) -> list[Any]:
    """What each component ``requires`` from the turn is assigned before it runs (by the agent,
    or a component of an earlier stage or earlier in the same stage); declared fields exist."""
    known = turn_fields()
    order = sorted(
        range(len(classes)),
        key=lambda i: (STAGES.index(classes[i].stage) if classes[i].stage in STAGES else len(STAGES), i),
    )
    have = set(AGENT_FIELDS)
    issues = []
    for i in order:
        cls = classes[i]
        unknown = [f for f in (*cls.requires, *cls.assigns) if f not in known]
        if unknown:
            issues.append(
                message(
                    "DK609",
                    where(i),
                    name=cls.name,
                    problem=f"declares turn field '{unknown[0]}'{did_you_mean(unknown[0], known)}, which a turn does "
                    "not have",
                    fix=f"fix `requires`/`assigns` of {_qualname(cls)}; turn fields: {', '.join(sorted(known))}",
                )
            )
            continue
        missing = [f for f in cls.requires if f not in have]
        if missing:
            makers = sorted(
                {c.name for c in classes if set(missing) & set(c.assigns)}
                | {n for n, ref in BUILTIN_COMPONENTS.items() if set(missing) & set(_assigns_of(ref))}
            )
            issues.append(
                message(
                    "DK609",
                    where(i),
                    name=cls.name,
                    problem=f"needs {', '.join(missing)} filled, and no component that runs before it fills "
                    f"{'it' if len(missing) == 1 else 'them'}",
                    fix=f"add a component that does ({', '.join(makers) or 'none is registered'}) before it under "
                    "`pipeline:`",
                )
            )
        have.update(cls.assigns)
    return issues


def _assigns_of(ref: str) -> tuple[str, ...]:
    try:
        return _import(ref).assigns
    except ImportError:  # an optional dependency missing: it cannot be suggested
        return ()


def _in_pipeline(loaded: Any, i: int, key: tuple[Any, ...]) -> Location | None:
    """Where key path ``key`` of pipeline entry ``i``'s config is written."""
    where: Location | None = loaded.positions.find(("pipeline", i, *key), key=True)
    return where


def _located(issues: list[Any], where: Location | None) -> list[Any]:
    """Issues without a place get the pipeline entry's."""
    from ..errors import Issue

    return [i if i.location or where is None else Issue(i.code, i.text, i.fix, where, i.severity) for i in issues]


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import(ref: str) -> type[Component]:
    module, _, attr = ref.partition(":")
    cls: type[Component] = getattr(importlib.import_module(module), attr)
    return cls
