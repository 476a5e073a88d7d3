"""WER's enumerations and constants, with exactly the numeric values of ``werapi.h``.

Every value here is taken from ``../shared/reference/wer-spec.md`` §1 and §4 (which cites the
Windows SDK metadata projection and the mingw-w64 header). The Pythonic names are upper-case
members of ``IntEnum``/``IntFlag`` classes; :mod:`openwer.werapi` re-exports the same values under
their Win32 names (``WerReportApplicationCrash``, ``WER_SUBMIT_QUEUE``…).

Pure data: no I/O, safe to import from anywhere.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "APPCRASH_EVENT",
    "APPCRASH_PARAMETER_NAMES",
    "MAX_PATH",
    "PACKAGED_APPCRASH_EVENT",
    "WER_MAX_APPLICATION_NAME_LENGTH",
    "WER_MAX_BUCKET_ID_STRING_LENGTH",
    "WER_MAX_DESCRIPTION_LENGTH",
    "WER_MAX_EVENT_NAME_LENGTH",
    "WER_MAX_FRIENDLY_EVENT_NAME_LENGTH",
    "WER_MAX_LOCAL_DUMP_SUBPATH_LENGTH",
    "WER_MAX_MEM_BLOCK_SIZE",
    "WER_MAX_PARAM_COUNT",
    "WER_MAX_PARAM_LENGTH",
    "WER_MAX_REGISTERED_DUMPCOLLECTION",
    "WER_MAX_REGISTERED_ENTRIES",
    "WER_MAX_REGISTERED_METADATA",
    "WER_MAX_SIGNATURE_NAME_LENGTH",
    "WER_MAX_TOTAL_PARAM_LENGTH",
    "WER_METADATA_KEY_MAX_LENGTH",
    "WER_METADATA_VALUE_MAX_LENGTH",
    "Consent",
    "ConsentLevel",
    "DumpFlags",
    "DumpType",
    "FaultReportingFlags",
    "FileFlags",
    "FileType",
    "HResult",
    "RegisterFileType",
    "ReportType",
    "StoreType",
    "SubmitFlags",
    "SubmitResult",
    "UIOption",
    "WctObjectStatus",
    "WctObjectType",
    "hresult_from_win32",
]

MAX_PATH = 260

# Limits of werapi.h (§1.2).
WER_MAX_PARAM_COUNT = 10
WER_MAX_PARAM_LENGTH = MAX_PATH  # including the terminating NUL: a value holds at most 259 chars
WER_MAX_SIGNATURE_NAME_LENGTH = 128
WER_MAX_EVENT_NAME_LENGTH = 64
WER_MAX_TOTAL_PARAM_LENGTH = 1720
WER_MAX_FRIENDLY_EVENT_NAME_LENGTH = 128
WER_MAX_APPLICATION_NAME_LENGTH = 128
WER_MAX_DESCRIPTION_LENGTH = 512
WER_MAX_BUCKET_ID_STRING_LENGTH = MAX_PATH
WER_MAX_LOCAL_DUMP_SUBPATH_LENGTH = 64
WER_MAX_MEM_BLOCK_SIZE = 64 * 1024
WER_MAX_REGISTERED_ENTRIES = 512
WER_MAX_REGISTERED_METADATA = 8
WER_MAX_REGISTERED_DUMPCOLLECTION = 4
WER_METADATA_KEY_MAX_LENGTH = 64
WER_METADATA_VALUE_MAX_LENGTH = 128

APPCRASH_EVENT = "APPCRASH"
# APPCRASH's signature parameters P0–P7, in order (wer-spec §7).
APPCRASH_PARAMETER_NAMES = (
    "Application Name",
    "Application Version",
    "Application Timestamp",
    "Fault Module Name",
    "Fault Module Version",
    "Fault Module Timestamp",
    "Exception Code",
    "Exception Offset",
)
PACKAGED_APPCRASH_EVENT = "MoAppCrash"


class ReportType(IntEnum):
    """``WER_REPORT_TYPE``."""

    NON_CRITICAL = 0
    CRITICAL = 1
    APPLICATION_CRASH = 2
    APPLICATION_HANG = 3
    KERNEL = 4
    INVALID = 5


class FileType(IntEnum):
    """``WER_FILE_TYPE``; ``MAX`` is the newest headers' sentinel (11)."""

    MICRODUMP = 1
    MINIDUMP = 2
    HEAPDUMP = 3
    USER_DOCUMENT = 4
    OTHER = 5
    TRIAGEDUMP = 6
    CUSTOM_DUMP = 7
    AUXILIARY_DUMP = 8
    ETL_TRACE = 9
    AUXILIARY_HEAP_DUMP = 10
    MAX = 11


