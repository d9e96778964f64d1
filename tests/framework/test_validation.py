from dialogkit.framework.build.validation import placeholders, validate
from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.loader import load_domain
from tests.conftest import DOMAINS, MINIMAL


def codes(issues, severity=None):
    return [i.code for i in issues if severity is None or i.severity == severity]


def test_example_bots_are_valid_in_strict_mode(capsys):
    for bot in ("restaurant", "banking"):
        assert main(["validate", str(DOMAINS / bot), "--strict"]) == 0, capsys.readouterr().err


def test_minimal_bot_has_no_issues(minimal_bot):
    assert validate(load_domain(minimal_bot)) == []


def test_unused_names_are_warnings_and_strict_makes_them_errors(write_bot, capsys):
    bot = write_bot(
        {
            "domain.yml": MINIMAL
            + "  unused_flow_free:\n    when: {intent: greet}\n    steps: [{say: utter_greet}]\nactions:\n  "
            "action_x: os:getcwd\n"
        }
    )
    bot2 = write_bot(
        {"domain.yml": MINIMAL.replace("responses:\n", "responses:\n  utter_never:\n    - nobody says this\n")},
        name="b2",
    )
    issues = validate(load_domain(bot2))
    assert codes(issues) == ["DK302"] and issues[0].severity == "warning" and "utter_never" in issues[0].text
    assert main(["validate", str(bot2)]) == 0
    assert main(["validate", str(bot2), "--strict"]) == 2
    assert "action 'action_x' is defined but never used" in " ".join(i.text for i in validate(load_domain(bot)))


def test_flow_without_trigger_nobody_links_to_is_a_warning(write_bot):
    bot = write_bot({"domain.yml": MINIMAL + "  orphan:\n    steps: [{say: utter_greet}]\n"})
    issues = validate(load_domain(bot))
    assert ("DK309", "warning") in [(i.code, i.severity) for i in issues]


def test_link_and_call_count_as_triggers(write_bot):
    extra = "  helper:\n    steps: [{say: utter_greet}]\n  other:\n    steps: [{say: utter_greet}]\n"
    text = (
        MINIMAL.replace(
            "      - say: utter_done\n", "      - say: utter_done\n      - call: helper\n      - link: other\n"
        )
        + extra
    )
    assert validate(load_domain(write_bot({"domain.yml": text}))) == []


def test_loop_through_two_flows_without_collect(write_bot):
    extra = (
        "  ping:\n    when: {intent: greet}\n    steps: [{say: utter_greet}, {link: pong}]\n  pong:\n    steps: "
        "[{say: utter_greet}, {link: ping}]\n"
    )
    text = MINIMAL.replace("  greet:\n    when: {intent: greet}\n    steps:\n      - say: utter_greet\n", "") + extra
    assert "DK307" in codes(validate(load_domain(write_bot({"domain.yml": text}))))


def test_loop_with_collect_is_fine(write_bot):
    text = MINIMAL.replace(
        "      - collect: party_size\n      - say: utter_done\n",
        "      - id: ask\n        collect: party_size\n      - if: party_size > 10\n        then: [{set: "
        "{party_size: null}}, {goto: ask}]\n      - say: utter_done\n",
    )
    assert validate(load_domain(write_bot({"domain.yml": text}))) == []


def test_categorical_slot_from_entity_with_foreign_values(write_bot):
    text = MINIMAL.replace("entities:\n", "entities:\n  colour:\n    lookup: [red, blue]\n").replace(
        "slots:\n",
        "slots:\n  colour:\n    type: categorical\n    values: [red]\n    mappings:\n      - {type: from_entity, "
        "entity: colour}\n",
    )
    issues = validate(load_domain(write_bot({"domain.yml": text})))
    assert any(i.code == "DK304" and "blue" in i.text for i in issues)


def test_from_text_cannot_fill_bool(write_bot):
    text = MINIMAL.replace("slots:\n", "slots:\n  ok:\n    type: bool\n    mappings:\n      - {type: from_text}\n")
    assert "DK304" in codes(validate(load_domain(write_bot({"domain.yml": text}))))


def test_missing_action_module_is_an_error(write_bot):
    """It used to be a warning: the bot trained, then failed at run time and confirmed anyway."""
    text = MINIMAL.replace("flows:\n", "actions:\n  action_go: no_such_module_xyz:run\nflows:\n").replace(
        "      - say: utter_done\n", "      - action: action_go\n      - say: utter_done\n"
    )
    issues = validate(load_domain(write_bot({"domain.yml": text})))
    assert [(i.code, i.severity) for i in issues] == [("DK312", "error")]


