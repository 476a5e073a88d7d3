"""Signature parameters P0–P9 with WER's limits, default names and contiguity rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openwer.errors import InvalidArgumentError, LengthExceededError, ParameterGapError
from openwer.types import (
    WER_MAX_EVENT_NAME_LENGTH,
    WER_MAX_PARAM_COUNT,
    WER_MAX_PARAM_LENGTH,
    WER_MAX_SIGNATURE_NAME_LENGTH,
)

__all__ = [
    "Parameter",
    "check_contiguous",
    "default_parameter_name",
    "validate_event_type",
    "validate_parameter",
]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One signature parameter: slot ``index`` (WER_P0..WER_P9), its name and value."""

    index: int
    name: str
    value: str


def default_parameter_name(index: int) -> str:
    """WER's name for a parameter set without one: ``P0``, ``P1``…"""
    return f"P{index}"


def validate_event_type(event_type: str | None) -> str:
    """Return ``event_type`` if WER accepts it.

    Raises:
        InvalidArgumentError: None or empty (Wine-verified: E_INVALIDARG).
        LengthExceededError: longer than ``WER_MAX_EVENT_NAME_LENGTH`` (64).
    """
    if not event_type:
        raise InvalidArgumentError("the event type must be a non-empty string")
    if len(event_type) > WER_MAX_EVENT_NAME_LENGTH:
        raise LengthExceededError(
            f"the event type is {len(event_type)} characters; WER allows "
            f"{WER_MAX_EVENT_NAME_LENGTH}"
        )
    return event_type


def validate_parameter(index: int, value: str | None, name: str | None) -> Parameter:
    """Check one parameter against WER's limits and return it with its name defaulted.

    Raises:
        InvalidArgumentError: ``index`` outside 0..9, or ``value`` is None.
        LengthExceededError: the value has 260 characters or more (WER counts the NUL), or the
            name more than 128.
    """
    if not 0 <= index < WER_MAX_PARAM_COUNT:
        raise InvalidArgumentError(
            f"parameter index {index} is outside 0..{WER_MAX_PARAM_COUNT - 1}"
        )
    if value is None:
        raise InvalidArgumentError(f"parameter P{index} needs a value")
    if len(value) >= WER_MAX_PARAM_LENGTH:
        raise LengthExceededError(
            f"parameter P{index} is {len(value)} characters; WER allows {WER_MAX_PARAM_LENGTH - 1}"
        )
    if name is not None and len(name) > WER_MAX_SIGNATURE_NAME_LENGTH:
        raise LengthExceededError(
            f"the name of parameter P{index} is {len(name)} characters; WER allows "
            f"{WER_MAX_SIGNATURE_NAME_LENGTH}"
        )
    return Parameter(index, name or default_parameter_name(index), value)


def check_contiguous(parameters: Iterable[Parameter]) -> None:
    """Enforce WER's contiguity rule: if Px is set, P0..Px must all be set.

    Raises:
        ParameterGapError: a slot below the highest set one is empty.
    """
    indices = sorted(p.index for p in parameters)
    for expected, actual in enumerate(indices):
        if expected != actual:
            raise ParameterGapError(
                f"parameter P{actual} is set but P{expected} is not; "
                "WER requires P0..Pn to be contiguous"
            )
