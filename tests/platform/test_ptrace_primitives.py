"""The ptrace layer on a real child: seize, interrupt, registers, siginfo, memory, detach.

Plus the pure parts beside it: wait-status decoding, ``/proc/<pid>/maps`` parsing, and the
memory reader's two paths (``process_vm_readv`` and the ``/proc/<pid>/mem`` fallback).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from openwer.errors import TraceError
from openwer.platform import ptrace
from openwer.platform.process_memory import ProcessMemory, read_memory
from openwer.platform.procfs import (
    parse_maps,
    process_times,
    read_maps,
    task_ids,
    thread_name,
    tracer_pid,
)
from openwer.platform.ptrace_access import has_cap_sys_ptrace, ptrace_scope, set_ptracer
from openwer.platform.trace_stop import StopKind, decode_trace_status

pytestmark = pytest.mark.timeout(60)


def _skip_without_ptrace() -> None:
    scope = ptrace_scope()
    if scope == 3 or (scope == 2 and not has_cap_sys_ptrace()):
        pytest.skip(f"ptrace is not permitted here (Yama ptrace_scope {scope})")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A child that sleeps, to be traced."""
    _skip_without_ptrace()
    child = subprocess.Popen(["sleep", "30"])
    try:
        yield child
    finally:
        child.kill()
        child.wait(timeout=10)


