"""Tests of the text form of a chain, of walk options and of the walker's edge cases."""

from __future__ import annotations

import os
import threading

import pytest

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.wait_chain import WaitChain, WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain import (
    WalkOptions,
    blocked_thread_chains,
    describe_thread_wait,
    format_wait_chain,
    process_of_thread,
    walk_wait_chain,
)

T1 = WaitChainNode(
    WctObjectType.THREAD,
    WctObjectStatus.BLOCKED,
    process_id=10,
    thread_id=11,
    location="futex",
    details={"comm": "app", "state": "S (sleeping)", "syscall": "futex(0x10, 0x80, 0x2)"},
)
LOCK = WaitChainNode(
    WctObjectType.CRITICAL_SECTION,
    WctObjectStatus.OWNED,
    name="futex 0x10",
    process_id=10,
    details={"note": "owned by thread 12", "followed": "thread 12 of process 10 (x)"},
)
T2 = WaitChainNode(WctObjectType.THREAD, WctObjectStatus.BLOCKED, process_id=20, thread_id=12)


def test_text_of_a_deadlock() -> None:
    """Header with the cycle flag, one indented line per node with WCT names, cycle marked."""
    lines = format_wait_chain(WaitChain.of([T1, LOCK, T2, LOCK, T1], truncated=True))
    assert lines == [
        "thread 11 of process 10: DEADLOCK (the wait chain has a cycle), crosses processes, "
        "cut at 5 nodes",
        "  WctThreadType WctStatusBlocked: thread 11 of process 10 (app), S (sleeping), "
        "in futex(0x10, 0x80, 0x2)",
        "    WctCriticalSectionType WctStatusOwned: futex 0x10: owned by thread 12; "
        "following thread 12 of process 10 (x)",
        "      WctThreadType WctStatusBlocked: thread 12 of process 20",
        "        WctCriticalSectionType WctStatusOwned: futex 0x10: owned by thread 12; "
        "following thread 12 of process 10 (x)  <-- cycle: seen above",
        "          WctThreadType WctStatusBlocked: thread 11 of process 10 (app), "
        "S (sleeping), in futex(0x10, 0x80, 0x2)",
    ]


def test_text_of_a_running_thread_and_an_empty_chain() -> None:
    """A running thread says so; an empty chain is one line."""
    running = WaitChainNode(
        WctObjectType.THREAD, WctObjectStatus.RUNNING, process_id=1, thread_id=2
    )
    assert format_wait_chain(WaitChain.of([running]))[0] == (
        "thread 2 of process 1: running, not waiting"
    )
    assert format_wait_chain(WaitChain(())) == ["(empty wait chain)"]


def test_options_are_checked() -> None:
    """At least one node; no negative scan budget; a prefix within the budget."""
    with pytest.raises(InvalidArgumentError):
        WalkOptions(max_nodes=0)
    with pytest.raises(InvalidArgumentError):
        WalkOptions(fd_scan_limit=-1)
    with pytest.raises(InvalidArgumentError):
        walk_wait_chain(
            os.getpid(), threading.get_native_id(), WalkOptions(max_nodes=1), prefix=[T1, LOCK]
        )


def test_missing_threads_and_processes() -> None:
    """Unknown ids raise NotFoundError at the start, and end a continued chain with an error."""
    missing = 2**22 + 12345
    with pytest.raises(NotFoundError):
        walk_wait_chain(missing, missing)
    with pytest.raises(NotFoundError):
        walk_wait_chain(os.getpid(), missing)
    with pytest.raises(NotFoundError):
        blocked_thread_chains(missing)
    with pytest.raises(NotFoundError):
        process_of_thread(missing)
    with pytest.raises(NotFoundError):
        describe_thread_wait(os.getpid(), missing)
    tail = walk_wait_chain(os.getpid(), missing, prefix=[T1, LOCK])
    assert [n.status for n in tail.nodes] == [
        WctObjectStatus.BLOCKED,
        WctObjectStatus.OWNED,
        WctObjectStatus.ERROR,
    ]


def test_a_thread_id_is_not_a_process() -> None:
    """blocked_thread_chains refuses the id of a non-leader thread, naming its process."""
    ready, stop = threading.Event(), threading.Event()
    tids: list[int] = []

    def park() -> None:
        tids.append(threading.get_native_id())
        ready.set()
        stop.wait(20)

    thread = threading.Thread(target=park)
    thread.start()
    try:
        ready.wait(10)
        assert process_of_thread(tids[0]) == os.getpid()
        with pytest.raises(NotFoundError, match=f"thread of process {os.getpid()}"):
            blocked_thread_chains(tids[0])
    finally:
        stop.set()
        thread.join(10)
