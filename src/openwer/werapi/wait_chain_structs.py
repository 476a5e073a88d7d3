"""``WAITCHAIN_NODE_INFO`` with its Win32 field names.

Mutable like the C struct it mirrors. C's anonymous union becomes two fields that are both
always present: ``LockObject`` is meaningful for object nodes, ``ThreadObject`` when
``ObjectType == WctThreadType`` (the other one stays zeroed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openwer.formats.wait_chain import WaitChainNode
from openwer.werapi.wait_chain_constants import WCT_OBJNAME_LENGTH

__all__ = ["WAITCHAIN_NODE_INFO", "WCT_LOCK_OBJECT", "WCT_THREAD_OBJECT"]


@dataclass
class WCT_LOCK_OBJECT:
    """The ``LockObject`` arm: the object's name (``WCHAR[128]``, NUL included, so at most 127
    characters); ``Timeout`` and ``Alertable`` are reserved (WCT v1 leaves them 0)."""

    ObjectName: str = ""
    Timeout: int = 0
    Alertable: bool = False


@dataclass
class WCT_THREAD_OBJECT:
    """The ``ThreadObject`` arm: the thread's process and thread ids, wait time in
    milliseconds (0 on Linux: the kernel does not record when a wait began) and context
    switches."""

    ProcessId: int = 0
    ThreadId: int = 0
    WaitTime: int = 0
    ContextSwitches: int = 0


@dataclass
class WAITCHAIN_NODE_INFO:
    """One node of a wait chain as ``GetThreadWaitChain`` returns it."""

    ObjectType: int = 0
    ObjectStatus: int = 0
    LockObject: WCT_LOCK_OBJECT = field(default_factory=WCT_LOCK_OBJECT)
    ThreadObject: WCT_THREAD_OBJECT = field(default_factory=WCT_THREAD_OBJECT)

    @classmethod
    def from_node(cls, node: WaitChainNode) -> WAITCHAIN_NODE_INFO:
        """The struct for one node of openwer's wait-chain model."""
        info = cls(ObjectType=int(node.object_type), ObjectStatus=int(node.status))
        if node.is_thread:
            info.ThreadObject = WCT_THREAD_OBJECT(
                ProcessId=node.process_id,
                ThreadId=node.thread_id,
                WaitTime=node.wait_time_ms,
                ContextSwitches=node.context_switches,
            )
        else:
            info.LockObject = WCT_LOCK_OBJECT(ObjectName=node.name[: WCT_OBJNAME_LENGTH - 1])
        return info
