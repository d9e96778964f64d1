from dialogkit.framework.tracker import (
    FlowAdvanced,
    FlowCancelled,
    FlowCompleted,
    FlowStarted,
    Restarted,
    SlotSet,
    Tracker,
    UserUttered,
)


def conversation():
    return [
        UserUttered(text="book", parse={"intent": {"name": "book"}}),
        FlowStarted(flow="book"),
        FlowAdvanced(flow="book", node="book:0"),
        SlotSet(name="n", value=4),
        FlowStarted(flow="faq"),
        FlowCompleted(flow="faq"),
        FlowAdvanced(flow="book", node="book:1"),
        Restarted(),
        SlotSet(name="m", value="x"),
        FlowStarted(flow="other"),
        FlowCancelled(flow="other"),
        FlowStarted(flow="book"),
    ]


def test_state_is_a_fold_read_at_every_step_or_once():
    events = conversation()
    step_by_step = Tracker("a", {"n": None, "m": None})
    for e in events:
        step_by_step.add(e)
        fresh = Tracker("b", {"n": None, "m": None}, list(step_by_step.events))
        assert step_by_step.slots == fresh.slots
        assert [f.__dict__ for f in step_by_step.stack] == [f.__dict__ for f in fresh.stack]
    assert step_by_step.slots == {"n": None, "m": "x"}
    assert [f.flow for f in step_by_step.stack] == ["book"] and step_by_step.stack[0].node == "book:START"


def test_state_copies_cannot_change_the_tracker():
    t = Tracker("a", {"n": 1})
    t.slots["n"] = 99
    t.stack.append(None)
    assert t.slots == {"n": 1} and t.stack == []


def test_json_round_trip():
    t = Tracker("a", {"n": None}, conversation())
    again = Tracker.from_json(t.to_json())
    assert again.to_json() == t.to_json()


def test_compacted_tracker_has_the_same_state_at_every_cut():
    events = conversation() + [Restarted(), SlotSet(name="n", value=7), UserUttered(text="again"), FlowStarted(flow="x")]
    for keep in range(len(events) + 1):
        t = Tracker("c", {"n": None}, list(events))
        full = Tracker("c", {"n": None}, list(events))
        t.compact(keep)
        assert len(t.events) == min(keep, len(events)) and t.offset == len(events) - len(t.events)
        assert t.slots == full.slots and [f.__dict__ for f in t.stack] == [f.__dict__ for f in full.stack]
        assert t.latest_message.text == full.latest_message.text
        t.add(SlotSet(name="n", value=9))  # and it goes on from there
        assert t.slots["n"] == 9
