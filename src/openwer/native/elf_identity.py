"""Which build a loaded ELF image is: its GNU build id, and a version from its file name.

:func:`parse_build_id` reads ELF64 little-endian bytes (a file's head, or an image copied from
memory such as the vDSO): the ``NT_GNU_BUILD_ID`` note of a ``PT_NOTE`` segment.
:func:`read_elf_identity` does the same on a file with a few ``pread`` calls (the notes sit in
the first pages), so a 100 MB library costs microseconds. :func:`version_from_name` turns
``libssl.so.3`` into ``(3, 0, 0, 0)``: ELF has no version resource, the soname's numbers are the
closest thing.

:class:`IdentityCache` remembers identities by (path, device, inode) so that a crash handler
can read every library once, ahead of the crash. Pure functions never raise on bad input
(``None``/``b""`` instead); the cache is not thread-safe (one per capture thread).
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ElfIdentity",
    "IdentityCache",
    "parse_build_id",
    "read_elf_identity",
    "version_from_name",
]

_ELF_MAGIC: Final = b"\x7fELF"
_ELFCLASS64: Final = 2
_ELFDATA2LSB: Final = 1
_PT_NOTE: Final = 4
_NT_GNU_BUILD_ID: Final = 3
_MAX_NOTE: Final = 64 * 1024
_MAX_PHDRS: Final = 256
_SO_VERSION = re.compile(r"\.so((?:\.\d+){1,4})$")


@dataclass(frozen=True, slots=True)
class ElfIdentity:
    """An ELF image's build id (empty when it has none)."""

    build_id: bytes


def _program_headers(head: bytes) -> list[tuple[int, int, int, int]] | None:
    """(type, offset, vaddr, filesz) of each program header, or None when not ELF64 LE."""
    if len(head) < 64 or head[:4] != _ELF_MAGIC:
        return None
    if head[4] != _ELFCLASS64 or head[5] != _ELFDATA2LSB:
        return None
    (phoff,) = struct.unpack_from("<Q", head, 32)
    phentsize, phnum = struct.unpack_from("<HH", head, 54)
    if phentsize < 56 or phnum > _MAX_PHDRS:
        return None
    headers = []
    for index in range(phnum):
        at = phoff + index * phentsize
        if at + 56 > len(head):
            break
        kind, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from("<IIQQQQ", head, at)
        headers.append((kind, offset, vaddr, filesz))
    return headers


def _build_id_in_notes(notes: bytes) -> bytes:
    at = 0
    while at + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from("<III", notes, at)
        name_at = at + 12
        desc_at = name_at + (namesz + 3) // 4 * 4
        end = desc_at + (descsz + 3) // 4 * 4
        if desc_at + descsz > len(notes):
            return b""
        if kind == _NT_GNU_BUILD_ID and notes[name_at : name_at + namesz] == b"GNU\0":
            return notes[desc_at : desc_at + descsz]
        at = end
    return b""


def parse_build_id(image: bytes) -> bytes | None:
    """The build id in an ELF image held in memory; ``b""`` without one, None when not ELF."""
    headers = _program_headers(image)
    if headers is None:
        return None
    for kind, offset, _vaddr, size in headers:
        if kind == _PT_NOTE and size <= _MAX_NOTE:
            found = _build_id_in_notes(image[offset : offset + size])
            if found:
                return found
    return b""


def read_elf_identity(path: str) -> ElfIdentity | None:
    """The identity of the ELF file at ``path``, or None when it is not a readable ELF64 file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        head = os.pread(descriptor, 4096, 0)
        headers = _program_headers(head)
        if headers is None:
            return None
        (phoff,) = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        if phoff + phentsize * phnum > len(head):  # program headers past the first page
            head = os.pread(descriptor, phoff + phentsize * phnum, 0)
            headers = _program_headers(head) or []
        for kind, offset, _vaddr, size in headers:
            if kind == _PT_NOTE and size <= _MAX_NOTE:
                found = _build_id_in_notes(os.pread(descriptor, size, offset))
                if found:
                    return ElfIdentity(found)
        return ElfIdentity(b"")
    except OSError:
        return None
    finally:
        os.close(descriptor)


def version_from_name(path: str) -> tuple[int, int, int, int] | None:
    """Four version numbers from a ``name.so.N[.M…]`` file name, or None."""
    match = _SO_VERSION.search(os.path.basename(path))
    if match is None:
        return None
    numbers = [int(part) & 0xFFFF for part in match.group(1).split(".")[1:]]
    padded = [*numbers, 0, 0, 0, 0][:4]
    return padded[0], padded[1], padded[2], padded[3]


class IdentityCache:
    """ELF identities by (path, device, inode); a replaced file gets a new inode, so a new entry."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, int], ElfIdentity | None] = {}

    def identity(self, path: str, device: str, inode: int) -> ElfIdentity | None:
        """The identity of ``path``, read once per (path, device, inode)."""
        key = (path, device, inode)
        if key not in self._known:
            self._known[key] = read_elf_identity(path)
        return self._known[key]

    def __len__(self) -> int:
        return len(self._known)
