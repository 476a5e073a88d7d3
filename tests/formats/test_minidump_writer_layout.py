"""The minidump writer on synthesized snapshots: byte layout, then three independent readers.

The layout is checked field by field against Microsoft's and Breakpad's structures (header,
directory, 48-byte threads, 1232-byte CONTEXT_AMD64, 108-byte modules with a ``BpEL`` CodeView
record, memory descriptors, the exception stream, SystemInfo with PlatformId 0x8201, MiscInfo,
the Linux streams and openwer's 0x4F570001 stream); then openwer's reader and the ``minidump``
package read the same bytes back.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

import pytest

from openwer.formats.minidump import parse_minidump
from openwer.formats.minidump_writer import (
    Architecture,
    Arm64Context,
    CrashException,
    CrashSnapshot,
    DsoDebug,
    LinkMapEntry,
    LinuxFiles,
    MemoryRegion,
    MiscInfo,
    ModuleRecord,
    SystemFacts,
    ThreadRecord,
    X86Context,
    encode_context,
    merge_regions,
    write_minidump,
)
from openwer.formats.minidump_writer import stream_types as st

BUILD_ID = bytes(range(20))
STACK = MemoryRegion(0x7FFF0000, bytes(range(256)) * 16)
FXSAVE = bytes(24) + struct.pack("<I", 0x1F80) + bytes(512 - 28)


def _x86(**overrides: int) -> X86Context:
    values = {"rip": 0x401234, "rsp": 0x7FFF0080, "rbp": 0x7FFF00F0, "rax": 1, "r15": 15}
    values.update(overrides)
    return X86Context(eflags=0x246, cs=0x33, ss=0x2B, fxsave=FXSAVE, **values)


def _snapshot(**overrides: object) -> CrashSnapshot:
    fields: dict[str, object] = {
        "timestamp": 1_700_000_000,
        "system": SystemFacts(
            Architecture.X86_64,
            2,
            (6, 1, 0),
            "6.1.0 #1 SMP x86_64",
            processor_level=6,
            processor_revision=0x5E03,
            vendor_id=b"GenuineIntel",
        ),
        "misc": MiscInfo(4242, 1_699_999_000, 3, 1),
        "threads": (
            ThreadRecord(4242, _x86(), STACK, "main"),
            ThreadRecord(4243, _x86(rip=0x402000, rsp=0x7FFF0400), None, ""),
        ),
        "modules": (
            ModuleRecord(0x400000, 0x5000, "/usr/bin/app", BUILD_ID),
            ModuleRecord(0x7F0000000000, 0x1D5000, "/lib/libc.so.6", BUILD_ID[::-1], (6, 0, 0, 0)),
        ),
        "memory": (MemoryRegion(0x401200, b"\x90" * 0x80),),
        "exception": CrashException(4242, 11, 1, 0x10),
        "linux": LinuxFiles(
            cpu_info=b"processor : 0\n",
            proc_status=b"Name:\tapp\n",
            cmdline=b"app\0--flag\0",
            auxv=struct.pack("<QQQQ", 6, 4096, 0, 0),
            maps=b"00400000-00405000 r-xp 00000000 08:01 12 /usr/bin/app\n",
        ),
        "dso_debug": DsoDebug(
            1, (LinkMapEntry(0, "", 0x403000), LinkMapEntry(0x7F00, "/lib/libc.so.6", 0x7F1000))
        ),
        "python_stacks": json.dumps({"format": "openwer-python-stacks", "version": 1}).encode(),
    }
    fields.update(overrides)
    return CrashSnapshot(**fields)  # type: ignore[arg-type]


def _directory(data: bytes) -> dict[int, tuple[int, int]]:
    signature, version, count, rva, _, _, _ = struct.unpack_from("<IIIIIIQ", data)
    assert (signature, version & 0xFFFF, rva) == (0x504D444D, 0xA793, 32)
    entries = {}
    for index in range(count):
        kind, size, at = struct.unpack_from("<III", data, 32 + 12 * index)
        entries[kind] = (size, at)
    return entries


def test_header_and_stream_directory() -> None:
    """MDMP, version 0xA793, the directory right after the header, every stream listed once."""
    data = write_minidump(_snapshot())
    streams = _directory(data)
    assert set(streams) == {
        st.THREAD_LIST_STREAM,
        st.MODULE_LIST_STREAM,
        st.MEMORY_LIST_STREAM,
        st.EXCEPTION_STREAM,
        st.SYSTEM_INFO_STREAM,
        st.MISC_INFO_STREAM,
        st.THREAD_NAME_LIST_STREAM,
        st.LINUX_CPU_INFO,
        st.LINUX_PROC_STATUS,
        st.LINUX_CMD_LINE,
        st.LINUX_AUXV,
        st.LINUX_MAPS,
        st.LINUX_DSO_DEBUG,
        st.OPENWER_PYTHON_STACKS_STREAM,
    }
    assert struct.unpack_from("<I", data, 20)[0] == 1_700_000_000
    for size, at in streams.values():
        assert at + size <= len(data)


def test_optional_streams_are_left_out() -> None:
    """No exception, no environ, no DSO debug, no Python stacks, no names: no such streams."""
    threads = (ThreadRecord(1, _x86(), STACK),)
    data = write_minidump(
        _snapshot(exception=None, dso_debug=None, python_stacks=None, threads=threads)
    )
    streams = _directory(data)
    for absent in (
        st.EXCEPTION_STREAM,
        st.LINUX_DSO_DEBUG,
        st.OPENWER_PYTHON_STACKS_STREAM,
        st.LINUX_ENVIRON,
        st.LINUX_LSB_RELEASE,
        st.THREAD_NAME_LIST_STREAM,
    ):
        assert absent not in streams


def test_thread_list_and_amd64_context() -> None:
    """48-byte threads; 1232-byte CONTEXT_AMD64 with flags 0x0010000F, GPRs at 0x78, rip at 0xF8."""
    data = write_minidump(_snapshot())
    size, at = _directory(data)[st.THREAD_LIST_STREAM]
    (count,) = struct.unpack_from("<I", data, at)
    assert count == 2
    assert size == 4 + 48 * count
    tid, _, _, _, _, stack_start, stack_size, stack_rva, context_size, context_rva = (
        struct.unpack_from("<IIIIQQIIII", data, at + 4)
    )
    assert (tid, stack_start, stack_size) == (4242, STACK.address, len(STACK.data))
    assert data[stack_rva : stack_rva + stack_size] == STACK.data
    assert context_size == 1232
    context = data[context_rva : context_rva + context_size]
    flags, mxcsr = struct.unpack_from("<II", context, 0x30)
    assert (flags, mxcsr) == (0x0010000F, 0x1F80)
    cs, _, _, _, _, ss, eflags = struct.unpack_from("<6HI", context, 0x38)
    assert (cs, ss, eflags) == (0x33, 0x2B, 0x246)
    rax, _, _, _, rsp, rbp = struct.unpack_from("<6Q", context, 0x78)
    assert (rax, rsp, rbp) == (1, 0x7FFF0080, 0x7FFF00F0)
    assert struct.unpack_from("<Q", context, 0xF0)[0] == 15  # r15
    assert struct.unpack_from("<Q", context, 0xF8)[0] == 0x401234  # rip
    assert context[0x100 : 0x100 + 512] == FXSAVE
    second = struct.unpack_from("<IIIIQQIIII", data, at + 4 + 48)
    assert second[0] == 4243
    assert second[5:8] == (0, 0, 0)  # no stack: an empty descriptor


def test_module_list_with_build_id_codeview() -> None:
    """108-byte modules: base, whole span, UTF-16 name, CodeView 'BpEL' + build id, version."""
    data = write_minidump(_snapshot())
    size, at = _directory(data)[st.MODULE_LIST_STREAM]
    assert size == 4 + 108 * 2
    fields = struct.unpack_from("<QIIII13IIIIIQQ", data, at + 4 + 108)
    base, span, _, _, name_rva = fields[:5]
    assert (base, span) == (0x7F0000000000, 0x1D5000)
    (length,) = struct.unpack_from("<I", data, name_rva)
    assert data[name_rva + 4 : name_rva + 4 + length].decode("utf-16-le") == "/lib/libc.so.6"
    version = fields[5:18]
    assert version[0] == 0xFEEF04BD
    assert (version[2], version[3]) == (6 << 16, 0)
    cv_size, cv_rva = fields[18:20]
    assert struct.unpack_from("<I", data, cv_rva)[0] == 0x4270454C
    assert data[cv_rva + 4 : cv_rva + cv_size] == BUILD_ID[::-1]


def test_exception_stream() -> None:
    """ExceptionCode = signal, ExceptionFlags = si_code, ExceptionAddress = si_addr."""
    data = write_minidump(_snapshot())
    size, at = _directory(data)[st.EXCEPTION_STREAM]
    assert size == 168
    tid, _, code, flags, _, address = struct.unpack_from("<IIIIQQ", data, at)
    assert (tid, code, flags, address) == (4242, 11, 1, 0x10)
    context_size, context_rva = struct.unpack_from("<II", data, at + 160)
    threads_at = _directory(data)[st.THREAD_LIST_STREAM][1]
    assert (context_size, context_rva) == struct.unpack_from("<II", data, threads_at + 4 + 40)


def test_system_and_misc_info() -> None:
    """AMD64 (9), PlatformId 0x8201, kernel 6.1.0 and a CSD string; MiscInfo pid and times."""
    data = write_minidump(_snapshot())
    size, at = _directory(data)[st.SYSTEM_INFO_STREAM]
    assert size == 56
    arch, level, revision, cpus, _, major, minor, build, platform, csd = struct.unpack_from(
        "<HHHBBIIIII", data, at
    )
    assert (arch, level, revision, cpus) == (9, 6, 0x5E03, 2)
    assert (major, minor, build, platform) == (6, 1, 0, 0x8201)
    (length,) = struct.unpack_from("<I", data, csd)
    assert data[csd + 4 : csd + 4 + length].decode("utf-16-le") == "6.1.0 #1 SMP x86_64"
    assert data[at + 32 : at + 44] == b"GenuineIntel"
    size, at = _directory(data)[st.MISC_INFO_STREAM]
    assert struct.unpack_from("<6I", data, at) == (24, 3, 4242, 1_699_999_000, 3, 1)


def test_linux_streams_are_raw_text() -> None:
    """Breakpad's Linux streams hold the /proc files verbatim; DSO debug is MDRawDebug64."""
    data = write_minidump(_snapshot())
    streams = _directory(data)
    size, at = streams[st.LINUX_CMD_LINE]
    assert data[at : at + size] == b"app\0--flag\0"
    size, at = streams[st.LINUX_DSO_DEBUG]
    assert size == 40
    version, map_rva, count, brk, ldbase, dynamic = struct.unpack_from("<IIIxxxxQQQ", data, at)
    assert (version, count, brk, ldbase, dynamic) == (1, 2, 0, 0, 0)
    address, name_rva, ld = struct.unpack_from("<QIxxxxQ", data, map_rva + 24)
    assert (address, ld) == (0x7F00, 0x7F1000)
    (length,) = struct.unpack_from("<I", data, name_rva)
    assert data[name_rva + 4 : name_rva + 4 + length].decode("utf-16-le") == "/lib/libc.so.6"
    size, at = streams[st.OPENWER_PYTHON_STACKS_STREAM]
    assert json.loads(data[at : at + size])["format"] == "openwer-python-stacks"


