"""The Win32 names of WER's constants, exactly as ``werapi.h`` spells them.

Each name is bound to the member of :mod:`openwer.types` that holds its value, so the two cannot
drift apart (values: wer-spec.md §1). HRESULTs are plain ints, as the functions return them.
"""

from __future__ import annotations

from openwer.types import (
    APPCRASH_EVENT,
    MAX_PATH,
    PACKAGED_APPCRASH_EVENT,
    WER_MAX_APPLICATION_NAME_LENGTH,
    WER_MAX_BUCKET_ID_STRING_LENGTH,
    WER_MAX_DESCRIPTION_LENGTH,
    WER_MAX_EVENT_NAME_LENGTH,
    WER_MAX_FRIENDLY_EVENT_NAME_LENGTH,
    WER_MAX_LOCAL_DUMP_SUBPATH_LENGTH,
    WER_MAX_MEM_BLOCK_SIZE,
    WER_MAX_PARAM_COUNT,
    WER_MAX_PARAM_LENGTH,
    WER_MAX_REGISTERED_DUMPCOLLECTION,
    WER_MAX_REGISTERED_ENTRIES,
    WER_MAX_REGISTERED_METADATA,
    WER_MAX_SIGNATURE_NAME_LENGTH,
    WER_MAX_TOTAL_PARAM_LENGTH,
    WER_METADATA_KEY_MAX_LENGTH,
    WER_METADATA_VALUE_MAX_LENGTH,
    Consent,
    DumpFlags,
    DumpType,
    FaultReportingFlags,
    FileFlags,
    FileType,
    HResult,
    RegisterFileType,
    ReportType,
    StoreType,
    SubmitFlags,
    SubmitResult,
    UIOption,
)

