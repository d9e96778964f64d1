import pytest

from dialogkit.framework.errors import ConfigError
from dialogkit.framework.runtime.pipeline import (
    BUILTIN_COMPONENTS,
    Component,
    ComponentConfig,
    available_components,
    get_component_class,
    register_component,
    resolve_config,
)


def test_registered_names_snapshot():
    assert sorted(BUILTIN_COMPONENTS) == [
        "bert_nlu",
        "builtin_entities",
        "flow_policy",
        "keyword_intent_classifier",
        "rule_entity_extractor",
        "t5_nlg",
        "template_nlg",
    ]


def test_every_builtin_imports_and_declares_its_contract():
    for name in BUILTIN_COMPONENTS:
        cls = get_component_class(name)
        assert cls.name == name
        assert cls.stage in ("nlu", "dm", "nlg")
        assert issubclass(cls.Config, ComponentConfig)
        cls.Config()  # defaults work with no config at all


def test_unknown_component_lists_available_ones():
    with pytest.raises(ConfigError) as exc:
        get_component_class("keyword_intent_clasifier")
    issue = exc.value.issues[0]
    assert issue.code == "DK601" and "did you mean 'keyword_intent_classifier'" in issue.text
    assert "template_nlg" in issue.fix


def test_registering_a_name_twice_names_both():
    class Mine(Component):
        name = "template_nlg"
        stage = "nlg"

        def process(self, turn):
            pass

    with pytest.raises(ConfigError) as exc:
        register_component("template_nlg", Mine)
    assert (
        "dialogkit.components.nlg.templates:TemplateNLG" in exc.value.issues[0].text
        and "Mine" in exc.value.issues[0].text
    )


def test_third_party_component_registers():
    class Echo(Component):
        name = "echo_nlg_test"
        stage = "nlg"

        def process(self, turn):
            turn.messages.append({"text": turn.text})

    register_component("echo_nlg_test", Echo)
    assert "echo_nlg_test" in available_components()
    assert get_component_class("echo_nlg_test") is Echo


def test_component_contract_is_abstract():
    class Incomplete(Component):
        name = "x"
        stage = "nlu"

    with pytest.raises(TypeError):
        Incomplete(ComponentConfig(), None)


def test_config_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as exc:
        resolve_config("keyword_intent_classifier", {"treshold": 0.5})
    text = exc.value.issues[0].text
    assert "did you mean 'threshold'" in text and "char_ngrams" in text


def test_config_wrong_type():
    with pytest.raises(ConfigError, match="threshold"):
        resolve_config("keyword_intent_classifier", {"threshold": "high"})


def test_default_pipeline_is_the_bert_nlu_with_rules_flows_and_templates():
    from dialogkit.framework.runtime.pipeline import DEFAULT_PIPELINE

    assert [c["name"] for c in DEFAULT_PIPELINE] == ["rule_entity_extractor", "bert_nlu", "flow_policy", "t5_nlg"]


def test_resolved_config_has_defaults():
    cfg = resolve_config("template_nlg", {"seed": 3})
    assert cfg.model_dump() == {"choice": "random", "seed": 3, "missing_slot_text": "(unknown)"}
