"""A minidump of a running process that did not crash (a hang, a benchmark, ``openwer`` tools).

:func:`snapshot_process` seizes and stops every thread (:mod:`~openwer.native.process_stop`),
reads their registers, collects the snapshot without an exception stream, and lets every thread
go on exactly as it was (a stop that carried a signal delivers it on detach). The process is
held for the few milliseconds the collection takes and is never left traced.

Failure contract: :class:`~openwer.errors.TraceError` when the process cannot be traced (then it
was not touched). Single thread: the caller's.
"""

from __future__ import annotations

import contextlib

from openwer.errors import TraceError
from openwer.native.collector import Capture, CapturedThread, collect_snapshot
from openwer.native.dump_plan import DumpPlan
from openwer.native.elf_identity import IdentityCache
from openwer.native.process_stop import release_stragglers, seize_all_threads, stop_threads
from openwer.native.registers import read_context
from openwer.platform import ptrace
from openwer.platform.process_memory import ProcessMemory
from openwer.platform.trace_stop import StopKind

__all__ = ["snapshot_process"]


def snapshot_process(
    pid: int,
    plan: DumpPlan | None = None,
    *,
    identities: IdentityCache | None = None,
    include_environ: bool = False,
) -> Capture:
    """Snapshot running process ``pid`` (see the module docstring)."""
    held = stop_threads(seize_all_threads(pid))
    try:
        threads: list[CapturedThread] = []
        for tid in sorted(held, key=lambda tid: tid != pid):
            with contextlib.suppress(TraceError):
                threads.append(CapturedThread(tid, read_context(tid)))
        with ProcessMemory(pid) as memory:
            return collect_snapshot(
                pid,
                threads,
                None,
                plan or DumpPlan.mini(),
                memory=memory,
                identities=identities or IdentityCache(),
                include_environ=include_environ,
            )
    finally:
        for tid, stop in held.items():
            deliver = stop.signal if stop.kind is StopKind.SIGNAL else 0
            with contextlib.suppress(TraceError):
                ptrace.detach(tid, deliver)
        release_stragglers(pid, held)
