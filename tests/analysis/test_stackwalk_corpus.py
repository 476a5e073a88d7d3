"""Stack walks of the corpus dumps against what their origins assert.

- minidump2.dmp with test_app.sym and kernel32.sym: Breakpad's minidump_stackwalk output
  (expected/minidump2.stackwalk.out and .machine_readable.out), frame by frame.
- Symbolicator's windows.dmp with crash.sym and linux.dmp without symbols: the snapshots'
  frames (instruction, module, function, line, trust) for every thread.
- lldb's sigsegv.dmp: frame 0 in sigsegv.exe at the faulting instruction.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from openwer.analysis.crash_analysis import CrashAnalysis, analyze_minidump
from openwer.analysis.stack_frame import StackFrame
from openwer.analysis.stackwalk_text import render_text
from openwer.analysis.symbol_directory import BreakpadSymbolDirectory
from openwer.formats.minidump import Minidump, parse_minidump

MINIDUMP2 = "mdmp-windows/google__breakpad__src__processor__testdata__minidump2.dmp"
EXPECTED = "expected/google__breakpad__src__processor__testdata__minidump2"
SYMBOLS = "symbols/google__breakpad__src__processor__testdata__symbols__"
TEST_APP_SYM = SYMBOLS + "test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym"
KERNEL32_SYM = SYMBOLS + "kernel32.pdb__BCE8785C57B44245A669896B6A19B9542__kernel32.sym"
CRASH_SYM = (
    "symbols/getsentry__symbolicator__tests__fixtures__symbols__crash.pdb__"
    "3249D99D0C4049318610F4E4FB0B69361__crash.pdb.original"
)
SNAPSHOT = (
    "expected/getsentry__symbolicator__crates__symbolicator-native__tests__integration__"
    "snapshots__integration__process_minidump__minidump_{}.snap"
)
TRUST = {"context": "context", "cfi": "cfi", "fp": "frame_pointer", "scan": "scan"}


def _store(root: Path, corpus_dir: Path, files: dict[str, str]) -> Path:
    """A Breakpad symbol store: DIR/<debug file>/<debug id>/<name>.sym."""
    for relative, source in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus_dir / source, target)
    return root


def _analyse(corpus_dir: Path, name: str, store: Path | None = None) -> CrashAnalysis:
    dump = parse_minidump((corpus_dir / name).read_bytes())
    provider = BreakpadSymbolDirectory([store]) if store is not None else None
    return analyze_minidump(dump, provider)


def _module_name(frame: StackFrame, dump: Minidump) -> str:
    return dump.modules[frame.module_index].basename if frame.module_index is not None else ""


@pytest.fixture
def minidump2(corpus_dir: Path, tmp_path: Path) -> CrashAnalysis:
    store = _store(
        tmp_path,
        corpus_dir,
        {
            "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym": TEST_APP_SYM,
            "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym": KERNEL32_SYM,
        },
    )
    return _analyse(corpus_dir, MINIDUMP2, store)


def test_minidump2_frames_as_minidump_stackwalk_machine_readable(
    minidump2: CrashAnalysis, corpus_dir: Path
) -> None:
    """The four frames of the crashed thread: module, function, file, line, offset."""
    text = (corpus_dir / f"{EXPECTED}.stackwalk.machine_readable.out").read_text()
    expected = [line.split("|") for line in text.splitlines() if re.match(r"^\d+\|\d+\|", line)]
    assert minidump2.crashing_thread == 0
    dump = minidump2.dump
    ours = []
    for index, frame in enumerate(minidump2.threads[0].stack.frames):
        function = frame.function
        assert function is not None
        module_base = dump.modules[frame.module_index or 0].base
        if function.source_line_base is not None:
            offset = frame.instruction - module_base - function.source_line_base
        else:
            offset = frame.instruction - module_base - function.base
        ours.append(
            [
                "0",
                str(index),
                _module_name(frame, dump),
                function.name,
                function.source_file or "",
                str(function.source_line) if function.source_line is not None else "",
                f"0x{offset:x}",
            ]
        )
    assert ours == expected
    assert "Crash|EXCEPTION_ACCESS_VIOLATION_WRITE|0x45|0" in text


def test_minidump2_text_as_minidump_stackwalk(minidump2: CrashAnalysis, corpus_dir: Path) -> None:
    """Frame lines, eip/esp/ebp and "Found by" of thread 0 read as Breakpad prints them."""
    expected = (corpus_dir / f"{EXPECTED}.stackwalk.out").read_text()
    block = expected.split("Thread 0 (crashed)\n", 1)[1].split("\n\n", 1)[0]
    expected_titles = re.findall(r"^ ?\d+  (.*)$", block, re.MULTILINE)
    expected_found = re.findall(r"Found by: (.*)$", block, re.MULTILINE)
    expected_registers = [
        {name: int(value, 16) for name, value in re.findall(r"(e[a-z]{2}) = (0x\w+)", chunk)}
        for chunk in re.split(r"\n ?\d+  ", block)
    ]
    ours = render_text(minidump2)
    thread = ours.split("Thread 0 (id 3060, crashed)\n", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"^ ?\d+  (.*)$", thread, re.MULTILINE) == expected_titles
    assert re.findall(r"Found by: (.*)$", thread, re.MULTILINE) == expected_found
    frames = minidump2.threads[0].stack.frames
    for frame, registers in zip(frames, expected_registers, strict=True):
        ours_registers = dict(frame.registers)
        for name in ("eip", "esp", "ebp"):
            assert ours_registers[name] == registers[name]
    assert "Crash reason:  EXCEPTION_ACCESS_VIOLATION_WRITE\nCrash address: 0x45" in ours


def _snapshot_threads(text: str) -> dict[int, list[dict[str, str]]]:
    threads: dict[int, list[dict[str, str]]] = {}
    stacktraces = "\n" + text.split("\nstacktraces:\n", 1)[1].split("\nmodules:\n", 1)[0]
    for block in stacktraces.split("\n  - thread_id: ")[1:]:
        thread_id = int(block.split("\n", 1)[0])
        frames = []
        for frame in block.split("\n      - status: ")[1:]:
            frames.append(
                dict(re.findall(r"^        (\w+): \"?([^\"\n]*)\"?$", frame, re.MULTILINE))
            )
        threads[thread_id] = frames
    return threads


def test_symbolicator_windows_frames(corpus_dir: Path, tmp_path: Path) -> None:
    """Every thread's frames as Symbolicator's snapshot lists them (crash.sym for crash.exe)."""
    store = _store(
        tmp_path, corpus_dir, {"crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.sym": CRASH_SYM}
    )
    analysis = _analyse(
        corpus_dir, "mdmp-windows/getsentry__symbolicator__tests__fixtures__windows.dmp", store
    )
    expected = _snapshot_threads((corpus_dir / SNAPSHOT.format("windows")).read_text())
    assert [thread.thread_id for thread in analysis.threads] == list(expected)
    assert analysis.crash is not None
    assert f"{analysis.crash.reason} / 0x{analysis.crash.address:x}" == (
        "EXCEPTION_ACCESS_VIOLATION_WRITE / 0x45"
    )
    for thread in analysis.threads:
        frames = thread.stack.frames
        wanted = expected[thread.thread_id]
        assert len(frames) == len(wanted), thread.thread_id
        for frame, fields in zip(frames, wanted, strict=True):
            address = int(fields["instruction_addr"], 16)
            # Symbolicator shows symbolicated caller frames at the call (return address - 1).
            adjusted = (
                address + 1
                if fields.get("function") and frame.trust.value != "context"
                else address
            )
            assert frame.instruction == adjusted
            assert _module_name(frame, analysis.dump) == fields["package"].rsplit("\\", 1)[-1]
            assert frame.trust.value == TRUST[fields["trust"]]
            if "function" in fields:
                assert frame.function is not None
                assert frame.function.name == fields["function"]
                assert frame.function.source_line == int(fields["lineno"])
                assert frame.function.source_file is not None
                assert frame.function.source_file.endswith(fields["filename"])


def test_symbolicator_linux_frames(corpus_dir: Path) -> None:
    """Context frame then scanned frames, as Symbolicator lists them.

    openwer's scanner also checks that a candidate follows a call when the dump holds the code
    before it; this dump holds the code around the crash, which rules out the snapshot's
    0x401dc0 entries (a function's start, not a return address). Every other frame matches, in
    order, and the first eight are identical.
    """
    analysis = _analyse(
        corpus_dir, "mdmp-linux/getsentry__symbolicator__tests__fixtures__linux.dmp"
    )
    expected = _snapshot_threads((corpus_dir / SNAPSHOT.format("linux")).read_text())[1304]
    frames = analysis.threads[0].stack.frames
    wanted = [(int(f["instruction_addr"], 16), f["package"], TRUST[f["trust"]]) for f in expected]
    ours = [
        (f.instruction, analysis.dump.modules[f.module_index].name, f.trust.value)
        for f in frames
        if f.module_index is not None
    ]
    assert len(ours) == len(frames)
    assert ours[:8] == wanted[:8]
    remaining = iter(wanted)
    assert all(frame in remaining for frame in ours), (
        "openwer's frames are Symbolicator's, in order"
    )
    assert [frame for frame in wanted if frame not in ours] == [
        (0x401DC0, "/work/linux/build/crash", "scan")
    ] * 3


def test_windows_amd64_top_frame(corpus_dir: Path) -> None:
    """lldb's sigsegv.test: frame #0 is sigsegv.exe at 0x7ff7a13110d9."""
    analysis = _analyse(
        corpus_dir,
        "mdmp-windows/llvm-mirror__lldb__test__Shell__Minidump__Windows__Sigsegv__Inputs__sigsegv.dmp",
    )
    top = analysis.threads[0].stack.frames[0]
    assert (top.instruction, _module_name(top, analysis.dump)) == (0x7FF7A13110D9, "sigsegv.exe")
    assert top.trust.value == "context"


_BREAKPAD = "mdmp-linux/google__breakpad__src__processor__testdata__linux_"
_LLDB = "mdmp-linux/llvm-mirror__lldb__unittests__Process__minidump__Inputs__linux-x86_64.dmp"
_NULL_READ_AV = "mdmp-windows/google__breakpad__src__processor__testdata__null_read_av.dmp"


@pytest.mark.parametrize(
    ("name", "instruction", "module"),
    [
        (f"{_BREAKPAD}divide_by_zero.dmp", 0x401F27, "driver"),
        (f"{_BREAKPAD}null_dereference.dmp", 0x401F26, "driver"),
        (f"{_BREAKPAD}raise_sigabrt.dmp", 0x7F5AA172C20B, "libpthread-2.19.so"),
        (_LLDB, 0x401DC6, "a.out"),
        (_NULL_READ_AV, 0x90A6CD, "crashme.exe"),
    ],
)
def test_breakpad_dumps_walk_from_the_crash(
    corpus_dir: Path, name: str, instruction: int, module: str
) -> None:
    """The crashed thread starts at the faulting instruction and walks to callers in modules."""
    analysis = _analyse(corpus_dir, name)
    assert analysis.crashing_thread is not None
    frames = analysis.threads[analysis.crashing_thread].stack.frames
    assert (frames[0].instruction, _module_name(frames[0], analysis.dump)) == (instruction, module)
    assert len(frames) > 2
    assert all(frame.module_index is not None for frame in frames[2:])