def test_placeholders_ignore_escaped_braces():
    assert placeholders("{a} costs {{b}} and { c }") == ["a", "c"]


def test_several_errors_are_all_reported(write_bot, capsys):
    text = MINIMAL.replace("say: utter_greet", "say: utter_nope").replace("collect: party_size", "collect: size")
    assert main(["validate", str(write_bot({"domain.yml": text}))]) == 2
    err = capsys.readouterr().err
    assert "utter_nope" in err and "'size'" in err


def test_loop_through_a_filled_collect_is_a_warning(write_bot):
    """A `goto` back to a collect whose slot is already filled passes straight through: the loop
    never waits (it used to be stopped only at run time, as a runaway loop)."""
    loop = "      - id: ask\n        collect: party_size\n      - say: utter_done\n      - goto: ask\n"
    text = MINIMAL.replace("      - collect: party_size\n      - say: utter_done\n", loop)
    issues = validate(load_domain(write_bot({"domain.yml": text})))
    [issue] = [i for i in issues if i.code == "DK318"]
    assert issue.severity == "warning" and "party_size" in issue.text and "set: {party_size: null}" in issue.fix
    cleared = loop.replace("      - goto: ask\n", "      - set: {party_size: null}\n      - goto: ask\n")
    assert "DK318" not in codes(
        validate(
            load_domain(
                write_bot(
                    {"domain.yml": MINIMAL.replace("      - collect: party_size\n      - say: utter_done\n", cleared)},
                    name="b2",
                )
            )
        )
    )
    asked = loop.replace(
        "        collect: party_size\n", "        collect: party_size\n        ask_before_filling: true\n"
    )
    assert "DK318" not in codes(
        validate(
            load_domain(
                write_bot(
                    {"domain.yml": MINIMAL.replace("      - collect: party_size\n      - say: utter_done\n", asked)},
                    name="b3",
                )
            )
        )
    )


def test_on_error_branch_is_checked_like_any_steps(write_bot):
    text = MINIMAL.replace(
        "flows:\n", "actions:\n  action_go: tests.components.dm.test_action_failures:ok_action\nflows:\n"
    ).replace(
        "      - say: utter_done\n",
        "      - action: action_go\n        on_error: [{say: utter_oops}]\n      - say: utter_done\n",
    )
    issues = validate(load_domain(write_bot({"domain.yml": text})))
    assert [(i.code, "utter_oops" in i.text) for i in issues if i.severity == "error"] == [("DK301", True)]


def test_a_trigger_during_an_unknown_flow_is_a_located_error(write_bot, capsys):
    text = MINIMAL.replace("    when: {intent: greet}\n", "    when: {intent: greet, during: bookng_form}\n", 1)
    bot = write_bot({"domain.yml": text})
    assert main(["validate", str(bot)]) == 2
    err = capsys.readouterr().err
    assert "domain.yml:" in err and "bookng_form" in err and "trigger of flow 'greet'" in err


def test_a_slot_maps_what_builtin_entities_finds_without_declaring_it(write_bot, tmp_path, capsys):
    """`from_entity: time` with builtin_entities in the pipeline: the dimension is the entity's
    definition (as the bot's own components find it); without the component, or without that
    dimension, the name is still undefined."""
    from dialogkit.framework.build.training import train
    from dialogkit.framework.runtime.agent import Agent

    day = "slots:\n  day:\n    type: date\n    mappings:\n      - type: from_entity\n        entity: time\n"
    with_day = MINIMAL.replace(
        "  - name: flow_policy\n", "  - name: builtin_entities\n    dimensions: [time, number]\n  - name: flow_policy\n"
    ).replace("slots:\n", day)
    bot = write_bot({"domain.yml": with_day})
    assert codes(validate(load_domain(bot)), "error") == []
    assert main(["validate", str(bot)]) == 0
    train(bot, tmp_path / "model")
    agent = Agent.load(tmp_path / "model")
    agent.handle("book a table for 4 on 2027-03-05", "c1")
    assert agent.tracker("c1").slots["day"] == "2027-03-05"

    for dims in ("dimensions: [number]", None):  # without `time`; without the component
        text = with_day.replace("dimensions: [time, number]", dims) if dims else MINIMAL.replace("slots:\n", day)
        issues = validate(load_domain(write_bot({"domain.yml": text}, name=f"b-{dims is None}")))
        assert codes(issues, "error") == ["DK301"] and "undefined entity 'time'" in issues[0].text
