"""The module list of a process: every ELF image mapped with code, from its memory maps.

One module per mapped file (grouped by device and inode): its base is the lowest address any
mapping of the file starts at, its size reaches the end of the highest one (the whole image, so
that readers can map an instruction in any segment to it; toolchain-notes §4 explains why lldb's
"first segment only" sizes break Breakpad). Files without an executable mapping (locale archives,
fonts, data files) and files that are not ELF are left out. The vDSO is a module too: its image
is read from memory.

:func:`modules_from_maps` never raises; :func:`module_at` finds the module holding an address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from openwer.formats.minidump_writer import ModuleRecord
from openwer.native.elf_identity import IdentityCache, parse_build_id, version_from_name
from openwer.platform.procfs import MemoryMapping

__all__ = ["module_at", "modules_from_maps"]

_VDSO = "[vdso]"
_VDSO_NAME = "linux-gate.so"  # the name Breakpad's Linux writer gives the vDSO


def modules_from_maps(
    mappings: Sequence[MemoryMapping],
    cache: IdentityCache,
    read_memory: Callable[[int, int], bytes] | None = None,
) -> tuple[ModuleRecord, ...]:
    """Group ``mappings`` into modules (see the module docstring), ordered by base address."""
    groups: dict[tuple[str, int, str], list[MemoryMapping]] = {}
    for mapping in mappings:
        if mapping.is_file:
            groups.setdefault((mapping.device, mapping.inode, mapping.file_path), []).append(
                mapping
            )
    modules: list[ModuleRecord] = []
    for (device, inode, path), parts in groups.items():
        if not any(part.executable for part in parts):
            continue
        identity = cache.identity(path, device, inode)
        if identity is None:
            continue
        base = min(part.start for part in parts)
        end = max(part.end for part in parts)
        modules.append(
            ModuleRecord(base, end - base, path, identity.build_id, version_from_name(path))
        )
    vdso = next((m for m in mappings if m.path == _VDSO), None)
    if vdso is not None and read_memory is not None:
        build_id = parse_build_id(read_memory(vdso.start, vdso.size))
        if build_id is not None:
            modules.append(ModuleRecord(vdso.start, vdso.size, _VDSO_NAME, build_id))
    modules.sort(key=lambda module: module.base)
    return tuple(modules)


def module_at(modules: Sequence[ModuleRecord], address: int) -> ModuleRecord | None:
    """The module whose span holds ``address``, or None."""
    for module in modules:
        if module.base <= address < module.base + module.size:
            return module
    return None
