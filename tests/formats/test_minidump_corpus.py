"""The minidump reader against the real dumps of ``../shared/corpus``.

minidump2.dmp is checked field by field against Breakpad's own ``minidump_dump`` output
(expected/minidump2.dump.out) and ``minidump_stackwalk -m`` module lines; the other dumps against
the facts corpus/MANIFEST.md states for them (the origin's assertions first, the secondary parse
for counts) and the Symbolicator snapshots' module lists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from breakpad_dump_out import DumpOutBlock, parse_dump_out

from openwer.formats.minidump import Minidump, parse_minidump

MINIDUMP2 = "mdmp-windows/google__breakpad__src__processor__testdata__minidump2.dmp"
WINDOWS_SYMBOLICATOR = "mdmp-windows/getsentry__symbolicator__tests__fixtures__windows.dmp"
NULL_READ_AV = "mdmp-windows/google__breakpad__src__processor__testdata__null_read_av.dmp"
SIGSEGV = (
    "mdmp-windows/llvm-mirror__lldb__test__Shell__Minidump__Windows__Sigsegv__Inputs__sigsegv.dmp"
)
LINUX_SYMBOLICATOR = "mdmp-linux/getsentry__symbolicator__tests__fixtures__linux.dmp"
DIVIDE_BY_ZERO = "mdmp-linux/google__breakpad__src__processor__testdata__linux_divide_by_zero.dmp"
NULL_DEREFERENCE = (
    "mdmp-linux/google__breakpad__src__processor__testdata__linux_null_dereference.dmp"
)
RAISE_SIGABRT = "mdmp-linux/google__breakpad__src__processor__testdata__linux_raise_sigabrt.dmp"
LLDB_LINUX = "mdmp-linux/llvm-mirror__lldb__unittests__Process__minidump__Inputs__linux-x86_64.dmp"
EXPECTED = "expected/google__breakpad__src__processor__testdata__minidump2"
SNAPSHOT = (
    "expected/getsentry__symbolicator__crates__symbolicator-native__tests__integration__"
    "snapshots__integration__process_minidump__minidump_{}.snap"
)


def _dump(corpus_dir: Path, name: str) -> Minidump:
    return parse_minidump((corpus_dir / name).read_bytes())


@pytest.fixture(scope="module")
def minidump2(corpus_dir: Path) -> Minidump:
    return _dump(corpus_dir, MINIDUMP2)


@pytest.fixture(scope="module")
def dump_out(corpus_dir: Path) -> list[DumpOutBlock]:
    return parse_dump_out((corpus_dir / f"{EXPECTED}.dump.out").read_text())


def _blocks(blocks: list[DumpOutBlock], title: str) -> list[DumpOutBlock]:
    return [block for block in blocks if block.title == title]


def test_minidump2_header_and_directory(minidump2: Minidump, dump_out: list[DumpOutBlock]) -> None:
    """Header fields and every directory entry are minidump_dump's."""
    header = _blocks(dump_out, "MDRawHeader")[0]
    assert minidump2.header.version == header.integer("version") == 0x5128A793
    assert minidump2.header.stream_count == header.integer("stream_count") == 9
    assert minidump2.header.directory_rva == header.integer("stream_directory_rva")
    assert minidump2.header.time_date_stamp == header.integer("time_date_stamp") == 1171480435
    entries = _blocks(dump_out, "MDRawDirectory")
    assert [(e.stream_type, e.data_size, e.rva) for e in minidump2.directory] == [
        (b.integer("stream_type"), b.integer("location.data_size"), b.integer("location.rva"))
        for b in entries
    ]
    assert minidump2.damage == ()