class FileFlags(IntFlag):
    """``WER_FILE_*`` flags: only the low 16 bits are public; WER clears the rest."""

    NONE = 0
    DELETE_WHEN_DONE = 1
    ANONYMOUS_DATA = 2
    COMPRESSED = 4


class RegisterFileType(IntEnum):
    """``WER_REGISTER_FILE_TYPE`` used by ``WerRegisterFile``."""

    USER_DOCUMENT = 1
    OTHER = 2
    MAX = 3


class DumpType(IntEnum):
    """``WER_DUMP_TYPE``."""

    NONE = 0
    MICRO_DUMP = 1
    MINI_DUMP = 2
    HEAP_DUMP = 3
    TRIAGE_DUMP = 4
    MAX = 5


class DumpFlags(IntFlag):
    """``WER_DUMP_*`` flags of ``WerReportAddDump``."""

    NONE = 0
    NOHEAP_ONQUEUE = 1
    AUXILIARY = 2
    AUX_PROMOTE = 4


class Consent(IntEnum):
    """``WER_CONSENT``: the consent an application passes to ``WerReportSubmit``.

    Distinct from :class:`ConsentLevel`, the scale of the ``Consent.DefaultConsent`` setting.
    """

    NOT_ASKED = 1
    APPROVED = 2
    DENIED = 3
    ALWAYS_PROMPT = 4
    MAX = 5


class ConsentLevel(IntEnum):
    """The settings scale of ``Consent\\DefaultConsent`` and per-event consent (§4).

    ``NONE`` (0) is valid only for a per-event value ("send no data for this event type").
    """

    NONE = 0
    ALWAYS_ASK = 1
    PARAMETERS_ONLY = 2
    PARAMETERS_AND_SAFE_DATA = 3
    ALL_DATA = 4


class SubmitFlags(IntFlag):
    """``WER_SUBMIT_*`` flags of ``WerReportSubmit`` and ``WerStoreUploadReport``."""

    NONE = 0
    HONOR_RECOVERY = 0x1
    HONOR_RESTART = 0x2
    QUEUE = 0x4
    SHOW_DEBUG = 0x8
    ADD_REGISTERED_DATA = 0x10
    OUTOFPROCESS = 0x20
    NO_CLOSE_UI = 0x40
    NO_QUEUE = 0x80
    NO_ARCHIVE = 0x100
    START_MINIMIZED = 0x200
    OUTOFPROCESS_ASYNC = 0x400
    BYPASS_DATA_THROTTLING = 0x800
    ARCHIVE_PARAMETERS_ONLY = 0x1000
    REPORT_MACHINE_ID = 0x2000
    BYPASS_POWER_THROTTLING = 0x4000
    BYPASS_NETWORK_COST_THROTTLING = 0x8000
    DISCARD_IF_QUEUED = NO_QUEUE


class SubmitResult(IntEnum):
    """``WER_SUBMIT_RESULT``: what a submission did."""

    REPORT_QUEUED = 1
    REPORT_UPLOADED = 2
    REPORT_DEBUG = 3
    REPORT_FAILED = 4
    DISABLED = 5
    REPORT_CANCELLED = 6
    DISABLED_QUEUE = 7
    REPORT_ASYNC = 8
    CUSTOM_ACTION = 9
    THROTTLED = 10
    REPORT_UPLOADED_CAB = 11
    STORAGE_LOCATION_NOT_FOUND = 12
    MAX = 13


class WctObjectType(IntEnum):
    """``WCT_OBJECT_TYPE``: what a wait-chain node is (the newer header's numbering, with the
    socket and SMB I/O types before ``MAX``)."""

    CRITICAL_SECTION = 1
    SEND_MESSAGE = 2
    MUTEX = 3
    ALPC = 4
    COM = 5
    THREAD_WAIT = 6
    PROCESS_WAIT = 7
    THREAD = 8
    COM_ACTIVATION = 9
    UNKNOWN = 10
    SOCKET_IO = 11
    SMB_IO = 12
    MAX = 13


