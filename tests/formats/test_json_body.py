"""The shared JSON body rules: strict decoding, typed field checks and bounded ignored fields."""

from __future__ import annotations

import pytest

from openwer.errors import FormatError
from openwer.formats.json_body import (
    MAX_NESTING,
    check_ignored_fields,
    dump_json,
    is_clean_text,
    json_kind,
    load_json_object,
    optional_text,
    required,
    text,
    whole_number,
)


def test_load_returns_the_object() -> None:
    """A valid object decodes to a dict with Python values."""
    assert load_json_object(b'{"a": [1, 2.5, true, null]}', limit=100, what="t") == {
        "a": [1, 2.5, True, None]
    }


def test_load_limit_is_inclusive() -> None:
    """A body exactly at the limit is read; one byte more is refused."""
    data = b'{"a":"' + b"x" * 10 + b'"}'
    assert load_json_object(data, limit=len(data), what="t")["a"] == "x" * 10
    with pytest.raises(FormatError, match=r"^t: the body is 18 bytes; the limit is 17$"):
        load_json_object(data, limit=len(data) - 1, what="t")


def test_dump_is_compact_and_bounded() -> None:
    """dump_json writes compact UTF-8 and refuses a result over its limit."""
    assert dump_json({"a": "é", "b": [1]}, limit=100, what="t") == '{"a":"é","b":[1]}'.encode()
    with pytest.raises(FormatError, match=r"^t: the body would be \d+ bytes; the limit is 3$"):
        dump_json({"a": 1}, limit=3, what="t")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "a boolean"),
        (1, "a number"),
        (1.5, "a fractional number"),
        ("s", "a string"),
        ([], "an array"),
        ({}, "an object"),
        (b"x", "bytes"),
    ],
)
def test_json_kind_names(value: object, kind: str) -> None:
    """Error messages name JSON types as a reader of the protocol knows them."""
    assert json_kind(value) == kind


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("plain", True),
        ("tab\there", True),
        ("nbsp\u00a0and zero-width\u200b", True),
        ("line\nbreak", False),
        ("carriage\rreturn", False),
        ("nul\x00", False),
        ("escape\x1b", False),
        ("lone\ud800", False),
    ],
)
def test_clean_text(value: str, clean: bool) -> None:
    """Tab and any printable or format character pass; other C0 controls and surrogates fail."""
    assert is_clean_text(value) is clean


def test_field_helpers() -> None:
    """required, text, optional_text and whole_number return the value when it is valid."""
    assert required({"a": 0}, "a", "t") == 0
    assert text("abc", "f", "t", 3, 1) == "abc"
    assert optional_text(None, "f", "t", 3) is None
    assert optional_text("x", "f", "t", 3) == "x"
    assert whole_number(5, "f", "t", 5, 5) == 5


def test_field_helper_errors() -> None:
    """Each helper names the field and the rule it broke."""
    with pytest.raises(FormatError, match=r"^t: missing field 'a'$"):
        required({}, "a", "t")
    with pytest.raises(FormatError, match=r"^t: f must be a string, not a number$"):
        text(1, "f", "t", 3)
    with pytest.raises(FormatError, match=r"^t: f is 4 characters; it must be 0 to 3$"):
        text("abcd", "f", "t", 3)
    with pytest.raises(FormatError, match=r"^t: f contains a control character"):
        text("\x07", "f", "t", 3)
    with pytest.raises(FormatError, match=r"^t: f must be a whole number, not a boolean$"):
        whole_number(False, "f", "t", 5)
    with pytest.raises(FormatError, match=r"^t: f is 6; it must be 0 to 5$"):
        whole_number(6, "f", "t", 5)


def test_ignored_fields_are_bounded_from_the_given_level() -> None:
    """An ignored field's depth counts from the level of the object that holds it."""
    deep: object = 1
    for _ in range(MAX_NESTING - 1):
        deep = [deep]
    check_ignored_fields({"known": 1, "x": deep}, frozenset({"known"}), "t")
    with pytest.raises(FormatError, match=r"^t: 'x' is nested deeper than 8 levels in the body$"):
        check_ignored_fields({"x": deep}, frozenset(), "t", level=2)


def test_known_fields_are_not_walked() -> None:
    """Fields the schema knows are left to its type checks, however deep."""
    deep: object = 1
    for _ in range(50):
        deep = {"k": deep}
    check_ignored_fields({"known": deep}, frozenset({"known", "other"}), "t")


@pytest.mark.parametrize(
    "data",
    [b'{"a":1e999}', b'{"a":-0.0}', b'{"a":' + b"1" * 20 + b"}"],
    ids=["overflowing-float", "negative-zero", "twenty-digits"],
)
def test_numbers_at_the_edges_decode(data: bytes) -> None:
    """Floats and 20-digit integers decode; the schema decides whether they fit a field."""
    assert "a" in load_json_object(data, limit=100, what="t")
