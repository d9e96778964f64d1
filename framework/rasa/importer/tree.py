"""The prefix tree the dialogue stage inserts rules and stories into, merged on their common prefixes,
and the flows read off it (one per first intent)."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from ...domain.builtins import ACTION_LISTEN, BUILTIN_ACTIONS, DEFAULT_RULES, RESTART, UTTER_DEFAULT
from ...errors import Location
from .items import Start, parse_items
from .records import Graft, Source
from .state import IGNORED_ACTIONS, RASA_ACTION_ALIASES, UNSUPPORTED_ACTIONS, ImportState


def action_step(st: ImportState, name: str, where: Location | None) -> dict[str, Any] | None:
    if name == "action_two_stage_fallback":
        st.report.add(
            "mapped",
            "action_two_stage_fallback in a story → utter_default (the two-stage rounds are switched on by a rule "
            "with it)",
            where,
        )
        name = UTTER_DEFAULT
    name = RASA_ACTION_ALIASES.get(name, name)
    if name in IGNORED_ACTIONS:
        return None
    if name in UNSUPPORTED_ACTIONS:
        st.report.add("dropped", f"default action `{name}`", where)
        return None
    if name in st.forms:
        return {"call": name}
    if name in st.responses or name == UTTER_DEFAULT:
        if name == UTTER_DEFAULT and UTTER_DEFAULT not in st.responses:
            st.responses[UTTER_DEFAULT] = [{"text": "Sorry, I didn't get that. Can you rephrase?"}]
        return {"say": name}
    if name in BUILTIN_ACTIONS:  # run by the DM itself (action_listen and the like were left out above)
        return {"action": name}
    if name not in st.actions:
        st.actions[name] = "remote"
        st.report.add(
            "mapped",
            f"action `{name}` is used in stories/rules but not listed in the domain: added as a remote action",
            where,
        )
    return {"action": name}


def insert(st: ImportState, tree: PrefixNode, name: str, steps: list[Any], source: Source, start: Start, kind: str,
           strip: dict[str, list[tuple[str | None, list[str]]]] | None = None) -> None:
    segments: list[tuple[str, list[tuple[Any, Location | None]]]] = []
    items = parse_items(st, name, steps, source.doc, source.path, kind, segments)
    # interruptions of a form: paths of the interrupting intent's flow, while that form runs
    for form, segment in segments:
        if segment and segment[0][0][0] == "intent":
            st.form_context.update(segment[0][0][1])
        insert_items(st, tree, _without_submitted(segment, strip), 0, f"{kind} `{name}`", Start(during=form))
    if not items:
        return
    if items[0][0][0] != "intent":  # it goes on from wherever the bot last did this (grafted once the tree is built)
        st.grafts.append(Graft(items, f"{kind} `{name}`", source.where))
        return
    first = items[0][0][1]
    if first == (RESTART,):
        return  # `/restart` is built in: it clears the conversation
    if (
        len(first) == 1
        and first[0] in DEFAULT_RULES
        and [k for k, _ in items[1:]] == [("act", DEFAULT_RULES[first[0]])]
    ):
        return  # Rasa's default rule (`back` → action_back) restated: built in
    insert_items(st, tree, _without_submitted(items, strip), 0, f"{kind} `{name}`", start)


def _without_submitted(
    items: list[tuple[Any, Location | None]], strip: dict[str, list[tuple[str | None, list[str]]]] | None
) -> list[tuple[Any, Location | None]]:
    """``items`` without the actions a form's submit rule already says after it (the form flow says
    them). A submit rule under a slot condition is not assumed where the story sets one of the
    condition's slots itself: the story says what happens then."""
    for form, variants in (strip or {}).items():
        j = 0
        while j < len(items):
            if items[j][0] == ("act", form):
                told = {it[0][1] for it in items[:j] if it[0][0] == "slot"}
                for test, said in variants:  # the longest the story says
                    if test and any(re.search(rf"\b{re.escape(slot)}\b", test) for slot in told):
                        continue
                    acts = [k for k in range(j + 1, len(items)) if items[k][0][0] == "act"][: len(said)]
                    if [items[k][0][1] for k in acts] == said and all(
                        items[k][0][0] != "intent" for k in range(j + 1, (acts[-1] if acts else j) + 1)
                    ):
                        items = [it for k, it in enumerate(items) if k not in set(acts)]
                        break
            j += 1
    return items


