"""Stack walking on dumps laid out by hand: each strategy, each CPU, and the limits.

Every stack here is built so that exactly one answer is right, and the test says which
strategy must find it (context, cfi, cfi_scan, frame_pointer, scan).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))

from minidump_synth import SynthDump, SynthException, SynthModule, SynthThread, synthetic_dump

from openwer.analysis.breakpad_symbols import parse_symbol_file
from openwer.analysis.crash_analysis import CrashAnalysis, analyze_minidump
from openwer.analysis.module_symbols import InMemorySymbols, ModuleSymbols
from openwer.analysis.stack_walker import WalkLimits
from openwer.formats.minidump import parse_minidump

APP = 0x0040_0000
LIB = 0x7F00_0000_0000
STACK = 0x7FFF_F000_0000


def _words(width: int, *values: int) -> bytes:
    return b"".join(v.to_bytes(width, "little") for v in values)


def _walk(spec: SynthDump, files: dict[str, str] | None = None, **limits: int) -> CrashAnalysis:
    dump = parse_minidump(synthetic_dump(spec))
    symbols: dict[str, ModuleSymbols] = {
        name: parse_symbol_file(text.encode().splitlines(keepends=True))
        for name, text in (files or {}).items()
    }
    return analyze_minidump(dump, InMemorySymbols(symbols), WalkLimits(**limits))


def _summary(analysis: CrashAnalysis, thread: int = 0) -> list[tuple[int, str]]:
    return [(f.instruction, f.trust.value) for f in analysis.threads[thread].stack.frames]


def _modules() -> list[SynthModule]:
    return [
        SynthModule(APP, 0x10000, "/opt/app/bin/app", build_id=b"\x01" * 20),
        SynthModule(LIB, 0x20000, "/lib/libc.so.6", build_id=b"\x02" * 20),
    ]


def test_amd64_frame_pointer_chain() -> None:
    """rbp → [saved rbp, return address] records, each frame found by the frame pointer."""
    stack = bytearray(0x200)
    stack[0x40:0x50] = _words(8, STACK + 0x80, APP + 0x1234)
    stack[0x80:0x90] = _words(8, STACK + 0xC0, LIB + 0x5678)
    stack[0xC0:0xD0] = _words(8, 0, 0)  # the outermost record: return address 0 ends the walk
    registers = {"rip": APP + 0x100, "rsp": STACK, "rbp": STACK + 0x40}
    spec = SynthDump(threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules())
    analysis = _walk(spec, context_scan_words=0, scan_words=0)
    assert _summary(analysis) == [
        (APP + 0x100, "context"),
        (APP + 0x1234, "frame_pointer"),
        (LIB + 0x5678, "frame_pointer"),
    ]
    frames = analysis.threads[0].stack.frames
    assert dict(frames[1].registers) == {
        "rip": APP + 0x1234,
        "rsp": STACK + 0x50,
        "rbp": STACK + 0x80,
    }
    assert frames[2].module_index == 1
    assert frames[2].module_offset == 0x5678


def test_amd64_cfi_from_a_symbol_file() -> None:
    """STACK CFI finds the caller even when rbp is not a frame pointer; rbx is carried."""
    stack = bytearray(0x100)
    stack[0x10:0x20] = _words(8, 0xDEAD, APP + 0x2005)  # saved rbp, return address
    stack[0x30:0x38] = _words(8, 0)
    registers = {"rip": APP + 0x1010, "rsp": STACK + 0x8, "rbp": 0x1, "rbx": 0x77}
    spec = SynthDump(threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules())
    sym = (
        "MODULE Linux x86_64 0101 app\n"
        "FUNC 1000 100 0 leaf\nFUNC 2000 100 0 caller\n"
        "STACK CFI INIT 1000 100 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
        "STACK CFI 1004 .cfa: $rsp 24 + $rbp: .cfa -16 + ^\n"
        "STACK CFI INIT 2000 100 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
    )
    analysis = _walk(spec, {"app": sym}, context_scan_words=0, scan_words=0)
    frames = analysis.threads[0].stack.frames
    assert _summary(analysis)[:2] == [(APP + 0x1010, "context"), (APP + 0x2005, "cfi")]
    # Callee-saved registers without a rule keep their values (r12..r15 are 0 here).
    assert dict(frames[1].registers) == {
        "rip": APP + 0x2005,
        "rsp": STACK + 0x20,
        "rbp": 0xDEAD,
        "rbx": 0x77,
        "r12": 0,
        "r13": 0,
        "r14": 0,
        "r15": 0,
    }
    assert [frame.function.name for frame in frames[:2] if frame.function] == ["leaf", "caller"]


def test_amd64_scan_needs_a_call_before_the_candidate() -> None:
    """A word pointing into a module is taken only if the code before it (when the dump has
    it) ends with a call: here the first candidate follows a NOP sled, the second a CALL."""
    code = bytearray(b"\x90" * 0x100)
    code[0x80 - 5] = 0xE8  # call rel32 ending at +0x80
    stack = _words(8, 0x5, APP + 0x40, 0x7, APP + 0x80, 0, 0)
    registers = {"rip": APP + 0x10, "rsp": STACK, "rbp": 0x3}
    spec = SynthDump(
        threads=[SynthThread(1, registers, STACK, stack)],
        modules=_modules(),
        extra_memory=[(APP, bytes(code))],
    )
    assert _summary(_walk(spec))[:2] == [(APP + 0x10, "context"), (APP + 0x80, "scan")]


def test_amd64_windows_never_follows_rbp() -> None:
    """On Windows, rbp is a general register: the scan finds the caller, not rbp's record."""
    stack = bytearray(0x100)
    stack[0x40:0x50] = _words(8, STACK + 0x80, APP + 0x1234)
    stack[0x8:0x10] = _words(8, APP + 0x3000)
    registers = {"rip": APP + 0x100, "rsp": STACK, "rbp": STACK + 0x40}
    modules = [SynthModule(APP, 0x10000, r"C:\app.exe")]
    spec = SynthDump(
        os="windows", threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=modules
    )
    assert _summary(_walk(spec))[1] == (APP + 0x3000, "scan")