class WctObjectStatus(IntEnum):
    """``WCT_OBJECT_STATUS``: NO_ACCESS…PID_ONLY_RPCSS are thread statuses, OWNED…ABANDONED
    lock statuses, UNKNOWN and ERROR apply to any node."""

    NO_ACCESS = 1
    RUNNING = 2
    BLOCKED = 3
    PID_ONLY = 4
    PID_ONLY_RPCSS = 5
    OWNED = 6
    NOT_OWNED = 7
    ABANDONED = 8
    UNKNOWN = 9
    ERROR = 10
    MAX = 11


class StoreType(IntEnum):
    """``REPORT_STORE_TYPES``: which store and which area of it ``WerStoreOpen`` opens."""

    USER_ARCHIVE = 0
    USER_QUEUE = 1
    MACHINE_ARCHIVE = 2
    MACHINE_QUEUE = 3
    INVALID = 4


class UIOption(IntEnum):
    """``WER_REPORT_UI``: the UI strings a report may override (persisted as ``UI[n]``)."""

    ADDITIONAL_DATA_DLG_HEADER = 1
    ICON_FILE_PATH = 2
    CONSENT_DLG_HEADER = 3
    CONSENT_DLG_BODY = 4
    ONLINE_SOLUTION_CHECK_TEXT = 5
    OFFLINE_SOLUTION_CHECK_TEXT = 6
    CLOSE_TEXT = 7
    CLOSE_DLG_HEADER = 8
    CLOSE_DLG_BODY = 9
    CLOSE_DLG_BUTTON_TEXT = 10
    MAX = 11


class FaultReportingFlags(IntFlag):
    """``WER_FAULT_REPORTING_*`` flags of ``WerSetFlags``."""

    NONE = 0
    FLAG_NOHEAP = 1
    FLAG_QUEUE = 2
    FLAG_DISABLE_THREAD_SUSPENSION = 4
    FLAG_QUEUE_UPLOAD = 8
    ALWAYS_SHOW_UI = 16
    NO_UI = 32
    FLAG_NO_HEAP_ON_QUEUE = 64
    DISABLE_SNAPSHOT_CRASH = 128
    DISABLE_SNAPSHOT_HANG = 256
    CRITICAL = 512
    DURABLE = 1024


def hresult_from_win32(code: int) -> int:
    """Return ``HRESULT_FROM_WIN32(code)`` as an unsigned 32-bit int (``0x8007xxxx``)."""
    if code <= 0:
        return code & 0xFFFFFFFF
    return (code & 0x0000FFFF) | (7 << 16) | 0x80000000


class HResult(IntEnum):
    """The HRESULTs the WER API returns (§1.3), as unsigned 32-bit values."""

    S_OK = 0
    S_FALSE = 1
    E_NOTIMPL = 0x80004001
    E_FAIL = 0x80004005
    E_ACCESSDENIED = 0x80070005
    E_HANDLE = 0x80070006
    E_OUTOFMEMORY = 0x8007000E
    E_INVALIDARG = 0x80070057
    FILE_NOT_FOUND = 0x80070002  # HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
    NO_MORE_FILES = 0x80070012  # HRESULT_FROM_WIN32(ERROR_NO_MORE_FILES)
    WER_E_CABBING_FAILURE = 0x8007001F  # HRESULT_FROM_WIN32(ERROR_GEN_FAILURE)
    NOT_SUPPORTED = 0x80070032  # HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)
    WER_E_INSUFFICIENT_BUFFER = 0x8007007A  # HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)
    ENVVAR_NOT_FOUND = 0x800700CB  # HRESULT_FROM_WIN32(ERROR_ENVVAR_NOT_FOUND)
    WER_E_MISSING_DUMP = 0x8007023D  # HRESULT_FROM_WIN32(ERROR_MISSING_SYSTEMFILE)
    WER_E_NOT_FOUND = 0x80070490  # HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
    WER_E_LENGTH_EXCEEDED = 0x80070503  # HRESULT_FROM_WIN32(ERROR_PARAMETER_QUOTA_EXCEEDED)
    WER_E_INVALID_STATE = 0x8007139F  # HRESULT_FROM_WIN32(ERROR_INVALID_STATE)