def test_minidump2_threads_and_contexts(minidump2: Minidump, dump_out: list[DumpOutBlock]) -> None:
    """Each thread and its x86 context register by register, as minidump_dump prints them."""
    threads = _blocks(dump_out, "MDRawThread")
    contexts = _blocks(dump_out, "MDRawContextX86")  # one per thread, then the exception's
    assert len(minidump2.threads) == len(threads) == 2
    registers = ["eip", "esp", "ebp", "ebx", "esi", "edi", "eax", "ecx", "edx", "eflags"]
    registers += ["cs", "ss", "gs", "fs", "es", "ds"]
    for thread, block, context_block in zip(minidump2.threads, threads, contexts, strict=False):
        assert thread.thread_id == block.integer("thread_id")
        assert thread.teb == block.integer("teb")
        assert thread.stack.start == block.integer("stack.start_of_memory_range")
        assert thread.stack.size == block.integer("stack.memory.data_size")
        assert thread.stack.rva == block.integer("stack.memory.rva")
        assert thread.context is not None
        assert thread.context.cpu == "x86"
        assert thread.context.flags == context_block.integer("context_flags")
        assert thread.context.raw_size == block.integer("thread_context.data_size")
        assert thread.context.as_dict() == {name: context_block.integer(name) for name in registers}
    # corpus/MANIFEST.md: thread[0] raw context eip 0x7c90eb94 esp 0x12f320.
    first = minidump2.threads[0].context
    assert first is not None
    assert (first.instruction_pointer, first.stack_pointer) == (0x7C90EB94, 0x12F320)


def test_minidump2_modules(minidump2: Minidump, dump_out: list[DumpOutBlock]) -> None:
    """All 13 module records: range, names, identifiers and versions."""
    blocks = _blocks(dump_out, "MDRawModule")
    assert len(minidump2.modules) == len(blocks) == 13
    for module, block in zip(minidump2.modules, blocks, strict=True):
        assert module.base == block.integer("base_of_image")
        assert module.size == block.integer("size_of_image")
        assert module.time_date_stamp == block.integer("time_date_stamp")
        assert module.name == block.text("(code_file)")
        assert module.code_id == block.text("(code_identifier)")
        assert module.debug_file == block.text("(debug_file)")
        assert module.debug_id == block.text("(debug_identifier)")
        assert (module.version or "") == block.text("(version)")
    first, last = minidump2.modules[0], minidump2.modules[12]
    assert (first.name, first.base, first.size) == (r"c:\test_app.exe", 0x400000, 0x2D000)
    assert (first.code_id, first.debug_id) == ("45D35F6C2d000", "5A9832E5287241C1838ED98914E9B7FF1")
    assert (last.basename, last.base, last.size, last.version) == (
        "psapi.dll",
        0x76BF0000,
        0xB000,
        "5.1.2600.2180",
    )
    assert last.debug_id == "A5C3A1F9689F43D8AD228A09293889702"


def test_minidump2_modules_as_stackwalk_lists_them(minidump2: Minidump, corpus_dir: Path) -> None:
    """minidump_stackwalk -m's Module lines: name|version|pdb|id|base|end|main."""
    text = (corpus_dir / f"{EXPECTED}.stackwalk.machine_readable.out").read_text()
    expected = [line.split("|")[1:] for line in text.splitlines() if line.startswith("Module|")]
    ours = sorted(minidump2.modules, key=lambda m: m.base)
    assert [
        [
            m.basename,
            m.version or "",
            (m.debug_file or "").rsplit("\\", 1)[-1],
            m.debug_id,
            f"0x{m.base:08x}",
            f"0x{m.end - 1:08x}",
            "1" if m is minidump2.modules[0] else "0",
        ]
        for m in ours
    ] == expected


def test_minidump2_memory_exception_system(
    minidump2: Minidump, dump_out: list[DumpOutBlock]
) -> None:
    """Memory regions, the exception with its context, SystemInfo, MiscInfo and BreakpadInfo."""
    regions = _blocks(dump_out, "MDMemoryDescriptor")
    assert {(r.start, r.size, r.rva) for r in minidump2.memory.ranges} == {
        (
            b.integer("start_of_memory_range"),
            b.integer("memory.data_size"),
            b.integer("memory.rva"),
        )
        for b in regions
    }
    exception = _blocks(dump_out, "MDException")[0]
    record = minidump2.exception
    assert record is not None
    assert record.thread_id == exception.integer("thread_id") == 0xBF4
    assert record.code == exception.integer("exception_record.exception_code") == 0xC0000005
    assert record.address == exception.integer("exception_record.exception_address") == 0x40429E
    assert record.parameters == (1, 0x45)
    assert record.context is not None
    assert (record.context.get("eip"), record.context.get("esp")) == (0x40429E, 0x12FE84)
    system = minidump2.system_info
    assert system is not None
    assert (system.os, system.os_version) == ("Windows NT", "5.1.2600 Service Pack 2")
    assert (system.cpu, system.cpu_count) == ("x86", 1)
    assert system.cpu_info == "GenuineIntel family 6 model 13 stepping 8"
    assert system.suite_mask == 0x100
    assert minidump2.misc_info is not None
    assert minidump2.misc_info.process_id == 3932
    assert minidump2.misc_info.process_create_time == 1171480435
    assert minidump2.breakpad_info is not None
    assert minidump2.breakpad_info.dump_thread_id == 0x11C0
    assert minidump2.breakpad_info.requesting_thread_id == 0xBF4


