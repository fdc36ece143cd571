"""Value types: what each accepts, and how it describes itself."""

from __future__ import annotations

import pytest

from actionformer.config.valuetypes import AnyOf, Bool, Float, Int, ListOf, Null, Str, show


@pytest.mark.parametrize("vtype,good,bad", [
    (Int(lo=1), [1, 10**12], [0, -1, 1.0, True, "1", None]),
    (Float(lo=0, lo_open=True), [1, 0.5, 1e-9], [0, -1, True, "0.5", None]),
    (Float(lo=0, hi=1, hi_open=True), [0, 0.999], [1, 1.0, -0.01]),
    (Bool(), [True, False], [0, 1, "true", None]),
    (Str(), ["x"], ["", 1, None]),
    (Str(choices=["a", "b"]), ["a", "b"], ["c", "A", 1]),
    (Str(pattern=r"cuda(:\d+)?"), ["cuda", "cuda:0"], ["cuda:", "gpu"]),
    (Null(), [None], [0, "null", False]),
    (ListOf(Int(), length=2), [[1, 2], (1, 2)], [[1], [1, 2, 3], [1, "2"], "12", {1: 2}]),
    (ListOf(Str(), min_len=1), [["a"]], [[], "a"]),
    (AnyOf(Null(), Int()), [None, 3], ["3", 3.5]),
])
def test_accepts_and_rejects(vtype, good, bad):
    for value in good:
        assert vtype.check(value) is None, value
    for value in bad:
        assert isinstance(vtype.check(value), str), value


@pytest.mark.parametrize("vtype,text", [
    (Int(), "int"),
    (Int(lo=1), "int >= 1"),
    (Float(lo=0, lo_open=True), "float > 0"),
    (Float(lo=0, hi=1, hi_open=True), "float in [0, 1)"),
    (Float(lo=0, hi=1, lo_open=True, hi_open=True), "float in (0, 1)"),
    (Float(hi=2.5), "float <= 2.5"),
    (Str(choices=["soft", "hard"]), '"soft" | "hard"'),
    (ListOf(Int(lo=0), length=3), "list of 3 [int >= 0]"),
    (ListOf(Str(), min_len=1), "non-empty list[str]"),
    (ListOf(AnyOf(Int(), Null())), "list[(int | null)]"),
    (AnyOf(Null(), Float()), "null | float"),
])
def test_describe(vtype, text):
    assert vtype.describe() == text


def test_list_failure_names_the_item():
    reason = AnyOf(Int(), ListOf(Int())).check([1, "x"])
    assert reason == "expected int | list[int]; as a list: expected list[int]; item 1 is 'x' (str)"


def test_float_text_with_exponent_gets_a_hint():
    assert "write 1.0e-4, not 1e-4" in Float().check("1e-4")
    assert "write" not in Float().check("abc")


@pytest.mark.parametrize("value,text", [
    (None, "null"), (True, "true"), ("a", "'a' (str)"), ([1, "b", None], "[1, 'b', null]"),
    ({"a": 1}, "a mapping"), (2.5, "2.5"),
])
def test_show(value, text):
    assert show(value) == text


@pytest.mark.parametrize("vtype", [Float(), Float(lo=0, lo_open=True), Float(lo=0, hi=1), Int(lo=1)])
def test_nan_is_never_a_number_here(vtype):
    # every comparison with NaN is False, so a bound alone would let it through
    assert isinstance(vtype.check(float("nan")), str)


def test_infinity_stays_accepted_where_unbounded():
    # e.g. the last regression range's upper end: "no limit"
    assert Float(lo=0).check(float("inf")) is None
    assert isinstance(Float(lo=0, hi=1).check(float("inf")), str)
