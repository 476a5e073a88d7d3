"""WER dump types by name or number, as admins type them and as the protocol sends them.

The protocol carries ``WER_DUMP_TYPE`` as a number (``2``); admins may also write WER's names
(``MiniDump``, ``WerDumpTypeMiniDump``) or short ones (``mini``), in any case, with or without
``_``/``-``. :func:`parse_dump_type` reads all of these; :func:`dump_type_name` gives the one
name answers use (``MiniDump``). ``MAX`` is a sentinel, never a dump type.

Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Collection

from openwer.errors import InvalidArgumentError
from openwer.types import DumpType

__all__ = ["DUMP_TYPE_NAMES", "REQUESTABLE_DUMP_TYPES", "dump_type_name", "parse_dump_type"]

DUMP_TYPE_NAMES: dict[DumpType, str] = {
    DumpType.NONE: "None",
    DumpType.MICRO_DUMP: "MicroDump",
    DumpType.MINI_DUMP: "MiniDump",
    DumpType.HEAP_DUMP: "HeapDump",
    DumpType.TRIAGE_DUMP: "TriageDump",
}
# What an explicit data request may ask for: a request without a dump is no request.
REQUESTABLE_DUMP_TYPES: frozenset[DumpType] = frozenset(DUMP_TYPE_NAMES) - {DumpType.NONE}

_BY_NAME: dict[str, DumpType] = {
    **{name.lower(): kind for kind, name in DUMP_TYPE_NAMES.items()},
    **{name.lower().removesuffix("dump"): kind for kind, name in DUMP_TYPE_NAMES.items()},
}


def dump_type_name(kind: DumpType) -> str:
    """WER's short name of ``kind`` (``MiniDump``)."""
    return DUMP_TYPE_NAMES.get(kind, kind.name)


def parse_dump_type(
    value: object, allowed: Collection[DumpType] = REQUESTABLE_DUMP_TYPES, what: str = "dump type"
) -> DumpType:
    """``value`` (a number, a digit string or a name) as one of the ``allowed`` dump types.

    Raises:
        InvalidArgumentError: not a dump type, or not one of ``allowed``; the message lists them.
    """
    kind: DumpType | None = None
    if type(value) is int:
        kind = DumpType(value) if value in DUMP_TYPE_NAMES else None
    elif isinstance(value, str) and len(value) <= 64:
        key = value.strip().lower().replace("_", "").replace("-", "")
        key = key.removeprefix("werdumptype")
        if key.isascii() and key.isdigit() and len(key) <= 2:
            kind = DumpType(int(key)) if int(key) in DUMP_TYPE_NAMES else None
        else:
            kind = _BY_NAME.get(key)
    if kind is None or kind not in allowed:
        choices = ", ".join(f"{int(k)} ({dump_type_name(k)})" for k in sorted(allowed))
        shown = repr(value) if isinstance(value, int | str) else type(value).__name__
        raise InvalidArgumentError(f"{what} must be one of {choices}, not {shown[:80]}")
    return kind
