"""The ModuleList and UnloadedModuleList streams, with debug and code identifiers.

Identifiers are formatted as Breakpad and rust-minidump format them, because symbol stores are
keyed by them:

- CodeView PDB 7.0 (``RSDS``): ``debug_id`` is the GUID's fields in upper-case hex followed by the
  age in hex (``5A9832E5287241C1838ED98914E9B7FF1``); ``debug_file`` is the PDB path.
- CodeView PDB 2.0 (``NB10``): ``debug_id`` is the timestamp (8 hex digits) and the age.
- ELF build id (``BpEL``): ``code_id`` is the build id in lower-case hex; ``debug_id`` reads its
  first 16 bytes as a little-endian GUID, age 0 (``C0BCC3F19827FE653058404B2831D9E60``);
  ``debug_file`` is the module's path.
- Windows ``code_id``: the PE timestamp (8 upper-case hex digits) and the image size in
  lower-case hex (``45D35F6C2d000``), as symbol servers index binaries.
"""

from __future__ import annotations

import ntpath
import posixpath
import struct
from dataclasses import dataclass
from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.counted_list import (
    MAX_THREADS_OR_MODULES,
    cap_count,
    entry_offsets,
)
from openwer.formats.minidump.damage import Damage

__all__ = [
    "CodeView",
    "MinidumpModule",
    "UnloadedModule",
    "elf_debug_id",
    "module_basename",
    "parse_code_view",
    "parse_module_list",
    "parse_unloaded_module_list",
]

CV_PDB70: Final = 0x53445352  # "RSDS"
CV_PDB20: Final = 0x3031424E  # "NB10"
CV_ELF: Final = 0x4270454C  # "BpEL"
_VS_FIXEDFILEINFO_SIGNATURE: Final = 0xFEEF04BD
_MAX_CV_BYTES: Final = 65_536

_MODULE = struct.Struct("<QIIII" + "13I" + "IIII" + "QQ")
_UNLOADED_HEADER = struct.Struct("<III")
_UNLOADED = struct.Struct("<QIIII")
_PDB70 = struct.Struct("<IIHH8sI")
_PDB20 = struct.Struct("<IIII")


def module_basename(path: str) -> str:
    """The last component of a Windows or POSIX path (``c:\\test_app.exe`` → ``test_app.exe``)."""
    return posixpath.basename(ntpath.basename(path))


def elf_debug_id(build_id: bytes) -> str:
    """Breakpad's debug id of an ELF build id: its first 16 bytes as a GUID, then age 0."""
    guid = (build_id[:16] + bytes(16))[:16]
    data1, data2, data3 = struct.unpack_from("<IHH", guid)
    return f"{data1:08X}{data2:04X}{data3:04X}{guid[8:].hex().upper()}0"


@dataclass(frozen=True, slots=True)
class CodeView:
    """The identifiers a CodeView record gives.

    Attributes:
        signature: ``RSDS``, ``NB10``, ``BpEL`` or the raw signature in hex.
        debug_id: the Breakpad debug id, if the record has one.
        debug_file: the PDB path (``RSDS``, ``NB10``), else None.
        build_id: the ELF build id (``BpEL``), else None.
    """

    signature: str
    debug_id: str | None
    debug_file: str | None
    build_id: bytes | None


def parse_code_view(data: bytes) -> CodeView:
    """Read a CodeView record (raises OutOfBounds when it is too short for its signature)."""
    if len(data) < 4:
        raise OutOfBounds(f"CodeView record of {len(data)} bytes")
    signature = int.from_bytes(data[:4], "little")
    if signature == CV_PDB70:
        if len(data) < _PDB70.size:
            raise OutOfBounds(f"RSDS record of {len(data)} bytes")
        _, data1, data2, data3, data4, age = _PDB70.unpack_from(data)
        guid = f"{data1:08X}{data2:04X}{data3:04X}{data4.hex().upper()}"
        debug_id = f"{guid}{age:X}" if guid.strip("0") else None  # a nil GUID identifies nothing
        return CodeView("RSDS", debug_id, _c_text(data[_PDB70.size :]), None)
    if signature == CV_PDB20:
        if len(data) < _PDB20.size:
            raise OutOfBounds(f"NB10 record of {len(data)} bytes")
        _, _, stamp, age = _PDB20.unpack_from(data)
        return CodeView("NB10", f"{stamp:08X}{age:X}", _c_text(data[_PDB20.size :]), None)
    if signature == CV_ELF:
        build_id = bytes(data[4:])
        # An all-zero build id (fonts, .jar files mapped by the process) identifies nothing.
        debug_id = elf_debug_id(build_id) if any(build_id) else None
        return CodeView("BpEL", debug_id, None, build_id)
    return CodeView(f"0x{signature:08x}", None, None, None)


def _c_text(raw: bytes) -> str | None:
    end = raw.find(b"\x00")
    text = (raw if end < 0 else raw[:end]).decode("utf-8", errors="replace")
    return text or None


