"""Attach to a process at the moment it crashes, capture it, let it die as it would have.

The crash handler (:mod:`openwer.native.handler_process`) calls :func:`attach_crashed` when the
protected process's faulthandler starts writing: its crashing thread is then blocked inside
faulthandler's signal handler, on a crash channel the handler has not read yet. In order:

1. seize every thread of the process (``PTRACE_SEIZE`` with ``TRACECLONE``, repeated until no
   new thread appears) and stop them all (``PTRACE_INTERRUPT``);
2. find the crashing thread: the one stopped in ``write``/``writev``/``sendto``/``sendmsg`` on the
   crash channel's descriptor (or already in the re-raised fatal signal's delivery stop);
3. recover the fault context from its signal frame (:mod:`openwer.native.signal_frame`);
4. let only the crashing thread go on, reading what faulthandler writes (every thread's Python
   traceback) until it re-raises the signal, which stops it again before delivery: that stop
   names the signal (faulthandler's handler gets no ``siginfo``, so the frame has none);
5. collect the snapshot with the fault context (:func:`~openwer.native.collector.collect_snapshot`):
   the other threads never moved, and faulthandler ran on its own alternate stack, so the
   crashed stack is as it was at the fault.

:meth:`AttachedCrash.release` then detaches every thread, re-delivering the held signal to the
crashing one: the process dies of it exactly as without openwer, and its parent sees the real
status. The caller files the report between the two, so the report is on disk before the
process is gone.

Failure contract: :func:`attach_crashed` raises :class:`~openwer.errors.TraceError` when the
process cannot be traced (then nothing was changed); after that, failures degrade the capture
(noted in ``problems``) but never leave the process stopped once :meth:`release` ran. Single
thread: call both from the handler's one thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from openwer.errors import TraceError
from openwer.formats.minidump_writer import CrashException
from openwer.native.collector import Capture, CapturedThread, collect_snapshot
from openwer.native.dump_plan import DumpPlan
from openwer.native.elf_identity import IdentityCache
from openwer.native.process_stop import release_stragglers, seize_all_threads, stop_threads
from openwer.native.registers import context_from_user_regs, read_context
from openwer.native.signal_frame import SignalFrame, fault_details, find_signal_frame
from openwer.native.tracer import FATAL_SIGNALS
from openwer.platform import ptrace
from openwer.platform.process_memory import ProcessMemory
from openwer.platform.procfs import read_maps, read_proc_file
from openwer.platform.trace_stop import StopKind, TraceStop, decode_trace_status

__all__ = ["AttachedCrash", "attach_crashed"]

log = logging.getLogger("openwer")

_WRITE_SYSCALLS = frozenset({1, 20, 44, 46})  # x86-64 write, writev, sendto, sendmsg
_ARM64_WRITE_SYSCALLS = frozenset({64, 66, 206, 211})  # aarch64 write, writev, sendto, sendmsg
_STOP_TIMEOUT_S = 1.0
_FAULTHANDLER_TIMEOUT_S = 3.0
_FRAME_SCAN = 64 * 1024


@dataclass
class AttachedCrash:
    """A crashed process held by the handler, with what was captured from it."""

    pid: int
    crashed_tid: int | None
    capture: Capture | None
    held: dict[int, TraceStop]
    thread_pointers: dict[int, int] = field(default_factory=dict)  # tid → fs_base
    faulthandler_text: bytes = b""
    problems: list[str] = field(default_factory=list)
    released: bool = False

    @property
    def signal(self) -> int:
        """The fatal signal: the exception's, else the held re-raise's, else 0."""
        if self.capture is not None and self.capture.snapshot.exception is not None:
            return self.capture.snapshot.exception.signal
        stop = self.held.get(self.crashed_tid or -1)
        return stop.signal if stop is not None and stop.kind is StopKind.SIGNAL else 0

    def release(self) -> None:
        """Detach every thread; the crashing one gets its held signal back. Idempotent."""
        if self.released:
            return
        self.released = True
        crashing = self.crashed_tid
        for tid, stop in self.held.items():
            if tid != crashing:
                _detach(tid, stop)
        # Threads born while we held the process are traced too; none may stay traced when
        # the signal below ends the process.
        release_stragglers(self.pid, self.held)
        if crashing is not None and crashing in self.held:
            _detach(crashing, self.held[crashing])


def _detach(tid: int, stop: TraceStop) -> None:
    deliver = stop.signal if stop.kind is StopKind.SIGNAL else 0
    with contextlib.suppress(TraceError):
        ptrace.detach(tid, deliver)


def _crashing_thread(
    held: dict[int, TraceStop], regs: dict[int, ptrace.X86UserRegs], target_fd: int
) -> int | None:
    for tid, value in regs.items():
        if value.orig_rax in _WRITE_SYSCALLS and value.rdi == target_fd:
            return tid
    if not regs:  # aarch64: the kernel's view of each thread's blocked system call
        for tid in held:
            if _blocked_writing(tid, target_fd, _ARM64_WRITE_SYSCALLS):
                return tid
    for tid, stop in held.items():
        if stop.kind is StopKind.SIGNAL and stop.signal in FATAL_SIGNALS:
            return tid
    return None


def _blocked_writing(tid: int, target_fd: int, numbers: frozenset[int]) -> bool:
    """``/proc/<tid>/syscall`` says "NR arg0 …" (hex) while the thread sits in a call."""
    raw = read_proc_file(tid, "syscall", 256) or b""
    fields = raw.split()
    try:
        return int(fields[0]) in numbers and int(fields[1], 16) == target_fd
    except (IndexError, ValueError):
        return False


def attach_crashed(
    pid: int,
    target_fd: int,
    *,
    plan: DumpPlan,
    identities: IdentityCache,
    include_environ: bool,
    drain: Callable[[], bytes],
    extra: Sequence[tuple[int, int]] = (),
) -> AttachedCrash:
    """Seize and capture crashing process ``pid`` (see the module docstring).

    ``drain()`` returns what the crash channel holds now (non-blocking) for this process;
    ``extra`` are further ``(address, size)`` ranges to copy (registered memory blocks).

    Raises:
        TraceError: the process cannot be traced (not permitted, or gone).
    """
    tids = seize_all_threads(pid)
    held = stop_threads(tids)
    crash = AttachedCrash(pid, None, None, held)
    try:
        threads, frame = _registers(crash, target_fd)
    except Exception as exc:  # partial beats nothing: the report goes without a dump
        log.exception("openwer: reading the registers of pid %d failed", pid)
        crash.problems.append(f"registers: {type(exc).__name__}: {exc}")
        threads, frame = [], None
    _finish_faulthandler(crash, drain)
    try:
        _collect(crash, threads, frame, plan, identities, include_environ, extra)
    except Exception as exc:
        log.exception("openwer: capturing pid %d failed", pid)
        crash.problems.append(f"capture failed: {type(exc).__name__}: {exc}")
    return crash


def _registers(
    crash: AttachedCrash, target_fd: int
) -> tuple[list[CapturedThread], SignalFrame | None]:
    x86 = ptrace.machine() != "aarch64"
    regs: dict[int, ptrace.X86UserRegs] = {}
    threads: list[CapturedThread] = []
    for tid in crash.held:
        try:
            if x86:
                regs[tid] = ptrace.get_regs(tid)
                crash.thread_pointers[tid] = regs[tid].fs_base
                fxsave = b""
                with contextlib.suppress(TraceError):
                    fxsave = ptrace.get_fpregs(tid)
                threads.append(CapturedThread(tid, context_from_user_regs(regs[tid], fxsave)))
            else:
                threads.append(CapturedThread(tid, read_context(tid)))
        except TraceError:
            crash.problems.append(f"thread {tid}: registers unreadable")
    crash.crashed_tid = _crashing_thread(crash.held, regs, target_fd)
    if crash.crashed_tid is None:
        crash.problems.append("the crashing thread was not found")
        return threads, None
    frame = _fault_frame(crash, regs.get(crash.crashed_tid))
    if frame is None:
        crash.problems.append("no signal frame found: the context is the handler's")
        return threads, None
    fault = frame.context
    threads = [
        replace(thread, context=fault) if thread.tid == crash.crashed_tid else thread
        for thread in threads
    ]
    return threads, frame


def _collect(
    crash: AttachedCrash,
    threads: list[CapturedThread],
    frame: SignalFrame | None,
    plan: DumpPlan,
    identities: IdentityCache,
    include_environ: bool,
    extra: Sequence[tuple[int, int]],
) -> None:
    exception = None
    if crash.crashed_tid is not None:
        number = crash.signal or _signal_from_text(crash.faulthandler_text)
        code, address = fault_details(frame, number) if frame is not None else (0, 0)
        exception = CrashException(crash.crashed_tid, number, code, address)
    with ProcessMemory(crash.pid) as memory:
        crash.capture = collect_snapshot(
            crash.pid,
            _crashed_first(threads, crash.crashed_tid),
            exception,
            plan,
            memory=memory,
            identities=identities,
            include_environ=include_environ,
            extra=extra,
        )


_FATAL_ERRORS = {
    b"Segmentation fault": signal.SIGSEGV,
    b"Aborted": signal.SIGABRT,
    b"Bus error": signal.SIGBUS,
    b"Illegal instruction": signal.SIGILL,
    b"Floating point exception": signal.SIGFPE,
}


def _signal_from_text(text: bytes) -> int:
    """The signal faulthandler's first line names (``Fatal Python error: Aborted``)."""
    head = text[:200]
    for words, number in _FATAL_ERRORS.items():
        if words in head:
            return number
    return signal.SIGSEGV


