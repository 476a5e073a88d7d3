"""The shape most minidump streams share: a count, then that many fixed-size entries.

:func:`entry_offsets` reconciles the count with the stream's size and the file's size, so a
count of four billion costs nothing: only entries that lie inside both are returned, and the
shortfall is reported as damage. It also accepts the 4 bytes of padding some writers put after a
32-bit count to align 64-bit entries (Breakpad's readers accept it too).
"""

from __future__ import annotations

from typing import Final

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.damage import Damage

__all__ = ["MAX_ENTRIES", "MAX_THREADS_OR_MODULES", "cap_count", "entry_offsets"]

# Bounds on what one list may cost, whatever the file holds: entries are cheap to store, but a
# thread is also walked and a module looked up, and entries can share data (overlapping RVAs),
# so a lying file could otherwise make a small dump expensive. Real processes stay far below.
MAX_ENTRIES: Final = 1_000_000
MAX_THREADS_OR_MODULES: Final = 65_536


def cap_count(count: int, limit: int, where: str, damage: list[Damage]) -> int:
    """``count`` cut to ``limit``, with a damage entry when it had to be cut."""
    if count > limit:
        damage.append(Damage(where, f"{count} entries; only the first {limit} are read"))
        return limit
    return count


def entry_offsets(
    reader: ByteReader,
    rva: int,
    size: int,
    entry_size: int,
    where: str,
    damage: list[Damage],
    *,
    count_size: int = 4,
    header_size: int | None = None,
    limit: int = MAX_ENTRIES,
) -> range:
    """The offsets of the entries of a counted list stream that can be read.

    The count is ``count_size`` bytes at ``rva``; entries start ``header_size`` bytes after
    ``rva`` (by default right after the count).

    Raises:
        OutOfBounds: not even the count can be read.
    """
    header = count_size if header_size is None else header_size
    if size < header:
        raise OutOfBounds(f"the stream is {size} bytes, too short for its header")
    count = reader.u32(rva, where) if count_size == 4 else reader.u64(rva, where)
    first = rva + header
    if header == 4 and size == 8 + count * entry_size:
        first += 4  # padding after the count, so that 64-bit entries are aligned
    available = min(rva + size, reader.size) - first
    fits = max(0, available // entry_size)
    if count > fits:
        damage.append(
            Damage(where, f"claims {count} entries of {entry_size} bytes; {fits} can be read")
        )
        count = fits
    count = cap_count(count, limit, where, damage)
    return range(first, first + count * entry_size, entry_size)
