"""How far a wait-chain walk goes: node budget, other processes, lock owners, network I/O.

The options mirror ``GetThreadWaitChain``'s flags: :attr:`WalkOptions.follow_processes` is
``WCT_OUT_OF_PROC_FLAG``, :attr:`WalkOptions.foreign_lock_owners` ``WCT_OUT_OF_PROC_CS_FLAG`` and
:attr:`WalkOptions.network_io` ``WCT_NETWORK_IO_FLAG``; the defaults are what ``openwer
waitchain`` uses (everything on, 16 nodes). Immutable; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from openwer.errors import InvalidArgumentError
from openwer.formats.wait_chain import MAX_CHAIN_NODES
from openwer.platform.proc_fds import MAX_SCANNED_FDS

__all__ = ["WalkOptions"]


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What a walk follows.

    ``max_nodes`` caps the chain (WCT's 16); a longer chain comes back cut there with
    ``truncated`` set. ``follow_processes`` false stops at the first thread of another process
    (WCT without ``WCT_OUT_OF_PROC_FLAG``). ``foreign_lock_owners`` false leaves the owners of
    locks in other processes unresolved (they are read from that process's memory).
    ``network_io`` false leaves socket waits out (no ``WctSocketIoType`` node).
    ``fd_scan_limit`` bounds the scan of every process's fds that finds the other end of a pipe
    or socket.
    """

    max_nodes: int = MAX_CHAIN_NODES
    follow_processes: bool = True
    foreign_lock_owners: bool = True
    network_io: bool = True
    fd_scan_limit: int = MAX_SCANNED_FDS

    def __post_init__(self) -> None:
        if self.max_nodes < 1:
            raise InvalidArgumentError("a wait chain holds at least one node")
        if self.fd_scan_limit < 0:
            raise InvalidArgumentError("the fd scan limit cannot be negative")
