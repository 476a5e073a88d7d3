"""Tests of the WCT functions of openwer.werapi against real blocked programs: WCT's return
codes, the 16-node limit, ERROR_MORE_DATA, access denied, asynchronous sessions."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "waitchain"))
from blocked_programs import (
    run_without_ptrace_capability,
    scenario,
    wait_for_syscall,
)

from openwer import werapi as w
from openwer.platform.ptrace_access import ptrace_scope

pytestmark = pytest.mark.timeout(60)

NO_THREAD = 2**22 + 12345  # above the kernel's largest possible pid


def test_constants_are_wct_values() -> None:
    """wct.h's numbers."""
    assert w.WCT_MAX_NODE_COUNT == 16
    assert w.WCT_OBJNAME_LENGTH == 128
    assert (w.WCT_ASYNC_OPEN_FLAG, w.WCTP_OPEN_ALL_FLAGS) == (1, 1)
    assert (w.WCT_OUT_OF_PROC_FLAG, w.WCT_OUT_OF_PROC_COM_FLAG, w.WCT_OUT_OF_PROC_CS_FLAG) == (
        1,
        2,
        4,
    )
    assert (w.WCTP_GETINFO_ALL_FLAGS, w.WCT_NETWORK_IO_FLAG) == (7, 8)
    assert (w.WctCriticalSectionType, w.WctProcessWaitType, w.WctThreadType) == (1, 7, 8)
    assert (w.WctSocketIoType, w.WctSmbIoType, w.WctMaxType) == (11, 12, 13)
    assert (w.WctStatusNoAccess, w.WctStatusBlocked, w.WctStatusOwned, w.WctStatusMax) == (
        1,
        3,
        6,
        11,
    )
    assert (w.ERROR_MORE_DATA, w.ERROR_TOO_MANY_THREADS, w.ERROR_IO_PENDING) == (234, 565, 997)
    assert (w.ERROR_CANCELLED, w.ERROR_OBJECT_NOT_FOUND, w.ERROR_ACCESS_DENIED) == (1223, 4312, 5)
    for name in (
        "OpenThreadWaitChainSession", "GetThreadWaitChain", "CloseThreadWaitChainSession",
        "RegisterWaitChainCOMCallback", "WAITCHAIN_NODE_INFO", "GetLastError",
    ):  # fmt: skip
        assert name in w.__all__


@pytest.fixture
def session() -> Any:
    """A synchronous session, closed afterwards."""
    handle = w.OpenThreadWaitChainSession(0, None)
    assert handle is not None
    yield handle
    w.CloseThreadWaitChainSession(handle)


def test_cycle_with_node_structs(session: int) -> None:
    """A cross-process deadlock: 5 nodes, IsCycle, thread and lock arms filled."""
    with scenario("waitpid_cycle") as program:
        parent, child = program.info["parent"], program.info["child"]
        wait_for_syscall(parent, parent, {"wait4"})
        wait_for_syscall(child, child, {"read"})
        error, count, nodes, cycle = w.GetThreadWaitChain(
            session, None, w.WCTP_GETINFO_ALL_FLAGS, parent, w.WCT_MAX_NODE_COUNT
        )
        assert w.GetLastError() == w.ERROR_SUCCESS
        small = w.GetThreadWaitChain(session, None, w.WCTP_GETINFO_ALL_FLAGS, parent, 3)
        assert w.GetLastError() == w.ERROR_MORE_DATA
        in_process = w.GetThreadWaitChain(session, None, 0, parent, 16)
    assert (error, count, cycle) == (w.ERROR_SUCCESS, 5, True)
    assert [node.ObjectType for node in nodes] == [
        w.WctThreadType,
        w.WctProcessWaitType,
        w.WctThreadType,
        w.WctAlpcType,
        w.WctThreadType,
    ]
    assert nodes[0].ObjectStatus == w.WctStatusBlocked
    assert (nodes[0].ThreadObject.ProcessId, nodes[0].ThreadObject.ThreadId) == (parent, parent)
    assert nodes[0].ThreadObject.ContextSwitches > 0
    assert nodes[1].ObjectStatus == w.WctStatusOwned
    assert nodes[1].LockObject.ObjectName == f"process {child}"
    assert nodes[1].ThreadObject.ThreadId == 0
    assert nodes[2].ThreadObject.ProcessId == child
    # Too small an array: ERROR_MORE_DATA, the count needed, the first nodes, no cycle among them.
    assert small[0] == w.ERROR_MORE_DATA
    assert small[1] == 5
    assert len(small[2]) == 3
    assert small[3] is False
    # Without WCT_OUT_OF_PROC_FLAG: stop at the first thread of another process.
    assert in_process[:2] == (w.ERROR_SUCCESS, 3)
    assert in_process[2][2].ThreadObject.ProcessId == child
    assert in_process[3] is False