def test_memory_regions_are_merged_and_stacks_shared() -> None:
    """Overlapping regions are merged; a thread's stack points into the memory list's copy."""
    merged = merge_regions(
        [MemoryRegion(100, b"a" * 10), MemoryRegion(105, b"b" * 10), MemoryRegion(300, b"c")]
    )
    assert merged == [MemoryRegion(100, b"a" * 10 + b"b" * 5), MemoryRegion(300, b"c")]
    inner = MemoryRegion(STACK.address + 16, STACK.data[16:48])
    data = write_minidump(_snapshot(memory=(inner, MemoryRegion(0x401200, b"\x90" * 4))))
    size, at = _directory(data)[st.MEMORY_LIST_STREAM]
    (count,) = struct.unpack_from("<I", data, at)
    assert count == 2  # the inner region merged into the stack
    assert size == 4 + 16 * count
    ranges = [struct.unpack_from("<QII", data, at + 4 + 16 * i) for i in range(count)]
    assert (STACK.address, len(STACK.data)) in [(start, length) for start, length, _ in ranges]


def test_arm64_context_layout() -> None:
    """ARM64 CONTEXT: 912 bytes, flags 0x00400007, x0 at 8, sp/pc at 0x100, v0 at 0x110."""
    context = Arm64Context(
        x=tuple(range(31)),
        sp=0x7FF0,
        pc=0x400100,
        pstate=0x60000000,
        v=(1 << 127, 2),
        fpsr=3,
        fpcr=4,
    )
    raw = encode_context(context)
    assert len(raw) == 912
    assert struct.unpack_from("<II", raw, 0) == (0x00400007, 0x60000000)
    assert struct.unpack_from("<Q", raw, 8 + 8 * 30)[0] == 30  # lr
    assert struct.unpack_from("<QQ", raw, 0x100) == (0x7FF0, 0x400100)
    assert int.from_bytes(raw[0x110:0x120], "little") == 1 << 127
    assert struct.unpack_from("<II", raw, 0x310) == (4, 3)


