"""Blob keys: the portable subset of S3 object keys every backend accepts, checked once.

A key is an opaque string chosen by the server (``bundles/<product>/<report-id>.cab``, say). The
rules below are what every S3 implementation stores faithfully, including the ones that map keys
onto a file system, and what keeps a key harmless wherever it travels (URLs, file names, logs):

* a ``str`` of 1 to :data:`MAX_KEY_BYTES` bytes in UTF-8 (S3's own limit), with no lone
  surrogates;
* ``/``-separated segments, each 1 to :data:`MAX_SEGMENT_BYTES` bytes, none of them ``.`` or
  ``..`` (so no leading, trailing or doubled ``/`` and no traversal);
* no control characters (C0, DEL, C1) and no backslash.

These are not theoretical: s3rver, the real S3 server the tests run, writes outside its bucket
for a ``..`` segment, answers 404 for ``a//b`` and crashes on a segment whose file name exceeds
255 bytes once it appends its own suffix. Every backend (the memory fake included) applies the
same rules, so a key accepted in a unit test is accepted in production.
"""

from __future__ import annotations

import unicodedata

from openwer.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_CONTENT_TYPE_LENGTH",
    "MAX_KEY_BYTES",
    "MAX_SEGMENT_BYTES",
    "check_blob_key",
    "check_blob_prefix",
    "check_content_type",
    "describe_key",
]

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 200
MAX_CONTENT_TYPE_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_SHOWN = 60


def describe_key(key: object) -> str:
    """``repr`` of ``key`` shortened for messages (a key can be 1 KiB long)."""
    text = repr(key)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 5]}…{text[-4:]} ({len(text)} chars)"


def check_blob_key(key: object) -> str:
    """Return ``key`` if it is a valid blob key (see the module docstring).

    Raises:
        InvalidArgumentError: the key is not a ``str`` or breaks a rule; the message says which.
    """
    if not isinstance(key, str):
        raise InvalidArgumentError(f"a blob key is a str, not {type(key).__name__}")
    encoded = _check_text(key, "blob key")
    if not encoded:
        raise InvalidArgumentError("a blob key cannot be empty")
    if len(encoded) > MAX_KEY_BYTES:
        raise InvalidArgumentError(
            f"blob key {describe_key(key)} is {len(encoded)} bytes in UTF-8; at most "
            f"{MAX_KEY_BYTES} are allowed"
        )
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidArgumentError(
                f"blob key {describe_key(key)} has an empty, '.' or '..' segment "
                "(no leading, trailing or doubled '/', no traversal)"
            )
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidArgumentError(
                f"blob key {describe_key(key)} has a segment over {MAX_SEGMENT_BYTES} bytes"
            )
    return key


def check_blob_prefix(prefix: object) -> str:
    """Return ``prefix`` if it can start a blob key (empty means every key).

    Raises:
        InvalidArgumentError: not a ``str``, too long, or holding forbidden characters.
    """
    if not isinstance(prefix, str):
        raise InvalidArgumentError(f"a blob key prefix is a str, not {type(prefix).__name__}")
    if len(_check_text(prefix, "blob key prefix")) > MAX_KEY_BYTES:
        raise InvalidArgumentError(f"a blob key prefix has at most {MAX_KEY_BYTES} bytes")
    return prefix


def check_content_type(content_type: object) -> str:
    """Return ``content_type`` if it is a plausible media type (printable ASCII, no newline).

    Raises:
        InvalidArgumentError: empty, too long, not ASCII, or holding control characters.
    """
    if not isinstance(content_type, str):
        raise InvalidArgumentError("a content type is a str")
    if not (
        0 < len(content_type) <= MAX_CONTENT_TYPE_LENGTH
        and content_type.isascii()
        and content_type.isprintable()
        and "/" in content_type
    ):
        raise InvalidArgumentError(
            f"content type {describe_key(content_type)} is not a media type such as "
            f"{DEFAULT_CONTENT_TYPE!r} (printable ASCII, at most {MAX_CONTENT_TYPE_LENGTH})"
        )
    return content_type


def _check_text(text: str, what: str) -> bytes:
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"{what} {describe_key(text)} is not valid Unicode") from None
    if "\\" in text or any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidArgumentError(
            f"{what} {describe_key(text)} holds a control character or a backslash"
        )
    return encoded
