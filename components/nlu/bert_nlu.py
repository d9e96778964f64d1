"""BERT NLU: joint intent classification and BERT-CRF slot filling in one component.

The network is :mod:`dialogkit.components.nlu.joint_model`, the loop :mod:`dialogkit.components.nlu.trainer`,
the settings :mod:`~dialogkit.components.nlu.bert_nlu_config`, and what a trained model writes and reads back
:mod:`~dialogkit.components.nlu.bert_nlu_files`. This file turns examples into words and BIO tags, trains and
parses messages. Entities found by rule components earlier in the pipeline are merged with the model's by
:func:`~dialogkit.components.nlu.rule_entities.merge_entities` (exact matches win).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from dialogkit.framework.domain.builtins import NLU_FALLBACK
from dialogkit.framework.domain.tokenization import scripts
from dialogkit.framework.runtime.pipeline import Component, TrainingContext, Turn, made_for_other_languages
from dialogkit.framework.runtime.turn import Intent, entity

from .bert_nlu_config import BertNLUConfig, pair_epochs
from .bert_nlu_files import BertNLUFiles
from .rule_entities import declared_values, merge_entities
from .spelling import ReadingSpeller, Speller, corrections, read_by_pinyin, speller_for, unspaced

if TYPE_CHECKING:
    from dialogkit.framework.domain.schema import Domain

logger = logging.getLogger(__name__)




class BertNLU(BertNLUFiles, Component):
    name = "bert_nlu"
    stage = "nlu"
    Config = BertNLUConfig
    config: BertNLUConfig
    trainable = True
    requires = ("text",)
    # its entities merged with those found before it; the words its spelling read as others
    assigns = ("intent", "intent_ranking", "entities", "corrections")
    code_version = "1"  # the archive format: models without sparse.json (before the features) still load

    def __init__(self, config: BertNLUConfig, domain: Domain):
        super().__init__(config, domain)
        self.model: Any = None
        self.tokenizer: Any = None
        self.intents: list[str] = []
        self.tags: list[str] = []
        self.shortest: dict[str, int] = {}  # tag label -> the fewest characters of its values (unspaced scripts)
        # the writing systems of the bot's examples and entity values (None: a model from before, no check)
        self.scripts: list[str] | None = None
        self.fit_result: Any = None
        self.featurizer: Any = None  # CharNgramFeaturizer when `char_features`
        self.speller: Speller | ReadingSpeller | None = None  # when `spelling`
        self.sentence: Any = None  # SentenceClassifier when `sentence_classifier`: a second opinion on the intent
        self.encoder_info: dict[str, Any] = {"encoder": config.encoder}
        self._synonym_map, self._values = domain.synonym_map(), declared_values(domain)  # with spelling: "italia"
        self.fast: Any = None  # OnnxJointModel when inference runs on ONNX Runtime
        self.exported: dict[str, Any] | None = None  # onnx.json of the export `save` made
        # the examples int8 is checked against fp32 on (held-out ones when there are enough)
        self._texts: list[str] = []

    # --- data ---------------------------------------------------------------------------

    def _lang(self) -> str:
        return self.domain.language

    def _encoded(self, examples: list[Any]) -> Any:
        from .features import ROLE_SEP, bio_tags, words_of
        from .trainer import Encoded

        tag_id = {t: i for i, t in enumerate(self.tags)}
        intent_id = {t: i for i, t in enumerate(self.intents)}
        data = Encoded([], [], [])
        for ex in examples:
            words = words_of(ex.text, self._lang())
            spans = [(s.start, s.end, s.entity + (ROLE_SEP + s.role if s.role else "")) for s in ex.entities]
            data.words.append(words)
            data.intents.append(intent_id[ex.intent])
            data.tags.append([tag_id.get(t, 0) for t in bio_tags(words, spans)])
        return data

    def _spelled(self, word_lists: list[list[tuple[str, int, int]]]) -> list[list[tuple[str, int, int]]]:
        """The words as the model reads them: typos of the bot's words corrected (offsets stay the user's)."""
        if self.speller is None:
            return word_lists
        return [
            [(fixed, s, e) for fixed, (_, s, e) in zip(self.speller.correct_words([w for w, _, _ in words]), words,
                                                       strict=True)]
            for words in word_lists
        ]

    def _add_typos(self, examples: list[Any], data: Any) -> None:
        """Copies of ``examples`` with a typo each (components/nlu/noise.py), read through the speller
        as a message is, added to ``data`` unless they read as a message it holds already (a typo
        the speller restores teaches nothing)."""
        from .noise import noisy_copies

        seen = {tuple(w.lower() for w, _, _ in words) for words in data.words}
        noisy = self._encoded(noisy_copies(examples, self._lang(), self.config.typo_augmentation, self.config.seed))
        for words, intent, tags in zip(self._spelled(noisy.words), noisy.intents, noisy.tags, strict=True):
            key = tuple(w.lower() for w, _, _ in words)
            if key not in seen:
                seen.add(key)
                data.words.append(words)
                data.intents.append(intent)
                data.tags.append(tags)
        logger.info("bert_nlu: %d typo'd copies of %d examples", len(data.words) - len(examples), len(examples))

    def _labels(self, examples: list[Any]) -> None:
        from .features import ROLE_SEP

        self.intents = sorted({ex.intent for ex in examples})
        labels = sorted({s.entity + (ROLE_SEP + s.role if s.role else "") for ex in examples for s in ex.entities})
        self.tags = ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]
        self.shortest = self._shortest_values(examples)
        values = [v for ent in self.domain.entities.values()
                  for v in (*ent.lookup, *ent.synonyms, *(w for ws in ent.synonyms.values() for w in ws))]
        self.scripts = sorted(set().union(*(scripts(t) for t in [*(ex.text for ex in examples), *values])))

    def _shortest_values(self, examples: list[Any]) -> dict[str, int]:
        """For a language tagged a character at a time, the fewest characters a value of each tag label has
        in ``examples`` and its entity's lookup (a shorter span the model tags is dropped, with
        `word_boundaries`); none for spaced scripts."""
        from .features import ROLE_SEP

        shortest: dict[str, int] = {}
        if not unspaced(self._lang()):
            return shortest
        for ex in examples:
            for span in ex.entities:
                label = span.entity + (ROLE_SEP + span.role if span.role else "")
                lookup = self.domain.entities[span.entity].lookup if span.entity in self.domain.entities else []
                size = min([len(span.text.strip()), *(len(v.strip()) for v in lookup)])
                shortest[label] = min(shortest.get(label, size), size)
        return shortest

    # --- training -----------------------------------------------------------------------

    def _device(self) -> Any:
        from ..training.devices import device

        return device()  # this process's GPU under `train --devices N`

    def _threads(self) -> None:
        import torch

        from ..training.devices import cores, world

        # processes share the cores
        torch.set_num_threads(self.config.threads or max(1, cores() // world()[1]))

    def train(self, context: TrainingContext, progress: Any = None) -> None:
        from .encoder_source import load_encoder, load_tokenizer
        from .joint_model import JointIntentSlotModel
        from .trainer import fit, seed_everything, stratified_split

        started = time.perf_counter()  # what `max_training_minutes` counts from
        examples = [ex for ex in context.examples if ex.intent]
        if not examples:
            raise ValueError("bert_nlu needs at least one intent example")
        self._threads()
        seed_everything(self.config.seed)
        self._labels(examples + list(context.validation or []))
        if context.validation:
            train_ex, dev_ex = examples, list(context.validation)
        else:
            train_ex, dev_ex = stratified_split(
                examples, self.config.validation_fraction, self.config.min_examples_for_validation, self.config.seed
            )
        self._check_language(context)
        self.tokenizer = load_tokenizer(self.config.encoder)
        encoder = load_encoder(self.config.encoder)
        slot_encoder = load_encoder(self.config.encoder) if self.config.separate_encoders else None
        train_data = self._encoded(train_ex)
        # what int8 is checked on at export: held-out messages are closer to what users send
        self._texts = [ex.text for ex in (dev_ex if len(dev_ex) >= 200 else train_ex)][:2000]
        previous = (
            context.previous if context.previous is not None and (context.previous / "labels.json").is_file() else None
        )
        from .lookup_features import LookupMarks
        from .sparse_features import CharNgramFeaturizer

        word_lists = [[w for w, _, _ in words] for words in train_data.words]
        fitted = None  # the n-gram vocabulary of these examples, when fitted
        ngrams = self._by_language(self.config.char_features)
        marks = LookupMarks.from_domain(self.domain, self._lang()) if self.config.lookup_features else None
        if previous is not None:
            # fine-tuning keeps the features as they were (the joint model's bags are indexed by them; a model
            # without any stays without)
            kept = previous / "sparse.json"
            if kept.is_file():
                self.featurizer = CharNgramFeaturizer.from_json(json.loads(kept.read_text(encoding="utf-8")))
        elif ngrams or (marks is not None and marks.features()):
            self.featurizer = CharNgramFeaturizer.fit(
                word_lists, *self.config.char_ngrams, self.config.max_char_features, marks, ngrams
            )
            # the sentence classifier reads the same n-grams, not the lookup table (its vocabulary file stays n-grams)
            fitted = CharNgramFeaturizer(self.featurizer.features, *self.config.char_ngrams) if ngrams else None
        if self.config.spelling is not False:  # auto: letters for spaced scripts, readings for Chinese
            self.speller = speller_for(word_lists, self._lang())
            if self.speller is None and self.config.spelling is True:
                self.speller = Speller.fit(word_lists, self._lang())
        pairs = pair_epochs(self.config.contrastive_epochs, train_data.intents)
        if self.config.typo_augmentation > 0:  # both experts learn from them; counted after the pair setting
            self._add_typos(train_ex, train_data)
        if self._by_language(self.config.sentence_classifier):  # refitted, on these examples' own n-grams
            from .sentence_classifier import SentenceClassifier

            self.sentence = SentenceClassifier.fit(
                fitted or CharNgramFeaturizer.fit(word_lists, *self.config.char_ngrams, self.config.max_char_features),
                [[w for w, _, _ in words] for words in train_data.words],
                train_data.intents,
                len(self.intents),
                self.config.seed,
                readings=read_by_pinyin(self._lang()),  # what a pinyin input method's homophone slip keeps
            )
        self.model = JointIntentSlotModel(
            encoder,
            len(self.intents),
            len(self.tags),
            self.config.dropout,
            slot_encoder,
            self.config.label_smoothing,
            len(self.featurizer) if self.featurizer else 0,
            self.config.char_feature_dim,
        )
        if self.config.freeze_embeddings:
            for enc in (encoder, slot_encoder):
                if enc is not None:
                    enc.get_input_embeddings().weight.requires_grad_(False)
        config = self.config.model_copy(update={"contrastive_epochs": pairs})
        if previous is not None:  # `train --finetune`: from the previous weights, for a fraction of the epochs
            from .warm_start import warm_start

            done, said = warm_start(self.model, previous, {"intents": self.intents, "tags": self.tags})
            (context.progress or (lambda _m: None))(
                f"bert_nlu: {said}" + ("" if done else "; training from the pretrained encoder")
            )
            config = (  # the previous encoder had its pair training
                config.model_copy(
                    update={"epochs": max(1, round(config.epochs * context.epoch_fraction)), "contrastive_epochs": 0}
                )
                if done
                else config
            )
        device = self._device()
        self.model.to(device)
        self.fit_result = fit(self.model, self.tokenizer, train_data, self._encoded(dev_ex) if dev_ex else None,
                              config, device, progress or context.progress, self.featurizer, started)
        self.model.to("cpu").train(False)  # inference mode

    def _by_language(self, setting: bool | str) -> bool:
        """A setting that may be ``auto``: on when the encoder was not made for the bot's language."""
        if setting != "auto":
            return bool(setting)
        return made_for_other_languages(self.encoder_info.get("languages") or [], self.domain.language)

    def _check_language(self, context: TrainingContext) -> None:
        """Say which encoder is used, and warn (DK606, with the fix) when it was not made for the bot's language."""
        from .encoder_source import encoder_languages

        languages = encoder_languages(self.config.encoder)
        self.encoder_info = {"encoder": self.config.encoder, "languages": list(languages)}
        if context.progress:
            context.progress(
                f"bert_nlu: encoder {self.config.encoder} (languages: {', '.join(languages) or 'unknown'})"
            )
        language = self.domain.language
        if made_for_other_languages(languages, language):
            from dialogkit.framework.errors import message

            context.warnings.append(
                message(
                    "DK606",
                    context.loaded.where("pipeline") or context.loaded.where("language"),
                    "warning",
                    language=language,
                    encoder=self.config.encoder,
                    languages=", ".join(languages),
                )
            )

    def describe(self) -> dict[str, Any]:
        if self.fast is not None:
            runtime = f"onnx {self.fast.precision}"
        elif self.exported:  # just trained: what the saved model runs on
            runtime = f"onnx {self.exported['precision']}"
        else:
            runtime = "torch int8" if self.config.quantize else "torch fp32"
        return {**self.encoder_info, "runtime": runtime}

    # --- inference ----------------------------------------------------------------------

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        """Intent, ranking and model entities for each text (no rules applied)."""
        from .features import ROLE_SEP, encode, spans_from_tags, words_of
        from .word_boundaries import has_segmenter, read_text, word_edges

        # the model reads the bot's spelling; offsets (and entity values) stay the user's
        word_lists = self._spelled([words_of(t, self._lang()) for t in texts])
        if self.fast is not None:  # ONNX Runtime and numpy: no torch
            from .onnx_runtime import softmax

            batch = encode(self.tokenizer, word_lists, self.config.max_length, self.featurizer, tensors="np")
            logits, emissions = self.fast.run(batch)
            probs, paths, tag_probs = softmax(logits), self.fast.decode(emissions, batch.word_mask), softmax(emissions)
        else:
            import torch

            batch = encode(self.tokenizer, word_lists, self.config.max_length, self.featurizer)
            with torch.inference_mode():
                logits, emissions = self.model(batch.input_ids, batch.attention_mask, batch.word_index, batch.sparse)
                probs = logits.softmax(-1).numpy()
                paths = self.model.decode(emissions, batch.word_mask)
                tag_probs = emissions.softmax(-1)
        if self.sentence is not None:  # the product of the two experts' probabilities
            from .sentence_classifier import combine

            probs = combine(probs, self.sentence.log_proba([[w for w, _, _ in words] for words in word_lists]))
        out = []
        for b, text in enumerate(texts):
            ranked = sorted(zip(self.intents, probs[b].tolist()), key=lambda x: -x[1])[: self.config.ranking_size]
            ranking = [{"name": n, "confidence": c} for n, c in ranked]
            words = word_lists[b]
            kept = batch.kept[b]
            if len(kept) < (said := sum(1 for w, _, _ in words if w)) and said > 1:  # a 字 read once: ""
                logger.warning(
                    "message of %d words truncated to %d for the encoder (max_length %d pieces)",
                    len(words),
                    len(kept),
                    self.config.max_length,
                )
            tags = ["O"] * len(words)
            conf = [1.0] * len(words)
            for col, w in enumerate(kept):
                tags[w] = self.tags[paths[b][col]]
                conf[w] = float(tag_probs[b, col, paths[b][col]])
            entities = []
            # Chinese: a span cutting a dictionary word is no value (components/nlu/word_boundaries.py), in
            # the words the model read (a homophone slip corrected)
            edges = (
                word_edges(read_text(text, words), self._lang())
                if self.config.word_boundaries and has_segmenter(self._lang())
                else None
            )
            for start, end, label, idx in spans_from_tags(tags, words):
                if edges is not None and not {start, end} <= edges:
                    continue
                if self.config.word_boundaries and end - start < self.shortest.get(label, 0):
                    continue  # shorter than any value of its entity the bot gives (单字 of a two-character city)
                if not any(ch.isalnum() for ch in text[start:end]):
                    continue  # no letters or digits (emoji, punctuation): no value, as no intent is read from them
                name, _, role = label.partition(ROLE_SEP)
                entities.append(
                    entity(
                        name, text[start:end], self.name, start, end, sum(conf[i] for i in idx) / len(idx), role or None
                    )
                )
            fixes = corrections([(text[s:e], s, e) for _, s, e in words], [w for w, _, _ in words])
            foreign = self._foreign(text)
            out.append({"intent_ranking": ranking, "entities": [] if foreign else entities, "corrections": fixes,
                        "foreign": foreign})
        return out

    def _foreign(self, text: str) -> bool:
        """Letters in ``text``, none in a writing system of the bot's examples ("update my address" to a bot
        trained in Chinese): the model never read such a message, and its (confident) reading means nothing."""
        if not self.scripts:
            return False
        found = scripts(text)
        return bool(found) and not found & set(self.scripts)

    def process(self, turn: Turn) -> None:
        self.process_batch([turn])

    def process_batch(self, turns: list[Turn]) -> None:
        """One encoder pass for all ``turns``."""
        results = self.parse_batch([t.text for t in turns])
        for turn, result in zip(turns, results):
            turn.intent_ranking = result["intent_ranking"]
            turn.corrections = result["corrections"]
            best = (
                cast(Intent, dict(result["intent_ranking"][0]))
                if result["intent_ranking"]
                else Intent(name=NLU_FALLBACK, confidence=0.0)
            )
            if (not any(ch.isalnum() for ch in turn.text) or result["foreign"]
                    or best["confidence"] < self.config.threshold):
                # no letters or digits at all (empty, punctuation, emoji only), or letters of no script the bot's
                # examples use (another language): nothing to understand
                turn.intent = Intent(name=NLU_FALLBACK, confidence=best["confidence"])
            else:
                turn.intent = best
            turn.entities = merge_entities(turn.entities, result["entities"], self._synonym_map,
                                           self._values if self.speller is not None else None)
