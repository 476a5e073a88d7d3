"""Wait chains of a C program built here with gcc: pthread mutexes deadlocked ABBA, a PI mutex
held by a thread that joins its waiter. Real threads, real futexes, owners read from memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from blocked_programs import build_abba, gcc, running, wait_for_syscall

from openwer.formats.wait_chain import WaitChain, wait_chain_to_json
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain import blocked_thread_chains, walk_wait_chain

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        gcc() is None, reason="gcc is not installed (scripts/install-system-deps.sh)"
    ),
]

THREAD, BLOCKED, OWNED = WctObjectType.THREAD, WctObjectStatus.BLOCKED, WctObjectStatus.OWNED


@pytest.fixture(scope="module")
def abba(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ABBA program, compiled once for this module."""
    return build_abba(tmp_path_factory.mktemp("abba"))


def shape(chain: WaitChain) -> list[tuple[WctObjectType, WctObjectStatus, int]]:
    """(type, status, thread id or 0) per node."""
    return [(node.object_type, node.status, node.thread_id) for node in chain.nodes]


@pytest.mark.parametrize(
    ("mode", "lock_type"),
    [("private", WctObjectType.CRITICAL_SECTION), ("shared", WctObjectType.MUTEX)],
)
def test_abba_deadlock_is_a_cycle_through_both_mutexes(
    abba: Path, mode: str, lock_type: WctObjectType
) -> None:
    """t1 holds A and wants B, t2 holds B and wants A: the chain closes on t1 with both owners."""
    with running([str(abba), mode]) as program:
        pid, t1, t2 = program.info["pid"], program.info["t1"], program.info["t2"]
        wait_for_syscall(pid, t1, {"futex"}, program.info["b"])
        wait_for_syscall(pid, t2, {"futex"}, program.info["a"])
        chain = walk_wait_chain(pid, t1)
    assert shape(chain) == [
        (THREAD, BLOCKED, t1),
        (lock_type, OWNED, 0),
        (THREAD, BLOCKED, t2),
        (lock_type, OWNED, 0),
        (THREAD, BLOCKED, t1),
    ]
    assert chain.is_cycle
    assert not chain.cross_process
    assert not chain.truncated
    wants_b, wants_a = chain.nodes[1], chain.nodes[3]
    assert wants_b.name == f"futex {program.info['b']:#x}"
    assert wants_b.details["owner_tid"] == str(t2)
    assert wants_a.details["owner_tid"] == str(t1)
    assert wants_a.details["owner_source"] == "pthread_mutex_t.__owner, inferred"
    assert chain.nodes[0].location == "futex"
    assert wait_chain_to_json(chain)["nodes"][1]["type"] == (
        "WctCriticalSectionType" if mode == "private" else "WctMutexType"
    )


def test_every_blocked_thread_has_its_chain(abba: Path) -> None:
    """The main thread joins t1 (a thread wait), then reaches the cycle: it is in a deadlocked
    chain without being in the cycle, which WCT flags all the same."""
    with running([str(abba), "private"]) as program:
        pid, t1, t2 = program.info["pid"], program.info["t1"], program.info["t2"]
        wait_for_syscall(pid, t1, {"futex"}, program.info["b"])
        wait_for_syscall(pid, t2, {"futex"}, program.info["a"])
        wait_for_syscall(pid, pid, {"futex"})
        chains = {chain.nodes[0].thread_id: chain for chain in blocked_thread_chains(pid)}
    assert set(chains) == {pid, t1, t2}
    assert all(chain.is_cycle for chain in chains.values())
    main = chains[pid]
    assert shape(main)[:3] == [
        (THREAD, BLOCKED, pid),
        (WctObjectType.THREAD_WAIT, OWNED, 0),
        (THREAD, BLOCKED, t1),
    ]
    assert main.nodes[1].details["owner_source"] == "joined thread's tid word, inferred"


def test_pi_mutex_owner_comes_from_the_futex_word(abba: Path) -> None:
    """A PI mutex names its owner in the futex word; the owner joins the waiter: a cycle."""
    with running([str(abba), "pi"]) as program:
        pid, owner, waiter = program.info["pid"], program.info["t1"], program.info["t2"]
        wait_for_syscall(pid, waiter, {"futex"}, program.info["a"])
        wait_for_syscall(pid, owner, {"futex"})
        chain = walk_wait_chain(pid, waiter)
    assert shape(chain) == [
        (THREAD, BLOCKED, waiter),
        (WctObjectType.MUTEX, OWNED, 0),
        (THREAD, BLOCKED, owner),
        (WctObjectType.THREAD_WAIT, OWNED, 0),
        (THREAD, BLOCKED, waiter),
    ]
    assert chain.is_cycle
    assert chain.nodes[1].details["owner_source"] == "PI futex word"
    assert chain.nodes[1].details["owner_tid"] == str(owner)


def test_mutex_whose_owner_exited_is_abandoned(abba: Path) -> None:
    """A thread exited holding the mutex: the waiter's lock is abandoned, the chain ends there."""
    with running([str(abba), "abandoned"]) as program:
        pid, waiter = program.info["pid"], program.info["t2"]
        wait_for_syscall(pid, waiter, {"futex"}, program.info["a"])
        chain = walk_wait_chain(pid, waiter)
    assert shape(chain) == [
        (THREAD, BLOCKED, waiter),
        (WctObjectType.CRITICAL_SECTION, WctObjectStatus.ABANDONED, 0),
    ]
    assert not chain.is_cycle
    assert chain.nodes[1].details["owner_tid"] == str(program.info["t1"])
