"""Python wait chains from live threads, asyncio task chains, and the chain extension hook."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from openwer.capture.hang import waits
from openwer.capture.hang.asyncio_chains import task_chains
from openwer.capture.hang.blocking_call import BlockingCall, blocking_call
from openwer.capture.hang.chain_extension import extend_chain, set_chain_extender
from openwer.capture.hang.python_chains import ChainInputs, TargetKind, python_wait_chain
from openwer.capture.hang.tracked_locks import TrackedLock
from openwer.capture.source_layout import current_layout
from openwer.formats.wait_chain import WaitChain, WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType

pytestmark = pytest.mark.timeout(30)


def _inputs(**overrides: Any) -> ChainInputs:
    threads = {t.ident: t for t in threading.enumerate() if t.ident is not None}
    values: dict[str, Any] = {
        "waits": waits.snapshot(),
        "threads": threads,
        "frames": sys._current_frames(),
        "now": time.monotonic() + 10.0,  # every wait looks 10 s old
        "layout": current_layout(),
    }
    values.update(overrides)
    return ChainInputs(**values)


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


@pytest.fixture
def abba() -> Iterator[tuple[threading.Thread, threading.Thread]]:
    """Two threads deadlocked on two tracked locks (for 1 s, then they give up)."""
    first, second = TrackedLock(), TrackedLock()
    both = threading.Barrier(2)

    def take(mine: TrackedLock, theirs: TrackedLock) -> None:
        with mine:
            both.wait()
            if theirs.acquire(timeout=1):
                theirs.release()

    one = threading.Thread(target=take, args=(first, second), name="one")
    two = threading.Thread(target=take, args=(second, first), name="two")
    one.start()
    two.start()
    _wait_until(lambda: {one.ident, two.ident} <= set(waits.snapshot()))
    yield one, two
    one.join()
    two.join()


def test_abba_chain_is_a_cycle(abba: tuple[threading.Thread, threading.Thread]) -> None:
    """thread → lock → thread → lock → the first thread again, and it counts as a hang."""
    one, two = abba
    found = python_wait_chain(one.ident or 0, _inputs())
    chain = found.chain
    assert chain.is_cycle
    assert [n.object_type for n in chain.nodes] == [
        WctObjectType.THREAD,
        WctObjectType.CRITICAL_SECTION,
        WctObjectType.THREAD,
        WctObjectType.CRITICAL_SECTION,
        WctObjectType.THREAD,
    ]
    assert chain.nodes[0].thread_id == one.native_id
    assert chain.nodes[2].thread_id == two.native_id
    assert found.cycle_threads() == {one.ident, two.ident}
    assert [hop.kind for hop in found.hops] == [TargetKind.LOCK, TargetKind.LOCK]
    assert found.is_hang(5.0)
    assert not python_wait_chain(one.ident or 0, _inputs(now=time.monotonic())).is_hang(5.0)


def test_abandoned_lock_and_kernel_waits() -> None:
    """A lock whose owner ended is ABANDONED; an untracked blocked thread ends its chain with
    what it waits on in the kernel (a pipe, a socket, a child process)."""
    lock = TrackedLock()
    owner = threading.Thread(target=lock.acquire)
    owner.start()
    owner.join()
    waiter = threading.Thread(target=lambda: lock.acquire(timeout=0.5))
    waiter.start()
    _wait_until(lambda: waiter.ident in waits.snapshot())
    chain = python_wait_chain(waiter.ident or 0, _inputs()).chain
    assert chain.nodes[1].status is WctObjectStatus.ABANDONED
    waiter.join()
    me = threading.get_ident()
    for call, expected in (
        (BlockingCall("read", "pipe:[9]"), WctObjectType.UNKNOWN),
        (BlockingCall("recvfrom", "socket:[7]"), WctObjectType.SOCKET_IO),
        (BlockingCall("wait4", "process 42"), WctObjectType.PROCESS_WAIT),
    ):
        inputs = _inputs(waits={}, kernel=lambda _native, call=call: call)
        nodes = python_wait_chain(me, inputs).chain.nodes
        assert nodes[0].status is WctObjectStatus.BLOCKED
        assert (nodes[1].object_type, nodes[1].name, nodes[1].location) == (
            expected,
            call.target,
            call.syscall,
        )
    running = _inputs(waits={}, kernel=lambda _native: BlockingCall("running"))
    (node,) = python_wait_chain(me, running).chain.nodes
    assert node.status is WctObjectStatus.RUNNING


def test_blocking_call_reads_a_real_pipe_read() -> None:
    """/proc names the pipe a thread is blocked reading."""
    import os

    read_end, write_end = os.pipe()
    reader = threading.Thread(target=os.read, args=(read_end, 1))
    reader.start()
    try:
        _wait_until(lambda: (blocking_call(reader.native_id) or BlockingCall("")).syscall == "read")
        call = blocking_call(reader.native_id)
        assert call is not None
        assert call.target.startswith("pipe:[")
    finally:
        os.write(write_end, b"x")
        reader.join()
        os.close(read_end)
        os.close(write_end)
    assert blocking_call(None) is None


def test_task_chains_follow_awaited_tasks() -> None:
    """Task → awaited task → future, the running task first; a lone waiting task is left out.
    (Cycles of tasks: test_hang_detection, in a child, since a cycle cannot be cancelled.)"""

    async def scenario() -> list[list[str]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        async def inner() -> None:
            await future

        async def outer(task: asyncio.Task[None]) -> None:
            await task

        inner_task = asyncio.create_task(inner(), name="inner")
        outer_task = asyncio.create_task(outer(inner_task), name="outer")
        await asyncio.sleep(0.05)
        found = task_chains(loop, threading.get_native_id(), current_layout())
        future.set_result(None)
        await asyncio.gather(outer_task, inner_task)
        assert found.cycles == ()
        return [[node.name.split(" at ")[0] for node in chain.nodes] for chain in found.chains]

    names = asyncio.run(scenario())
    assert names[0] == ["asyncio.Task 'Task-1'"]  # the running task
    assert ["asyncio.Task 'outer'", "asyncio.Task 'inner'", "Future"] in names
    assert all(chain[0] != "asyncio.Task 'inner'" for chain in names)


def _node(pid: int, tid: int) -> WaitChainNode:
    return WaitChainNode(
        WctObjectType.THREAD, WctObjectStatus.BLOCKED, process_id=pid, thread_id=tid
    )


def test_chain_extender_results_are_checked() -> None:
    """A valid extension is used (cycle recomputed); a failing or shrinking one is ignored."""
    base = WaitChain.of([_node(1, 1)])
    try:
        set_chain_extender(lambda chain: WaitChain((*chain.nodes, _node(2, 2), _node(1, 1))))
        extended = extend_chain(base)
        assert extended.is_cycle
        assert extended.cross_process
        set_chain_extender(lambda chain: WaitChain(()))
        assert extend_chain(base) is base

        def broken(chain: WaitChain) -> WaitChain:
            raise RuntimeError("walker bug")

        set_chain_extender(broken)
        assert extend_chain(base) is base
    finally:
        set_chain_extender(None)