@dataclass(frozen=True, slots=True)
class MinidumpModule:
    """MINIDUMP_MODULE with its name, version and identifiers.

    Attributes:
        base, size: where the module is mapped (``[base, base + size)``).
        checksum, time_date_stamp: from the PE header (Windows), else usually 0.
        name: the module's path as the dump records it (the code file).
        version: the file version ``a.b.c.d`` from VS_FIXEDFILEINFO, if present.
        code_view: the CodeView record's identifiers, if the module has a readable one.
        code_id: the identifier symbol servers index the binary by (see the module docstring).
    """

    base: int
    size: int
    checksum: int
    time_date_stamp: int
    name: str
    version: str | None
    code_view: CodeView | None
    code_id: str | None

    @property
    def end(self) -> int:
        """The first address past the module."""
        return self.base + self.size

    @property
    def debug_id(self) -> str | None:
        """The Breakpad debug id, if the CodeView record gives one."""
        return self.code_view.debug_id if self.code_view else None

    @property
    def debug_file(self) -> str | None:
        """The PDB path (Windows) or the module's path (ELF), as symbol stores name it."""
        if self.code_view and self.code_view.debug_file:
            return self.code_view.debug_file
        if self.code_view and self.code_view.build_id is not None:
            return self.name
        return None

    @property
    def basename(self) -> str:
        """The module's file name without its directory."""
        return module_basename(self.name)

    def contains(self, address: int) -> bool:
        """Whether ``address`` lies inside the module."""
        return self.base <= address < self.base + self.size


@dataclass(frozen=True, slots=True)
class UnloadedModule:
    """MINIDUMP_UNLOADED_MODULE: a module the process had unloaded when the dump was written."""

    base: int
    size: int
    checksum: int
    time_date_stamp: int
    name: str


def _code_id(code_view: CodeView | None, stamp: int, size: int, os_short: str) -> str | None:
    """The code id as rust-minidump derives it (see the module docstring)."""
    if code_view is not None and code_view.signature == "BpEL":
        build_id = code_view.build_id or b""
        return build_id.hex() if any(build_id) else None
    if code_view is not None and code_view.signature == "RSDS" and os_short in ("mac", "ios"):
        return code_view.debug_id[:32].lower() if code_view.debug_id else None
    if (code_view is not None and code_view.signature in ("RSDS", "NB10")) or (
        code_view is None and os_short == "windows"
    ):
        return f"{stamp:08X}{size:x}"
    return None


def _version(words: tuple[int, ...]) -> str | None:
    signature, _, file_hi, file_lo = words[:4]
    if signature != _VS_FIXEDFILEINFO_SIGNATURE:
        return None
    return f"{file_hi >> 16}.{file_hi & 0xFFFF}.{file_lo >> 16}.{file_lo & 0xFFFF}"


def _module_name(reader: ByteReader, rva: int, where: str, damage: list[Damage]) -> str:
    try:
        return reader.utf16_string(rva, f"{where} name")
    except OutOfBounds as exc:
        damage.append(Damage(f"{where} name", str(exc)))
        return ""


def parse_module_list(
    reader: ByteReader, rva: int, size: int, os_short: str, damage: list[Damage]
) -> tuple[MinidumpModule, ...]:
    """Read MINIDUMP_MODULE_LIST; one module per record, in the dump's order."""
    modules = []
    offsets = entry_offsets(
        reader, rva, size, _MODULE.size, "ModuleList", damage, limit=MAX_THREADS_OR_MODULES
    )
    for index, offset in enumerate(offsets):
        fields = reader.unpack(_MODULE, offset, "ModuleList entry")
        base, image_size, checksum, stamp, name_rva = fields[:5]
        cv_size, cv_rva = fields[18], fields[19]
        where = f"module {index}"
        name = _module_name(reader, name_rva, where, damage)
        code_view = None
        if cv_size:
            try:
                if cv_size > _MAX_CV_BYTES:
                    raise OutOfBounds(f"claims {cv_size} bytes")
                code_view = parse_code_view(reader.bytes_at(cv_rva, cv_size, "CodeView record"))
            except OutOfBounds as exc:
                damage.append(
                    Damage(f"{where} ({module_basename(name)}) CodeView record", str(exc))
                )
        code_id = _code_id(code_view, stamp, image_size, os_short)
        modules.append(
            MinidumpModule(
                base,
                image_size,
                checksum,
                stamp,
                name,
                _version(fields[5:18]),
                code_view,
                code_id,
            )
        )
    return tuple(modules)


def parse_unloaded_module_list(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> tuple[UnloadedModule, ...]:
    """Read MINIDUMP_UNLOADED_MODULE_LIST (its header gives its own entry size)."""
    header_size, entry_size, count = reader.unpack(_UNLOADED_HEADER, rva, "UnloadedModuleList")
    if header_size < _UNLOADED_HEADER.size or entry_size < _UNLOADED.size:
        raise OutOfBounds(f"header of {header_size} bytes and entries of {entry_size} bytes")
    end = min(rva + size, reader.size)
    fits = max(0, (end - rva - header_size) // entry_size)
    if count > fits:
        damage.append(Damage("UnloadedModuleList", f"claims {count} entries; {fits} can be read"))
        count = fits
    count = cap_count(count, MAX_THREADS_OR_MODULES, "UnloadedModuleList", damage)
    modules = []
    for i in range(count):
        base, image_size, checksum, stamp, name_rva = reader.unpack(
            _UNLOADED, rva + header_size + i * entry_size, "UnloadedModuleList entry"
        )
        name = _module_name(reader, name_rva, f"unloaded module {i}", damage)
        modules.append(UnloadedModule(base, image_size, checksum, stamp, name))
    return tuple(modules)
