"""The T5 response generator (``t5_nlg``), with templates as the floor.

For each response the DM asks for, the generator reads a linearization of it::

    utter confirm booking | {area} {cuisine} {party_size} {time} | if party_size > 8

(the response name, the slots it fills in as ``{slot}`` placeholders, the values it must
put into words as ``slot = value``, the conditions of its conditional variations that
hold) and writes the reply as a template; values are filled in after generation, so they
are copied exactly. Every candidate goes through the faithfulness guard
(``components/nlg/guard.py``); when none passes, the template reply is used and the
message says why (``generated: false``, ``fallback: ...``).

Training pairs come from the domain: every text variation and every paraphrase of every
response. The generator then has to earn its place (``components/nlg/selfcheck.py``): it is
trained with one variation of each input held out, scored against the templates on them,
trained on the rest too, and checked on every input the bot will give it; where it fails
(a response it cannot write or is refused on, or the whole bot) the templates are said and
``train`` says why. ``gate: false`` keeps it on everywhere. With ``model:`` a pretrained T5 (a Hugging Face id or a
local directory) is
fine-tuned; without it, a compact T5 is trained from scratch on the domain's data, its
vocabulary taken from the packaged encoder's WordPiece vocabulary and its embeddings
initialised from the encoder's (``init_embeddings``). Inference runs on the numpy T5 in
``t5_runtime.py`` (no torch needed to serve).
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dialogkit.framework.runtime.pipeline import Component, TrainingContext, Turn
from dialogkit.framework.runtime.turn import ActionMessage, Message

from . import records
from .blas import decoding_threads
from .constraints import placement
from .generator_config import GeneratorConfig
from .guard import Lexicon, Verdict, check
from .plans import given, holds, linearize, plan_responses, training_targets
from .selfcheck import GateReport
from .t5_model import build_model
from .templates import TemplateNLG, fill

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain




# --- the component -----------------------------------------------------------------------


class T5NLG(Component):
    name = "t5_nlg"
    stage = "nlg"
    Config = GeneratorConfig
    config: GeneratorConfig
    trainable = True
    requires = ("responses", "slots")
    assigns = ("messages",)

    def __init__(self, config: GeneratorConfig, domain: Domain):
        super().__init__(config, domain)
        self.floor = TemplateNLG(config, domain)
        self.plans = plan_responses(domain) | records.plans(domain)
        self.lexicon = Lexicon.from_domain(domain)
        self.lexicons = {n: records.record_lexicon(domain, p) for n, p in self.plans.items() if p.record}
        self.runtime: Any = None
        self.codec: Any = None
        self._hf_model: Any = None
        self._cache: OrderedDict[str, list[tuple[str, float]]] = OrderedDict()
        self._cache_lock = threading.Lock()  # guards the cache's order and contents
        self._generate_lock = threading.Lock()  # one decoding at a time: concurrent ones only thrash the CPU
        self._rng = random.Random(config.seed)
        self.fit_result: Any = None
        self.gate: GateReport | None = None  # None: an archive from before the check, generated everywhere

    # --- inputs -----------------------------------------------------------------------

    def request(self, name: str, slots: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
        """The generator input for response ``name`` now, and what the reply must state."""
        plan = self.plans[name]
        if plan.record:  # ``slots`` is the record
            return records.request(plan, slots)
        present = [s for s in plan.placeholders if slots.get(s) is not None]
        values = {s: slots[s] for s in plan.lexical if slots.get(s) is not None}
        conds = [c for c in plan.conditions if holds(c, slots)]
        return linearize(name, present, values, conds), present, values

    # --- training ---------------------------------------------------------------------

    def train(self, context: TrainingContext, progress: Any = None) -> None:
        """Train, then check the generator against the templates (the gate; module docstring)."""
        from . import selfcheck

        targets = training_targets(self.domain, self.plans)
        examples = records.targets(self.domain, self.plans)
        if not targets and not examples:
            raise ValueError("t5_nlg needs at least one response with text")
        cfg = self.config
        seed = cfg.seed if cfg.seed is not None else context.seed
        say = progress or context.progress or (lambda _m: None)
        gaps = records.gaps(self.domain, self.plans, {t.input for t in examples})  # combinations no example shows
        pairs = [(t.input, t.text) for t in targets + examples + gaps]
        values = selfcheck.example_values(self.domain, context.examples)
        kept, held = selfcheck.hold_out(targets, seed)
        kept_records, held_records = records.hold_out(examples, seed)
        held_outcomes: list[Any] = []
        record_outcomes: list[Any] = []
        if cfg.gate and len(held) < selfcheck.MIN_HELD_OUT and not held_records:  # it would end up off: skip training
            self.gate = GateReport(on=False, reason=selfcheck.too_few(len(held), bool(examples)),
                                   responses=len(self.plans), held_out=len(held))
            selfcheck.report(self, context, say)
            return
        if held or held_records:  # score on variations and field combinations it never saw, then learn them too
            first = kept + kept_records + records.gaps(self.domain, self.plans, {t.input for t in kept_records})
            self.train_pairs([(t.input, t.text) for t in first], context, progress, vocabulary=pairs)
            held_outcomes = selfcheck.score(self, selfcheck.build_cases(self, held, values, kept)) if held else []
            record_outcomes = selfcheck.score(self, selfcheck.build_cases(self, held_records, values))
            if cfg.gate and not any(p.record for p in self.plans.values()):
                # off on what it did not see: learning those too cannot turn it on (its own inputs only add
                # responses it is refused on), and an off generator's weights are not kept
                early = selfcheck.decide(self, [], held_outcomes, cfg.gate_max_off, cfg.gate_bleu_margin)
                if not early.on:
                    self.gate = early
                    selfcheck.report(self, context, say)
                    return
            self.train_pairs(pairs, context, progress, resume=True)
        else:
            self.train_pairs(pairs, context, progress)
        own = selfcheck.score(self, selfcheck.build_cases(self, targets + examples, values))
        self.gate = selfcheck.decide(self, own, held_outcomes, cfg.gate_max_off, cfg.gate_bleu_margin, record_outcomes)
        self.gate.forced = not cfg.gate
        selfcheck.report(self, context, say)

    def train_pairs(self, pairs: list[tuple[str, str]], context: TrainingContext, progress: Any = None,
                    vocabulary: list[tuple[str, str]] | None = None, resume: bool = False) -> None:
        """Train on explicit (input, target) pairs (``dialogkit test nlg`` holds some out).
        ``vocabulary``: pairs whose texts the codec must also cover (learnt later);
        ``resume``: go on training the current model (a third of the first run's steps)."""
        import torch

        from ..training.devices import cores
        from .generator_trainer import FitSettings, fit

        torch.set_num_threads(self.config.threads or cores())
        cfg = self.config
        seed = cfg.seed if cfg.seed is not None else context.seed
        if not resume or self._hf_model is None:
            fields = [f for p in self.plans.values() if p.record for f in p.placeholders]
            self.codec, self._hf_model = build_model(
                cfg, list(dict.fromkeys([*self.domain.slots, *fields])), [t for p in (vocabulary or pairs) for t in p],
                seed,
            )
        min_steps = cfg.min_steps if cfg.min_steps is not None else auto_min_steps(len(pairs))
        epochs = cfg.epochs
        if resume and self.fit_result is not None:
            min_steps, epochs = max(1, min_steps // 3), max(1, self.fit_result.epochs_run // 3)
        train, held = split_pairs(pairs, cfg.held_out if len(pairs) >= cfg.min_pairs_for_held_out else 0.0, seed)
        settings = FitSettings(
            epochs=epochs,
            batch_size=cfg.batch_size,
            learning_rate=cfg.learning_rate or (3e-4 if cfg.model else 1e-3),
            label_smoothing=cfg.label_smoothing,
            patience=cfg.patience,
            min_steps=min_steps,
            max_input_length=cfg.max_input_length,
            max_length=cfg.max_length,
            seed=seed,
            max_minutes=cfg.max_training_minutes,
        )
        self.fit_result = fit(self._hf_model, self.codec, train, held, settings, progress or context.progress)
        self.runtime = None
        self._cache.clear()

    # --- generation -------------------------------------------------------------------

    def generate(self, inputs: list[str]) -> list[list[tuple[str, float]]]:
        """Candidate templates (best first, with scores) for each input; cached by input.

        Thread-safe: concurrent callers share one decoder (requests for an input another
        thread is decoding wait for its result instead of decoding it again).
        """
        found: dict[str, list[tuple[str, float]]] = {}
        with self._cache_lock:
            for x in inputs:
                if x in self._cache:
                    self._cache.move_to_end(x)
                    found[x] = self._cache[x]
        todo = [x for x in dict.fromkeys(inputs) if x not in found]
        if todo:
            with self._generate_lock:
                with self._cache_lock:  # decoded by another thread while this one waited?
                    found.update({x: self._cache[x] for x in todo if x in self._cache})
                todo = [x for x in todo if x not in found]
                if todo:
                    fresh = self._decode(todo)
                    with self._cache_lock:
                        for x, cands in fresh.items():
                            self._cache[x] = cands
                            if len(self._cache) > self.config.cache_size:
                                self._cache.popitem(last=False)
                    found.update(fresh)
        return [found[x] for x in inputs]

    def _decode(self, inputs: list[str]) -> dict[str, list[tuple[str, float]]]:
        from .t5_runtime import pad_batch

        rt = self._runtime()
        ids, mask = pad_batch([self.codec.encode(x, self.config.max_input_length) for x in inputs], self.codec.pad_id)
        beams = self.config.num_beams if self.config.decoding == "beam" else 1
        placed = placement(self.codec, [given(x) for x in inputs]) if self.config.constrained else None
        with decoding_threads(self.config.threads, len(inputs) * beams):
            out = rt.generate(ids, mask, self.config.max_length, beams, self.config.candidates, placed)
        return {x: [(self.codec.decode(h), s) for h, s in hyps] for x, hyps in zip(inputs, out, strict=True)}

    def _runtime(self) -> Any:
        if self.runtime is None:
            from .t5_runtime import T5Runtime

            if self._hf_model is None:
                raise RuntimeError(
                    "this generator has no model: it was switched off at training (see gate.json) or never trained"
                )
            self.runtime = T5Runtime.from_model(self._hf_model)
        return self.runtime

    def judge(
        self, name: str, candidate: str, slots: dict[str, Any], present: list[str], values: dict[str, Any]
    ) -> Verdict:
        plan = self.plans[name]
        return check(candidate, required_placeholders=present, required_values=values, response_slots=plan.slots,
                     filled=slots, lexicon=self.lexicons.get(name, self.lexicon), own_wording=plan.wording,
                     own_texts=plan.texts)

    def choose(
        self,
        name: str,
        options: list[tuple[str, float]],
        slots: dict[str, Any],
        present: list[str],
        values: dict[str, Any],
        pick: str | None = None,
    ) -> tuple[tuple[str, Verdict] | None, list[tuple[str, Verdict]]]:
        """The reply the bot says for response ``name`` among ``options`` (candidates with their
        scores, best first): the best one the guard passes, or with ``pick: random`` one of those
        within ``variety_margin`` of it; None when the guard passes none. Also every candidate's
        verdict, in order. (The one rule, for the running bot and for ``test nlg``.)"""
        verdicts = [(c, sc, self.judge(name, c, slots, present, values)) for c, sc in options]
        judged = [(c, v) for c, _, v in verdicts]
        ok = [(c, sc, v) for c, sc, v in verdicts if v.ok]
        if not ok:
            return None, judged
        passing = [(c, v) for c, sc, v in ok if sc >= ok[0][1] - self.config.variety_margin]
        return (passing[0] if (pick or self.config.pick) == "best" else self._rng.choice(passing)), judged

    def render_batch(
        self, requests: list[tuple[str, dict[str, Any]]], channels: list[str | None] | None = None
    ) -> list[dict[str, Any]]:
        """Messages for ``(response name, slots)`` requests: generated when a candidate passes the guard.
        A variation written for the output channel is said as it is."""
        messages = [
            self.floor.render(name, slots, channels[i] if channels else None)
            for i, (name, slots) in enumerate(requests)
        ]
        todo = [
            (i, *self.request(name, slots))
            for i, (name, slots) in enumerate(requests)
            if name in self.plans
            and not self.plans[name].record
            and messages[i].get("text") is not None
            and "channel" not in messages[i]
            and self._hf_model_or_runtime()
            and (self.gate is None or self.gate.generates(name))
        ]
        if self.gate is not None:  # the responses its check at training kept on their templates
            for i, (name, _) in enumerate(requests):
                if name in self.plans and not self.gate.generates(name) and messages[i].get("text") is not None:
                    messages[i]["generated"] = False
                    messages[i]["fallback"] = "off: " + (self.gate.off.get(name) or self.gate.reason)
        for i, (name, slots) in enumerate(requests):  # a record response: one line per record
            if name in self.plans and self.plans[name].record and self._hf_model_or_runtime() and (
                    self.gate is None or self.gate.generates(name)):
                records.render(self, name, slots, messages[i])
        if not todo:
            return messages
        cands = self.generate([t[1] for t in todo])
        for (i, _, present, values), options in zip(todo, cands, strict=True):
            name, slots = requests[i]
            chosen, verdicts = self.choose(name, options, slots, present, values)
            msg = messages[i]
            if chosen is not None:
                msg["template"] = msg["text"]  # what the floor would have said (tests, debugging)
                msg["text"] = fill(chosen[0], slots, self.config.missing_slot_text)
                msg["generated"] = True
            else:
                msg["fallback"] = verdicts[0][1].reason if verdicts else "no candidate"
        return messages

    def _hf_model_or_runtime(self) -> bool:
        return self.runtime is not None or self._hf_model is not None

    def process(self, turn: Turn) -> None:
        self.process_batch([turn])

    def process_batch(self, turns: list[Turn]) -> None:
        requests: list[tuple[str, dict[str, Any]]] = []
        channels: list[str | None] = []
        where: list[tuple[Turn, int, dict[str, Any] | None]] = []
        for turn in turns:
            slots = turn.slots
            for r in turn.responses:
                if isinstance(r, ActionMessage):  # already a message (from a custom action)
                    where.append((turn, -1, dict(r.message)))
                else:
                    where.append((turn, len(requests), None))
                    requests.append((r.name, r.render_slots(slots)))
                    channels.append(turn.channel)
        rendered = self.render_batch(requests, channels)
        for turn, i, msg in where:
            turn.messages.append(cast(Message, msg if msg is not None else rendered[i]))

    def describe(self) -> dict[str, Any]:
        if self.gate is None:
            return {}
        return {"replies": self.gate.summary()}

    # --- persistence ------------------------------------------------------------------

    def save(self, path: Path) -> None:
        import json

        # off: no weights to load
        if self._hf_model is not None and (self.gate is None or self.gate.on or self.gate.forced or self.gate.records):
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # its "Writing model shards" bar is not ours to show
            self._hf_model.save_pretrained(str(path / "t5"))
        if self.codec is not None:  # None: switched off before training
            self.codec.save(path)  # the plans are derived from the domain again at load
        if self.gate is not None:
            (path / "gate.json").write_text(
                json.dumps(self.gate.to_json(), indent=1, ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def load(cls, path: Path, config: GeneratorConfig, domain: Domain) -> T5NLG:
        import json

        from .codec import load_codec
        from .t5_runtime import T5Runtime

        self = cls(config, domain)
        if (path / "gate.json").is_file():
            self.gate = GateReport.from_json(json.loads((path / "gate.json").read_text(encoding="utf-8")))
            self.gate.forced = not config.gate  # `gate: false` in the config wins
        if not (path / "t5").is_dir():  # switched off for this bot at training: templates only
            return self
        self.runtime = T5Runtime.from_dir(path / "t5")
        encoder_dir = None
        if config.model is None:
            from ..nlu.encoder_source import resolve_encoder

            try:
                encoder_dir = resolve_encoder(config.encoder)
            except Exception:  # the saved vocabulary subset is enough to run
                encoder_dir = None
        self.codec = load_codec(path, encoder_dir if encoder_dir and Path(encoder_dir).is_dir() else None)
        return self


def auto_min_steps(pairs: int) -> int:
    """Optimiser steps a small bot's generator needs: about 6 passes' worth of steps per
    pair, 200 at least, 800 at most (larger data sets train for ``epochs`` instead)."""
    return max(200, min(800, 6 * pairs))


def split_pairs(
    pairs: list[tuple[str, str]], fraction: float, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Hold out whole inputs (never the same input on both sides)."""
    if fraction <= 0:
        return pairs, []
    inputs = sorted({a for a, _ in pairs})
    random.Random(seed).shuffle(inputs)
    held = set(inputs[: max(1, int(len(inputs) * fraction))])
    return [p for p in pairs if p[0] not in held], [p for p in pairs if p[0] in held]
