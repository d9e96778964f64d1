import pytest

from dialogkit.framework.domain.expressions import Expression, ExpressionError


@pytest.mark.parametrize(
    "expr, slots, expected",
    [
        ("party_size > 6", {"party_size": 7}, True),
        ("party_size > 6", {"party_size": None}, False),
        ("not confirmed", {"confirmed": False}, True),
        ("confirmed", {"confirmed": True}, True),
        ("area is set and time is not set", {"area": "north"}, True),
        ("area is set and time is not set", {"area": "north", "time": "7pm"}, False),
        ('cuisine in ["thai", "indian"]', {"cuisine": "thai"}, True),
        ('cuisine not in ["thai"]', {"cuisine": "greek"}, True),
        ('cuisine == "Thai"', {"cuisine": "thai"}, True),
        ("(a or b) and not c", {"a": True, "c": False}, True),
        ("a >= 2.5", {"a": 2.5}, True),
        ('a < "x"', {"a": 3}, False),  # incomparable types: the condition does not hold
        ("x != null", {"x": 1}, True),
    ],
)
def test_evaluate(expr, slots, expected):
    assert Expression(expr).evaluate(slots) is expected


def test_slot_names():
    assert Expression("a > 1 and (b is set or not c.d)").slot_names() == {"a", "b", "c.d"}


@pytest.mark.parametrize(
    "bad, position",
    [
        ("a >", 3),
        ("a and", 5),
        ("(a", 2),
        ("a == == b", 5),
        ("__import__('os')", 10),
        ("", 0),
        ("a is", 4),
        ("1 is set", 2),
    ],
)
def test_parse_errors_have_positions(bad, position):
    with pytest.raises(ExpressionError) as exc:
        Expression(bad)
    assert exc.value.position == position


def test_nothing_is_evaluated_as_python():
    # attribute access and calls are not part of the language
    with pytest.raises(ExpressionError):
        Expression("().__class__")


@pytest.mark.parametrize(
    "text", ["(" * 200 + "a" + ")" * 200, "not " * 3000 + "a", "[" * 100 + "1" + "]" * 100 + " == a"]
)
def test_deep_nesting_is_a_located_error_not_a_recursion_error(text):
    with pytest.raises(ExpressionError) as e:
        Expression(text)
    assert "nested more than 50 levels" in e.value.problem or "literals" in e.value.problem
