"""openwer's writer and reader agree: what a CrashSnapshot holds is what parse_minidump reads.

The writer (``openwer.formats.minidump_writer``) is another part of openwer; this test pins the
format contract between the two halves for both CPUs the native handler supports.
"""

from __future__ import annotations

import json

import pytest

from openwer.analysis.crash_analysis import analyze_minidump
from openwer.formats.minidump import parse_minidump

writer = pytest.importorskip("openwer.formats.minidump_writer")


@pytest.mark.parametrize("architecture", list(writer.Architecture))
def test_snapshot_round_trip(architecture: object) -> None:
    """Threads, names, contexts, modules, exception, misc info and Python stacks."""
    stack = writer.MemoryRegion(0x7000, bytes(0x100))
    if "ARM" in str(architecture).upper():
        context = writer.Arm64Context(x=tuple(range(31)), sp=0x7000, pc=0x401010)
    else:
        context = writer.X86Context(rip=0x401010, rsp=0x7000, rbp=0x7010, rbx=3)
    python = {"format": "openwer-python-stacks", "version": 1, "threads": [
        {"ident": 1, "thread_id": 42, "name": "MainThread", "current": True,
         "frames": [{"file": "a.py", "line": 1, "function": "f"}]}]}  # fmt: skip
    snapshot = writer.CrashSnapshot(
        timestamp=1_700_000_000,
        system=writer.SystemFacts(architecture, 2, (6, 1, 0), "Linux 6.1.0 #1 SMP"),
        misc=writer.MiscInfo(42),
        threads=(writer.ThreadRecord(42, context, stack, "main"),),
        modules=(writer.ModuleRecord(0x400000, 0x2000, "/bin/app", b"\x11" * 20, (1, 2, 3, 4)),),
        exception=writer.CrashException(42, 11, 1, 0x10),
        python_stacks=json.dumps(python).encode(),
    )
    dump = parse_minidump(writer.write_minidump(snapshot))
    assert dump.damage == ()
    assert dump.header.time_date_stamp == 1_700_000_000
    assert dump.system_info is not None
    assert dump.system_info.os == "Linux"
    crash = dump.crash
    assert crash is not None
    assert (crash.reason, crash.code, crash.address, crash.thread_id) == (
        "SIGSEGV / SEGV_MAPERR",
        11,
        0x10,
        42,
    )
    thread = dump.threads[0]
    assert (thread.thread_id, dump.thread_name(42)) == (42, "main")
    assert thread.context is not None
    assert (thread.context.instruction_pointer, thread.context.stack_pointer) == (0x401010, 0x7000)
    assert dump.memory.read(0x7000, 0x100) == bytes(0x100)
    module = dump.modules[0]
    assert (module.name, module.base, module.size) == ("/bin/app", 0x400000, 0x2000)
    assert (module.code_id, module.debug_id) == ("11" * 20, "1" * 32 + "0")
    assert dump.misc_info is not None
    assert dump.misc_info.process_id == 42
    assert dump.python_stacks is not None
    assert dump.python_stacks.threads[0].frames[0].function == "f"
    analysis = analyze_minidump(dump)
    assert analysis.threads[0].stack.frames[0].module_index == 0
