"""The postfix evaluator of STACK CFI rules and STACK WIN programs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.analysis.postfix import MAX_TOKENS, evaluate_assignments, evaluate_expression

MEMORY = {0x1000: 0x4242, 0x1008: 0x1010, 0xFFC: 7}


def _read(address: int) -> int | None:
    return MEMORY.get(address)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$rsp 8 +", 0x1008),
        (".cfa -8 + ^", 0x4242),
        ("$rsp 0x10 - 4 *", 0x3FC0),
        ("$rsp 7 @", 0x1000),  # align down
        ("$rsp 16 /", 0x100),
        ("$rsp 3 %", 0x1000 % 3),
        ("sp 8 + ^ ^", None),  # 0x1010 is not readable memory
        ("08", 8),
    ],
)
def test_expressions(expression: str, value: int | None) -> None:
    """Numbers, names (with or without $), arithmetic, alignment and dereference."""
    names = {"$rsp": 0x1000, ".cfa": 0x1008, "sp": 0x1000}
    assert evaluate_expression(expression, names, _read, 64) == value


def test_arithmetic_wraps_at_the_word_size() -> None:
    """32-bit programs wrap as the machine does."""
    assert evaluate_expression("$esp 8 -", {"$esp": 4}, _read, 32) == 0xFFFF_FFFC
    assert evaluate_expression("$esp -8 +", {"$esp": 4}, _read, 64) == (1 << 64) - 4


@pytest.mark.parametrize(
    "expression",
    ["", "+", "$rsp +", "$unknown 8 +", "$rsp 0 /", "$rsp 0 %", "1 2", "$rsp =", "x " * 300],
)
def test_invalid_expressions_give_none(expression: str) -> None:
    """Underflow, unknown names, division by zero, leftovers and over-long input are None."""
    assert evaluate_expression(expression, {"$rsp": 1}, _read, 64) is None


def test_stack_win_program() -> None:
    """A FRAME_DATA program assigns the caller's registers (MSVC's ``=$eip`` glued form too)."""
    names = {"$ebp": 0x1000, "$esp": 0xF00}
    program = "$T0 $ebp = $eip $T0 8 + ^ =$ebp $T0 ^ = $esp $T0 12 + ="
    assigned = evaluate_assignments(program, names, _read, 32)
    assert assigned == {"$T0", "$eip", "$ebp", "$esp"}
    assert (names["$eip"], names["$ebp"], names["$esp"]) == (0x1010, 0x4242, 0x100C)


def test_invalid_programs_give_none() -> None:
    """A program that leaves values behind or assigns to a number is refused."""
    assert evaluate_assignments("$eip 4 = 5", {}, _read, 32) is None
    assert evaluate_assignments("4 5 =", {}, _read, 32) is None
    assert evaluate_assignments("$eip 0x2000 ^ =", {}, _read, 32) is None
    assert evaluate_assignments("$a 1 = " * (MAX_TOKENS // 3 + 1), {}, _read, 32) is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["+", "-", "*", "/", "%", "@", "^", "=", "$a", ".b", "1", "-4", "0x10"]),
        max_size=40,
    )
)
def test_any_token_soup_is_an_answer_or_none(tokens: list[str]) -> None:
    """No token sequence raises."""
    program = " ".join(tokens)
    evaluate_expression(program, {"$a": 0x1000, ".b": 8}, _read, 32)
    evaluate_assignments(program, {"$a": 0x1000, ".b": 8}, _read, 32)
