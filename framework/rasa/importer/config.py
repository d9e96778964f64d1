"""Stage: a Rasa config.yml: its language, NLU components and policies mapped onto dialogkit's pipeline
(each one reported), Duckling's dimensions kept."""

from __future__ import annotations

from typing import Any

from .reading import Doc
from .state import ImportState

_NLU_COMPONENTS = {
    "WhitespaceTokenizer": "spaCy's tokenizer for the bot's `language`",
    "SpacyTokenizer": "spaCy's tokenizer for the bot's `language`",
    "JiebaTokenizer": "spaCy's tokenizer (language: zh)",
    "MitieTokenizer": "spaCy's tokenizer",
    "SpacyNLP": "spaCy's tokenizer",
    "MitieNLP": "the packaged MiniLM encoder",
    "LanguageModelFeaturizer": "bert_nlu's encoder (set `encoder:` to a local model directory or Hugging Face id)",
    "RegexFeaturizer": "rule_entity_extractor (regexes of entities); regex features for intents have no counterpart",
    "LexicalSyntacticFeaturizer": "bert_nlu's encoder",
    "CountVectorsFeaturizer": "bert_nlu's encoder",
    "SpacyFeaturizer": "bert_nlu's encoder",
    "ConveRTFeaturizer": "bert_nlu's encoder",
    "DIETClassifier": "bert_nlu (joint BERT intent classifier + BERT-CRF entity tagger)",
    "SklearnIntentClassifier": "bert_nlu",
    "KeywordIntentClassifier": "bert_nlu (keyword_intent_classifier is dialogkit's light TF-IDF classifier)",
    "LogisticRegressionClassifier": "bert_nlu",
    "MitieIntentClassifier": "bert_nlu",
    "CRFEntityExtractor": "bert_nlu's CRF entity tagger",
    "MitieEntityExtractor": "bert_nlu's CRF entity tagger",
    "SpacyEntityExtractor": "bert_nlu's CRF entity tagger (train it on annotated examples)",
    "DucklingEntityExtractor": "builtin_entities (its dimensions and timezone kept)",
    "RegexEntityExtractor": "rule_entity_extractor",
    "EntitySynonymMapper": "built in: entity `synonyms:`",
    "ResponseSelector": "bert_nlu: each retrieval sub-intent (`faq/ask_hours`) is an intent of its own "
    "(`faq.ask_hours`)",
    "FallbackClassifier": "bert_nlu `threshold` (below it the intent is nlu_fallback)",
}


_POLICIES = {
    "RulePolicy": "flow_policy: rules become flows",
    "MemoizationPolicy": "flow_policy: stories become flow paths merged on common prefixes",
    "AugmentedMemoizationPolicy": "flow_policy: stories become flow paths merged on common prefixes",
    "TEDPolicy": "flow_policy: no learned policy; stories become flow paths, and intents seen only inside stories "
    "get a flow of their own",
    "UnexpecTEDIntentPolicy": "no counterpart",
}


def duckling(st: ImportState, comp: dict[str, Any], where: Any) -> dict[str, Any]:
    """Rasa's DucklingEntityExtractor → builtin_entities: the dimensions it reads (Duckling's
    names) and its time zone; dimensions dialogkit does not read are reported."""
    from dialogkit.components.nlu.builtin_entities import DIMENSIONS

    out: dict[str, Any] = {"name": "builtin_entities"}
    dims = comp.get("dimensions")
    if isinstance(dims, list) and dims:
        kept = [str(x) for x in dims if str(x) in DIMENSIONS]
        for other in (str(x) for x in dims if str(x) not in DIMENSIONS):
            st.report.add(
                "dropped",
                f"DucklingEntityExtractor dimension `{other}`: builtin_entities reads {', '.join(DIMENSIONS)}",
                where,
            )
        out["dimensions"] = kept or ["time"]
    if isinstance(comp.get("timezone"), str):
        out["timezone"] = comp["timezone"]
    st.report.add(
        "mapped",
        "pipeline `DucklingEntityExtractor` → builtin_entities"
        + (f" (dimensions: {', '.join(out['dimensions'])})" if "dimensions" in out else ""),
        where,
    )
    return out


