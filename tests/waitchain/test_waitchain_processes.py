"""Wait chains across processes, from real blocked programs: pipes, pidfds, child waits, file
locks, Unix sockets, a busy thread, and a chain longer than WCT's 16 nodes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from blocked_programs import scenario, wait_for_syscall, wait_until_running

from openwer.formats.wait_chain import WaitChain
from openwer.platform.proc_task import read_task_status
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain import WalkOptions, blocked_thread_chains, walk_wait_chain

pytestmark = pytest.mark.timeout(60)

THREAD, BLOCKED, OWNED = WctObjectType.THREAD, WctObjectStatus.BLOCKED, WctObjectStatus.OWNED
ALPC, PROCESS_WAIT = WctObjectType.ALPC, WctObjectType.PROCESS_WAIT


def shape(chain: WaitChain) -> list[tuple[WctObjectType, WctObjectStatus, int, int]]:
    """(type, status, process id, thread id) per node; objects keep the waiter's process."""
    return [(n.object_type, n.status, n.process_id, n.thread_id) for n in chain.nodes]


def test_waitpid_on_a_child_reading_our_pipe_is_a_cross_process_cycle() -> None:
    """The parent waits for its child, the child reads a pipe only the parent holds open."""
    with scenario("waitpid_cycle") as program:
        parent, child = program.info["parent"], program.info["child"]
        wait_for_syscall(parent, parent, {"wait4"})
        wait_for_syscall(child, child, {"read"})
        chain = walk_wait_chain(parent, parent)
    assert shape(chain) == [
        (THREAD, BLOCKED, parent, parent),
        (PROCESS_WAIT, OWNED, parent, 0),
        (THREAD, BLOCKED, child, child),
        (ALPC, OWNED, child, 0),
        (THREAD, BLOCKED, parent, parent),
    ]
    assert chain.is_cycle
    assert chain.cross_process
    pipe = chain.nodes[3]
    assert pipe.name.startswith("pipe:[")
    assert pipe.details["primitive"] == "pipe"
    assert pipe.details["end"] == "read"
    assert pipe.details["other_end_holders"].startswith(f"{parent}:")
    assert chain.nodes[1].name == f"process {child}"


def test_pipe_writer_child_waiting_on_its_parent_through_a_pidfd() -> None:
    """The parent reads a pipe whose writer, its child, polls a pidfd of the parent."""
    with scenario("pidfd_cycle") as program:
        parent, child = program.info["parent"], program.info["child"]
        wait_for_syscall(parent, parent, {"read"})
        wait_for_syscall(child, child, {"poll", "ppoll"})
        chain = walk_wait_chain(parent, parent)
    assert shape(chain) == [
        (THREAD, BLOCKED, parent, parent),
        (ALPC, OWNED, parent, 0),
        (THREAD, BLOCKED, child, child),
        (PROCESS_WAIT, OWNED, child, 0),
        (THREAD, BLOCKED, parent, parent),
    ]
    assert chain.is_cycle
    assert chain.nodes[3].details["via"] == "pidfd"
    assert chain.nodes[3].name == f"process {parent}"


def test_a_thread_waiting_for_a_sleeping_child() -> None:
    """waitpid in a worker thread: a process wait owned by the child, which sleeps; no cycle."""
    with scenario("child_wait") as program:
        pid, waiter, child = program.info["pid"], program.info["waiter"], program.info["child"]
        wait_for_syscall(pid, waiter, {"wait4"})
        wait_for_syscall(pid, pid, {"clock_nanosleep", "nanosleep"})
        wait_for_syscall(child, child, {"clock_nanosleep", "nanosleep"})
        chain = walk_wait_chain(pid, waiter)
        every = blocked_thread_chains(pid)
    assert shape(chain) == [
        (THREAD, BLOCKED, pid, waiter),
        (PROCESS_WAIT, OWNED, pid, 0),
        (THREAD, BLOCKED, child, child),
    ]
    assert not chain.is_cycle
    assert chain.cross_process
    assert chain.nodes[1].details["waits_for"] == "child"
    assert {c.nodes[0].thread_id for c in every} == {pid, waiter}
    assert not any(c.is_cycle for c in every)


@pytest.mark.parametrize(("kind", "cycle"), [("flock", False), ("flock", True), ("lockf", False)])
def test_file_lock_waiter_points_at_the_holder(tmp_path: Path, kind: str, cycle: bool) -> None:
    """A child blocks taking a lock on a file its parent locked; with the parent then waiting
    for the child, that is a deadlock."""
    name = "flock_cycle" if cycle else "flock"
    with scenario(name, str(tmp_path), kind) as program:
        holder, waiter = program.info["holder"], program.info["waiter"]
        wait_for_syscall(waiter, waiter, {"flock", "fcntl"})
        wait_for_syscall(holder, holder, {"wait4"} if cycle else {"clock_nanosleep", "nanosleep"})
        chain = walk_wait_chain(waiter, waiter)
    expected = [
        (THREAD, BLOCKED, waiter, waiter),
        (WctObjectType.MUTEX, OWNED, waiter, 0),
        (THREAD, BLOCKED, holder, holder),
    ]
    if cycle:
        expected += [(PROCESS_WAIT, OWNED, holder, 0), (THREAD, BLOCKED, waiter, waiter)]
    assert shape(chain) == expected
    assert chain.is_cycle is cycle
    lock = chain.nodes[1]
    assert lock.name == f"file lock {program.info['path']}"
    assert lock.details["owner_pid"] == str(holder)
    expected_kind = "FLOCK" if kind == "flock" else "POSIX"
    assert lock.details["request"].startswith(f"{expected_kind} ADVISORY WRITE")