def test_openwer_reader_reads_it_back() -> None:
    """openwer's own reader: threads, registers, modules with code ids, crash, Python stream."""
    dump = parse_minidump(write_minidump(_snapshot()))
    assert dump.damage == ()
    assert [thread.thread_id for thread in dump.threads] == [4242, 4243]
    context = dump.threads[0].context
    assert context is not None
    assert context.get("rip") == 0x401234
    assert dump.exception is not None
    assert (dump.exception.code, dump.exception.flags, dump.exception.address) == (11, 1, 0x10)
    assert dump.modules[0].code_id == BUILD_ID.hex()
    assert dump.memory.read(0x401200, 4) == b"\x90" * 4
    assert dump.linux.cmdline == ("app", "--flag")
    assert dump.python_stacks is not None
    assert dict(dump.thread_names) == {4242: "main"}


def test_arm64_dump_reads_back() -> None:
    """An aarch64 snapshot: ARM64 SystemInfo (12) and registers openwer's reader decodes."""
    system = SystemFacts(Architecture.ARM64, 4, (6, 1, 0), "6.1.0 aarch64")
    context = Arm64Context(x=tuple(range(31)), sp=0x7FFF0080, pc=0x400100)
    snapshot = _snapshot(
        system=system,
        threads=(ThreadRecord(4242, context, STACK),),
    )
    dump = parse_minidump(write_minidump(snapshot))
    assert dump.system_info is not None
    thread_context = dump.threads[0].context
    assert thread_context is not None
    assert thread_context.cpu == "arm64"
    assert thread_context.get("pc") == 0x400100
    assert thread_context.get("sp") == 0x7FFF0080


