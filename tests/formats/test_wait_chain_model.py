"""The wait-chain model: cycle detection, cross-process flag, JSON round trip, hostile JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openwer.errors import FormatError
from openwer.formats.wait_chain import (
    WaitChain,
    WaitChainNode,
    find_cycle,
    wait_chain_from_json,
    wait_chain_to_json,
)
from openwer.types import WctObjectStatus, WctObjectType

Status = WctObjectStatus


def _thread(tid: int, pid: int = 100, status: Status = Status.BLOCKED) -> WaitChainNode:
    return WaitChainNode(WctObjectType.THREAD, status, process_id=pid, thread_id=tid)


def _lock(name: str, pid: int = 100) -> WaitChainNode:
    return WaitChainNode(WctObjectType.CRITICAL_SECTION, Status.OWNED, name=name, process_id=pid)


def test_abba_deadlock_is_a_cycle() -> None:
    """T1 waits on A owned by T2, which waits on B owned by T1: the chain closes on T1."""
    nodes = [_thread(1), _lock("A"), _thread(2), _lock("B"), _thread(1)]
    assert find_cycle(nodes) == (0, 4)
    chain = WaitChain.of(nodes)
    assert chain.is_cycle
    assert not chain.cross_process


def test_chain_ending_in_a_running_thread_is_no_cycle() -> None:
    """A thread waiting on a lock whose owner is busy: a hang, not a deadlock."""
    chain = WaitChain.of([_thread(1), _lock("A"), _thread(2, status=Status.RUNNING)])
    assert not chain.is_cycle
    assert find_cycle(chain.nodes) is None


def test_same_lock_name_in_two_processes_is_two_objects() -> None:
    """Objects are told apart by process as well as name; a second process makes it XProc."""
    nodes = [_thread(1), _lock("A"), _thread(7, pid=200), _lock("A", pid=200)]
    chain = WaitChain.of(nodes)
    assert not chain.is_cycle
    assert chain.cross_process


def test_json_round_trip_uses_wct_names_and_integers() -> None:
    """Types and statuses carry WCT's names and numbers; reading back gives the same chain."""
    node = WaitChainNode(
        WctObjectType.SOCKET_IO,
        Status.PID_ONLY_RPCSS,
        name="socket:[77]",
        process_id=5,
        location="recvfrom",
        details={"peer": "6"},
    )
    chain = WaitChain.of([_thread(1), node], truncated=True)
    data = json.loads(json.dumps(wait_chain_to_json(chain)))
    assert data["nodes"][1]["type"] == "WctSocketIoType"
    assert data["nodes"][1]["type_code"] == 11
    assert data["nodes"][1]["status"] == "WctStatusPidOnlyRpcss"
    assert data["nodes"][0]["type"] == "WctThreadType"
    assert data["nodes"][0]["status"] == "WctStatusBlocked"
    assert data["truncated"] is True
    assert data["is_cycle"] is False
    assert wait_chain_from_json(data) == chain


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"nodes": "x"},
        {"nodes": [1]},
        {"nodes": [{"type_code": 99, "status_code": 3}]},
        {"nodes": [{"type_code": 8, "status_code": 3, "thread_id": -1}]},
        {"nodes": [{"type_code": 8, "status_code": 3, "thread_id": True}]},
        {"nodes": [{"type_code": 8, "status_code": 3, "name": 5}]},
        {"nodes": [{"type_code": 8, "status_code": 3, "details": {"a": 1}}]},
    ],
)
def test_hostile_json_is_a_format_error(data: Any) -> None:
    """Anything but the documented shape is a FormatError, never another exception."""
    with pytest.raises(FormatError):
        wait_chain_from_json(data)
