"""Access rules as WCT has them: the first thread unreadable is an error, an unreadable thread
further along is the chain's last node, with WctStatusNoAccess.

The holder of a file lock makes itself non-dumpable, so that only ``CAP_SYS_PTRACE`` may inspect
it; the walker runs in a child that dropped that capability (same user, even as root).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from blocked_programs import run_without_ptrace_capability, scenario, wait_for_syscall

from openwer.platform.ptrace_access import ptrace_scope
from openwer.types import WctObjectStatus, WctObjectType

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        ptrace_scope() not in (None, 0),
        reason="Yama ptrace_scope restricts /proc to descendants: a sibling walker reads nothing",
    ),
]

WALK = r"""
import json
from openwer.errors import OpenwerError
from openwer.formats.wait_chain import wait_chain_to_json
from openwer.waitchain import walk_wait_chain
try:
    print(json.dumps(wait_chain_to_json(walk_wait_chain({pid}, {pid}))))
except OpenwerError as exc:
    print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
"""


def _walk(pid: int) -> dict[str, object]:
    done = run_without_ptrace_capability(WALK.format(pid=pid))
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_unreadable_tail_thread_is_a_no_access_node_and_first_one_an_error(tmp_path: Path) -> None:
    """Waiter → file lock → holder (unreadable): the chain ends on a NoAccess thread node."""
    with scenario("flock_private_holder", str(tmp_path)) as program:
        holder, waiter = program.info["holder"], program.info["waiter"]
        wait_for_syscall(waiter, waiter, {"flock"})
        wait_for_syscall(holder, holder, {"clock_nanosleep", "nanosleep"})
        tail = _walk(waiter)
        first = _walk(holder)
    nodes = tail["nodes"]
    assert isinstance(nodes, list)
    assert [(n["type_code"], n["status_code"], n["thread_id"]) for n in nodes] == [
        (WctObjectType.THREAD, WctObjectStatus.BLOCKED, waiter),
        (WctObjectType.MUTEX, WctObjectStatus.OWNED, 0),
        (WctObjectType.THREAD, WctObjectStatus.NO_ACCESS, holder),
    ]
    assert nodes[2]["status"] == "WctStatusNoAccess"
    assert "permission denied" in nodes[2]["details"]["error"]
    assert tail["is_cycle"] is False
    assert first["error"] == "AccessDeniedError"
    assert "CAP_SYS_PTRACE" in str(first["message"])