def test_minidump2_crash_and_memory_reads(minidump2: Minidump) -> None:
    """The crash as minidump_stackwalk names it; memory read by address."""
    crash = minidump2.crash
    assert crash is not None
    assert (crash.reason, crash.address, crash.thread_id) == (
        "EXCEPTION_ACCESS_VIOLATION_WRITE",
        0x45,
        0xBF4,
    )
    # minidump2.dump.out, region[0]: the code around the crash, starting ff 83 c4 ec.
    assert minidump2.memory.read(0x7C90EB14, 4) == bytes.fromhex("ff83c4ec")
    assert minidump2.memory.read_uint(0x12F31C, 4) == 0
    assert minidump2.memory.read(0x7C90EB14 + 0xFF, 2) is None  # crosses the region's end
    assert minidump2.module_at(0x40429E) is minidump2.modules[0]
    assert minidump2.module_at(0x45) is None


@pytest.mark.parametrize(
    ("name", "os", "cpu", "reason", "address", "thread_id", "threads", "modules", "pid"),
    [
        (WINDOWS_SYMBOLICATOR, "Windows NT", "x86", "EXCEPTION_ACCESS_VIOLATION_WRITE", 0x45,
         1636, 4, 17, 1928),
        (NULL_READ_AV, "Windows NT", "x86", "EXCEPTION_ACCESS_VIOLATION_READ", 0, 1192, 2, 26,
         4308),
        (SIGSEGV, "Windows NT", "amd64", "EXCEPTION_ACCESS_VIOLATION_WRITE", 0, 10860, 1, 4,
         13052),
        (LINUX_SYMBOLICATOR, "Linux", "amd64", "SIGSEGV", 0x45, 1304, 1, 8, 1304),
        (DIVIDE_BY_ZERO, "Linux", "amd64", "SIGFPE", 0x401F27, 20043, 1, 8, 20043),
        (NULL_DEREFERENCE, "Linux", "amd64", "SIGSEGV", 0, 20520, 1, 8, 20520),
        (RAISE_SIGABRT, "Linux", "amd64", "SIGABRT", 0x4D14400005BE6, 23526, 1, 8, 23526),
        (LLDB_LINUX, "Linux", "amd64", "SIGSEGV", 0, 16001, 1, 8, 16001),
    ],
)  # fmt: skip
def test_corpus_dump_facts(
    corpus_dir: Path,
    name: str,
    os: str,
    cpu: str,
    reason: str,
    address: int,
    thread_id: int,
    threads: int,
    modules: int,
    pid: int,
) -> None:
    """OS, CPU, crash reason and address, crashing thread, counts and pid of each dump."""
    dump = _dump(corpus_dir, name)
    assert dump.damage == ()
    assert dump.system_info is not None
    assert (dump.system_info.os, dump.system_info.cpu) == (os, cpu)
    crash = dump.crash
    assert crash is not None
    assert (crash.reason, crash.address, crash.thread_id) == (reason, address, thread_id)
    assert len(dump.threads) == threads
    assert len(dump.modules) == modules
    assert thread_id in [thread.thread_id for thread in dump.threads]
    if dump.misc_info is not None:
        assert dump.misc_info.process_id == pid
    else:
        assert dict(dump.linux.proc_status)["Pid"] == str(pid)


def test_windows_amd64_sigsegv(corpus_dir: Path) -> None:
    """lldb's sigsegv.test: exception 0xc0000005 at 0x7ff7a13110d9 in sigsegv.exe."""
    dump = _dump(corpus_dir, SIGSEGV)
    assert dump.exception is not None
    assert dump.exception.code == 0xC0000005
    assert dump.exception.address == 0x7FF7A13110D9
    assert dump.exception.context is not None
    assert dump.exception.context.instruction_pointer == 0x7FF7A13110D9
    assert dump.modules[0].name == r"C:\temp\sigsegv.exe"
    assert dump.system_info is not None
    assert dump.system_info.os_version == "10.0.16299"


