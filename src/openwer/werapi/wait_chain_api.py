"""Wait Chain Traversal (``wct.h``): ``OpenThreadWaitChainSession``, ``GetThreadWaitChain``,
``CloseThreadWaitChainSession``, over Linux wait chains read from ``/proc``.

Win32 arguments in order, out parameters returned: ``GetThreadWaitChain`` returns
``(error, NodeCount, NodeInfoArray, IsCycle)`` where ``error`` is the Win32 error code
(``ERROR_SUCCESS``, 0, where Windows returns TRUE) and also this thread's
:func:`~openwer.werapi.last_error.GetLastError`; ``NodeCount`` goes in as the capacity of the
caller's array::

    wct = OpenThreadWaitChainSession(0, None)
    error, count, nodes, cycle = GetThreadWaitChain(wct, None, WCTP_GETINFO_ALL_FLAGS, tid, 16)
    CloseThreadWaitChainSession(wct)

Semantics as wer-spec.md §2 documents them: at most ``WCT_MAX_NODE_COUNT`` (16) nodes, and a
longer chain fails with ``ERROR_TOO_MANY_THREADS`` (the 16 nodes still returned); a capacity below
the chain's length fails with ``ERROR_MORE_DATA`` and the count needed (the first nodes
returned); ``IsCycle`` when the returned nodes contain a cycle; ``ERROR_ACCESS_DENIED`` only when
the *first* thread cannot be inspected (further along, the last node is ``WctStatusNoAccess``);
``ERROR_OBJECT_NOT_FOUND`` for a thread that does not exist; ``ERROR_INVALID_PARAMETER`` for a
bad handle, flag or count. Flags: ``WCT_OUT_OF_PROC_FLAG`` follows the chain into other
processes (without it the chain stops at the first thread of another process),
``WCT_OUT_OF_PROC_CS_FLAG`` resolves lock owners in other processes, ``WCT_NETWORK_IO_FLAG``
reports socket waits; ``WCT_OUT_OF_PROC_COM_FLAG`` is accepted and has nothing to do on Linux.

An asynchronous session (``WCT_ASYNC_OPEN_FLAG`` and a callback) makes ``GetThreadWaitChain``
return ``ERROR_IO_PENDING`` and deliver the result to the callback on a worker thread, with the
error as ``CallbackStatus``; closing the session cancels pending requests (``ERROR_CANCELLED``)
and returns after their callbacks ran. Thread ids are Linux thread ids (``gettid``,
``threading.get_native_id()``). Thread-safe.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from openwer.errors import AccessDeniedError, NotFoundError, OpenwerError
from openwer.formats.wait_chain import find_cycle
from openwer.waitchain import WalkOptions, process_of_thread, walk_wait_chain
from openwer.werapi.handles import HandleTable
from openwer.werapi.last_error import SetLastError
from openwer.werapi.wait_chain_constants import (
    ERROR_ACCESS_DENIED,
    ERROR_GEN_FAILURE,
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_MORE_DATA,
    ERROR_NOT_SUPPORTED,
    ERROR_OBJECT_NOT_FOUND,
    ERROR_SUCCESS,
    ERROR_TOO_MANY_THREADS,
    WCT_ASYNC_OPEN_FLAG,
    WCT_MAX_NODE_COUNT,
    WCT_NETWORK_IO_FLAG,
    WCT_OUT_OF_PROC_CS_FLAG,
    WCT_OUT_OF_PROC_FLAG,
    WCTP_GETINFO_ALL_FLAGS,
    WCTP_OPEN_ALL_FLAGS,
)
from openwer.werapi.wait_chain_session import ChainResult, WaitChainCallback, WaitChainSession
from openwer.werapi.wait_chain_structs import WAITCHAIN_NODE_INFO

__all__ = [
    "CloseThreadWaitChainSession",
    "GetThreadWaitChain",
    "OpenThreadWaitChainSession",
    "RegisterWaitChainCOMCallback",
]

log = logging.getLogger("openwer")

_SESSIONS: HandleTable[WaitChainSession] = HandleTable(start=0x3000)
_GETINFO_FLAGS = WCTP_GETINFO_ALL_FLAGS | WCT_NETWORK_IO_FLAG
_com_callbacks: tuple[Callable[..., Any] | None, Callable[..., Any] | None] = (None, None)


def OpenThreadWaitChainSession(Flags: int, callback: WaitChainCallback | None) -> int | None:
    """Open a session; the handle, or None with :func:`GetLastError` saying why.

    ``Flags`` is 0 (synchronous) or ``WCT_ASYNC_OPEN_FLAG``, which needs ``callback``
    (``ERROR_INVALID_PARAMETER`` otherwise); a synchronous session ignores ``callback``.
    ``ERROR_NOT_SUPPORTED`` where there is no ``/proc``.
    """
    if not isinstance(Flags, int) or Flags & ~WCTP_OPEN_ALL_FLAGS:
        SetLastError(ERROR_INVALID_PARAMETER)
        return None
    asynchronous = bool(Flags & WCT_ASYNC_OPEN_FLAG)
    if asynchronous and not callable(callback):
        SetLastError(ERROR_INVALID_PARAMETER)
        return None
    if not os.path.isdir("/proc/self/task"):
        SetLastError(ERROR_NOT_SUPPORTED)
        return None
    session = WaitChainSession(0, callback if asynchronous else None)
    session.handle = _SESSIONS.add(session)
    SetLastError(ERROR_SUCCESS)
    return session.handle


def CloseThreadWaitChainSession(WctHandle: int | None) -> None:
    """Close a session (VOID: an unknown handle is ignored); cancels an asynchronous session's
    pending requests and returns after their callbacks ran."""
    session = _SESSIONS.remove(WctHandle)
    if session is not None:
        session.close()


def GetThreadWaitChain(
    WctHandle: int | None, Context: Any, Flags: int, ThreadId: int, NodeCount: int | None
) -> tuple[int, int, list[WAITCHAIN_NODE_INFO], bool]:
    """The wait chain of thread ``ThreadId``: ``(error, NodeCount, NodeInfoArray, IsCycle)``.

    ``NodeCount`` is the capacity of the caller's array (1 or more; more than 16 is the same
    as 16). In an asynchronous session the result goes to the callback and this returns
    ``(ERROR_IO_PENDING, 0, [], False)``.
    """
    session = _SESSIONS.get(WctHandle)
    if (
        session is None
        or not isinstance(Flags, int)
        or Flags & ~_GETINFO_FLAGS
        or not isinstance(NodeCount, int)
        or NodeCount < 1
        or not isinstance(ThreadId, int)
        or ThreadId <= 0
    ):
        return _answer(ChainResult(ERROR_INVALID_PARAMETER))
    capacity = min(NodeCount, WCT_MAX_NODE_COUNT)

    def compute() -> ChainResult:
        return _chain_result(Flags, ThreadId, capacity)

    if session.asynchronous:
        if not session.submit(Context, compute):
            return _answer(ChainResult(ERROR_INVALID_PARAMETER))  # closed meanwhile
        return _answer(ChainResult(ERROR_IO_PENDING))
    return _answer(compute())


def RegisterWaitChainCOMCallback(
    CallStateCallback: Callable[..., Any] | None,
    ActivationStateCallback: Callable[..., Any] | None,
) -> None:
    """Keep the COM callbacks (the last pair wins); Linux has no COM, so they are never called."""
    global _com_callbacks
    _com_callbacks = (CallStateCallback, ActivationStateCallback)


def _answer(result: ChainResult) -> tuple[int, int, list[WAITCHAIN_NODE_INFO], bool]:
    SetLastError(result.error)
    return result.error, result.node_count, list(result.nodes), result.is_cycle


def _chain_result(flags: int, thread_id: int, capacity: int) -> ChainResult:
    options = WalkOptions(
        max_nodes=WCT_MAX_NODE_COUNT,
        follow_processes=bool(flags & WCT_OUT_OF_PROC_FLAG),
        foreign_lock_owners=bool(flags & WCT_OUT_OF_PROC_CS_FLAG),
        network_io=bool(flags & WCT_NETWORK_IO_FLAG),
    )
    try:
        chain = walk_wait_chain(process_of_thread(thread_id), thread_id, options)
    except AccessDeniedError:
        return ChainResult(ERROR_ACCESS_DENIED)
    except NotFoundError:
        return ChainResult(ERROR_OBJECT_NOT_FOUND)
    except (OpenwerError, OSError) as exc:
        log.warning("openwer.werapi: GetThreadWaitChain failed: %s", exc)
        return ChainResult(ERROR_GEN_FAILURE)
    nodes = tuple(WAITCHAIN_NODE_INFO.from_node(node) for node in chain.nodes)
    needed = len(nodes)
    returned = chain.nodes[:capacity]
    is_cycle = find_cycle(returned) is not None
    if needed > capacity:
        return ChainResult(ERROR_MORE_DATA, needed, nodes[:capacity], is_cycle)
    error = ERROR_TOO_MANY_THREADS if chain.truncated else ERROR_SUCCESS
    return ChainResult(error, needed, nodes, is_cycle)