def read_config(st: ImportState, d: Doc | None) -> None:
    data = (d.doc.data or {}) if d else {}
    st.language = str(data.get("language") or "en")
    bert: dict[str, Any] = {"name": "bert_nlu"}
    builtin: list[dict[str, Any]] = []
    for i, comp in enumerate(data.get("pipeline") or []):
        cname = (comp or {}).get("name", "?")
        where = d.at("pipeline", i) if d else None
        if cname == "DucklingEntityExtractor":
            builtin.append(duckling(st, comp, where))
            continue
        if cname == "FallbackClassifier" and comp.get("threshold") is not None:
            bert["threshold"] = float(comp["threshold"])
            st.report.add("mapped", f"FallbackClassifier threshold {comp['threshold']} → bert_nlu threshold", where)
            continue
        if cname in _NLU_COMPONENTS:
            st.report.add("mapped", f"pipeline `{cname}` → {_NLU_COMPONENTS[cname]}", where)
        else:
            st.report.add(
                "mapped",
                f"pipeline `{cname}` has no dialogkit counterpart; the pipeline uses rule_entity_extractor + bert_nlu",
                where,
            )
    for i, pol in enumerate(data.get("policies") or []):
        pname = (pol or {}).get("name", "?")
        where = d.at("policies", i) if d else None
        st.report.add(
            "mapped",
            f"policy `{pname}` → {_POLICIES.get(pname, 'flow_policy (no counterpart for this policy)')}",
            where,
        )
        if pname == "RulePolicy" and pol.get("core_fallback_threshold") is not None:
            st.report.add(
                "mapped",
                "RulePolicy core_fallback_threshold: dialogkit has no action confidence; NLU fallback uses bert_nlu "
                "threshold",
                where,
            )
    policies = [(pol or {}).get("name") for pol in data.get("policies") or []]
    if policies and "TEDPolicy" not in policies:
        st.generalize = False
        st.report.add(
            "mapped",
            "no TEDPolicy: an intent seen only inside stories gets no flow of its own (Rasa's rule and memoization "
            "policies do not generalise from stories either)",
            d.at("policies") if d else None,
        )
    for key in set(data) - {"pipeline", "policies", "language", "recipe", "assistant_id"}:
        st.report.add("dropped", f"config key `{key}`", d.at(key) if d else None)
    # Rasa's semantics: exact lookups, and slots filled by their mappings alone
    st.pipeline = [
        {"name": "rule_entity_extractor", "learn_from_examples": True, "fuzzy": False},
        bert,
        *builtin[:1],
        {
            "name": "flow_policy",
            "answer_by_value": False,
            "suggest_values": False,
            "max_fallbacks": None,
            "acknowledge_corrections": False,  # a Rasa domain's own utter_corrected / utter_anything_else
            "anything_else": False,  # are said where its stories say them, not by a pattern
        },
        {"name": "template_nlg"},
    ]
    st.report.add(
        "mapped",
        "typo matching of lookups (rule_entity_extractor `fuzzy`), the question-asked rules (flow_policy "
        "`answer_by_value`, `suggest_values`), the escalation after repeated fallbacks (`max_fallbacks`) and the "
        "correction and completed patterns (`acknowledge_corrections`, `anything_else`) are off, as Rasa has none "
        "of them; switch them on in domain.yml",
        d.at("pipeline") if d else None,
    )
    st.report.add(
        "mapped",
        "responses are said by template_nlg (Rasa's behaviour); add `paraphrases:` and switch to t5_nlg to generate "
        "replies",
        d.at("pipeline") if d else None,
    )
