"""A Python thread waits on a lock whose owner reads a pipe that a child never writes, while the
child waits for its parent: what /proc alone shows, and how a chain started by Python lock
tracking continues through :func:`walk_wait_chain`'s ``prefix`` into a cross-process cycle."""

from __future__ import annotations

import pytest
from blocked_programs import scenario, wait_for_syscall

from openwer.formats.wait_chain import WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain import describe_thread_wait, walk_wait_chain

pytestmark = pytest.mark.timeout(60)


def test_python_lock_owner_chain_and_continuation() -> None:
    """/proc cannot name a CPython lock's owner; given it, the chain closes across processes."""
    with scenario("python_lock_pipe") as program:
        pid, waiter, owner, child = (program.info[k] for k in ("pid", "waiter", "owner", "child"))
        wait_for_syscall(pid, owner, {"read"})
        wait_for_syscall(child, child, {"poll", "ppoll"})
        # The owner blocked in read released the GIL: a futex wait now is the lock's.
        wait_for_syscall(pid, waiter, {"futex"})
        alone = walk_wait_chain(pid, waiter)
        step = describe_thread_wait(pid, waiter)
        from_owner = walk_wait_chain(pid, owner)
        # What Python lock tracking knows: the waiter, and the lock it waits for, owned by `owner`.
        prefix = [
            step.thread,
            WaitChainNode(
                WctObjectType.CRITICAL_SECTION,
                WctObjectStatus.OWNED,
                name="threading.Lock at 0x1",
                process_id=pid,
            ),
        ]
        combined = walk_wait_chain(pid, owner, prefix=prefix)

    # CPython 3.11's lock is a semaphore: a futex with no owner recorded anywhere.
    assert [(n.object_type, n.status) for n in alone.nodes] == [
        (WctObjectType.THREAD, WctObjectStatus.BLOCKED),
        (WctObjectType.UNKNOWN, WctObjectStatus.UNKNOWN),
    ]
    assert not alone.is_cycle
    assert step.owners == ()

    # From the owner: pipe → child → pidfd wait on the parent → back to the owner thread.
    assert [n.thread_id for n in from_owner.nodes if n.is_thread] == [owner, child, owner]
    assert from_owner.is_cycle

    # Continued from the Python chain: the parent's thread already in the chain is the waiter.
    assert [(n.object_type, n.process_id, n.thread_id) for n in combined.nodes] == [
        (WctObjectType.THREAD, pid, waiter),
        (WctObjectType.CRITICAL_SECTION, pid, 0),
        (WctObjectType.THREAD, pid, owner),
        (WctObjectType.ALPC, pid, 0),
        (WctObjectType.THREAD, child, child),
        (WctObjectType.PROCESS_WAIT, child, 0),
        (WctObjectType.THREAD, pid, waiter),
    ]
    assert combined.is_cycle
    assert combined.cross_process
    assert combined.nodes[5].details["followed"].endswith("(already in the chain)")
