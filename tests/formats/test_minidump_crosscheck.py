"""openwer's reader against an independent one: skelsec's ``minidump`` package (PyPI).

For every corpus dump both must agree on the modules (path, base, size), the threads (id,
stack, instruction and stack pointers), the exception, the system info and the memory ranges.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from openwer.formats.minidump import parse_minidump

minidumpfile = pytest.importorskip("minidump.minidumpfile", reason="the minidump package is absent")

DUMPS = [
    "mdmp-linux/getsentry__symbolicator__tests__fixtures__linux.dmp",
    "mdmp-linux/google__breakpad__src__processor__testdata__linux_divide_by_zero.dmp",
    "mdmp-linux/google__breakpad__src__processor__testdata__linux_raise_sigabrt.dmp",
    "mdmp-linux/llvm-mirror__lldb__unittests__Process__minidump__Inputs__linux-x86_64.dmp",
    "mdmp-windows/google__breakpad__src__processor__testdata__minidump2.dmp",
    "mdmp-windows/getsentry__symbolicator__tests__fixtures__windows.dmp",
    "mdmp-windows/llvm-mirror__lldb__test__Shell__Minidump__Windows__Sigsegv__Inputs__sigsegv.dmp",
]


def _pointers(context: Any) -> tuple[int, int]:
    if hasattr(context, "Rip"):
        return int(context.Rip), int(context.Rsp)
    return int(context.Eip), int(context.Esp)


@pytest.mark.parametrize("name", DUMPS)
def test_agrees_with_the_minidump_package(
    corpus_dir: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Modules, threads, exception, system info and memory ranges, field by field."""
    caplog.set_level(logging.CRITICAL)  # it logs a PEB error for every non-Windows dump
    path = corpus_dir / name
    theirs = minidumpfile.MinidumpFile.parse_bytes(path.read_bytes())  # parse() leaks the file
    ours = parse_minidump(path.read_bytes())

    assert [(m.name, m.base, m.size) for m in ours.modules] == [
        (m.name, m.baseaddress, m.size) for m in theirs.modules.modules
    ]
    their_threads = theirs.threads.threads
    assert [t.thread_id for t in ours.threads] == [t.ThreadId for t in their_threads]
    for mine, other in zip(ours.threads, their_threads, strict=True):
        assert (mine.stack.start, mine.stack.size) == (
            other.Stack.StartOfMemoryRange,
            other.Stack.DataSize,
        )
        assert mine.context is not None
        assert (mine.context.instruction_pointer, mine.context.stack_pointer) == _pointers(
            other.ContextObject
        )
    record = theirs.exception.exception_records[0]
    assert ours.exception is not None
    assert ours.exception.thread_id == record.ThreadId
    assert ours.exception.code == record.ExceptionRecord.ExceptionCode_raw
    assert ours.exception.address == record.ExceptionRecord.ExceptionAddress
    assert list(ours.exception.parameters) == list(
        record.ExceptionRecord.ExceptionInformation[: record.ExceptionRecord.NumberParameters]
    )
    system = ours.system_info
    assert system is not None
    assert system.processor_architecture == theirs.sysinfo.ProcessorArchitecture.value
    assert system.platform_id == theirs.sysinfo.PlatformId.value
    assert system.cpu_count == theirs.sysinfo.NumberOfProcessors
    assert (system.csd_version or "") == (theirs.sysinfo.CSDVersion or "")
    their_memory = {
        (segment.start_virtual_address, segment.size)
        for segment in theirs.memory_segments.memory_segments
    }
    assert {(memory.start, memory.size) for memory in ours.memory.ranges} == their_memory