def test_lldb_linux_module_order(corpus_dir: Path) -> None:
    """lldb's MinidumpParserTest: 8 modules in this order, 1232-byte context, no MiscInfo."""
    dump = _dump(corpus_dir, LLDB_LINUX)
    assert [m.basename for m in dump.modules] == [
        "a.out",
        "libm-2.19.so",
        "libc-2.19.so",
        "libgcc_s.so.1",
        "libstdc++.so.6.0.19",
        "libpthread-2.19.so",
        "ld-2.19.so",
        "linux-gate.so",
    ]
    assert dump.modules[0].name == "/usr/local/google/home/dvlahovski/projects/test_breakpad/a.out"
    assert dump.misc_info is None
    context = dump.threads[0].context
    assert context is not None
    assert context.raw_size == 1232


def _snapshot_modules(text: str) -> list[dict[str, str]]:
    modules = []
    for block in text.split("\n  - debug_status:")[1:]:
        fields = dict(re.findall(r"^    (\w+): \"?([^\"\n]*)\"?$", block, re.MULTILINE))
        modules.append(fields)
    return modules


@pytest.mark.parametrize(
    ("name", "kind"), [(LINUX_SYMBOLICATOR, "linux"), (WINDOWS_SYMBOLICATOR, "windows")]
)
def test_symbolicator_module_lists(corpus_dir: Path, name: str, kind: str) -> None:
    """Every module of Symbolicator's snapshot: code file, code id, debug file and id, range."""
    dump = _dump(corpus_dir, name)
    expected = _snapshot_modules((corpus_dir / SNAPSHOT.format(kind)).read_text())
    by_base = {module.base: module for module in dump.modules}
    assert len(expected) == len(dump.modules)
    for fields in expected:
        module = by_base[int(fields["image_addr"], 16)]
        assert module.size == int(fields["image_size"])
        assert module.name == fields["code_file"].replace("\\\\", "\\")
        assert (module.code_id or "").lower() == fields["code_id"]
        assert module.debug_file == fields["debug_file"].replace("\\\\", "\\")
        # Symbolicator prints debug ids as GUIDs with the age after a dash.
        debug_id = fields["debug_id"].replace("-", "").upper()
        assert module.debug_id is not None
        assert module.debug_id in (debug_id, debug_id + "0")


def test_linux_streams(corpus_dir: Path) -> None:
    """The Breakpad Linux streams of a real dump: cmdline, status, maps, lsb-release, auxv."""
    dump = _dump(corpus_dir, LINUX_SYMBOLICATOR)
    linux = dump.linux
    assert linux.cmdline == ("./crash",)
    assert dict(linux.proc_status)["Pid"] == "1304"
    assert linux.cpu_info is not None
    assert "GenuineIntel" in linux.cpu_info
    assert len(linux.maps) == 35
    crash_maps = [entry for entry in linux.maps if entry.path == "/work/linux/build/crash"]
    assert crash_maps[0].start == 0x400000
    assert any(entry.executable for entry in crash_maps)
    assert linux.auxv
    assert linux.dso_debug is not None
    assert linux.dso_debug.dso_count == 8
    assert dump.system_info is not None
    assert dump.system_info.csd_version == (
        "Linux 4.9.60-linuxkit-aufs #1 SMP Mon Nov 6 16:00:12 UTC 2017 x86_64"
    )


def test_windows_misc_info_v5(corpus_dir: Path) -> None:
    """A version-5 MiscInfo stream: process, power, time zone and build strings."""
    dump = _dump(corpus_dir, WINDOWS_SYMBOLICATOR)
    misc = dump.misc_info
    assert misc is not None
    assert (misc.size, misc.process_id, misc.process_create_time) == (1364, 1928, 1521713272)
    assert misc.time_zone_name == "Pacific Standard Time"
    assert misc.build_string == "10.0.14393.1715 (rs1_release_inmarket.170906-1810)"
    assert dump.header.time_date_stamp == 1521713273


def test_malformed_corpus_dump(corpus_dir: Path) -> None:
    """rust-minidump's invalid-range.dmp: the header parses; LinuxMaps is damage, not a crash."""
    dump = _dump(
        corpus_dir, "mdmp-malformed/rust-minidump__rust-minidump__testdata__invalid-range.dmp"
    )
    assert dump.header.version & 0xFFFF == 0xA793
    assert dump.damage
    assert any(item.where == "LinuxMaps" for item in dump.damage)
    assert dump.linux.maps == ()
    assert dump.crash is None