def insert_items(
    st: ImportState,
    node: PrefixNode,
    items: list[tuple[Any, Location | None]],
    i: int,
    source: str,
    start: Start | None,
) -> None:
    """Add ``items[i:]`` below ``node``; ``start``: what the path starts under when ``node`` is
    the tree's root (None below it)."""
    if i == len(items):
        node.ends.append(source)
        return
    key, where = items[i]
    if key[0] == "intent":
        for intent in key[1]:  # `or`: one branch per intent
            k = ("intent", intent, start if i == 0 else None)
            insert_items(st, node.child(k, source, where), items, i + 1, source, None)
    else:
        insert_items(st, node.child(key, source, where), items, i + 1, source, start)


def _covered(a: PrefixNode, b: PrefixNode) -> bool:
    """Whether every path below ``a`` is also below ``b``."""
    return all(k in b.children and _covered(child, b.children[k]) for k, child in a.children.items())


def _fold_agreeing_starts(tree: PrefixNode) -> None:
    """A conversation-start path that the intent's other path already covers says nothing that
    path does not: it joins it (one flow, whose later turns stay reachable at the start too)."""
    for key in [k for k in tree.children if k[0] == "intent" and k[2] is not None and k[2].conversation_start]:
        plain = (key[0], key[1], replace(key[2], conversation_start=False))
        if plain in tree.children and _covered(tree.children[key], tree.children[plain]):
            _merge(tree.children[plain], tree.children.pop(key))


def tree_to_flows(st: ImportState, tree: PrefixNode) -> None:
    _fold_agreeing_starts(tree)
    # an intent that only occurs inside stories gets a flow with what most stories do after it
    roots = {k[1] for k in tree.children}
    inner: dict[str, list[PrefixNode]] = {}
    for node in tree.walk() if st.generalize else []:
        for k, child in node.children.items():
            if k[0] == "intent" and k[1] not in roots and node is not tree:
                inner.setdefault(k[1], []).append(child)
    general: dict[str, PrefixNode] = {}
    for intent, nodes in inner.items():
        first = Counter(next(iter(n.children), None) for n in nodes)
        merged = PrefixNode("generalised", None)
        for n in sorted(nodes, key=lambda n: -first[next(iter(n.children), None)]):
            _merge(merged, n)
        general[intent] = merged
    used_names: set[str] = set(st.flows)
    entries = [(k[1], k[2], child, False) for k, child in tree.children.items()] + [
        (i, Start(), n, True) for i, n in general.items()
    ]
    for intent, start, node, generalised in entries:
        base = f"on_{intent}{'_at_start' if start.conversation_start else ''}".replace("#", "_").replace("+", "_")
        fname, suffix = base, 2
        while fname in used_names:
            fname, suffix = f"{base}_{suffix}", suffix + 1
        used_names.add(fname)
        when = start.when(intent)
        sources = sorted(set(node.sources()))
        desc = (
            f"`{intent}` outside the stories it appears in: what most stories do after it"
            if generalised
            else "From " + ", ".join(sources[:4]) + (" …" if len(sources) > 4 else "")
        )
        steps = node_steps(st, node, report=not generalised)
        st.flows[fname] = {"description": desc, "when": when, "steps": steps or [{"action": ACTION_LISTEN}]}
        if st.forms and intent not in st.form_context and "expect" in json.dumps(steps):
            # no rule or story says what happens after it while a form runs: Rasa's form asks again
            st.flows[fname]["yield_to_form"] = True
        st.sources[("flows", fname)] = node.where
    st.report.counts["flows from rules and stories"] = len(entries)


