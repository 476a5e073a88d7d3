"""A real native crash, captured by gdb and turned into a minidump, for ELF symbolization tests.

:func:`capture_crash` compiles a C program, runs it under ``gdb -batch`` until it faults, and
has gdb's Python print the registers, the stack from the stack pointer to the top of the stack
mapping, the process mappings and gdb's own backtrace (the independent oracle). :func:`crash_dump`
lays that out as a minidump with ``minidump_synth``: the crashing thread with its stack, one
module per mapped file (base = lowest mapping, size = highest end minus base, the file's GNU
build id), and a SIGSEGV exception.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))

from minidump_synth import (
    SynthDump,
    SynthException,
    SynthModule,
    SynthThread,
    synthetic_dump,
)

from openwer.analysis.elf_image import load_image
from openwer.errors import FormatError

__all__ = [
    "CRASHER_SOURCE",
    "CapturedCrash",
    "capture_crash",
    "capture_program",
    "crash_dump",
    "tools_missing",
]

CRASHER_SOURCE = r"""
__attribute__((noinline)) int level3(int *p, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += p[i];
    *(volatile int *)0x10 = s;
    return s;
}
__attribute__((noinline)) int level2(int n) {
    int a[16];
    for (int i = 0; i < 16; i++) a[i] = i * n;
    return level3(a, n) + 1;
}
__attribute__((noinline)) int level1(int n) { return level2(n + 1) * 2; }
int main(int argc, char **argv) { (void)argv; return level1(argc); }
"""

_GDB_SCRIPT = r"""
import gdb, json
gdb.execute("run")
names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
         "r12", "r13", "r14", "r15", "rip", "eflags"]
registers = {n: int(gdb.parse_and_eval("$" + n)) & 0xFFFFFFFFFFFFFFFF for n in names}
mappings = gdb.execute("info proc mappings", to_string=True)
top = None
for line in mappings.splitlines():
    parts = line.split()
    if parts and parts[-1] == "[stack]":
        top = int(parts[1], 16)
sp = registers["rsp"]
stack = bytes(gdb.selected_inferior().read_memory(sp, min(top - sp, 1 << 20)))
backtrace = gdb.execute("bt", to_string=True)
json.dump({"registers": registers, "mappings": mappings, "stack": stack.hex(),
           "pid": gdb.selected_inferior().pid, "backtrace": backtrace}, open(OUTPUT, "w"))
"""


@dataclass(frozen=True)
class CapturedCrash:
    """What gdb saw at the fault."""

    binary: Path
    registers: dict[str, int]
    mappings: str
    stack_base: int
    stack: bytes
    pid: int
    backtrace: list[tuple[str, int | None]]  # gdb's frames: (function, line) innermost first


def tools_missing() -> str | None:
    """Why the capture cannot run here (gcc or gdb missing), or None."""
    for tool in ("gcc", "gdb"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def capture_crash(directory: Path, flags: tuple[str, ...]) -> CapturedCrash:
    """Compile the crasher with ``flags``, run it under gdb to its fault, and capture it."""
    source = directory / "crasher.c"
    source.write_text(CRASHER_SOURCE)
    binary = directory / "crasher"
    subprocess.run(["gcc", "-g", *flags, "-o", str(binary), str(source)], check=True, timeout=120)
    return capture_program(directory, [str(binary)])


def capture_program(directory: Path, argv: list[str]) -> CapturedCrash:
    """Run ``argv`` under gdb to its first fault and capture it (at most 1 MiB of stack)."""
    output = directory / "state.json"
    script = directory / "capture.py"
    script.write_text(f"OUTPUT = {str(output)!r}\n" + _GDB_SCRIPT)
    subprocess.run(
        ["gdb", "-nx", "-batch", "-x", str(script), "--args", *argv],
        check=True,
        timeout=120,
        capture_output=True,
    )
    state = json.loads(output.read_text())
    frames = re.findall(
        r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at \S+:(\d+))?",
        state["backtrace"],
        re.MULTILINE,
    )
    return CapturedCrash(
        Path(argv[0]).resolve(),
        state["registers"],
        state["mappings"],
        state["registers"]["rsp"],
        bytes.fromhex(state["stack"]),
        state["pid"],
        [(name, int(line) if line else None) for name, line in frames],
    )


def crash_dump(crash: CapturedCrash, *, build_ids: bool = True) -> bytes:
    """The minidump of a captured crash (``build_ids=False`` records a wrong build id)."""
    ranges: dict[str, tuple[int, int]] = {}
    for line in crash.mappings.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[-1].startswith("/"):
            start, end = int(parts[0], 16), int(parts[1], 16)
            low, high = ranges.get(parts[-1], (start, end))
            ranges[parts[-1]] = (min(low, start), max(high, end))
    modules = []
    for path, (low, high) in ranges.items():
        try:
            image, stream = load_image(Path(path))
        except FormatError:
            continue  # a mapped file that is not ELF (locale archives, caches)
        stream.close()
        build_id = image.build_id if build_ids else bytes(20 * [0xAB])
        modules.append(SynthModule(low, high - low, path, build_id=build_id))
    modules.sort(key=lambda module: module.name != str(crash.binary))
    thread = SynthThread(crash.pid, dict(crash.registers), crash.stack_base, crash.stack)
    exception = SynthException(crash.pid, 11, 1, 0x10)
    return synthetic_dump(SynthDump("amd64", "linux", [thread], modules, exception))
