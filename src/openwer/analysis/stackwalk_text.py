"""The readable report of an analysis, in the spirit of ``minidump_stackwalk``.

The crash (reason, address, code, thread), then the crashing thread's frames and every other
thread's, each frame as ``module!function [file : line + 0xoffset]`` with its registers and how it
was found, then the modules and anything that could not be read.
"""

from __future__ import annotations

from typing import Final

from openwer.analysis.crash_analysis import CrashAnalysis, ThreadAnalysis
from openwer.analysis.stack_frame import FrameTrust, StackFrame
from openwer.formats.minidump import Minidump
from openwer.formats.minidump.module_list import module_basename

__all__ = ["render_text"]

FOUND_BY: Final = {
    FrameTrust.CONTEXT: "given as instruction pointer in context",
    FrameTrust.CFI: "call frame info",
    FrameTrust.CFI_SCAN: "call frame info with scanning",
    FrameTrust.FRAME_POINTER: "previous frame's frame pointer",
    FrameTrust.SCAN: "stack scanning",
}
_REGISTERS_PER_LINE: Final = 4


def _frame_title(frame: StackFrame, dump: Minidump) -> str:
    if frame.module_index is None:
        return f"0x{frame.instruction:x}"
    module = dump.modules[frame.module_index]
    function = frame.function
    if function is None:
        return f"{module.basename} + 0x{frame.instruction - module.base:x}"
    title = f"{module.basename}!{function.name}"
    if function.source_file is not None and function.source_line_base is not None:
        offset = frame.instruction - module.base - function.source_line_base
        source = module_basename(function.source_file)
        return f"{title} [{source} : {function.source_line} + 0x{offset:x}]"
    return f"{title} + 0x{frame.instruction - module.base - function.base:x}"


def _registers(frame: StackFrame, width: int) -> list[str]:
    cells = [f"{name} = 0x{value:0{width}x}" for name, value in frame.registers]
    return [
        "    " + "   ".join(cells[i : i + _REGISTERS_PER_LINE])
        for i in range(0, len(cells), _REGISTERS_PER_LINE)
    ]


def _thread(index: int, thread: ThreadAnalysis, dump: Minidump, width: int) -> list[str]:
    labels = [f"id {thread.thread_id}"]
    if thread.name:
        labels.append(repr(thread.name))
    if thread.crashed:
        labels.append("crashed")
    if thread.dump_thread:
        labels.append("wrote the dump")
    lines = [f"Thread {index} ({', '.join(labels)})"]
    if thread.stack.error:
        lines.append(f"  (stack walk: {thread.stack.error})")
    for number, frame in enumerate(thread.stack.frames):
        lines.append(f"{number:2d}  {_frame_title(frame, dump)}")
        lines.extend(_registers(frame, width))
        lines.append(f"    Found by: {FOUND_BY[frame.trust]}")
    if thread.stack.truncated:
        lines.append("  (more frames were not walked: frame limit reached)")
    stacks = dump.python_stacks
    python = (
        next((t for t in stacks.threads if t.thread_id == thread.thread_id), None)
        if stacks
        else None
    )
    if python is not None and python.frames:
        lines.append("  Python stack (most recent call first):")
        lines.extend(
            f'    File "{frame.file}", line {frame.line if frame.line is not None else "???"}'
            f" in {frame.function}"
            for frame in python.frames
        )
    return lines


def _header(analysis: CrashAnalysis) -> list[str]:
    dump = analysis.dump
    lines = []
    info = dump.system_info
    if info is not None:
        lines += [f"Operating system: {info.os}", f"                  {info.os_version}"]
        lines.append(f"CPU: {info.cpu}")
        if info.cpu_info:
            lines.append(f"     {info.cpu_info}")
        lines += [f"     {info.cpu_count} CPU{'s' if info.cpu_count != 1 else ''}", ""]
    crash = analysis.crash
    if crash is None:
        lines.append("No crash (the dump has no exception stream)")
    else:
        lines += [
            f"Crash reason:  {crash.reason}",
            f"Crash address: 0x{crash.address:x}",
            f"Crash code:    0x{crash.code:x}",
        ]
        if analysis.crashing_thread is not None:
            lines.append(f"Crashing thread: {analysis.crashing_thread} (id {crash.thread_id})")
        else:
            lines.append(f"Crashing thread: id {crash.thread_id} (not in the thread list)")
    if dump.assertion_info is not None:
        assertion = dump.assertion_info
        lines.append(
            f"Assertion: {assertion.type_name}: {assertion.expression} in {assertion.function} "
            f"({assertion.file}:{assertion.line})"
        )
    if dump.python_stacks is not None and dump.python_stacks.fatal_error:
        lines.append(f"Fatal Python error: {dump.python_stacks.fatal_error}")
    return lines


def _modules(analysis: CrashAnalysis, width: int) -> list[str]:
    lines = ["Loaded modules:"]
    for index, module in enumerate(analysis.dump.modules):
        end = module.end - 1 if module.size else module.base
        notes = ["(main)"] if index == 0 else []
        if index in analysis.symbolized_modules:
            notes.append("(symbols)")
        lines.append(
            f"0x{module.base:0{width}x} - 0x{end:0{width}x}  {module.basename}  "
            f"{module.version or '???'}  {module.debug_id or '-'}  {' '.join(notes)}".rstrip()
        )
    return lines


def render_text(analysis: CrashAnalysis) -> str:
    """The report as text (ends with a newline)."""
    dump = analysis.dump
    width = 8 if dump.cpu in ("x86", "arm") else 16
    lines = _header(analysis)
    order = list(range(len(analysis.threads)))
    if analysis.crashing_thread is not None:
        order.remove(analysis.crashing_thread)
        order.insert(0, analysis.crashing_thread)
    for index in order:
        lines += ["", *_thread(index, analysis.threads[index], dump, width)]
    lines += ["", *_modules(analysis, width)]
    if analysis.symbol_problems:
        lines += ["", "Symbol problems:", *(f"  {problem}" for problem in analysis.symbol_problems)]
    if dump.damage:
        lines += ["", "Damage (parts of the dump that could not be read):"]
        lines += [f"  {item}" for item in dump.damage]
    return "\n".join(lines) + "\n"
