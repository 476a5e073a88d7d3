"""[MS-CER2] Corporate Error Reporting V.2, level 1: the server's ``Key=Value`` answer.

The server answers every level-1 report (:mod:`openwer.formats.mscer2_report`) with HTTP 200 and
CRLF-ended ``Key=Value`` lines in cp1252, every key optional and case-sensitive, in the ABNF's
order: ``Response``, ``Bucket``, ``BucketTable``, ``iData``, ``MemoryDump``, ``RegKey``,
``fDoc``, ``WQL``, ``GetFile``, ``GetFileVersion``, ``DumpFile``, ``RegTree`` (``wer-spec.md``
§6.3).

* :func:`serialize_level1_response` writes exactly that form;
* :func:`parse_level1_response` reads one leniently, as the specification's own examples need
  (``Bucket = 500``): spaces around ``=``, any line ending, unknown keys skipped, the first of a
  repeated key wins;
* :func:`level1_response_for` expresses a protocol-v1 stage-1 answer in these terms.

Pure: bytes in, frozen values out; thread-safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openwer.errors import FormatError
from openwer.formats.protocol import Stage1Response
from openwer.types import DumpType

__all__ = [
    "MAX_LEVEL1_RESPONSE_BYTES",
    "CerResponse",
    "level1_response_for",
    "parse_level1_response",
    "serialize_level1_response",
]

MAX_LEVEL1_RESPONSE_BYTES = 64 * 1024
_ANSWER = "MS-CER2 level 1 response"
_BAD_CHARACTERS = re.compile("[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,20}")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_TRUE = frozenset(("1", "yes", "true"))
_FLAGS = _TRUE | {"0", "no", "false"}


@dataclass(frozen=True, slots=True)
class CerResponse:
    """The level-1 answer. None (or an empty tuple) leaves a key out.

    Keys: ``Response`` (``"1"`` or a URL to show), ``Bucket``, ``BucketTable``, ``iData``
    (``additional_data``: level 2 wanted), ``MemoryDump``, ``RegKey``, ``fDoc``
    (``user_document``), ``WQL``, ``GetFile``, ``GetFileVersion``, ``DumpFile`` (the path the
    cabinet is ``PUT`` to) and ``RegTree``; the lists are ``;``-separated on the wire.
    """

    response: str | None = None
    bucket: int | None = None
    bucket_table: int | None = None
    additional_data: bool | None = None
    memory_dump: bool | None = None
    reg_keys: tuple[str, ...] = ()
    user_document: bool | None = None
    wql: tuple[str, ...] = ()
    get_files: tuple[str, ...] = ()
    get_file_versions: tuple[str, ...] = ()
    dump_file: str | None = None
    reg_trees: tuple[str, ...] = ()


# The ABNF's key order, with the attribute each key maps to and its kind.
_KEYS = (
    ("Response", "response", "text"),
    ("Bucket", "bucket", "int"),
    ("BucketTable", "bucket_table", "int"),
    ("iData", "additional_data", "bool"),
    ("MemoryDump", "memory_dump", "bool"),
    ("RegKey", "reg_keys", "list"),
    ("fDoc", "user_document", "bool"),
    ("WQL", "wql", "list"),
    ("GetFile", "get_files", "list"),
    ("GetFileVersion", "get_file_versions", "list"),
    ("DumpFile", "dump_file", "text"),
    ("RegTree", "reg_trees", "list"),
)


def serialize_level1_response(response: CerResponse) -> bytes:
    """Write the level-1 answer: cp1252, one CRLF-ended ``Key=Value`` line per set field.

    Raises:
        FormatError: a number is negative or over 2**31 - 1 (clients read 32-bit ints), a text is
            empty, not cp1252, or holds a control character, a list item is empty or holds
            ``;``, ``Response`` is neither ``1`` nor an http(s) URL, or ``DumpFile`` does not
            start with ``/`` or ``\\``.
    """
    lines = []
    for key, attribute, kind in _KEYS:
        value = getattr(response, attribute)
        if value is None or value == ():
            continue
        if kind == "int":
            if type(value) is not int or not 0 <= value <= 0x7FFF_FFFF:
                raise FormatError(f"{_ANSWER}: {key} must be 0 to 2147483647, not {value!r}")
            text = str(value)
        elif kind == "bool":
            text = "1" if value else "0"
        elif kind == "list":
            if any(not item or ";" in item or item != item.strip() for item in value):
                raise FormatError(
                    f"{_ANSWER}: {key} items must be non-empty, without ';' and without "
                    "surrounding spaces"
                )
            text = ";".join(value)
        else:
            text = value
        if not text or _BAD_CHARACTERS.search(text) or text != text.strip():
            raise FormatError(
                f"{_ANSWER}: {key} must be non-empty text without control characters or "
                "surrounding spaces"
            )
        lines.append(f"{key}={text}\r\n")
    shown = response.response
    if shown is not None and shown != "1" and not shown.startswith(("http://", "https://")):
        raise FormatError(f"{_ANSWER}: Response must be 1 or an http(s) URL")
    if response.dump_file is not None and not response.dump_file.startswith(("/", "\\")):
        raise FormatError(f"{_ANSWER}: DumpFile must be a server path starting with / or \\")
    try:
        return "".join(lines).encode("cp1252")
    except UnicodeEncodeError as exc:
        raise FormatError(f"{_ANSWER}: a value cannot be written in cp1252") from exc


def parse_level1_response(data: bytes) -> CerResponse:
    """Read a level-1 answer leniently; keys are case-sensitive, as the specification says.

    Raises:
        FormatError: over :data:`MAX_LEVEL1_RESPONSE_BYTES`; ``Bucket`` or ``BucketTable`` is not
            a decimal number of at most 20 digits; a flag is not 0/1 (or yes/no, true/false).
    """
    if len(data) > MAX_LEVEL1_RESPONSE_BYTES:
        raise FormatError(
            f"{_ANSWER}: {len(data)} bytes is over the {MAX_LEVEL1_RESPONSE_BYTES}-byte limit"
        )
    text = data.decode("cp1252", errors="replace").removeprefix("ï»¿")
    raw: dict[str, str] = {}
    for line in _LINE_BREAK.split(text):
        key, sep, value = line.partition("=")
        if sep:
            raw.setdefault(key.strip(), value.strip())
    values: dict[str, Any] = {}
    for key, attribute, kind in _KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if kind == "int":
            if _DIGITS.fullmatch(value) is None:
                raise FormatError(f"{_ANSWER}: {key}={value!r} is not a decimal number")
            values[attribute] = int(value)
        elif kind == "bool":
            if value.lower() not in _FLAGS:
                raise FormatError(f"{_ANSWER}: {key}={value!r} is not 0 or 1")
            values[attribute] = value.lower() in _TRUE
        elif kind == "list":
            values[attribute] = tuple(item.strip() for item in value.split(";") if item.strip())
        elif value:
            values[attribute] = value
    return CerResponse(**values)


def level1_response_for(response: Stage1Response, *, dump_file: str | None) -> CerResponse:
    """Express a stage-1 answer as an MS-CER2 level-1 answer.

    ``Bucket`` is the legacy bucket id's low 31 bits (Windows reads a 32-bit int). Level 2 is
    asked for (``iData=1``) only when the answer wants a bundle and ``dump_file`` names where
    the cabinet goes; ``MemoryDump`` says whether a dump is wanted and ``GetFile`` lists the
    extra files. ``Response`` is the solution's URL, or ``1`` when there is none.
    """
    wanted = response.data_request if dump_file is not None else None
    url = response.solution.url if response.solution is not None else None
    return CerResponse(
        response=url or "1",
        bucket=response.legacy_bucket_id & 0x7FFF_FFFF,
        bucket_table=response.bucket_table,
        additional_data=wanted is not None,
        memory_dump=None if wanted is None else wanted.dump_type is not DumpType.NONE,
        get_files=() if wanted is None else wanted.files,
        dump_file=None if wanted is None else dump_file,
    )
