"""Does the code just before an address end with a call? (A stack-scan heuristic.)

When the dump holds the bytes before a candidate return address (Windows dumps often hold code
around each thread's instruction pointer; full-memory dumps hold everything), a return address
must follow a call instruction: ``E8 rel32`` or ``FF /2`` (any addressing form) on x86 and
amd64, ``BL`` or ``BLR``/``BLRAA``… on arm64. When the bytes are not in the dump the answer is
"unknown" and the scanner does not hold it against the candidate.
"""

from __future__ import annotations

from openwer.formats.minidump import MemoryMap

__all__ = ["follows_call"]

_X86_LOOKBACK = 7  # the longest near call: FF /2 with SIB and a 32-bit displacement


def _x86_indirect_call_length(modrm: int, sib: int | None) -> int | None:
    """The length of an ``FF /2`` call with this ModRM byte (None if it is not one)."""
    if (modrm >> 3) & 7 != 2:
        return None
    mode, rm = modrm >> 6, modrm & 7
    length = 2
    if mode == 3:
        return length
    if rm == 4:
        if sib is None:
            return None
        length += 1
        if mode == 0 and sib & 7 == 5:
            length += 4
    elif mode == 0 and rm == 5:
        length += 4
    return length + (1 if mode == 1 else 4 if mode == 2 else 0)


def _x86_follows_call(code: bytes) -> bool:
    end = len(code)
    if code[end - 5] == 0xE8:
        return True
    for length in range(2, _X86_LOOKBACK + 1):
        start = end - length
        if code[start] != 0xFF:
            continue
        sib = code[start + 2] if start + 2 < end else None
        if _x86_indirect_call_length(code[start + 1], sib) == length:
            return True
    return False


def _arm64_follows_call(word: int) -> bool:
    if word & 0xFC00_0000 == 0x9400_0000:  # BL imm26
        return True
    # BLR Xn, and the pointer-authenticating BLRAA/BLRAB/BLRAAZ/BLRABZ forms.
    return word & 0xFFFF_FC1F == 0xD63F_0000 or word & 0xFEFF_F800 == 0xD63F_0800


def follows_call(memory: MemoryMap, address: int, cpu: str) -> bool | None:
    """Whether ``address`` follows a call instruction; None when the dump lacks the bytes."""
    if cpu in ("x86", "amd64"):
        code = memory.read(address - _X86_LOOKBACK, _X86_LOOKBACK)
        return None if code is None else _x86_follows_call(code)
    if cpu == "arm64":
        word = memory.read_uint(address - 4, 4)
        return None if word is None else _arm64_follows_call(word)
    return None