__all__ = [
    "APPCRASH_EVENT",
    "E_ACCESSDENIED",
    "E_FAIL",
    "E_HANDLE",
    "E_INVALIDARG",
    "E_NOTIMPL",
    "E_OUTOFMEMORY",
    "E_STORE_INVALID",
    "E_STORE_MACHINE_ARCHIVE",
    "E_STORE_MACHINE_QUEUE",
    "E_STORE_USER_ARCHIVE",
    "E_STORE_USER_QUEUE",
    "HRESULT_FROM_WIN32_ERROR_ENVVAR_NOT_FOUND",
    "HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND",
    "HRESULT_FROM_WIN32_ERROR_NOT_SUPPORTED",
    "HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES",
    "MAX_PATH",
    "PACKAGED_APPCRASH_EVENT",
    "S_FALSE",
    "S_OK",
    "WER_DUMP_AUXILIARY",
    "WER_DUMP_AUX_PROMOTE",
    "WER_DUMP_NOHEAP_ONQUEUE",
    "WER_E_CABBING_FAILURE",
    "WER_E_INSUFFICIENT_BUFFER",
    "WER_E_INVALID_STATE",
    "WER_E_LENGTH_EXCEEDED",
    "WER_E_MISSING_DUMP",
    "WER_E_NOT_FOUND",
    "WER_FAULT_REPORTING_ALWAYS_SHOW_UI",
    "WER_FAULT_REPORTING_CRITICAL",
    "WER_FAULT_REPORTING_DISABLE_SNAPSHOT_CRASH",
    "WER_FAULT_REPORTING_DISABLE_SNAPSHOT_HANG",
    "WER_FAULT_REPORTING_DURABLE",
    "WER_FAULT_REPORTING_FLAG_DISABLE_THREAD_SUSPENSION",
    "WER_FAULT_REPORTING_FLAG_NOHEAP",
    "WER_FAULT_REPORTING_FLAG_NO_HEAP_ON_QUEUE",
    "WER_FAULT_REPORTING_FLAG_QUEUE",
    "WER_FAULT_REPORTING_FLAG_QUEUE_UPLOAD",
    "WER_FAULT_REPORTING_NO_UI",
    "WER_FILE_ANONYMOUS_DATA",
    "WER_FILE_COMPRESSED",
    "WER_FILE_DELETE_WHEN_DONE",
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
    "WER_P0",
    "WER_P1",
    "WER_P2",
    "WER_P3",
    "WER_P4",
    "WER_P5",
    "WER_P6",
    "WER_P7",
    "WER_P8",
    "WER_P9",
    "WER_SUBMIT_ADD_REGISTERED_DATA",
    "WER_SUBMIT_ARCHIVE_PARAMETERS_ONLY",
    "WER_SUBMIT_BYPASS_DATA_THROTTLING",
    "WER_SUBMIT_BYPASS_NETWORK_COST_THROTTLING",
    "WER_SUBMIT_BYPASS_POWER_THROTTLING",
    "WER_SUBMIT_DISCARD_IF_QUEUED",
    "WER_SUBMIT_HONOR_RECOVERY",
    "WER_SUBMIT_HONOR_RESTART",
    "WER_SUBMIT_NO_ARCHIVE",
    "WER_SUBMIT_NO_CLOSE_UI",
    "WER_SUBMIT_NO_QUEUE",
    "WER_SUBMIT_OUTOFPROCESS",
    "WER_SUBMIT_OUTOFPROCESS_ASYNC",
    "WER_SUBMIT_QUEUE",
    "WER_SUBMIT_REPORT_MACHINE_ID",
    "WER_SUBMIT_SHOW_DEBUG",
    "WER_SUBMIT_START_MINIMIZED",
    "WerConsentAlwaysPrompt",
    "WerConsentApproved",
    "WerConsentDenied",
    "WerConsentMax",
    "WerConsentNotAsked",
    "WerCustomAction",
    "WerDisabled",
    "WerDisabledQueue",
    "WerDumpTypeHeapDump",
    "WerDumpTypeMax",
    "WerDumpTypeMicroDump",
    "WerDumpTypeMiniDump",
    "WerDumpTypeNone",
    "WerDumpTypeTriageDump",
    "WerFileTypeAuxiliaryDump",
    "WerFileTypeAuxiliaryHeapDump",
    "WerFileTypeCustomDump",
    "WerFileTypeEtlTrace",
    "WerFileTypeHeapdump",
    "WerFileTypeMax",
    "WerFileTypeMicrodump",
    "WerFileTypeMinidump",
    "WerFileTypeOther",
    "WerFileTypeTriagedump",
    "WerFileTypeUserDocument",
    "WerRegFileTypeMax",
    "WerRegFileTypeOther",
    "WerRegFileTypeUserDocument",
    "WerReportApplicationCrash",
    "WerReportApplicationHang",
    "WerReportAsync",
    "WerReportCancelled",
    "WerReportCritical",
    "WerReportDebug",
    "WerReportFailed",
    "WerReportInvalid",
    "WerReportKernel",
    "WerReportNonCritical",
    "WerReportQueued",
    "WerReportUploaded",
    "WerReportUploadedCab",
    "WerStorageLocationNotFound",
    "WerSubmitResultMax",
    "WerThrottled",
    "WerUIAdditionalDataDlgHeader",
    "WerUICloseDlgBody",
    "WerUICloseDlgButtonText",
    "WerUICloseDlgHeader",
    "WerUICloseText",
    "WerUIConsentDlgBody",
    "WerUIConsentDlgHeader",
    "WerUIIconFilePath",
    "WerUIMax",
    "WerUIOfflineSolutionCheckText",
    "WerUIOnlineSolutionCheckText",
]


