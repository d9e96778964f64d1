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

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dialogkit.framework.errors import ConfigError, Location, did_you_mean, message

__all__ = [
    "BUILTIN_COMPONENTS",
    "Component",
    "ComponentConfig",
    "DEFAULT_PIPELINE",
    "TrainingContext",
    "Turn",
    "available_components",
    "get_component_class",
    "made_for_other_languages",
    "register_component",
    "resolve_config",
    "resolve_pipeline",
]

# One explicit list: name -> "module:Class". Snapshot-tested in tests/framework/test_components.py.
BUILTIN_COMPONENTS: dict[str, str] = {
    "bert_nlu": "dialogkit.components.nlu.bert_nlu:BertNLU",
    "keyword_intent_classifier": "dialogkit.components.nlu.keyword_intent:KeywordIntentClassifier",
    "rule_entity_extractor": "dialogkit.components.nlu.rule_entities:RuleEntityExtractor",
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
class Turn:
    """What flows through the pipeline for one user message.

    NLU components fill ``intent``/``intent_ranking``/``entities``; the DM fills
    ``actions`` (response names and action names to run); NLG fills ``messages``.
    """

    text: str
    payload: bool = False  # the text was a `/intent{...}` payload (no NLU ran; not free text)
    channel: str | None = None  # the input/output channel ("rest", "cmdline"...): selects `channel:` variations
    intent: dict[str, Any] | None = None
    intent_ranking: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    tracker: Any = None
    responses: list[dict[str, Any]] = field(default_factory=list)  # [{"response": name, ...}]
    actions: list[str] = field(default_factory=list)  # what the DM did, in order: responses said, actions run, forms run
    positions: list[int] = field(default_factory=list)  # per response: the tracker length when it was queued (event order)
    messages: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)  # slot values the DM did not take: {"slot", "value", "why"}


@dataclass
class TrainingContext:
    """What a trainable component learns from: the loaded domain and its parsed examples."""

    loaded: Any
    examples: list[Any]
    seed: int = 42
    validation: list[Any] | None = None  # held-out examples for early stopping, if the caller has them
    progress: Any = None  # callable(str) for per-epoch lines
    warnings: list[Any] = field(default_factory=list)  # Issues a component reports about what it learned (printed by `train`)


class Component(ABC):
    """Base of every pipeline component."""

    name: ClassVar[str]
    stage: ClassVar[str]  # "nlu" | "dm" | "nlg"
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    trainable: ClassVar[bool] = False
    code_version: ClassVar[str] = "1"  # bump when a change must invalidate trained archives

    def __init__(self, config: ComponentConfig, domain: Any):
        self.config = config
        self.domain = domain

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
    def load(cls, path: Path, config: ComponentConfig, domain: Any) -> Component:
        """Rebuild the component from ``path`` written by :meth:`save`."""
        return cls(config, domain)


def made_for_other_languages(languages: list[str], language: str) -> bool:
    """True when a model whose card names ``languages`` was not made for the bot's ``language``
    (unknown languages, a multilingual model or a bot in ``xx`` never count as a mismatch)."""
    return bool(languages) and "multi" not in languages and language not in languages and language != "xx"


def register_component(name: str, cls: type[Component] | str) -> None:
    """Register a component class (or ``module:Class`` string) under ``name``."""
    if name in BUILTIN_COMPONENTS or name in _EXTRA:
        first = BUILTIN_COMPONENTS.get(name) or _qualname(_EXTRA[name])
        raise ConfigError(message("DK602", name=name, first=first, second=cls if isinstance(cls, str) else _qualname(cls)))
    _EXTRA[name] = cls if not isinstance(cls, str) else _import(cls)


def available_components() -> list[str]:
    return sorted({*BUILTIN_COMPONENTS, *_EXTRA})


def get_component_class(name: str) -> type[Component]:
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in BUILTIN_COMPONENTS:
        raise ConfigError(message("DK601", name=name, hint=did_you_mean(name, available_components()), available=", ".join(available_components())))
    return _import(BUILTIN_COMPONENTS[name])


def resolve_config(name: str, user_config: dict[str, Any], locate: Callable[[tuple[Any, ...]], Location | None] | None = None) -> ComponentConfig:
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
            issues.append(message("DK603", loc, name=name, problem=problem, fix="fix the component's keys under `pipeline:`"))
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
            resolved.append((name, resolve_config(name, cfg, locate=lambda key, i=i: loaded.positions.find(("pipeline", i, *key), key=True))))
        except ConfigError as e:
            issues.extend(_located(e.issues, loaded.where("pipeline", i, "name") if specs else None))
    if not issues:
        stages = {get_component_class(name).stage for name, _ in resolved}
        for stage in STAGES:
            if stage not in stages:
                issues.append(message("DK605", loaded.where("pipeline"), stage=stage, example=f"`- name: {_STAGE_EXAMPLES[stage]}`"))
    if issues:
        raise ConfigError(issues)
    return resolved


def _located(issues: list[Any], where: Location | None) -> list[Any]:
    """Issues without a place get the pipeline entry's."""
    from dialogkit.framework.errors import Issue

    return [i if i.location or where is None else Issue(i.code, i.text, i.fix, where, i.severity) for i in issues]


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import(ref: str) -> type[Component]:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