def _wait_stop(tid: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found, status = os.waitpid(tid, os.WNOHANG | ptrace.WALL)
        if found:
            return status
        time.sleep(0.001)
    raise AssertionError("the tracee did not stop")


def test_seize_interrupt_read_and_detach(sleeper: subprocess.Popen[bytes]) -> None:
    """An interrupted tracee reports PTRACE_EVENT_STOP; its registers and FXSAVE are readable."""
    try:
        ptrace.seize(sleeper.pid, ptrace.OPTIONS_FOLLOW_ALL)
    except TraceError as exc:
        pytest.skip(f"ptrace is not permitted here: {exc}")
    assert tracer_pid(sleeper.pid) == os.getpid()
    ptrace.interrupt(sleeper.pid)
    stop = decode_trace_status(sleeper.pid, _wait_stop(sleeper.pid))
    assert stop.kind is StopKind.INTERRUPT
    if ptrace.machine() == "x86_64":
        regs = ptrace.get_regs(sleeper.pid)
        assert regs.cs == 0x33
        assert regs.rsp != 0
        assert ptrace.X86UserRegs.from_bytes(regs.to_bytes()) == regs
        assert len(ptrace.get_fpregs(sleeper.pid)) == 512
    general = ptrace.get_regset(sleeper.pid, ptrace.NT_PRSTATUS, 1024)
    assert len(general) in (27 * 8, 34 * 8)  # user_regs_struct / user_pt_regs
    ptrace.detach(sleeper.pid, 0)
    assert tracer_pid(sleeper.pid) == 0
    assert sleeper.poll() is None  # still sleeping, untouched


def test_signal_delivery_stop_and_siginfo(sleeper: subprocess.Popen[bytes]) -> None:
    """A signal sent to a tracee stops it first; siginfo names the sender; CONT delivers it."""
    try:
        ptrace.seize(sleeper.pid)
    except TraceError as exc:
        pytest.skip(f"ptrace is not permitted here: {exc}")
    os.kill(sleeper.pid, signal.SIGUSR1)
    stop = decode_trace_status(sleeper.pid, _wait_stop(sleeper.pid))
    assert stop.kind is StopKind.SIGNAL
    assert stop.signal == signal.SIGUSR1
    info = ptrace.get_siginfo(sleeper.pid)
    assert (info.signo, info.sender_pid) == (signal.SIGUSR1, os.getpid())
    assert info.sent_by_process
    ptrace.cont(sleeper.pid, signal.SIGUSR1)  # the default action: it dies of it
    ended = decode_trace_status(sleeper.pid, _wait_stop(sleeper.pid))
    assert ended.kind is StopKind.KILLED
    assert ended.signal == signal.SIGUSR1


def test_errors_carry_errno() -> None:
    """A request on a thread that is not traced is a TraceError with ESRCH."""
    with pytest.raises(TraceError) as caught:
        ptrace.interrupt(os.getpid())
    assert caught.value.errno == 3


def test_wait_status_decoding() -> None:
    """Exits, deaths, signal-delivery stops, group-stops, interrupts and events."""
    trap = signal.SIGTRAP
    assert decode_trace_status(5, 3 << 8).exit_code == 3
    killed = decode_trace_status(5, signal.SIGSEGV | 0x80)
    assert (killed.kind, killed.signal, killed.core_dumped) == (StopKind.KILLED, 11, True)
    assert decode_trace_status(5, signal.SIGSEGV << 8 | 0x7F).kind is StopKind.SIGNAL
    group = decode_trace_status(5, (signal.SIGSTOP << 8 | 0x7F) | ptrace.PTRACE_EVENT_STOP << 16)
    assert (group.kind, group.signal) == (StopKind.GROUP_STOP, signal.SIGSTOP)
    interrupt = decode_trace_status(5, (trap << 8 | 0x7F) | ptrace.PTRACE_EVENT_STOP << 16)
    assert interrupt.kind is StopKind.INTERRUPT
    clone = decode_trace_status(5, (trap << 8 | 0x7F) | ptrace.PTRACE_EVENT_CLONE << 16)
    assert (clone.kind, clone.event) == (StopKind.EVENT, ptrace.PTRACE_EVENT_CLONE)


def test_memory_reads_both_ways() -> None:
    """process_vm_readv and /proc/<pid>/mem read the same bytes; unmapped memory reads empty."""
    buffer = ctypes.create_string_buffer(b"openwer memory probe" * 300)
    address = ctypes.addressof(buffer)
    expected = buffer.raw[:6000]
    assert read_memory(os.getpid(), address, 6000) == expected
    with ProcessMemory(os.getpid()) as memory:
        memory._vm_readv = False  # force the fallback
        assert memory.read(address, 6000) == expected
        assert memory.read(8, 16) == b""
    assert read_memory(os.getpid(), 8, 16) == b""
    assert read_memory(os.getpid(), address, 0) == b""


def test_maps_and_tasks_of_this_process() -> None:
    """Our own maps hold the interpreter; our own thread is listed, named and untraced."""
    raw, mappings = read_maps(os.getpid())
    assert raw
    assert any(m.executable and m.is_file for m in mappings)
    assert os.getpid() in task_ids(os.getpid())
    assert thread_name(os.getpid(), os.getpid())
    assert tracer_pid(os.getpid()) == tracer_pid()
    times = process_times(os.getpid())
    assert abs(times.start_time - time.time()) < 24 * 3600


def test_parse_maps_lines() -> None:
    """Every field of a maps line, pseudo paths, deleted files and junk lines."""
    text = (
        b"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/prog\n"
        b"7ffd1000-7ffd3000 rw-p 00000000 00:00 0 [stack]\n"
        b"7f0000000000-7f0000001000 rw-s 00001000 00:05 42 /dev/shm/x (deleted)\n"
        b"garbage\n"
    )
    code, stack, shared = parse_maps(text)
    assert (code.start, code.end, code.executable, code.private) == (0x400000, 0x452000, True, True)
    assert code.is_file
    assert code.contains(0x400100)
    assert not code.contains(0x452000)
    assert (stack.path, stack.is_file, stack.writable) == ("[stack]", False, True)
    assert (shared.private, shared.offset, shared.file_path) == (False, 0x1000, "/dev/shm/x")


def test_yama_helpers_do_not_raise() -> None:
    """Without Yama, PR_SET_PTRACER fails harmlessly; with it, it succeeds."""
    result = set_ptracer(os.getpid())
    assert result is (ptrace_scope() is not None)