WerReportNonCritical = ReportType.NON_CRITICAL
WerReportCritical = ReportType.CRITICAL
WerReportApplicationCrash = ReportType.APPLICATION_CRASH
WerReportApplicationHang = ReportType.APPLICATION_HANG
WerReportKernel = ReportType.KERNEL
WerReportInvalid = ReportType.INVALID
WerFileTypeMicrodump = FileType.MICRODUMP
WerFileTypeMinidump = FileType.MINIDUMP
WerFileTypeHeapdump = FileType.HEAPDUMP
WerFileTypeUserDocument = FileType.USER_DOCUMENT
WerFileTypeOther = FileType.OTHER
WerFileTypeTriagedump = FileType.TRIAGEDUMP
WerFileTypeCustomDump = FileType.CUSTOM_DUMP
WerFileTypeAuxiliaryDump = FileType.AUXILIARY_DUMP
WerFileTypeEtlTrace = FileType.ETL_TRACE
WerFileTypeAuxiliaryHeapDump = FileType.AUXILIARY_HEAP_DUMP
WerFileTypeMax = FileType.MAX
WER_FILE_DELETE_WHEN_DONE = FileFlags.DELETE_WHEN_DONE
WER_FILE_ANONYMOUS_DATA = FileFlags.ANONYMOUS_DATA
WER_FILE_COMPRESSED = FileFlags.COMPRESSED
WerRegFileTypeUserDocument = RegisterFileType.USER_DOCUMENT
WerRegFileTypeOther = RegisterFileType.OTHER
WerRegFileTypeMax = RegisterFileType.MAX
WerDumpTypeNone = DumpType.NONE
WerDumpTypeMicroDump = DumpType.MICRO_DUMP
WerDumpTypeMiniDump = DumpType.MINI_DUMP
WerDumpTypeHeapDump = DumpType.HEAP_DUMP
WerDumpTypeTriageDump = DumpType.TRIAGE_DUMP
WerDumpTypeMax = DumpType.MAX
WER_DUMP_NOHEAP_ONQUEUE = DumpFlags.NOHEAP_ONQUEUE
WER_DUMP_AUXILIARY = DumpFlags.AUXILIARY
WER_DUMP_AUX_PROMOTE = DumpFlags.AUX_PROMOTE
WerConsentNotAsked = Consent.NOT_ASKED
WerConsentApproved = Consent.APPROVED
WerConsentDenied = Consent.DENIED
WerConsentAlwaysPrompt = Consent.ALWAYS_PROMPT
WerConsentMax = Consent.MAX
WER_SUBMIT_HONOR_RECOVERY = SubmitFlags.HONOR_RECOVERY
WER_SUBMIT_HONOR_RESTART = SubmitFlags.HONOR_RESTART
WER_SUBMIT_QUEUE = SubmitFlags.QUEUE
WER_SUBMIT_SHOW_DEBUG = SubmitFlags.SHOW_DEBUG
WER_SUBMIT_ADD_REGISTERED_DATA = SubmitFlags.ADD_REGISTERED_DATA
WER_SUBMIT_OUTOFPROCESS = SubmitFlags.OUTOFPROCESS
WER_SUBMIT_NO_CLOSE_UI = SubmitFlags.NO_CLOSE_UI
WER_SUBMIT_NO_QUEUE = SubmitFlags.NO_QUEUE
WER_SUBMIT_NO_ARCHIVE = SubmitFlags.NO_ARCHIVE
WER_SUBMIT_START_MINIMIZED = SubmitFlags.START_MINIMIZED
WER_SUBMIT_OUTOFPROCESS_ASYNC = SubmitFlags.OUTOFPROCESS_ASYNC
WER_SUBMIT_BYPASS_DATA_THROTTLING = SubmitFlags.BYPASS_DATA_THROTTLING
WER_SUBMIT_ARCHIVE_PARAMETERS_ONLY = SubmitFlags.ARCHIVE_PARAMETERS_ONLY
WER_SUBMIT_REPORT_MACHINE_ID = SubmitFlags.REPORT_MACHINE_ID
WER_SUBMIT_BYPASS_POWER_THROTTLING = SubmitFlags.BYPASS_POWER_THROTTLING
WER_SUBMIT_BYPASS_NETWORK_COST_THROTTLING = SubmitFlags.BYPASS_NETWORK_COST_THROTTLING
WER_SUBMIT_DISCARD_IF_QUEUED = SubmitFlags.DISCARD_IF_QUEUED
WerReportQueued = SubmitResult.REPORT_QUEUED
WerReportUploaded = SubmitResult.REPORT_UPLOADED
WerReportDebug = SubmitResult.REPORT_DEBUG
WerReportFailed = SubmitResult.REPORT_FAILED
WerDisabled = SubmitResult.DISABLED
WerReportCancelled = SubmitResult.REPORT_CANCELLED
WerDisabledQueue = SubmitResult.DISABLED_QUEUE
WerReportAsync = SubmitResult.REPORT_ASYNC
WerCustomAction = SubmitResult.CUSTOM_ACTION
WerThrottled = SubmitResult.THROTTLED
WerReportUploadedCab = SubmitResult.REPORT_UPLOADED_CAB
WerStorageLocationNotFound = SubmitResult.STORAGE_LOCATION_NOT_FOUND
WerSubmitResultMax = SubmitResult.MAX
E_STORE_USER_ARCHIVE = StoreType.USER_ARCHIVE
E_STORE_USER_QUEUE = StoreType.USER_QUEUE
E_STORE_MACHINE_ARCHIVE = StoreType.MACHINE_ARCHIVE
E_STORE_MACHINE_QUEUE = StoreType.MACHINE_QUEUE
E_STORE_INVALID = StoreType.INVALID
WerUIAdditionalDataDlgHeader = UIOption.ADDITIONAL_DATA_DLG_HEADER
WerUIIconFilePath = UIOption.ICON_FILE_PATH
WerUIConsentDlgHeader = UIOption.CONSENT_DLG_HEADER
WerUIConsentDlgBody = UIOption.CONSENT_DLG_BODY
WerUIOnlineSolutionCheckText = UIOption.ONLINE_SOLUTION_CHECK_TEXT
WerUIOfflineSolutionCheckText = UIOption.OFFLINE_SOLUTION_CHECK_TEXT
WerUICloseText = UIOption.CLOSE_TEXT
WerUICloseDlgHeader = UIOption.CLOSE_DLG_HEADER
WerUICloseDlgBody = UIOption.CLOSE_DLG_BODY
WerUICloseDlgButtonText = UIOption.CLOSE_DLG_BUTTON_TEXT
WerUIMax = UIOption.MAX
WER_FAULT_REPORTING_FLAG_NOHEAP = FaultReportingFlags.FLAG_NOHEAP
WER_FAULT_REPORTING_FLAG_QUEUE = FaultReportingFlags.FLAG_QUEUE
WER_FAULT_REPORTING_FLAG_DISABLE_THREAD_SUSPENSION = (
    FaultReportingFlags.FLAG_DISABLE_THREAD_SUSPENSION
)
WER_FAULT_REPORTING_FLAG_QUEUE_UPLOAD = FaultReportingFlags.FLAG_QUEUE_UPLOAD
WER_FAULT_REPORTING_ALWAYS_SHOW_UI = FaultReportingFlags.ALWAYS_SHOW_UI
WER_FAULT_REPORTING_NO_UI = FaultReportingFlags.NO_UI
WER_FAULT_REPORTING_FLAG_NO_HEAP_ON_QUEUE = FaultReportingFlags.FLAG_NO_HEAP_ON_QUEUE
WER_FAULT_REPORTING_DISABLE_SNAPSHOT_CRASH = FaultReportingFlags.DISABLE_SNAPSHOT_CRASH
WER_FAULT_REPORTING_DISABLE_SNAPSHOT_HANG = FaultReportingFlags.DISABLE_SNAPSHOT_HANG
WER_FAULT_REPORTING_CRITICAL = FaultReportingFlags.CRITICAL
WER_FAULT_REPORTING_DURABLE = FaultReportingFlags.DURABLE
WER_P0 = 0
WER_P1 = 1
WER_P2 = 2
WER_P3 = 3
WER_P4 = 4
WER_P5 = 5
WER_P6 = 6
WER_P7 = 7
WER_P8 = 8
WER_P9 = 9
S_OK = int(HResult.S_OK)
S_FALSE = int(HResult.S_FALSE)
E_NOTIMPL = int(HResult.E_NOTIMPL)
E_FAIL = int(HResult.E_FAIL)
E_ACCESSDENIED = int(HResult.E_ACCESSDENIED)
E_HANDLE = int(HResult.E_HANDLE)
E_OUTOFMEMORY = int(HResult.E_OUTOFMEMORY)
E_INVALIDARG = int(HResult.E_INVALIDARG)
HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND = int(HResult.FILE_NOT_FOUND)
HRESULT_FROM_WIN32_ERROR_NO_MORE_FILES = int(HResult.NO_MORE_FILES)
WER_E_CABBING_FAILURE = int(HResult.WER_E_CABBING_FAILURE)
HRESULT_FROM_WIN32_ERROR_NOT_SUPPORTED = int(HResult.NOT_SUPPORTED)
WER_E_INSUFFICIENT_BUFFER = int(HResult.WER_E_INSUFFICIENT_BUFFER)
HRESULT_FROM_WIN32_ERROR_ENVVAR_NOT_FOUND = int(HResult.ENVVAR_NOT_FOUND)
WER_E_MISSING_DUMP = int(HResult.WER_E_MISSING_DUMP)
WER_E_NOT_FOUND = int(HResult.WER_E_NOT_FOUND)
WER_E_LENGTH_EXCEEDED = int(HResult.WER_E_LENGTH_EXCEEDED)
WER_E_INVALID_STATE = int(HResult.WER_E_INVALID_STATE)
