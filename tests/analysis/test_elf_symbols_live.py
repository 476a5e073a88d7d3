"""ELF symbols, DWARF lines and .eh_frame CFI of local binaries, on a real crash seen by gdb.

gdb's own backtrace of the same fault is the oracle: openwer must find the same functions and
lines, by CFI, for the program compiled without frame pointers; and must not use a local file
whose build id differs from the dump's.
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import pytest
from gdb_crash_capture import (
    CapturedCrash,
    capture_crash,
    capture_program,
    crash_dump,
    tools_missing,
)
from minidump_synth import SynthDump, SynthModule, synthetic_dump

from openwer.analysis.crash_analysis import CrashAnalysis, analyze_minidump
from openwer.analysis.elf_image import ELF_ERRORS, ElfImage, open_elf
from openwer.analysis.elf_symbols import ElfSymbols, LocalElfSymbols
from openwer.errors import FormatError
from openwer.formats.minidump import parse_minidump

pytestmark = pytest.mark.skipif(tools_missing() is not None, reason=tools_missing() or "")


@pytest.fixture(scope="module")
def optimised_crash(tmp_path_factory: pytest.TempPathFactory) -> CapturedCrash:
    directory = tmp_path_factory.mktemp("crasher-O2")
    return capture_crash(directory, ("-O2", "-fomit-frame-pointer", "-fno-inline"))


def _analyse(data: bytes, local: bool = True) -> CrashAnalysis:
    provider = LocalElfSymbols() if local else None
    try:
        return analyze_minidump(parse_minidump(data), provider)
    finally:
        if provider is not None:
            provider.close()


def test_cfi_walk_matches_gdb(optimised_crash: CapturedCrash) -> None:
    """Without frame pointers, .eh_frame CFI finds gdb's frames, with its functions and lines."""
    analysis = _analyse(crash_dump(optimised_crash))
    frames = analysis.threads[0].stack.frames
    ours = [
        (f.function.name if f.function else None, f.function.source_line if f.function else None)
        for f in frames
    ]
    in_crasher = [frame for frame in optimised_crash.backtrace if frame[0].startswith("level")]
    assert in_crasher == [("level3", 5), ("level2", 11), ("level1", 13)]
    assert ours[: len(in_crasher)] == in_crasher
    assert [frame.trust.value for frame in frames[:3]] == ["context", "cfi", "cfi"]
    assert frames[0].function is not None
    assert frames[0].function.source_file is not None
    assert frames[0].function.source_file.endswith("crasher.c")
    # gdb's outer frames are libc's and _start; openwer reaches _start by CFI too.
    assert len(frames) >= len(optimised_crash.backtrace) - 1
    assert frames[-1].function is not None
    assert frames[-1].function.name == "_start"
    assert 0 in analysis.symbolized_modules


def test_a_different_build_is_not_trusted(optimised_crash: CapturedCrash) -> None:
    """A local file whose build id is not the dump's gives no symbols and no CFI."""
    analysis = _analyse(crash_dump(optimised_crash, build_ids=False))
    frames = analysis.threads[0].stack.frames
    assert all(frame.function is None for frame in frames)
    assert all(frame.trust.value != "cfi" for frame in frames)
    assert analysis.symbolized_modules == frozenset()


def test_without_local_binaries_the_walk_falls_back(optimised_crash: CapturedCrash) -> None:
    """With no symbols, the same stack is walked by scanning, and finds level2's return."""
    analysis = _analyse(crash_dump(optimised_crash), local=False)
    frames = analysis.threads[0].stack.frames
    cfi_walk = _analyse(crash_dump(optimised_crash)).threads[0].stack.frames
    assert frames[0].instruction == cfi_walk[0].instruction
    assert frames[1].trust.value in ("scan", "frame_pointer")
    assert cfi_walk[1].instruction in [frame.instruction for frame in frames]


def test_not_an_elf_file(tmp_path: Path) -> None:
    """A file that is not ELF is a FormatError, and a provider records it as a problem."""
    path = tmp_path / "fake.so"
    path.write_bytes(b"\x7fELF" + bytes(10))
    with path.open("rb") as stream, pytest.raises(FormatError, match="not a readable ELF file"):
        open_elf(stream)
    provider = LocalElfSymbols(debug_roots=())
    module = SynthModule(0x1000, 0x1000, str(path), build_id=b"\x01" * 20)
    dump = parse_minidump(synthetic_dump(SynthDump(modules=[module])))
    assert provider.symbols_for(dump.modules[0]) is None
    assert provider.problems
    assert str(path) in provider.problems[0]


def test_python_ctypes_crash(tmp_path: Path) -> None:
    """A Python process faulting in ctypes: libc, _ctypes, libffi, libpython and _start, all by
    CFI, with libpython's functions and lines (the interpreter here is built with -g)."""
    crash = capture_program(
        tmp_path, [str(Path(sys.executable).resolve()), "-c", "import ctypes; ctypes.string_at(0)"]
    )
    analysis = _analyse(crash_dump(crash))
    frames = analysis.threads[0].stack.frames
    dump = analysis.dump
    modules = [
        dump.modules[f.module_index].basename if f.module_index is not None else None
        for f in frames
    ]
    names = [f.function.name if f.function else None for f in frames]
    assert modules[0] == "libc.so.6"
    assert "string_at" in names
    assert any(name and name.startswith("_PyEval_EvalFrameDefault") for name in names)
    assert names[-1] == "_start"
    assert {frame.trust.value for frame in frames[1:]} == {"cfi"}
    gdb_functions = [name for name, _ in crash.backtrace if not name.startswith("??")]
    assert "string_at" in gdb_functions


def test_damaged_binaries_are_unusable_not_fatal(optimised_crash: CapturedCrash) -> None:
    """Truncated and mutated copies of a real binary: opening refuses them with FormatError,
    or lookups answer None; nothing else escapes (pyelftools is not hardened, we are)."""
    data = optimised_crash.binary.read_bytes()
    generator = random.Random(11)
    cases = [data[:end] for end in range(0, len(data), max(1, len(data) // 150))]
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 30)):
            mutated[generator.randrange(len(mutated))] = generator.randrange(256)
        cases.append(bytes(mutated))
    usable = 0
    for case in cases:
        try:
            image = ElfImage(open_elf(io.BytesIO(case)))
        except ELF_ERRORS:
            continue
        usable += 1
        symbols = ElfSymbols(image, None)
        for offset in (0, 0x1000, 0x1150, 0x11E0, 0x10_0000):
            symbols.function_at(offset)
            symbols.cfi_rules(offset)
    assert usable > 0
