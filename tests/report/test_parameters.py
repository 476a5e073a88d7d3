"""Tests of signature parameters: WER's limits, default names and contiguity rule."""

from __future__ import annotations

import pytest

from openwer.errors import InvalidArgumentError, LengthExceededError, ParameterGapError
from openwer.report.parameters import (
    Parameter,
    check_contiguous,
    default_parameter_name,
    validate_event_type,
    validate_parameter,
)
from openwer.types import HResult


def test_default_names_are_p_n() -> None:
    """A parameter set without a name is called P<n>."""
    assert [validate_parameter(i, "v", None).name for i in range(10)] == [
        f"P{i}" for i in range(10)
    ]
    assert default_parameter_name(7) == "P7"


def test_value_limit_counts_the_nul() -> None:
    """Values hold at most 259 characters: WER_MAX_PARAM_LENGTH (260) includes the NUL."""
    assert validate_parameter(0, "x" * 259, None).value == "x" * 259
    with pytest.raises(LengthExceededError) as info:
        validate_parameter(0, "x" * 260, None)
    assert info.value.hresult == HResult.WER_E_LENGTH_EXCEEDED


def test_name_limit_is_128() -> None:
    """Names hold at most 128 characters."""
    assert validate_parameter(1, "v", "n" * 128).name == "n" * 128
    with pytest.raises(LengthExceededError):
        validate_parameter(1, "v", "n" * 129)


@pytest.mark.parametrize("index", [-1, 10, 42])
def test_index_outside_p0_p9_is_invalid(index: int) -> None:
    """Only slots 0..9 exist."""
    with pytest.raises(InvalidArgumentError) as info:
        validate_parameter(index, "v", None)
    assert info.value.hresult == HResult.E_INVALIDARG


def test_missing_value_is_invalid() -> None:
    """A parameter needs a value."""
    with pytest.raises(InvalidArgumentError):
        validate_parameter(0, None, None)


def test_contiguity_rule() -> None:
    """If Px is set, P0..Px must all be set."""
    check_contiguous([Parameter(i, f"P{i}", "v") for i in (2, 0, 1)])
    check_contiguous([])
    with pytest.raises(ParameterGapError, match="P2 is set but P1"):
        check_contiguous([Parameter(0, "P0", "v"), Parameter(2, "P2", "v")])
    with pytest.raises(ParameterGapError):
        check_contiguous([Parameter(1, "P1", "v")])


@pytest.mark.parametrize("event_type", [None, ""])
def test_empty_event_type_is_invalid(event_type: str | None) -> None:
    """A NULL or empty event type is E_INVALIDARG (Wine-verified)."""
    with pytest.raises(InvalidArgumentError):
        validate_event_type(event_type)


def test_event_type_limit_is_64() -> None:
    """Event names hold at most 64 characters."""
    assert validate_event_type("E" * 64) == "E" * 64
    with pytest.raises(LengthExceededError):
        validate_event_type("E" * 65)