def test_x86_stack_win_fpo_and_ebp() -> None:
    """FPO data without a program: the return address sits above locals and saved registers."""
    base = 0x0012_0000
    stack = bytearray(0x100)
    # leaf: 8 bytes of locals, 4 of saved registers, then the return address into main.
    stack[0x0C:0x10] = _words(4, APP + 0x2010)
    stack[0x40:0x48] = _words(4, base + 0x80, APP + 0x3010)  # main's ebp record
    registers = {"eip": APP + 0x1008, "esp": base, "ebp": base + 0x40}
    sym = (
        "MODULE windows x86 AA app.pdb\n"
        "FUNC 1000 100 0 leaf\nFUNC 2000 100 0 main\nFUNC 3000 100 0 start\n"
        "STACK WIN 0 1000 100 0 0 0 4 8 0 0 0\n"
    )
    modules = [SynthModule(APP, 0x10000, r"c:\app.exe")]
    spec = SynthDump(
        cpu="x86",
        os="windows",
        threads=[SynthThread(1, registers, base, bytes(stack))],
        modules=modules,
    )
    analysis = _walk(spec, {"app.exe": sym}, context_scan_words=0, scan_words=0)
    assert _summary(analysis) == [
        (APP + 0x1008, "context"),
        (APP + 0x2010, "cfi"),
        (APP + 0x3010, "frame_pointer"),
    ]


def test_arm64_frame_records_and_link_register() -> None:
    """The innermost caller is lr; then fp → [caller fp, return address] records."""
    stack = bytearray(0x200)
    stack[0x20:0x30] = _words(8, STACK + 0x60, LIB + 0x400)
    stack[0x60:0x70] = _words(8, 0, 0)
    registers = {"pc": APP + 0x100, "sp": STACK, "fp": STACK + 0x20, "lr": APP + 0x2004}
    spec = SynthDump(
        cpu="arm64", threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules()
    )
    analysis = _walk(spec, context_scan_words=0, scan_words=0)
    assert _summary(analysis) == [
        (APP + 0x100, "context"),
        (APP + 0x2004, "frame_pointer"),
        (LIB + 0x400, "frame_pointer"),
    ]


def test_arm64_pointer_authentication_is_stripped() -> None:
    """A signed return address (PAC bits set) is resolved to the module it points into."""
    stack = bytearray(0x100)
    stack[0x20:0x30] = _words(8, 0, 0)
    signed = (0x2A << 48) | (APP + 0x2004)
    registers = {"pc": APP + 0x100, "sp": STACK, "fp": STACK + 0x20, "lr": signed}
    spec = SynthDump(
        cpu="arm64", threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules()
    )
    analysis = _walk(spec, context_scan_words=0, scan_words=0)
    assert _summary(analysis)[1] == (APP + 0x2004, "frame_pointer")


