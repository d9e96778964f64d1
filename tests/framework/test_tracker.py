from dialogkit.framework.runtime.tracker import (
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
    events = conversation() + [
        Restarted(),
        SlotSet(name="n", value=7),
        UserUttered(text="again"),
        FlowStarted(flow="x"),
    ]
    for keep in range(len(events) + 1):
        t = Tracker("c", {"n": None}, list(events))
        full = Tracker("c", {"n": None}, list(events))
        t.compact(keep)
        # the last `keep` events and back to the user message before them (none: all kept)
        starts = [i for i, e in enumerate(events) if isinstance(e, UserUttered) and i <= len(events) - keep]
        assert t.offset == (starts[-1] if starts else 0) and t.events == events[t.offset:]
        assert t.slots == full.slots and [f.__dict__ for f in t.stack] == [f.__dict__ for f in full.stack]
        assert t.latest_message.text == full.latest_message.text
        t.add(SlotSet(name="n", value=9))  # and it goes on from there
        assert t.slots["n"] == 9


def test_a_revert_takes_back_the_latest_message_and_what_followed():
    from dialogkit.framework.runtime.tracker import (
        ActionExecuted,
        ActionReverted,
        SessionStarted,
        UserUtteranceReverted,
    )

    events = [
        SessionStarted(),
        UserUttered(text="book"), FlowStarted(flow="book"), SlotSet(name="n", value=1),
        UserUttered(text="two"), SlotSet(name="n", value=2), ActionExecuted(name="a"), SlotSet(name="m", value="x"),
    ]
    t = Tracker("r", {"n": None, "m": None}, list(events))
    assert t.slots == {"n": 2, "m": "x"}
    t.add(ActionReverted())  # the action and what it set
    assert t.slots == {"n": 2, "m": None}
    t.add(UserUtteranceReverted())  # "two" and everything after it
    assert t.slots == {"n": 1, "m": None} and t.latest_message.text == "book" and [f.flow for f in t.stack] == ["book"]
    t.add(UserUtteranceReverted())
    t.add(UserUtteranceReverted())  # nothing is taken back past the session start
    assert t.slots == {"n": None, "m": None} and t.stack == [] and t.latest_message is None
    assert len(t.events) == len(events) + 4  # nothing is deleted
    again = Tracker.from_json(t.to_json())
    assert again.slots == t.slots and again.stack == t.stack


def test_a_compacted_tracker_with_reverts_has_the_state_of_the_whole_one():
    from dialogkit.framework.runtime.tracker import UserUtteranceReverted

    events = []
    for i in range(12):
        events += [UserUttered(text=f"m{i}"), SlotSet(name="n", value=i)]
        for _ in range(i % 4 == 3):  # going back, and back again: each turn reaches one message further
            events += [UserUttered(text="/back"), UserUtteranceReverted(), UserUtteranceReverted()] * 3
    turns = [i for i, e in enumerate(events) if isinstance(e, UserUttered)] + [len(events)]
    for keep in range(len(events) + 1):
        t = Tracker("c", {"n": None})
        for start, end in zip(turns, turns[1:]):  # a store compacts a conversation after every turn
            t.events.extend(events[start:end])
            full = Tracker("c", {"n": None}, list(events[:end]))
            assert t.slots == full.slots and t.latest_message.text == full.latest_message.text, (keep, end)
            t.compact(keep)
            assert t.slots == full.slots and t.latest_message.text == full.latest_message.text, (keep, end)
