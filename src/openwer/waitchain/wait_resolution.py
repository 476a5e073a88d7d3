"""What one wait resolves to: the object a thread waits on and who can release it.

Every resolver (futexes, pipes, sockets, child waits, file locks) answers with a
:class:`WaitResolution`: the object's node for the chain (``None`` when the thread waits on
nothing a chain can show, like a sleep) and the owners to follow next, most relevant first. An
owner is a :class:`WaitTarget`: a thread when the kernel or the C library names one, else a
process, whose thread the walker then chooses. Immutable values; thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from openwer.formats.wait_chain import WaitChainNode
from openwer.types import WctObjectStatus, WctObjectType

__all__ = ["NO_RESOLUTION", "WaitResolution", "WaitTarget", "object_node", "owner_order"]


@dataclass(frozen=True, slots=True)
class WaitTarget:
    """An owner to follow: thread ``tid`` of process ``pid``, or the process when ``tid`` is 0."""

    pid: int
    tid: int = 0


@dataclass(frozen=True, slots=True)
class WaitResolution:
    """The object a thread waits on (or ``None``) and its owners, most relevant first.

    ``facts`` are details about the wait itself (the fd, what it links to) for the thread's node.
    """

    wait_object: WaitChainNode | None = None
    owners: tuple[WaitTarget, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)


NO_RESOLUTION = WaitResolution()
"""A wait on nothing a chain can show (a sleep, an unsupported primitive)."""


def object_node(
    object_type: WctObjectType,
    status: WctObjectStatus,
    name: str,
    pid: int,
    note: str,
    details: Mapping[str, str] | None = None,
) -> WaitChainNode:
    """An object node living in process ``pid``; ``note`` is the one-line human summary
    (``details["note"]``) that the text output prints after the name."""
    facts = {"note": note} if note else {}
    facts.update(details or {})
    return WaitChainNode(
        object_type=object_type, status=status, name=name, process_id=pid, details=facts
    )


def owner_order(waiter_pid: int, pids: Iterable[int]) -> tuple[WaitTarget, ...]:
    """Processes as owners: other processes first (ascending), the waiter's own last.

    When a process holds the other end of its own pipe, another process that holds it too is
    the more telling one to follow.
    """
    unique = sorted(set(pids))
    ordered = [pid for pid in unique if pid != waiter_pid]
    if waiter_pid in unique:
        ordered.append(waiter_pid)
    return tuple(WaitTarget(pid) for pid in ordered)