def test_arm64_cfi_with_dwarf_register_names() -> None:
    """Breakpad arm64 CFI names registers x29/x30/sp; .ra from x30 in a leaf."""
    stack = bytearray(0x100)
    stack[0x10:0x20] = _words(8, STACK + 0x80, APP + 0x3008)
    registers = {"pc": APP + 0x1004, "sp": STACK, "fp": 0x5, "lr": APP + 0x2008}
    sym = (
        "MODULE Linux arm64 0101 app\n"
        "FUNC 1000 100 0 leaf\nFUNC 2000 100 0 middle\nFUNC 3000 100 0 outer\n"
        "STACK CFI INIT 1000 100 .cfa: sp 0 + .ra: x30\n"
        "STACK CFI INIT 2000 100 .cfa: sp 32 + .ra: .cfa -8 + ^ x29: .cfa -16 + ^\n"
    )
    spec = SynthDump(
        cpu="arm64", threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules()
    )
    analysis = _walk(spec, {"app": sym}, context_scan_words=0, scan_words=0)
    frames = analysis.threads[0].stack.frames
    assert _summary(analysis)[:2] == [(APP + 0x1004, "context"), (APP + 0x2008, "cfi")]
    # middle's caller: sp = 0 + 32, ra at cfa-8, fp at cfa-16 (x29 is the frame pointer).
    assert _summary(analysis)[2] == (APP + 0x3008, "cfi")
    assert dict(frames[2].registers)["fp"] == STACK + 0x80


def test_limits_truncate_and_disable_scanning() -> None:
    """max_frames ends a long chain (and says so); no scanning beyond max_scanned_frames."""
    stack = bytearray(0x800)
    for index in range(30):
        offset = 0x10 + index * 0x20
        stack[offset : offset + 16] = _words(8, STACK + offset + 0x20, APP + 0x100 + index)
    registers = {"rip": APP + 0x10, "rsp": STACK, "rbp": STACK + 0x10}
    spec = SynthDump(threads=[SynthThread(1, registers, STACK, bytes(stack))], modules=_modules())
    truncated = _walk(spec, max_frames=5)
    assert len(truncated.threads[0].stack.frames) == 5
    assert truncated.threads[0].stack.truncated
    no_scan = bytearray(0x100)
    no_scan[0x8:0x10] = _words(8, APP + 0x3000)
    registers = {"rip": APP + 0x10, "rsp": STACK, "rbp": 0x3}
    spec = SynthDump(threads=[SynthThread(1, registers, STACK, bytes(no_scan))], modules=_modules())
    assert len(_walk(spec).threads[0].stack.frames) > 1
    assert len(_walk(spec, max_scanned_frames=1).threads[0].stack.frames) == 1


def test_crashing_thread_walks_from_the_exception_context() -> None:
    """The thread list may hold the handler's registers; the exception's are the fault's."""
    thread = SynthThread(9, {"rip": LIB + 0x10, "rsp": STACK, "rbp": 0}, STACK, bytes(64))
    fault = {"rip": APP + 0x42, "rsp": STACK, "rbp": 0}
    spec = SynthDump(
        threads=[thread],
        modules=_modules(),
        exception=SynthException(9, 11, 1, 0x0, registers=fault),
    )
    analysis = _walk(spec)
    assert analysis.crashing_thread == 0
    assert analysis.threads[0].crashed
    assert analysis.threads[0].stack.frames[0].instruction == APP + 0x42
    assert analysis.crash is not None
    assert analysis.crash.reason == "SIGSEGV / SEGV_MAPERR"


def test_threads_without_context_or_stack() -> None:
    """No stack memory: the context frame only; no context: an error, not a crash."""
    spec = SynthDump(
        threads=[SynthThread(3, {"rip": APP + 1, "rsp": STACK, "rbp": 0})], modules=_modules()
    )
    analysis = _walk(spec)
    assert _summary(analysis) == [(APP + 1, "context")]
    data = bytearray(synthetic_dump(spec))
    dump = parse_minidump(bytes(data))
    entry = next(e for e in dump.directory if e.stream_type == 3)
    struct.pack_into("<I", data, entry.rva + 4 + 40, 0)  # the thread's context size: 0
    broken = analyze_minidump(parse_minidump(bytes(data)))
    assert broken.threads[0].stack.frames == ()
    assert broken.threads[0].stack.error == "the thread has no readable context"