def test_longer_than_sixteen_is_too_many_threads(session: int) -> None:
    """A 19-node chain: ERROR_TOO_MANY_THREADS with the first 16 nodes."""
    with scenario("pipeline", "10") as program:
        pids = program.info["pids"]
        for pid in pids[:-1]:
            wait_for_syscall(pid, pid, {"read"})
        error, count, nodes, cycle = w.GetThreadWaitChain(
            session, None, w.WCTP_GETINFO_ALL_FLAGS, pids[0], 16
        )
    assert (error, count, len(nodes), cycle) == (w.ERROR_TOO_MANY_THREADS, 16, 16, False)
    assert w.GetLastError() == w.ERROR_TOO_MANY_THREADS


def test_bad_arguments(session: int) -> None:
    """ERROR_INVALID_PARAMETER for bad handles, flags and counts; unknown threads not found."""
    invalid: tuple[int, int, list[w.WAITCHAIN_NODE_INFO], bool] = (
        w.ERROR_INVALID_PARAMETER,
        0,
        [],
        False,
    )
    tid = threading.get_native_id()
    assert w.GetThreadWaitChain(None, None, 0, tid, 16) == invalid
    assert w.GetThreadWaitChain(0x7FFF_FFFF, None, 0, tid, 16) == invalid
    assert w.GetThreadWaitChain(session, None, 0x100, tid, 16) == invalid
    assert w.GetThreadWaitChain(session, None, 0, tid, 0) == invalid
    assert w.GetThreadWaitChain(session, None, 0, tid, None) == invalid
    assert w.GetThreadWaitChain(session, None, 0, 0, 16) == invalid
    assert w.GetLastError() == w.ERROR_INVALID_PARAMETER
    assert w.GetThreadWaitChain(session, None, 0, NO_THREAD, 16)[0] == w.ERROR_OBJECT_NOT_FOUND
    assert w.GetLastError() == w.ERROR_OBJECT_NOT_FOUND
    assert w.OpenThreadWaitChainSession(0x2, None) is None
    assert w.GetLastError() == w.ERROR_INVALID_PARAMETER
    assert w.OpenThreadWaitChainSession(w.WCT_ASYNC_OPEN_FLAG, None) is None
    w.CloseThreadWaitChainSession(0x7FFF_FFFF)  # VOID: ignored
    w.RegisterWaitChainCOMCallback(None, None)  # kept, never called: Linux has no COM


def test_this_thread_is_running(session: int) -> None:
    """The calling thread is on the CPU: one node, WctStatusRunning."""
    tid = threading.get_native_id()
    error, count, nodes, cycle = w.GetThreadWaitChain(session, None, 0, tid, 16)
    assert (error, count, cycle) == (w.ERROR_SUCCESS, 1, False)
    assert nodes[0].ObjectStatus == w.WctStatusRunning


