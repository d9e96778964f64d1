"""Stage: rules and stories merged into a prefix tree on their common prefixes, then one flow per first intent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...domain.builtins import ACTION_LISTEN
from ...errors import Location
from ..retrieval import expand_steps
from .items import SET, Start, slot_test
from .records import Rule, Story, SubmitVariant
from .state import ImportState, listify
from .tree import PrefixNode, action_step, insert, insert_items, tree_to_flows


def with_retrieval_paths(st: ImportState, rules: list[Rule], stories: list[Story]) -> tuple[list[Rule], list[Story]]:
    """A rule or story on a retrieval intent (``faq``) → one per sub-intent, each saying its own response."""
    if not st.retrieval:
        return rules, stories
    subs = dict(st.retrieval)
    return ([replace(r, steps=steps) for r in rules for steps in expand_steps(r.steps, subs, st.responses)],
            [replace(s, steps=steps) for s in stories for steps in expand_steps(s.steps, subs, st.responses)])


def build_dialogue(st: ImportState) -> None:
    tree = PrefixNode("root", None)
    submit: dict[str, list[SubmitVariant]] = {}  # form -> its submit rules
    rules, stories = with_retrieval_paths(st, st.rules, st.stories)
    for rule in rules:
        name, where, cond, steps = rule.name, rule.source.where, rule.conditions, list(rule.steps)
        if any(isinstance(s, dict) and s.get("action") == "action_two_stage_fallback" for s in steps):
            if not st.two_stage_fallback:
                st.report.add(
                    "mapped",
                    f'rule `{name}`: action_two_stage_fallback → flow_policy `two_stage_fallback: true` (asks "Did '
                    'you mean ...?", then to rephrase, then says utter_default)',
                    where,
                )
            st.two_stage_fallback = True
            continue
        for key in rule.unknown_keys:
            st.report.add("dropped", f"rule `{name}` key `{key}`", rule.source.at(key))
        if not rule.wait_for_user_input:
            st.report.add(
                "mapped",
                f"rule `{name}`: wait_for_user_input: false — after the rule the bot waits for the user (the next "
                "rule's condition is not chained)",
                where,
            )
        loops = [c["active_loop"] for c in cond if isinstance(c, dict) and c.get("active_loop") is not None]
        if any(isinstance(c, dict) and "active_loop" in c and c["active_loop"] is None for c in cond):
            st.report.add(
                "mapped",
                f"rule `{name}`: condition `active_loop: null` (no form active) → an ordinary flow; while a form is "
                "active, an answer to its question goes to the form first",
                where,
            )
        slot_conds = [c["slot_was_set"] for c in cond if isinstance(c, dict) and "slot_was_set" in c]
        form = loops[0] if loops else None
        if form and steps and steps[0].get("action") == form:
            # a submit rule: what happens when the form completes (under a slot condition, if it has one)
            actions = [s["action"] for s in steps[1:] if "action" in s]
            if form in st.flows:
                test = _slot_condition(st, slot_conds)
                variants = submit.setdefault(form, [])
                same = next((v for v in variants if v.condition == test), None)
                if same is not None:
                    if same.actions != actions:
                        st.report.add(
                            "conflict",
                            f"rule `{name}`: a second submit rule for form `{form}` under the same condition (kept "
                            f"`{same.rule}`)",
                            where,
                        )
                    continue
                variants.append(SubmitVariant(test, actions, name))
            continue
        if form and steps and "intent" in steps[0]:
            st.report.add(
                "mapped",
                f"rule `{name}`: handles `{steps[0]['intent']}` while form `{form}` is active → a flow with "
                f"`during: {form}` that interrupts the form; the form resumes and asks again by itself",
                where,
            )
            steps = [s for s in steps if s.get("action") != form and "active_loop" not in s]
            st.form_context.update(listify(steps[0].get("intent")))
        elif loops:
            st.report.add(
                "dropped",
                f"rule `{name}`: active_loop condition with steps that do not start with the form or an intent",
                where,
            )
            continue
        condition = _slot_condition(st, slot_conds)
        for c in cond:
            if isinstance(c, dict) and not ({"active_loop", "slot_was_set"} & set(c)):
                st.report.add("dropped", f"rule `{name}`: condition {c}", where)
        # `form`: handled while the form runs (the steps that run the form itself were left out above)
        insert(st, tree, name, steps, rule.source, Start(condition, form, rule.conversation_start), rule.kind)
    for form, variants in submit.items():
        st.flows[form]["steps"] += submit_steps(st, variants, st.sources.get(("flows", form)))
    # stories, with checkpoints joined
    said = {
        form: sorted(((v.condition, v.actions) for v in variants), key=lambda v: len(v[1]), reverse=True)
        for form, variants in submit.items()
    }
    for story in expand_checkpoints(st, stories):
        insert(st, tree, story.name, story.steps, story.source, Start(), story.kind, strip=said)
    graft(st, tree)
    tree_to_flows(st, tree)

def graft(st: ImportState, tree: PrefixNode) -> None:
    """Stories that start with a bot action go on from every path where the bot did that last
    (as Rasa's memoization matches the story's history there); with none, they are reported."""
    for g in st.grafts:
        items, source, where = g.items, g.label, g.where
        lead = [k for k, _ in items[: next((i for i, (k, _) in enumerate(items) if k[0] == "intent"), len(items))]]
        rest = items[len(lead):]
        found = [child for node in tree.walk() for key, child in node.children.items() if key == lead[-1]]
        if not rest:
            st.report.add(
                "dropped",
                f"{source}: starts with bot action `{lead[0][1]}` and has no user turn: a session-start rule (Rasa "
                "predicts nothing between the session start and the first message; "
                "a bot that speaks first defines its own `action_session_start`, which dialogkit runs as Rasa does)",
                where,
            )
            continue
        if not found:
            st.report.add(
                "dropped",
                f"{source}: starts with bot action `{lead[-1][1]}`, which no rule or story says (as a session-start "
                "greeting: a bot that speaks first defines its own `action_session_start`)",
                where,
            )
            continue
        for node in found:
            insert_items(st, node, list(rest), 0, source, None)
        st.report.add(
            "mapped",
            f"{source}: starts with bot action `{lead[-1][1]}` → goes on from the {len(found)} place(s) where a "
            "flow says it",
            where,
        )


def expand_checkpoints(st: ImportState, stories: list[Story]) -> list[Story]:
    """Stories joined at their checkpoints: a story ending at checkpoint C goes on with each story
    starting at C (up to five joins deep); the joined story is named ``first > second``."""
    starts: dict[str, list[Story]] = {}
    for s in stories:
        if (lead := s.leading_checkpoint) is not None:
            starts.setdefault(lead, []).append(s)
    out: list[Story] = []

    def extend(name: str, body: list[Any], last: Story, tail: str | None, depth: int) -> None:
        if tail is None or depth > 5:
            out.append(replace(last, name=name, steps=body))
            return
        continuations = starts.get(tail, [])
        if not continuations:
            st.report.add("dropped", f"story `{name}`: checkpoint `{tail}` starts no story", last.source.where)
            out.append(replace(last, name=name, steps=body))
        for c in continuations:
            extend(f"{name} > {c.name}", body + c.without_checkpoints(), c, c.trailing_checkpoint, depth + 1)

    for s in stories:
        if s.leading_checkpoint is None:
            extend(s.name, s.without_checkpoints(), s, s.trailing_checkpoint, 0)
    return out



def submit_steps(st: ImportState, variants: list[SubmitVariant], where: Location | None) -> list[dict[str, Any]]:
    """A form's submit rules as the steps after its questions: the rules with a slot condition
    as `if` steps, in order, the one without as the last `else` (none: nothing more)."""
    def steps_of(actions: list[str]) -> list[dict[str, Any]]:
        return [step for step in (action_step(st, a, where) for a in actions) if step]
    out = next((steps_of(v.actions) for v in variants if v.condition is None), [])
    for v in reversed([v for v in variants if v.condition is not None]):
        out = [
            {
                "if": v.condition,
                "then": steps_of(v.actions) or [{"action": ACTION_LISTEN}],
                **({"else": out} if out else {}),
            }
        ]
    return out


def _slot_condition(st: ImportState, slot_conds: list[Any]) -> str | None:
    """A rule's ``slot_was_set`` conditions as one dialogkit condition (None: there are none)."""
    return (
        " and ".join(
            slot_test(st, k, v)
            for sc in slot_conds
            for item in (sc if isinstance(sc, list) else [sc])
            for k, v in (item.items() if isinstance(item, dict) else [(item, SET)])  # a bare name: the slot is set
        )
        or None
    )
