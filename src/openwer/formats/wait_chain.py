"""Wait chains: which thread waits on which object owned by which thread, and whether it loops.

The shape follows Windows' Wait Chain Traversal (``GetThreadWaitChain``): a chain is a list of
nodes that alternate, in the usual case, between a *thread* node (``WctObjectType.THREAD``: its
process id, thread id, status RUNNING/BLOCKED/…) and the *object* it waits on (a lock, a child
process, a socket…: type, status OWNED/NOT_OWNED/…, a name), then the thread owning that object,
and so on. ``is_cycle`` is true when some of the nodes form a cycle, i.e. a deadlock.

Python wait chains (locks tracked by ``openwer.install()``, asyncio tasks, ``Thread.join``) and
Linux process wait chains (``/proc``: futexes, pipes, sockets, child waits, file locks) both use
this model, so ``openwer waitchain --json``, hang reports and ``reports show --json`` print the
same JSON (:func:`wait_chain_to_json`, documented in docs/waitchain.md).

Pure data and pure functions; thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openwer.errors import FormatError
from openwer.types import WctObjectStatus, WctObjectType

__all__ = [
    "MAX_CHAIN_NODES",
    "WaitChain",
    "WaitChainNode",
    "find_cycle",
    "wait_chain_from_json",
    "wait_chain_to_json",
]

# GetThreadWaitChain returns at most WCT_MAX_NODE_COUNT nodes.
MAX_CHAIN_NODES = 16


@dataclass(frozen=True, slots=True)
class WaitChainNode:
    """One node: a thread, or an object a thread waits on.

    ``process_id``/``thread_id`` identify a thread node (and, for an object, the process it
    lives in when known); ``wait_time_ms`` is how long a thread has been waiting (0 when not
    known); ``name`` names an object (``threading.Lock at 0x…``, ``pipe:[1234]``,
    ``futex 0x7f…``); ``location`` is where the wait or the acquisition happened (``file:line``
    of Python code, a syscall name for a native thread); ``details`` holds extra string facts
    (the syscall, the Python thread name, the asyncio task name…).
    """

    object_type: WctObjectType
    status: WctObjectStatus
    name: str = ""
    process_id: int = 0
    thread_id: int = 0
    wait_time_ms: int = 0
    context_switches: int = 0
    location: str = ""
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread node (``WctThreadType``)."""
        return self.object_type is WctObjectType.THREAD

    def identity(self) -> tuple[Any, ...]:
        """What makes two nodes the same object: a thread by (pid, tid), an object by
        (type, pid, name)."""
        if self.is_thread:
            return ("thread", self.process_id, self.thread_id)
        return ("object", int(self.object_type), self.process_id, self.name)


@dataclass(frozen=True, slots=True)
class WaitChain:
    """A chain from one thread, nodes in waiting order; ``is_cycle`` when it is a deadlock.

    ``truncated`` says the chain went on beyond ``MAX_CHAIN_NODES`` nodes (WCT's
    ``ERROR_TOO_MANY_THREADS``); ``cross_process`` that it reached another process than the
    first thread's (what makes a hang ``AppHangXProcB1``).
    """

    nodes: tuple[WaitChainNode, ...]
    is_cycle: bool = False
    truncated: bool = False

    @property
    def cross_process(self) -> bool:
        """Whether a thread of another process than the first node's appears in the chain."""
        if not self.nodes:
            return False
        first = self.nodes[0].process_id
        return any(node.is_thread and node.process_id != first for node in self.nodes)

    @classmethod
    def of(cls, nodes: Sequence[WaitChainNode], truncated: bool = False) -> WaitChain:
        """A chain of ``nodes`` with ``is_cycle`` computed by :func:`find_cycle`."""
        return cls(tuple(nodes), is_cycle=find_cycle(nodes) is not None, truncated=truncated)


def find_cycle(nodes: Sequence[WaitChainNode]) -> tuple[int, int] | None:
    """The first repeated node of a chain as ``(first index, repeat index)``, else ``None``.

    A walker that follows "waits on → owned by" links stops when it meets a node it has seen:
    that node closes the cycle. WCT sets ``IsCycle`` when any subset of the nodes forms one.
    """
    seen: dict[tuple[Any, ...], int] = {}
    for index, node in enumerate(nodes):
        key = node.identity()
        if key in seen:
            return seen[key], index
        seen[key] = index
    return None


def wait_chain_to_json(chain: WaitChain) -> dict[str, Any]:
    """The documented JSON form: enums by WCT name and number, all numbers integers."""
    return {
        "is_cycle": chain.is_cycle,
        "cross_process": chain.cross_process,
        "truncated": chain.truncated,
        "nodes": [_node_to_json(node) for node in chain.nodes],
    }


def _node_to_json(node: WaitChainNode) -> dict[str, Any]:
    return {
        "type": _wct_type_name(node.object_type),
        "type_code": int(node.object_type),
        "status": _wct_status_name(node.status),
        "status_code": int(node.status),
        "name": node.name,
        "process_id": node.process_id,
        "thread_id": node.thread_id,
        "wait_time_ms": node.wait_time_ms,
        "context_switches": node.context_switches,
        "location": node.location,
        "details": dict(node.details),
    }


def wait_chain_from_json(data: Any) -> WaitChain:
    """Read :func:`wait_chain_to_json`'s form back; ``FormatError`` on anything else.

    ``is_cycle`` is taken as written (the chain may have been cut when it was stored).
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise FormatError("a wait chain is an object with a list of nodes")
    nodes = tuple(_node_from_json(item) for item in data["nodes"])
    return WaitChain(
        nodes, is_cycle=data.get("is_cycle") is True, truncated=data.get("truncated") is True
    )


def _node_from_json(item: Any) -> WaitChainNode:
    if not isinstance(item, dict):
        raise FormatError("a wait-chain node is an object")
    try:
        object_type = WctObjectType(_int(item, "type_code"))
        status = WctObjectStatus(_int(item, "status_code"))
    except ValueError as exc:
        raise FormatError(f"unknown wait-chain node type or status: {exc}") from exc
    details = item.get("details", {})
    if not isinstance(details, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in details.items()
    ):
        raise FormatError("wait-chain node details map strings to strings")
    return WaitChainNode(
        object_type=object_type,
        status=status,
        name=_str(item, "name"),
        process_id=_int(item, "process_id"),
        thread_id=_int(item, "thread_id"),
        wait_time_ms=_int(item, "wait_time_ms"),
        context_switches=_int(item, "context_switches"),
        location=_str(item, "location"),
        details=details,
    )


def _int(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise FormatError(f"wait-chain node field {key!r} must be a whole number")
    return value


def _str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key, "")
    if not isinstance(value, str):
        raise FormatError(f"wait-chain node field {key!r} must be a string")
    return value


def _wct_type_name(kind: WctObjectType) -> str:
    # WCT's own spelling: WctCriticalSectionType, WctThreadType, …
    return "Wct" + "".join(part.capitalize() for part in kind.name.split("_")) + "Type"


def _wct_status_name(status: WctObjectStatus) -> str:
    return "WctStatus" + "".join(part.capitalize() for part in status.name.split("_"))