def _crashed_first(threads: list[CapturedThread], tid: int | None) -> list[CapturedThread]:
    return sorted(threads, key=lambda thread: thread.tid != tid)


def _fault_frame(crash: AttachedCrash, regs: ptrace.X86UserRegs | None) -> SignalFrame | None:
    if regs is None:
        return None
    _, mappings = read_maps(crash.pid)
    mapping = next((m for m in mappings if m.contains(regs.rsp)), None)
    end = min(mapping.end, regs.rsp + _FRAME_SCAN) if mapping else regs.rsp + 4096
    with ProcessMemory(crash.pid) as memory:
        stack = memory.read(regs.rsp, end - regs.rsp)
        return find_signal_frame(stack, regs.rsp, memory.read)


def _finish_faulthandler(crash: AttachedCrash, drain: Callable[[], bytes]) -> None:
    """Let the crashing thread finish faulthandler's output; hold it at the re-raise."""
    tid = crash.crashed_tid
    chunks = [drain()]
    stop = crash.held.get(tid) if tid is not None else None
    if tid is None or stop is None or stop.kind is StopKind.SIGNAL:
        crash.faulthandler_text = b"".join(chunks)
        return  # nothing to finish (or it already re-raised)
    deadline = time.monotonic() + _FAULTHANDLER_TIMEOUT_S
    deliver = 0
    while True:
        try:
            ptrace.cont(tid, deliver)
        except TraceError:
            crash.held.pop(tid, None)
            break
        deliver = 0
        next_stop = _wait_stop(tid, deadline, drain, chunks)
        if next_stop is None:  # still running at the deadline: stop it again, give up
            crash.problems.append("faulthandler did not finish in time")
            with contextlib.suppress(TraceError):
                ptrace.interrupt(tid)
            next_stop = _wait_stop(tid, time.monotonic() + 0.5, drain, chunks)
            if next_stop is None or next_stop.ended:
                crash.held.pop(tid, None)
            else:
                crash.held[tid] = next_stop
            break
        if next_stop.ended:
            crash.held.pop(tid, None)
            break
        crash.held[tid] = next_stop
        if next_stop.kind is StopKind.SIGNAL and next_stop.signal in FATAL_SIGNALS:
            break  # the re-raise: held until release()
        if next_stop.kind is StopKind.SIGNAL:
            deliver = next_stop.signal  # an unrelated signal: deliver it and go on
    chunks.append(drain())
    crash.faulthandler_text = b"".join(chunks)


def _wait_stop(
    tid: int, deadline: float, drain: Callable[[], bytes], chunks: list[bytes]
) -> TraceStop | None:
    """The next stop of ``tid`` (an ended one if it is gone), or None at the deadline."""
    while time.monotonic() < deadline:
        chunks.append(drain())
        try:
            found, status = os.waitpid(tid, os.WNOHANG | ptrace.WALL)
        except ChildProcessError:
            return TraceStop(tid, StopKind.EXITED)
        if found:
            return decode_trace_status(tid, status)
        time.sleep(0.0002)
    return None