def test_unix_socket_reader_points_at_the_peer_process() -> None:
    """recv on a socketpair whose other end a sleeping child holds."""
    with scenario("unix_socket") as program:
        pid, child = program.info["pid"], program.info["child"]
        wait_for_syscall(pid, pid, {"recvfrom", "recvmsg", "read"})
        wait_for_syscall(child, child, {"clock_nanosleep", "nanosleep"})
        chain = walk_wait_chain(pid, pid)
        without_network = walk_wait_chain(pid, pid, WalkOptions(network_io=False))
    socket_node = chain.nodes[1]
    if socket_node.status is WctObjectStatus.UNKNOWN:
        pytest.skip("sock_diag (unix_diag) is not available here: the peer cannot be found")
    assert shape(chain) == [
        (THREAD, BLOCKED, pid, pid),
        (WctObjectType.SOCKET_IO, OWNED, pid, 0),
        (THREAD, BLOCKED, child, child),
    ]
    assert not chain.is_cycle
    assert socket_node.details["family"] == "unix"
    assert socket_node.details["peer"].startswith("socket:[")
    assert socket_node.details["peer"] != f"socket:[{program.info['inode']}]"
    assert socket_node.details["peer_holders"].startswith(f"{child}:")
    assert shape(without_network) == [(THREAD, BLOCKED, pid, pid)]


def test_a_busy_thread_is_a_single_running_node() -> None:
    """A thread on the CPU waits on nothing: one node, no cycle, not among blocked threads."""
    with scenario("busy") as program:
        pid = program.info["pid"]
        wait_until_running(pid, pid)
        chain = walk_wait_chain(pid, pid)
        blocked = blocked_thread_chains(pid)
    assert shape(chain) == [(THREAD, WctObjectStatus.RUNNING, pid, pid)]
    assert not chain.is_cycle
    assert blocked == ()


def test_a_long_chain_is_cut_at_sixteen_nodes() -> None:
    """Ten processes each reading a pipe written by the next: 19 nodes, cut at 16 and flagged."""
    with scenario("pipeline", "10") as program:
        pids = program.info["pids"]
        for pid in pids[:-1]:
            wait_for_syscall(pid, pid, {"read"})
        chain = walk_wait_chain(pids[0], pids[0])
        short = walk_wait_chain(pids[0], pids[0], WalkOptions(max_nodes=40))
    assert len(chain.nodes) == 16
    assert chain.truncated
    assert not chain.is_cycle
    assert [n.process_id for n in chain.nodes if n.is_thread] == pids[:8]
    assert len(short.nodes) == 19
    assert not short.truncated
    assert short.nodes[-1].process_id == pids[-1]


def test_without_following_processes_the_chain_stops_at_the_first_foreign_thread() -> None:
    """WCT without WCT_OUT_OF_PROC_FLAG: the first thread of another process ends the chain."""
    with scenario("waitpid_cycle") as program:
        parent, child = program.info["parent"], program.info["child"]
        wait_for_syscall(parent, parent, {"wait4"})
        wait_for_syscall(child, child, {"read"})
        chain = walk_wait_chain(parent, parent, WalkOptions(follow_processes=False))
    assert shape(chain) == [
        (THREAD, BLOCKED, parent, parent),
        (PROCESS_WAIT, OWNED, parent, 0),
        (THREAD, BLOCKED, child, child),
    ]
    assert not chain.is_cycle


def test_zombie_main_thread_is_not_a_blocked_thread() -> None:
    """A main thread that called pthread_exit: the process is still inspected, through its
    living threads, and only the sleeping worker has a chain."""
    with scenario("zombie_main") as program:
        pid, worker = program.info["pid"], program.info["worker"]
        wait_for_syscall(pid, worker, {"clock_nanosleep", "nanosleep"})
        deadline = time.monotonic() + 10
        while read_task_status(pid, pid).state != "Z":
            assert time.monotonic() < deadline, "the main thread never exited"
            time.sleep(0.01)
        chains = blocked_thread_chains(pid)
        leader = walk_wait_chain(pid, pid)
    assert [shape(chain) for chain in chains] == [[(THREAD, BLOCKED, pid, worker)]]
    assert shape(leader) == [(THREAD, WctObjectStatus.UNKNOWN, pid, pid)]
    assert leader.nodes[0].details["state"] == "Z (zombie)"
