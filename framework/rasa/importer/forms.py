"""Stage: each Rasa form becomes a ``form: true`` flow of ``collect`` steps (its submit rule's actions follow)."""

from __future__ import annotations

from typing import Any

from .state import ImportState, listify


def _rasa_asks(form: str, slot: str) -> list[str]:
    """How a Rasa form looks for its question for ``slot``, first found first (Rasa 3's
    FormAction._name_of_utterance): the form's own action, its own response, then the slot's."""
    return [f"action_ask_{form}_{slot}", f"utter_ask_{form}_{slot}", f"action_ask_{slot}", f"utter_ask_{slot}"]


def build_forms(st: ImportState) -> None:
    for name, form in st.forms.items():
        required = form.required_slots  # a list: Rasa 2's mappings were moved to the slots (migrate)
        steps: list[dict[str, Any]] = []
        for slot in required:
            if slot not in st.slots:
                st.report.add(
                    "dropped", f"form `{name}`: required slot `{slot}` is not defined", form.source.at("required_slots")
                )
                continue
            step: dict[str, Any] = {"collect": slot}
            ask = next((a for a in _rasa_asks(name, slot) if a in st.responses or a in st.actions), None)
            if ask is not None and ask != (
                f"utter_ask_{slot}" if f"utter_ask_{slot}" in st.responses else f"action_ask_{slot}"
            ):
                step["ask"] = ask  # what Rasa asks with, where dialogkit's own rule would pick another
            elif ask is None:
                # Rasa would train, then find nothing to say when the form asks: a plain question stands in
                st.responses[f"utter_ask_{slot}"] = [{"text": f"What is the {slot.replace('_', ' ')}?"}]
                st.report.add(
                    "mapped",
                    f"form `{name}`: no utter_ask_{slot} / action_ask_{slot} to ask for `{slot}` (Rasa would "
                    f'ask nothing at run time) → a built-in utter_ask_{slot}: "What is the {slot.replace("_", " ")}?"; '
                    "write your own response to replace it",
                    form.source.where,
                )
            steps.append(step)
        for intent in form.ignored_intents:
            for slot in required:
                for m in st.slots.get(slot, {}).get("mappings", []):
                    m["not_intent"] = sorted({*listify(m.get("not_intent")), intent})
        if form.ignored_intents:
            st.report.add(
                "mapped",
                f"form `{name}` ignored_intents → `not_intent` on its slots' mappings",
                form.source.at("ignored_intents"),
            )
        for extra in form.unknown_keys:
            st.report.add("dropped", f"form `{name}` key `{extra}`", form.source.at(extra))
        if form.run_by_action:  # Rasa 1.x/2.0 `forms: [name]`: the form is an action on the action server (FormAction)
            st.actions.setdefault(name, "remote")
            st.flows[name] = {
                "description": f"Rasa form {name} (run by the action server)",
                "steps": [{"action": name}],
            }
            continue
        flow: dict[str, Any] = {"description": f"Rasa form {name}", "form": True, "steps": steps}
        if f"validate_{name}" in st.actions:
            flow["validate"] = f"validate_{name}"
        st.flows[name] = flow