class _Recorder:
    """A WCT callback that records its calls; ``gate`` holds the first one until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.hold_first = hold_first
        self.threads: set[int] = set()
        self.done = threading.Semaphore(0)

    def __call__(self, *args: Any) -> None:
        self.threads.add(threading.get_ident())
        self.entered.set()
        if self.hold_first and not self.calls:
            self.gate.wait(20)
        self.calls.append(args)
        self.done.release()


def test_async_session_delivers_through_the_callback() -> None:
    """ERROR_IO_PENDING now, the chain later in the callback on a worker, Context passed back."""
    recorder = _Recorder()
    handle = w.OpenThreadWaitChainSession(w.WCT_ASYNC_OPEN_FLAG, recorder)
    assert handle is not None
    try:
        with scenario("pidfd_cycle") as program:
            parent, child = program.info["parent"], program.info["child"]
            wait_for_syscall(parent, parent, {"read"})
            wait_for_syscall(child, child, {"poll", "ppoll"})
            answer = w.GetThreadWaitChain(handle, "ctx", w.WCTP_GETINFO_ALL_FLAGS, parent, 16)
            assert answer == (w.ERROR_IO_PENDING, 0, [], False)
            assert w.GetLastError() == w.ERROR_IO_PENDING
            assert recorder.done.acquire(timeout=20)
            w.GetThreadWaitChain(handle, "gone", 0, NO_THREAD, 16)
            assert recorder.done.acquire(timeout=20)
    finally:
        w.CloseThreadWaitChainSession(handle)
    (wct, context, status, count, nodes, cycle), missing = recorder.calls
    assert (wct, context, status, count, cycle) == (handle, "ctx", w.ERROR_SUCCESS, 5, True)
    assert nodes[3].ObjectType == w.WctProcessWaitType
    assert missing[1:3] == ("gone", w.ERROR_OBJECT_NOT_FOUND)
    assert threading.get_ident() not in recorder.threads


def test_close_cancels_pending_requests_after_their_callbacks() -> None:
    """Close: queued requests end with ERROR_CANCELLED, and it returns after every callback."""
    recorder = _Recorder(hold_first=True)
    handle = w.OpenThreadWaitChainSession(w.WCT_ASYNC_OPEN_FLAG, recorder)
    assert handle is not None
    tid = threading.get_native_id()
    for context in ("first", "second", "third"):
        assert w.GetThreadWaitChain(handle, context, 0, tid, 16)[0] == w.ERROR_IO_PENDING
    assert recorder.entered.wait(20)  # the first result is being delivered
    closer = threading.Thread(target=w.CloseThreadWaitChainSession, args=(handle,))
    closer.start()
    deadline = time.monotonic() + 10
    while w.GetThreadWaitChain(handle, None, 0, tid, 16)[0] != w.ERROR_INVALID_PARAMETER:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # let the close mark the session before the first callback returns
    assert closer.is_alive(), "Close returned while a callback was still running"
    recorder.gate.set()
    closer.join(20)
    assert not closer.is_alive()
    assert [(call[1], call[2]) for call in recorder.calls] == [
        ("first", w.ERROR_SUCCESS),
        ("second", w.ERROR_CANCELLED),
        ("third", w.ERROR_CANCELLED),
    ]


def test_closing_from_the_callback_does_not_deadlock() -> None:
    """A callback may close its own session; later requests are cancelled."""
    calls: list[int] = []
    handles: list[int] = []

    def callback(wct: int, context: Any, status: int, *rest: Any) -> None:
        calls.append(status)
        if len(calls) == 1:
            w.CloseThreadWaitChainSession(handles[0])
        if context == "raise":
            raise RuntimeError("a buggy callback")

    handle = w.OpenThreadWaitChainSession(w.WCT_ASYNC_OPEN_FLAG, callback)
    assert handle is not None
    handles.append(handle)
    tid = threading.get_native_id()
    w.GetThreadWaitChain(handle, "raise", 0, tid, 16)
    w.GetThreadWaitChain(handle, None, 0, tid, 16)
    deadline = time.monotonic() + 20
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls[0] == w.ERROR_SUCCESS
    assert calls[1:] in ([w.ERROR_CANCELLED], [])


@pytest.mark.skipif(ptrace_scope() not in (None, 0), reason="Yama restricts /proc to descendants")
def test_access_denied_first_thread_and_no_access_tail(tmp_path: Path) -> None:
    """Without CAP_SYS_PTRACE: the unreadable holder fails; its waiter's chain ends on it."""
    code = (
        "import json, sys\n"
        "from openwer import werapi as w\n"
        "h = w.OpenThreadWaitChainSession(0, None)\n"
        "out = dict()\n"
        "for name, tid in (('holder', {holder}), ('waiter', {waiter})):\n"
        "    e, n, nodes, c = w.GetThreadWaitChain(h, None, w.WCTP_GETINFO_ALL_FLAGS, tid, 16)\n"
        "    out[name] = [e, n, [x.ObjectStatus for x in nodes], w.GetLastError()]\n"
        "print(json.dumps(out))\n"
    )
    with scenario("flock_private_holder", str(tmp_path)) as program:
        holder, waiter = program.info["holder"], program.info["waiter"]
        wait_for_syscall(waiter, waiter, {"flock"})
        done = run_without_ptrace_capability(code.format(holder=holder, waiter=waiter))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["holder"] == [w.ERROR_ACCESS_DENIED, 0, [], w.ERROR_ACCESS_DENIED]
    assert out["waiter"] == [
        w.ERROR_SUCCESS,
        3,
        [w.WctStatusBlocked, w.WctStatusOwned, w.WctStatusNoAccess],
        w.ERROR_SUCCESS,
    ]
