"""The Win32 names of Wait Chain Traversal's constants (``wct.h``) and the Win32 error codes
``GetThreadWaitChain`` reports (values: wer-spec.md §2).

Types and statuses are bound to the members of :mod:`openwer.types`, so the two cannot drift
apart. Error codes are plain ints (``ERROR_SUCCESS`` is 0), as ``GetLastError`` returns them.
"""

from __future__ import annotations

from typing import Final

from openwer.formats.wait_chain import MAX_CHAIN_NODES
from openwer.types import WctObjectStatus, WctObjectType

__all__ = [
    "ERROR_ACCESS_DENIED",
    "ERROR_CANCELLED",
    "ERROR_GEN_FAILURE",
    "ERROR_INVALID_PARAMETER",
    "ERROR_IO_PENDING",
    "ERROR_MORE_DATA",
    "ERROR_NOT_SUPPORTED",
    "ERROR_OBJECT_NOT_FOUND",
    "ERROR_SUCCESS",
    "ERROR_TOO_MANY_THREADS",
    "WCTP_GETINFO_ALL_FLAGS",
    "WCTP_OPEN_ALL_FLAGS",
    "WCT_ASYNC_OPEN_FLAG",
    "WCT_MAX_NODE_COUNT",
    "WCT_NETWORK_IO_FLAG",
    "WCT_OBJNAME_LENGTH",
    "WCT_OUT_OF_PROC_COM_FLAG",
    "WCT_OUT_OF_PROC_CS_FLAG",
    "WCT_OUT_OF_PROC_FLAG",
    "WctAlpcType",
    "WctComActivationType",
    "WctComType",
    "WctCriticalSectionType",
    "WctMaxType",
    "WctMutexType",
    "WctProcessWaitType",
    "WctSendMessageType",
    "WctSmbIoType",
    "WctSocketIoType",
    "WctStatusAbandoned",
    "WctStatusBlocked",
    "WctStatusError",
    "WctStatusMax",
    "WctStatusNoAccess",
    "WctStatusNotOwned",
    "WctStatusOwned",
    "WctStatusPidOnly",
    "WctStatusPidOnlyRpcss",
    "WctStatusRunning",
    "WctStatusUnknown",
    "WctThreadType",
    "WctThreadWaitType",
    "WctUnknownType",
]

WCT_MAX_NODE_COUNT: Final = MAX_CHAIN_NODES
WCT_OBJNAME_LENGTH: Final = 128
WCT_ASYNC_OPEN_FLAG: Final = 0x1
WCTP_OPEN_ALL_FLAGS: Final = WCT_ASYNC_OPEN_FLAG
WCT_OUT_OF_PROC_FLAG: Final = 0x1
WCT_OUT_OF_PROC_COM_FLAG: Final = 0x2
WCT_OUT_OF_PROC_CS_FLAG: Final = 0x4
WCTP_GETINFO_ALL_FLAGS: Final = (
    WCT_OUT_OF_PROC_FLAG | WCT_OUT_OF_PROC_COM_FLAG | WCT_OUT_OF_PROC_CS_FLAG
)
WCT_NETWORK_IO_FLAG: Final = 0x8

ERROR_SUCCESS: Final = 0
ERROR_ACCESS_DENIED: Final = 5
ERROR_GEN_FAILURE: Final = 31
ERROR_NOT_SUPPORTED: Final = 50
ERROR_INVALID_PARAMETER: Final = 87
ERROR_MORE_DATA: Final = 234
ERROR_TOO_MANY_THREADS: Final = 565
ERROR_IO_PENDING: Final = 997
ERROR_CANCELLED: Final = 1223
ERROR_OBJECT_NOT_FOUND: Final = 4312

WctCriticalSectionType = WctObjectType.CRITICAL_SECTION
WctSendMessageType = WctObjectType.SEND_MESSAGE
WctMutexType = WctObjectType.MUTEX
WctAlpcType = WctObjectType.ALPC
WctComType = WctObjectType.COM
WctThreadWaitType = WctObjectType.THREAD_WAIT
WctProcessWaitType = WctObjectType.PROCESS_WAIT
WctThreadType = WctObjectType.THREAD
WctComActivationType = WctObjectType.COM_ACTIVATION
WctUnknownType = WctObjectType.UNKNOWN
WctSocketIoType = WctObjectType.SOCKET_IO
WctSmbIoType = WctObjectType.SMB_IO
WctMaxType = WctObjectType.MAX
WctStatusNoAccess = WctObjectStatus.NO_ACCESS
WctStatusRunning = WctObjectStatus.RUNNING
WctStatusBlocked = WctObjectStatus.BLOCKED
WctStatusPidOnly = WctObjectStatus.PID_ONLY
WctStatusPidOnlyRpcss = WctObjectStatus.PID_ONLY_RPCSS
WctStatusOwned = WctObjectStatus.OWNED
WctStatusNotOwned = WctObjectStatus.NOT_OWNED
WctStatusAbandoned = WctObjectStatus.ABANDONED
WctStatusUnknown = WctObjectStatus.UNKNOWN
WctStatusError = WctObjectStatus.ERROR
WctStatusMax = WctObjectStatus.MAX
