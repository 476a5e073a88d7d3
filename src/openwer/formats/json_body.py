"""Strict, bounded JSON bodies: the decoding rules and field checks every openwer JSON API shares.

:func:`load_json_object` turns request bytes into a ``dict`` or a :class:`FormatError`, with every
limit a public endpoint needs: a size limit, UTF-8 only, one JSON object, no duplicate key in any
object (RFC 8259 leaves them undefined; a validator and a consumer could each see a different
value), no ``NaN``/``Infinity``, no number longer than 20 digits (Python would otherwise parse a
60,000-digit integer). The field checks (:func:`text`, :func:`whole_number`…)
are strict about JSON types: ``true`` is not a number and ``"1"`` is not one either, and
:func:`check_ignored_fields` bounds the nesting of the fields a schema ignores.

Every message starts with what was being read (``what``) and names the field.

Pure: no I/O, no clock, no globals; thread-safe.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openwer.errors import FormatError

__all__ = [
    "MAX_DIGITS",
    "MAX_NESTING",
    "check_ignored_fields",
    "dump_json",
    "is_clean_text",
    "json_kind",
    "load_json_object",
    "optional_text",
    "required",
    "text",
    "whole_number",
]

MAX_DIGITS = 20
MAX_NESTING = 8
# C0 controls except TAB (Report.wer values may hold tabs), and UTF-16 surrogates, which only
# appear alone (from a "\ud800" escape) and cannot be stored as UTF-8.
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0a-\x1f\ud800-\udfff]")
_KINDS = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a fractional number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def load_json_object(data: bytes, *, limit: int, what: str) -> dict[str, Any]:
    """Decode ``data`` as one JSON object under the module's rules.

    The nesting of the fields a schema knows is bounded by their types; the fields it ignores
    are bounded by :func:`check_ignored_fields`. Nesting deep enough to exhaust the parser's
    recursion limit is refused here.

    Raises:
        FormatError: more than ``limit`` bytes, not UTF-8, not JSON, not an object, a duplicate
            key, ``NaN``/``Infinity``, a number of more than :data:`MAX_DIGITS` digits, or
            nesting beyond the parser's recursion limit.
    """
    if len(data) > limit:
        raise FormatError(f"{what}: the body is {len(data)} bytes; the limit is {limit}")
    try:
        decoded = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what}: the body is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            decoded, object_pairs_hook=_object, parse_int=_integer, parse_constant=_constant
        )
    except FormatError as exc:
        raise FormatError(f"{what}: {exc}") from exc
    except RecursionError as exc:
        raise FormatError(f"{what}: the JSON is nested too deeply") from exc
    except ValueError as exc:
        raise FormatError(f"{what}: not JSON ({exc})") from exc
    if type(value) is not dict:
        raise FormatError(f"{what}: the body must be a JSON object, not {json_kind(value)}")
    return value


def dump_json(body: dict[str, Any], *, limit: int, what: str) -> bytes:
    """Encode ``body`` as compact UTF-8 JSON.

    Raises:
        FormatError: the encoding is longer than ``limit`` bytes.
    """
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if len(data) > limit:
        raise FormatError(f"{what}: the body would be {len(data)} bytes; the limit is {limit}")
    return data


def json_kind(value: object) -> str:
    """Name the JSON type of a decoded value ("a string", "null"…) for error messages."""
    return _KINDS.get(type(value), type(value).__name__)


def is_clean_text(value: str) -> bool:
    """True when ``value`` holds no control character (tab allowed) and no lone surrogate."""
    # isprintable() is the fast answer for almost every string; the regex decides the rest.
    return value.isprintable() or _BAD_CHARACTERS.search(value) is None


def required(body: dict[str, Any], key: str, what: str) -> Any:
    """Return ``body[key]``.

    Raises:
        FormatError: the field is missing.
    """
    try:
        return body[key]
    except KeyError:
        raise FormatError(f"{what}: missing field {key!r}") from None


def text(value: Any, field: str, what: str, max_length: int, min_length: int = 0) -> str:
    """Return ``value`` if it is a clean string of ``min_length`` to ``max_length`` characters.

    Raises:
        FormatError: not a string, too short or long, or holding a control character.
    """
    if type(value) is not str:
        raise FormatError(f"{what}: {field} must be a string, not {json_kind(value)}")
    if not min_length <= len(value) <= max_length:
        raise FormatError(
            f"{what}: {field} is {len(value)} characters; it must be {min_length} to {max_length}"
        )
    if not is_clean_text(value):
        raise FormatError(f"{what}: {field} contains a control character or a lone surrogate")
    return value


def optional_text(
    value: Any, field: str, what: str, max_length: int, min_length: int = 0
) -> str | None:
    """Return None for ``null``, else :func:`text` of ``value``.

    Raises:
        FormatError: as :func:`text`.
    """
    return None if value is None else text(value, field, what, max_length, min_length)


def whole_number(value: Any, field: str, what: str, maximum: int, minimum: int = 0) -> int:
    """Return ``value`` if it is a JSON integer (not a boolean) from ``minimum`` to ``maximum``.

    Raises:
        FormatError: not an integer, or out of range.
    """
    if type(value) is not int:
        raise FormatError(f"{what}: {field} must be a whole number, not {json_kind(value)}")
    if not minimum <= value <= maximum:
        raise FormatError(f"{what}: {field} is {value}; it must be {minimum} to {maximum}")
    return value


def check_ignored_fields(
    body: dict[str, Any], known: frozenset[str], what: str, *, level: int = 1
) -> None:
    """Check the fields of ``body`` that a reader ignores: they may not nest too deeply.

    Unknown fields are accepted (forward compatibility) but, being ignored, escape the type checks
    that bound the known fields; this bounds them too. ``level`` is the nesting level of ``body``
    itself (1 for the top-level object).

    Raises:
        FormatError: an ignored field holds containers nested deeper than :data:`MAX_NESTING`
            levels from the top of the body.
    """
    if len(body) <= len(known) and body.keys() <= known:
        return
    for key in body.keys() - known:
        value = body[key]
        if type(value) in (dict, list):
            _check_depth(value, repr(key), what, level + 1)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FormatError(f"duplicate key {key!r} in an object")
            seen.add(key)
    return result


def _integer(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise FormatError(f"a number of {len(digits)} characters; the limit is {MAX_DIGITS}")
    return int(digits)


def _constant(name: str) -> Any:
    raise FormatError(f"{name} is not a JSON number")


def _check_depth(value: Any, field: str, what: str, level: int) -> None:
    stack: list[tuple[Any, int]] = [(value, level)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            raise FormatError(
                f"{what}: {field} is nested deeper than {MAX_NESTING} levels in the body"
            )
        children = item.values() if type(item) is dict else item
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
