"""From a stopped process to a :class:`CrashSnapshot`: maps, modules, stacks, windows, /proc.

The caller (the ``openwer run`` tracer or the crash handler) has every thread stopped and their
registers read (the crashing thread's as of the fault); :func:`collect_snapshot` adds what
``/proc`` and the process's memory tell, following a :class:`DumpPlan`. With the maps read
first and each range read with one ``process_vm_readv``, a mini dump of a Python process with
8 threads takes a few milliseconds (benchmarks/bench_native.py).

Failure contract: never raises on what the process or ``/proc`` refuses (partial beats nothing):
a stack or file that cannot be read is left out and named in :attr:`Capture.problems`. Not
thread-safe: call it from the tracing thread while the process stays stopped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from openwer.formats.minidump_writer import (
    Arm64Context,
    CrashException,
    CrashSnapshot,
    LinuxFiles,
    MemoryRegion,
    MiscInfo,
    ModuleRecord,
    ThreadRecord,
    X86Context,
)
from openwer.native.dso_debug import parse_auxv, read_dso_debug
from openwer.native.dump_plan import DumpPlan
from openwer.native.elf_identity import IdentityCache
from openwer.native.memory_selection import (
    Range,
    extra_ranges,
    stack_range,
    window_ranges,
)
from openwer.native.modules import module_at, modules_from_maps
from openwer.native.system_facts import cpu_info_text, lsb_release_text, system_facts
from openwer.platform.process_memory import ProcessMemory
from openwer.platform.procfs import (
    MemoryMapping,
    process_times,
    read_maps,
    read_proc_file,
    thread_name,
)

__all__ = ["Capture", "CapturedThread", "collect_snapshot", "mini_snapshot"]


@dataclass(frozen=True, slots=True)
class CapturedThread:
    """A stopped thread and its registers (the fault context for the crashing thread)."""

    tid: int
    context: X86Context | Arm64Context


@dataclass(frozen=True, slots=True)
class Capture:
    """A snapshot and what the report needs beside it."""

    snapshot: CrashSnapshot
    mappings: tuple[MemoryMapping, ...]
    fault_module: ModuleRecord | None
    main_module: ModuleRecord | None
    problems: tuple[str, ...] = field(default=())
    memory_bytes: int = 0
    window_count: int = 0  # snapshot.memory starts with this many fault windows


def _read_ranges(
    memory: ProcessMemory, ranges: Sequence[Range], budget: int, problems: list[str]
) -> tuple[list[MemoryRegion], int]:
    regions: list[MemoryRegion] = []
    used = 0
    for address, size in ranges:
        if used >= budget:
            problems.append(f"memory budget of {budget} bytes reached; later ranges left out")
            break
        data = memory.read(address, min(size, budget - used))
        if data:
            regions.append(MemoryRegion(address, data))
            used += len(data)
    return regions, used


def collect_snapshot(
    pid: int,
    threads: Sequence[CapturedThread],
    exception: CrashException | None,
    plan: DumpPlan,
    *,
    memory: ProcessMemory,
    identities: IdentityCache,
    include_environ: bool = False,
    python_stacks: bytes | None = None,
    extra: Sequence[Range] = (),
) -> Capture:
    """Collect the snapshot of stopped process ``pid`` (see the module docstring)."""
    problems: list[str] = []
    raw_maps, mappings = read_maps(pid)
    if not mappings:
        problems.append("maps: unreadable")
    modules = modules_from_maps(mappings, identities, memory.read)

    budget = plan.max_bytes
    records: list[ThreadRecord] = []
    stacks: list[bytes] = []
    for thread in threads:
        sp = thread.context.stack_pointer
        found = stack_range(mappings, sp, plan)
        stack = None
        if found is not None and budget > 0:
            data = memory.read(found[0], min(found[1], budget))
            if data:
                stack = MemoryRegion(found[0], data)
                budget -= len(data)
                stacks.append(data)
        if stack is None:
            problems.append(f"thread {thread.tid}: stack at {sp:#x} unreadable")
        records.append(
            ThreadRecord(thread.tid, thread.context, stack, thread_name(pid, thread.tid))
        )

    windows: list[Range] = []
    crashed = next((t for t in threads if exception and t.tid == exception.thread_id), None)
    if crashed is not None and exception is not None:
        points = [crashed.context.instruction_pointer]
        if exception.address:
            points.append(exception.address)
        windows = window_ranges(mappings, points, plan)
    window_regions, used = _read_ranges(memory, windows, budget, problems)
    wanted = [*extra, *extra_ranges(mappings, stacks, plan)]
    extra_regions, more = _read_ranges(memory, wanted, budget - used, problems)
    regions = window_regions + extra_regions
    used += more

    auxv = read_proc_file(pid, "auxv")
    dso_debug = read_dso_debug(memory.read, parse_auxv(auxv)) if auxv else None
    times = process_times(pid)
    snapshot = CrashSnapshot(
        timestamp=int(time.time()),
        system=system_facts(),
        misc=MiscInfo(pid, times.start_time, times.user_seconds, times.kernel_seconds),
        threads=tuple(records),
        modules=modules,
        memory=tuple(regions),
        exception=exception,
        linux=LinuxFiles(
            cpu_info=cpu_info_text() or None,
            proc_status=read_proc_file(pid, "status"),
            lsb_release=lsb_release_text(),
            cmdline=read_proc_file(pid, "cmdline"),
            environ=read_proc_file(pid, "environ") if include_environ else None,
            auxv=auxv,
            maps=raw_maps or None,
        ),
        dso_debug=dso_debug,
        python_stacks=python_stacks,
    )
    fault_module = None
    if crashed is not None:
        fault_module = module_at(modules, crashed.context.instruction_pointer)
    main_module = _main_module(pid, modules)
    stack_bytes = sum(len(s) for s in stacks)
    return Capture(
        snapshot,
        mappings,
        fault_module,
        main_module,
        tuple(problems),
        stack_bytes + used,
        len(window_regions),
    )


def mini_snapshot(capture: Capture, plan: DumpPlan | None = None) -> CrashSnapshot:
    """The snapshot cut down to a mini dump: stacks up to 64 KiB and the fault windows only."""
    limit = (plan or DumpPlan.mini()).stack_bytes
    snapshot = capture.snapshot
    threads = tuple(
        replace(
            thread,
            stack=replace(thread.stack, data=_stack_head(thread, limit)) if thread.stack else None,
        )
        for thread in snapshot.threads
    )
    return replace(snapshot, threads=threads, memory=snapshot.memory[: capture.window_count])


def _stack_head(thread: ThreadRecord, limit: int) -> bytes:
    assert thread.stack is not None
    keep = thread.context.stack_pointer - thread.stack.address + limit
    return thread.stack.data[: max(keep, 0)]


def _main_module(pid: int, modules: Sequence[ModuleRecord]) -> ModuleRecord | None:
    try:
        executable = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return None
    return next((module for module in modules if module.path == executable), None)