def node_steps(st: ImportState, node: PrefixNode, report: bool = True) -> list[dict[str, Any]]:
    """The flow steps that continue from ``node``: actions in order, `if` on slot values
    where stories differ by a slot_was_set, `expect` where the user speaks next."""
    out: list[dict[str, Any]] = []
    while node.children:
        kids = list(node.children.items())
        acts = [(k, c) for k, c in kids if k[0] == "act"]
        slots = [(k, c) for k, c in kids if k[0] == "slot"]
        intents = [(k, c) for k, c in kids if k[0] == "intent"]
        if slots and (len(slots) > 1 or acts or intents or node.ends):
            rest = PrefixNode("rest", None)
            rest.children = {k: c for k, c in kids if k[0] != "slot"}
            else_steps = node_steps(st, rest, report)
            for (_, _slot, test), child in reversed(slots):
                step: dict[str, Any] = {"if": test, "then": node_steps(st, child, report)}
                if st.generalize:
                    _share_expects(step["then"], else_steps)
                if else_steps:
                    step["else"] = else_steps
                else_steps = [step]
            out.extend(else_steps)
            return out
        if slots:  # every story here agrees: the mappings or the action set it
            node = slots[0][1]
            continue
        if acts:
            if report and (len(acts) > 1 or intents or node.ends) and id(node) not in st.reported:
                st.reported.add(id(node))
                first_key, first = acts[0]
                for k, other in [*acts[1:], *intents]:
                    what = f"does {k[1]}" if k[0] == "act" else f"waits for the user ({k[1]})"
                    st.report.add(
                        "conflict",
                        f"{other.source}: at this point it {what}, but {first.source} does {first_key[1]}",
                        other.where,
                    )
                for src in node.ends:
                    if src != first.source:
                        st.report.add(
                            "conflict", f"{src}: ends here, but {first.source} goes on with {first_key[1]}", first.where
                        )
            said = action_step(st, acts[0][0][1], acts[0][1].where)
            if said:
                out.append(said)
            node = acts[0][1]
            continue
        out.append({"expect": {k[1]: node_steps(st, c, report) for k, c in intents}})
        break
    return out


def _share_expects(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    """Where two branches of a slot's `if` say the same and then wait, an answer that only one of
    them expects is taken by both (Rasa's learned policy generalises over the slot they differ by)."""
    for x, y in zip(a, b):
        if "expect" in x and "expect" in y:
            ours, theirs = dict(x["expect"]), dict(y["expect"])
            for intent, steps in theirs.items():
                x["expect"].setdefault(intent, copy.deepcopy(steps))
            for intent, steps in ours.items():
                y["expect"].setdefault(intent, copy.deepcopy(steps))
            return
        if x != y:
            return


class PrefixNode:
    """A prefix tree over story items; children keep insertion order (the first story wins)."""

    def __init__(self, source: str, where: Location | None):
        self.source, self.where = source, where
        self.children: dict[tuple[Any, ...], PrefixNode] = {}
        self.ends: list[str] = []  # stories and rules that end at this node

    def child(self, key: tuple[Any, ...], source: str, where: Location | None) -> PrefixNode:
        if key not in self.children:
            self.children[key] = PrefixNode(source, where)
        return self.children[key]

    def walk(self) -> list[PrefixNode]:
        out, todo = [], [self]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(n.children.values())
        return out

    def sources(self) -> list[str]:
        return [n.source for n in self.walk() if n.source not in ("root", "generalised", "rest")] + [
            e for n in self.walk() for e in n.ends
        ]


def _merge(into: PrefixNode, other: PrefixNode) -> None:
    """Add ``other``'s continuations to ``into``; where both have a child for the same item, merge them."""
    for key, child in other.children.items():
        if key in into.children:
            _merge(into.children[key], child)
        else:
            copy = into.child(key, child.source, child.where)
            _merge(copy, child)
    into.ends.extend(other.ends)


def expect_intents(step: dict[str, Any]) -> list[str]:
    out = []
    for intent, branch in step["expect"].items():
        out.append(intent)
        for s in branch:
            if "expect" in s:
                out.extend(expect_intents(s))
    return out