def test_minidump_package_reads_it(tmp_path: Path) -> None:
    """The skelsec ``minidump`` package: system, exception, threads with contexts, modules."""
    minidumpfile = pytest.importorskip("minidump.minidumpfile")
    path = tmp_path / "synthetic.dmp"
    path.write_bytes(write_minidump(_snapshot()))
    logging.disable(logging.CRITICAL)
    try:
        parsed = minidumpfile.MinidumpFile.parse(str(path))
    finally:
        logging.disable(logging.NOTSET)
    parsed.file_handle.close()
    assert int(parsed.sysinfo.ProcessorArchitecture.value) == 9
    record = parsed.exception.exception_records[0]
    assert record.ThreadId == 4242
    assert int(record.ExceptionRecord.ExceptionCode.value) == 11
    assert [thread.ThreadId for thread in parsed.threads.threads] == [4242, 4243]
    assert parsed.threads.threads[0].ContextObject.Rip == 0x401234
    assert [module.name for module in parsed.modules.modules] == ["/usr/bin/app", "/lib/libc.so.6"]


def test_lldb_reads_an_arm64_dump(tmp_path: Path) -> None:
    """lldb loads an aarch64 dump and shows the registers we wrote (no aarch64 machine needed)."""
    import shutil
    import subprocess

    lldb = shutil.which("lldb")
    if lldb is None:
        pytest.skip("lldb is not installed (scripts/install-system-deps.sh installs it)")
    system = SystemFacts(Architecture.ARM64, 4, (6, 1, 0), "6.1.0 aarch64")
    context = Arm64Context(x=tuple(range(31)), sp=0x7FFF0080, pc=0x400100)
    path = tmp_path / "arm64.dmp"
    path.write_bytes(
        write_minidump(_snapshot(system=system, threads=(ThreadRecord(4242, context, STACK),)))
    )
    done = subprocess.run(
        [lldb, "--no-lldbinit", "-b", "-c", str(path), "-o", "register read"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert "(aarch64) was loaded" in done.stdout
    assert "pc = 0x0000000000400100" in done.stdout
    assert "lr = 0x000000000000001e" in done.stdout
