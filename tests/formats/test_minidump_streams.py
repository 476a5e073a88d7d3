"""Streams and contexts the corpus does not exercise, laid out by hand from their definitions."""

from __future__ import annotations

import json
import struct
import uuid

import pytest
from minidump_synth import (
    DumpBuilder,
    SynthDump,
    SynthModule,
    SynthThread,
    arm64_context,
    minidump_string,
    synthetic_dump,
)

from openwer.formats.minidump import parse_minidump
from openwer.formats.minidump.cpu_context import parse_context
from openwer.formats.minidump.crash_reason import crash_address, crash_reason
from openwer.formats.minidump.module_list import elf_debug_id


@pytest.mark.parametrize(
    ("os", "code", "flags", "parameters", "cpu", "reason"),
    [
        ("windows", 0xC0000005, 0, (0, 0x10), "x86", "EXCEPTION_ACCESS_VIOLATION_READ"),
        ("windows", 0xC0000005, 0, (8, 0x10), "x86", "EXCEPTION_ACCESS_VIOLATION_EXEC"),
        ("windows", 0xC0000005, 0, (), "x86", "EXCEPTION_ACCESS_VIOLATION"),
        ("windows", 0xC0000006, 0, (1, 0x10, 0xC000009C), "amd64",
         "EXCEPTION_IN_PAGE_ERROR_WRITE / STATUS_DEVICE_DATA_ERROR"),
        ("windows", 0xC00000FD, 0, (), "amd64", "EXCEPTION_STACK_OVERFLOW"),
        ("windows", 0xC0000409, 0, (2,), "amd64",
         "EXCEPTION_STACK_BUFFER_OVERRUN / FAST_FAIL_STACK_COOKIE_CHECK_FAILURE"),
        ("windows", 0xE06D7363, 1, (), "amd64", "UNHANDLED_CPP_EXCEPTION"),
        ("windows", 0xC0000135, 0, (), "amd64", "STATUS_DLL_NOT_FOUND"),
        ("windows", 0x12345678, 0, (), "amd64", "0x12345678"),
        ("windows", 0xFFFFFFFF, 0, (), "amd64", "DUMP_REQUESTED"),
        ("linux", 11, 1, (), "amd64", "SIGSEGV / SEGV_MAPERR"),
        ("linux", 11, 2, (), "amd64", "SIGSEGV / SEGV_ACCERR"),
        ("linux", 7, 2, (), "arm64", "SIGBUS / BUS_ADRERR"),
        ("linux", 8, 1, (), "amd64", "SIGFPE / FPE_INTDIV"),
        ("linux", 4, 2, (), "amd64", "SIGILL / ILL_ILLOPN"),
        ("linux", 6, 0xFFFFFFFA, (), "amd64", "SIGABRT / SI_TKILL"),
        ("linux", 11, 0x80, (), "amd64", "SIGSEGV / SI_KERNEL"),
        ("linux", 11, 0, (), "amd64", "SIGSEGV"),
        ("linux", 11, 0x77, (), "amd64", "SIGSEGV / 0x77"),
        ("android", 5, 1, (), "arm64", "SIGTRAP / TRAP_BRKPT"),
        ("linux", 0, 0, (), "amd64", "0x00000000"),
        ("linux", 0xFFFFFFFF, 0, (), "amd64", "DUMP_REQUESTED"),
        ("mac", 1, 1, (1, 0x10), "arm64", "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS"),
        ("mac", 1, 13, (13, 0), "amd64", "EXC_BAD_ACCESS / EXC_I386_GPFLT"),
        ("ios", 1, 0x101, (), "arm64", "EXC_BAD_ACCESS / EXC_ARM_DA_ALIGN"),
        ("mac", 2, 1, (), "arm64", "EXC_BAD_INSTRUCTION / EXC_ARM_UNDEFINED"),
        ("mac", 3, 1, (), "amd64", "EXC_ARITHMETIC / EXC_I386_DIV"),
        ("mac", 5, 0x10002, (), "amd64", "EXC_SOFTWARE / SIGABRT"),
        ("mac", 6, 1, (), "arm64", "EXC_BREAKPOINT / EXC_ARM_BREAKPOINT"),
        ("mac", 12, 0, (), "arm64", "EXC_GUARD"),
    ],
)  # fmt: skip
def test_crash_reasons(
    os: str, code: int, flags: int, parameters: tuple[int, ...], cpu: str, reason: str
) -> None:
    """Windows exception codes, Linux signals with si_code, Mach exceptions with their codes."""
    assert crash_reason(os, code, flags, parameters, cpu) == reason


def test_crash_addresses() -> None:
    """An access violation's address is its data address; otherwise the exception address."""
    assert crash_address("windows", 0xC0000005, 0x401000, (1, 0x45)) == 0x45
    assert crash_address("windows", 0xC0000005, 0x401000, (1,)) == 0x401000
    assert crash_address("windows", 0xC00000FD, 0x401000, (1, 0x45)) == 0x401000
    assert crash_address("linux", 11, 0x45, ()) == 0x45


