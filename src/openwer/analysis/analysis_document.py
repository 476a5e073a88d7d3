"""The stable JSON document of an analysis (``openwer analyze --json``; docs/analyze.md).

Every number is a JSON integer (addresses included); absent facts are ``null`` or empty lists,
never missing keys, so consumers can index without guarding. ``schema_version`` changes only
when a field changes meaning or disappears; new fields may be added within a version.
"""

from __future__ import annotations

from typing import Any, Final

from openwer.analysis.crash_analysis import CrashAnalysis, ThreadAnalysis
from openwer.analysis.stack_frame import StackFrame
from openwer.formats.minidump import Minidump
from openwer.formats.minidump.python_stacks_stream import PythonThreadStack

__all__ = ["SCHEMA_VERSION", "analysis_document"]

SCHEMA_VERSION: Final = 1


def _frame(index: int, frame: StackFrame, dump: Minidump) -> dict[str, Any]:
    module = dump.modules[frame.module_index] if frame.module_index is not None else None
    function = frame.function
    line_offset = None
    if function and function.source_line_base is not None and module is not None:
        line_offset = frame.instruction - module.base - function.source_line_base
    return {
        "index": index,
        "instruction": frame.instruction,
        "trust": frame.trust.value,
        "module": module.basename if module else None,
        "module_index": frame.module_index,
        "module_offset": frame.module_offset,
        "function": function.name if function else None,
        "function_offset": (
            frame.instruction - module.base - function.base if function and module else None
        ),
        "file": function.source_file if function else None,
        "line": function.source_line if function else None,
        "line_offset": line_offset,
        "registers": dict(frame.registers),
    }


def _python_frames(stack: PythonThreadStack | None) -> list[dict[str, Any]] | None:
    if stack is None:
        return None
    return [
        {"file": frame.file, "line": frame.line, "function": frame.function}
        for frame in stack.frames
    ]


def _thread(thread: ThreadAnalysis, dump: Minidump) -> dict[str, Any]:
    python = None
    if dump.python_stacks is not None:
        python = next(
            (t for t in dump.python_stacks.threads if t.thread_id == thread.thread_id), None
        )
    return {
        "id": thread.thread_id,
        "name": thread.name,
        "crashed": thread.crashed,
        "dump_thread": thread.dump_thread,
        "truncated": thread.stack.truncated,
        "error": thread.stack.error,
        "frames": [_frame(i, frame, dump) for i, frame in enumerate(thread.stack.frames)],
        "python_frames": _python_frames(python),
    }


def _system(dump: Minidump) -> dict[str, Any] | None:
    info = dump.system_info
    if info is None:
        return None
    return {
        "os": info.os,
        "os_short": info.os_short,
        "os_version": info.os_version,
        "os_build": info.csd_version,
        "cpu": info.cpu,
        "cpu_info": info.cpu_info,
        "cpu_count": info.cpu_count,
        "platform_id": info.platform_id,
        "processor_architecture": info.processor_architecture,
    }


def _process(dump: Minidump) -> dict[str, Any]:
    misc = dump.misc_info
    status = dict(dump.linux.proc_status)
    pid = misc.process_id if misc else None
    if pid is None and status.get("Pid", "").isdigit():
        pid = int(status["Pid"])
    return {
        "pid": pid,
        "create_time": misc.process_create_time if misc else None,
        "command_line": list(dump.linux.cmdline),
    }


def _modules(analysis: CrashAnalysis) -> list[dict[str, Any]]:
    dump = analysis.dump
    main = 0 if dump.modules else None
    return [
        {
            "index": index,
            "path": module.name,
            "name": module.basename,
            "base": module.base,
            "size": module.size,
            "end": module.end,
            "version": module.version,
            "code_id": module.code_id,
            "debug_file": module.debug_file,
            "debug_id": module.debug_id,
            "time_date_stamp": module.time_date_stamp,
            "main": index == main,
            "symbols": index in analysis.symbolized_modules,
        }
        for index, module in enumerate(dump.modules)
    ]


def _python(dump: Minidump) -> dict[str, Any] | None:
    stacks = dump.python_stacks
    if stacks is None:
        return None
    return {
        "source": stacks.source,
        "fatal_error": stacks.fatal_error,
        "threads": [
            {
                "ident": thread.ident,
                "thread_id": thread.thread_id,
                "name": thread.name,
                "current": thread.current,
                "frames": _python_frames(thread),
            }
            for thread in stacks.threads
        ],
    }


def _crashpad(dump: Minidump) -> dict[str, Any] | None:
    info = dump.crashpad_info
    if info is None:
        return None
    return {
        "report_id": info.report_id,
        "client_id": info.client_id,
        "annotations": dict(info.simple_annotations),
        "module_annotations": [
            {
                "module_index": item.module_index,
                "list_annotations": list(item.list_annotations),
                "simple_annotations": dict(item.simple_annotations),
                "annotation_objects": dict(item.annotation_objects),
            }
            for item in info.module_annotations
        ],
    }


def analysis_document(analysis: CrashAnalysis) -> dict[str, Any]:
    """The JSON-ready document of an analysis (see docs/analyze.md for every field)."""
    dump = analysis.dump
    crash = analysis.crash
    assertion = dump.assertion_info
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "damaged" if dump.damage else "ok",
        "damage": [{"where": item.where, "message": item.message} for item in dump.damage],
        "timestamp": dump.header.time_date_stamp,
        "system": _system(dump),
        "process": _process(dump),
        "crash": (
            {
                "reason": crash.reason,
                "code": crash.code,
                "flags": crash.flags,
                "address": crash.address,
                "thread_id": crash.thread_id,
                "parameters": list(crash.parameters),
            }
            if crash
            else None
        ),
        "assertion": (
            {
                "expression": assertion.expression,
                "function": assertion.function,
                "file": assertion.file,
                "line": assertion.line,
                "type": assertion.type_name,
            }
            if assertion
            else None
        ),
        "crashing_thread": analysis.crashing_thread,
        "threads": [_thread(thread, dump) for thread in analysis.threads],
        "modules": _modules(analysis),
        "unloaded_modules": [
            {"path": module.name, "base": module.base, "size": module.size}
            for module in dump.unloaded_modules
        ],
        "python": _python(dump),
        "crashpad": _crashpad(dump),
        "symbol_problems": list(analysis.symbol_problems),
    }
