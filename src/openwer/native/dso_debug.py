"""The dynamic linker's own list of loaded objects (``r_debug``), read from a stopped process.

The path, as a debugger walks it: the auxiliary vector gives the main program's program headers
(``AT_PHDR``, ``AT_PHNUM``); ``PT_PHDR`` gives its load bias and ``PT_DYNAMIC`` its dynamic
section, whose ``DT_DEBUG`` entry points to ``struct r_debug``; ``r_map`` starts the chain of
``struct link_map`` (load bias, name, dynamic section). Breakpad stores the result as its
MD_LINUX_DSO_DEBUG stream, which turns a minidump back into a core file.

64-bit little-endian only. :func:`read_dso_debug` never raises: None when the chain cannot be
followed (a static program, a corrupt heap), at most 4096 entries.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from openwer.formats.minidump_writer import DsoDebug, LinkMapEntry

__all__ = ["parse_auxv", "read_dso_debug"]

_AT_PHDR = 3
_AT_PHNUM = 5
_AT_BASE = 7
_PT_DYNAMIC = 2
_PT_PHDR = 6
_DT_NULL = 0
_DT_DEBUG = 21
_MAX_ENTRIES = 4096
_MAX_DYNAMIC = 512
_PHDR_SIZE = 56

ReadMemory = Callable[[int, int], bytes]


def parse_auxv(raw: bytes) -> dict[int, int]:
    """``/proc/<pid>/auxv`` as {type: value} (64-bit pairs, up to ``AT_NULL``)."""
    values: dict[int, int] = {}
    for at in range(0, len(raw) - 15, 16):
        kind, value = struct.unpack_from("<QQ", raw, at)
        if kind == 0:
            break
        values[kind] = value
    return values


def _string(read: ReadMemory, address: int) -> str:
    if not address:
        return ""
    data = read(address, 4096)
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _dynamic_address(read: ReadMemory, auxv: dict[int, int]) -> int:
    phdr, count = auxv.get(_AT_PHDR, 0), auxv.get(_AT_PHNUM, 0)
    if not phdr or not 0 < count <= 256:
        return 0
    table = read(phdr, count * _PHDR_SIZE)
    bias = None
    dynamic = 0
    for at in range(0, len(table) - _PHDR_SIZE + 1, _PHDR_SIZE):
        kind, _flags, _offset, vaddr = struct.unpack_from("<IIQQ", table, at)
        if kind == _PT_PHDR:
            bias = phdr - vaddr
        elif kind == _PT_DYNAMIC:
            dynamic = vaddr
    if not dynamic:
        return 0
    return dynamic + (bias or 0)


def read_dso_debug(read: ReadMemory, auxv: dict[int, int]) -> DsoDebug | None:
    """Follow ``DT_DEBUG`` → ``r_debug`` → ``link_map`` (see the module docstring)."""
    dynamic = _dynamic_address(read, auxv)
    if not dynamic:
        return None
    section = read(dynamic, _MAX_DYNAMIC * 16)
    debug_address = 0
    for at in range(0, len(section) - 15, 16):
        tag, value = struct.unpack_from("<qQ", section, at)
        if tag == _DT_NULL:
            break
        if tag == _DT_DEBUG:
            debug_address = value
    if not debug_address:
        return None
    header = read(debug_address, 40)
    if len(header) < 40:
        return None
    version, first, brk, _state, ldbase = struct.unpack_from("<i4xQQi4xQ", header)
    entries: list[LinkMapEntry] = []
    seen: set[int] = set()
    node = first
    while node and node not in seen and len(entries) < _MAX_ENTRIES:
        seen.add(node)
        raw = read(node, 40)
        if len(raw) < 40:
            break
        l_addr, l_name, l_ld, l_next, _prev = struct.unpack_from("<5Q", raw)
        entries.append(LinkMapEntry(l_addr, _string(read, l_name), l_ld))
        node = l_next
    return DsoDebug(
        version=version,
        entries=tuple(entries),
        brk=brk,
        ldbase=ldbase or auxv.get(_AT_BASE, 0),
        dynamic=dynamic,
    )