def test_arm64_contexts() -> None:
    """Windows/Crashpad CONTEXT_ARM64 and Breakpad's old layout, flags honoured."""
    new, note = parse_context(
        arm64_context({"pc": 0x1000, "sp": 0x2000, "fp": 0x3000, "lr": 0x4000, "x0": 7}), "arm64"
    )
    assert note is None
    assert new is not None
    assert (new.cpu, new.instruction_pointer, new.stack_pointer) == ("arm64", 0x1000, 0x2000)
    assert (new.get("fp"), new.get("lr"), new.get("x0")) == (0x3000, 0x4000, 7)
    control_only, _ = parse_context(arm64_context({"pc": 1, "x0": 7}, flags=0x0040_0001), "arm64")
    assert control_only is not None
    assert control_only.get("x0") is None  # INTEGER not set: x0..x28 are not valid
    assert control_only.get("pc") == 1
    old = bytearray(800)
    struct.pack_into("<Q", old, 0, 0x8000_0003)
    struct.pack_into("<Q", old, 8 + 31 * 8, 0x5000)  # sp is iregs[31]
    struct.pack_into("<QI", old, 264, 0x6000, 0x20)
    context, _ = parse_context(bytes(old), "arm64")
    assert context is not None
    assert (context.instruction_pointer, context.stack_pointer, context.get("cpsr")) == (
        0x6000,
        0x5000,
        0x20,
    )


def test_arm_and_unknown_cpu_contexts() -> None:
    """32-bit ARM reads r0..r15; a context is recognised by its flags when the CPU is unknown."""
    arm = bytearray(368)
    struct.pack_into("<I", arm, 0, 0x4000_0002)
    struct.pack_into("<16I", arm, 4, *range(100, 116))
    context, _ = parse_context(bytes(arm), None)
    assert context is not None
    assert (context.cpu, context.get("r0"), context.get("sp"), context.get("pc")) == (
        "arm",
        100,
        113,
        115,
    )
    nothing, note = parse_context(bytes(16), None)
    assert nothing is None
    assert note == "16 bytes of context for an unknown CPU cannot be read"


def _crashpad_info(builder: DumpBuilder) -> bytes:
    def utf8(text: str) -> int:
        raw = text.encode()
        return builder.blob(struct.pack("<I", len(raw)) + raw + b"\x00")

    pairs = [(utf8("channel"), utf8("beta")), (utf8("ver"), utf8("1.2"))]
    dictionary = builder.blob(
        struct.pack("<I", 2) + b"".join(struct.pack("<II", *p) for p in pairs)
    )
    objects_value = utf8("object value")
    objects_name = utf8("object")
    objects = builder.blob(struct.pack("<IIHHI", 1, objects_name, 1, 0, objects_value))
    strings = builder.blob(struct.pack("<II", 1, utf8("listed")))
    module_info = builder.blob(struct.pack("<IIIIIII", 1, 8, strings, 0, 0, 16, objects) + bytes(4))
    module_list = builder.blob(struct.pack("<IIII", 1, 0, 32, module_info))
    report = uuid.UUID("12345678-1234-5678-1234-567812345678")
    client = uuid.UUID("87654321-4321-8765-4321-876543218765")
    return struct.pack(
        "<I16s16sIIII", 1, report.bytes_le, client.bytes_le, 20, dictionary, 16, module_list
    )


def test_crashpad_thread_names_misc_and_breakpad_streams() -> None:
    """CrashpadInfo annotations, ThreadNames, a version-1 MiscInfo, BreakpadInfo, AssertionInfo."""
    builder = DumpBuilder()
    builder.stream(0x43500001, _crashpad_info(builder))
    name = builder.blob(minidump_string("worker"))
    builder.stream(24, struct.pack("<I", 1) + struct.pack("<IQ", 42, name))
    builder.stream(15, struct.pack("<IIIIII", 24, 1, 4242, 99, 1, 2))
    builder.stream(0x47670001, struct.pack("<III", 2, 7, 42))
    texts = ["x != 0", "check", "a.c"]
    assertion = b"".join(t.encode("utf-16-le").ljust(256, b"\x00") for t in texts)
    builder.stream(0x47670002, assertion + struct.pack("<II", 12, 1))
    dump = parse_minidump(builder.build())
    assert dump.damage == ()
    info = dump.crashpad_info
    assert info is not None
    assert info.report_id == "12345678-1234-5678-1234-567812345678"
    assert info.client_id == "87654321-4321-8765-4321-876543218765"
    assert info.simple_annotations == (("channel", "beta"), ("ver", "1.2"))
    module = info.module_annotations[0]
    assert (module.module_index, module.list_annotations) == (0, ("listed",))
    assert module.annotation_objects == (("object", "object value"),)
    assert dump.thread_name(42) == "worker"
    assert dump.misc_info is not None
    assert (dump.misc_info.process_id, dump.misc_info.process_create_time) == (4242, None)
    assert dump.breakpad_info is not None
    assert (dump.breakpad_info.dump_thread_id, dump.breakpad_info.requesting_thread_id) == (
        None,
        42,
    )
    assert dump.assertion_info is not None
    assert dump.assertion_info.expression == "x != 0"
    assert (dump.assertion_info.line, dump.assertion_info.type_name) == (12, "invalid parameter")


