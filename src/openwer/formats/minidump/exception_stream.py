"""The Exception stream: which thread crashed, how, where, and its registers at that moment.

On Windows the exception code is an NTSTATUS; Breakpad and Crashpad on Linux write the signal
number as the code and ``si_code`` as the flags; on macOS the Mach exception and its code. The
context here is the crashing thread's at the fault, which is what a stack walk of that thread
must start from (the thread list may hold the context of the exception handler instead).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.cpu_context import CpuContext
from openwer.formats.minidump.damage import Damage
from openwer.formats.minidump.thread_list import read_context

__all__ = ["EXCEPTION_MAXIMUM_PARAMETERS", "ExceptionRecord", "parse_exception"]

EXCEPTION_MAXIMUM_PARAMETERS = 15
_EXCEPTION = struct.Struct("<IIIIQQII15QII")


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    """MINIDUMP_EXCEPTION_STREAM.

    Attributes:
        thread_id: the thread that crashed (or asked for the dump).
        code: ExceptionCode as written (NTSTATUS, signal number, Mach exception).
        flags: ExceptionFlags (``si_code`` on Linux, the Mach code on macOS).
        record_address: ExceptionRecord, the address of a chained record (0 if none).
        address: ExceptionAddress (the faulting instruction on Windows, ``si_addr`` on Linux).
        parameters: ExceptionInformation[0:NumberParameters], at most 15.
        context: the crashing thread's registers at the fault, if readable.
    """

    thread_id: int
    code: int
    flags: int
    record_address: int
    address: int
    parameters: tuple[int, ...]
    context: CpuContext | None


def parse_exception(
    reader: ByteReader, rva: int, size: int, cpu: str | None, damage: list[Damage]
) -> ExceptionRecord:
    """Read MINIDUMP_EXCEPTION_STREAM and the context it points at."""
    if size < _EXCEPTION.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than an exception stream")
    fields = reader.unpack(_EXCEPTION, rva, "Exception")
    thread_id, _, code, flags, record, address, count = fields[:7]
    if count > EXCEPTION_MAXIMUM_PARAMETERS:
        damage.append(
            Damage("Exception", f"claims {count} parameters; at most 15, the first 15 are read")
        )
    parameters = tuple(fields[8 : 8 + min(count, EXCEPTION_MAXIMUM_PARAMETERS)])
    context_size, context_rva = fields[23], fields[24]
    context = read_context(reader, context_size, context_rva, cpu, "exception context", damage)
    return ExceptionRecord(thread_id, code, flags, record, address, parameters, context)