def test_memory64_unloaded_modules_and_lists_with_headers() -> None:
    """Memory64List data is contiguous from its base RVA; the extended-header lists."""
    builder = DumpBuilder()
    data_rva = builder.blob(b"A" * 16 + b"B" * 32, align=8)
    builder.stream(
        9, struct.pack("<QQ", 2, data_rva) + struct.pack("<QQQQ", 0x1000, 16, 0x9000, 32)
    )
    name = builder.blob(minidump_string("gone.dll"))
    builder.stream(
        14, struct.pack("<III", 12, 24, 1) + struct.pack("<QIIII", 0x7000, 0x100, 0, 5, name)
    )
    builder.stream(
        17,
        struct.pack("<III", 12, 64, 1)
        + struct.pack("<IIIIQQQQQQ", 5, 0, 0, 0, 1, 2, 3, 4, 0x401000, 1),
    )
    builder.stream(
        16,
        struct.pack("<IIQ", 16, 48, 1)
        + struct.pack("<QQIIQIIII", 0x1000, 0x1000, 4, 0, 0x1000, 0x1000, 0x20, 0x20000, 0),
    )
    dump = parse_minidump(builder.build())
    assert dump.damage == ()
    assert dump.memory.read(0x1000, 16) == b"A" * 16
    assert dump.memory.read(0x9000, 32) == b"B" * 32
    assert [(m.name, m.base, m.size) for m in dump.unloaded_modules] == [
        ("gone.dll", 0x7000, 0x100)
    ]
    assert dump.thread_infos[0].start_address == 0x401000
    assert dump.memory_info[0].executable


def test_module_identifiers() -> None:
    """ELF build ids shorter than 16 bytes, zero build ids, nil PDB GUIDs, macOS code ids."""
    assert elf_debug_id(bytes(range(1, 9))) == "04030201060508070000000000000000" + "0"
    modules = [
        SynthModule(0x1000, 0x1000, "/lib/zero.so", build_id=bytes(20)),
        SynthModule(0x3000, 0x1000, "/lib/short.so", build_id=bytes(range(1, 9))),
    ]
    dump = parse_minidump(synthetic_dump(SynthDump(modules=modules)))
    zero, short = dump.modules
    assert (zero.code_id, zero.debug_id, zero.debug_file) == (None, None, "/lib/zero.so")
    assert (short.code_id, short.debug_file) == ("0102030405060708", "/lib/short.so")
    guid = bytes.fromhex("00112233445566778899aabbccddeeff")
    mac = SynthModule(0x5000, 0x1000, "/usr/lib/libSystem.B.dylib", pdb=(guid, 0, "libSystem"))
    nil = SynthModule(0x7000, 0x1000, "/usr/lib/nil.dylib", pdb=(bytes(16), 0, "nil"))
    dump = parse_minidump(synthetic_dump(SynthDump(os="mac", cpu="arm64", modules=[mac, nil])))
    assert dump.modules[0].debug_id == "33221100554477668899AABBCCDDEEFF0"
    assert dump.modules[0].code_id == "33221100554477668899aabbccddeeff"
    assert dump.modules[1].debug_id is None
    assert dump.system_info is not None
    assert (dump.system_info.os, dump.system_info.cpu) == ("Mac OS X", "arm64")


def test_python_stacks_stream() -> None:
    """openwer's 0x4F570001 stream; a stream that is not its JSON is damage."""
    payload = {
        "format": "openwer-python-stacks",
        "version": 1,
        "source": "faulthandler",
        "fatal_error": "Segmentation fault",
        "threads": [
            {
                "ident": 140,
                "thread_id": 7,
                "name": "MainThread",
                "current": True,
                "frames": [{"file": "app.py", "line": 3, "function": "crash"}, "junk"],
            },
            42,
        ],
        "text": None,
    }
    thread = SynthThread(7, {"rip": 0x1000, "rsp": 0x2000})
    spec = SynthDump(threads=[thread], extra_streams=[(0x4F570001, json.dumps(payload).encode())])
    dump = parse_minidump(synthetic_dump(spec))
    stacks = dump.python_stacks
    assert stacks is not None
    assert (stacks.source, stacks.fatal_error) == ("faulthandler", "Segmentation fault")
    assert len(stacks.threads) == 1
    assert stacks.threads[0].thread_id == 7
    assert [(f.file, f.line, f.function) for f in stacks.threads[0].frames] == [
        ("app.py", 3, "crash")
    ]
    broken = parse_minidump(synthetic_dump(SynthDump(extra_streams=[(0x4F570001, b"[1, 2")])))
    assert broken.python_stacks is None
    assert any("not JSON" in item.message for item in broken.damage)
