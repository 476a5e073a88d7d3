"""The numbers of a minidump: stream types, CPU architectures and platforms.

Values are Microsoft's (``minidumpapiset.h``) and Breakpad's/Crashpad's extensions
(``minidump_format.h``); names are the ones those headers and rust-minidump use, so a stream
listed by ``openwer analyze`` reads like ``minidump_dump``'s output.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CpuArchitecture", "PlatformId", "StreamType", "stream_type_name"]


class StreamType(IntEnum):
    """MINIDUMP_STREAM_TYPE plus the Breakpad (0x4767…), Crashpad (0x4350…) and LLVM streams."""

    UNUSED = 0
    THREAD_LIST = 3
    MODULE_LIST = 4
    MEMORY_LIST = 5
    EXCEPTION = 6
    SYSTEM_INFO = 7
    THREAD_EX_LIST = 8
    MEMORY64_LIST = 9
    COMMENT_A = 10
    COMMENT_W = 11
    HANDLE_DATA = 12
    FUNCTION_TABLE = 13
    UNLOADED_MODULE_LIST = 14
    MISC_INFO = 15
    MEMORY_INFO_LIST = 16
    THREAD_INFO_LIST = 17
    HANDLE_OPERATION_LIST = 18
    TOKEN = 19
    JAVASCRIPT_DATA = 20
    SYSTEM_MEMORY_INFO = 21
    PROCESS_VM_COUNTERS = 22
    IPT_TRACE = 23
    THREAD_NAMES = 24
    BREAKPAD_INFO = 0x47670001
    ASSERTION_INFO = 0x47670002
    LINUX_CPU_INFO = 0x47670003
    LINUX_PROC_STATUS = 0x47670004
    LINUX_LSB_RELEASE = 0x47670005
    LINUX_CMD_LINE = 0x47670006
    LINUX_ENVIRON = 0x47670007
    LINUX_AUXV = 0x47670008
    LINUX_MAPS = 0x47670009
    LINUX_DSO_DEBUG = 0x4767000A
    LLVM_LINUX_PROC_STAT = 0x4767000B
    LLVM_LINUX_PROC_UPTIME = 0x4767000C
    LLVM_LINUX_PROC_FD = 0x4767000D
    CRASHPAD_INFO = 0x43500001
    MOZ_MACOS_CRASH_INFO = 0x4D7A0001
    MOZ_MACOS_BOOTARGS = 0x4D7A0002
    MOZ_LINUX_LIMITS = 0x4D7A0003
    OPENWER_PYTHON_STACKS = 0x4F570001


_DISPLAY_NAMES = {
    StreamType.UNUSED: "Unused",
    StreamType.THREAD_LIST: "ThreadList",
    StreamType.MODULE_LIST: "ModuleList",
    StreamType.MEMORY_LIST: "MemoryList",
    StreamType.EXCEPTION: "Exception",
    StreamType.SYSTEM_INFO: "SystemInfo",
    StreamType.THREAD_EX_LIST: "ThreadExList",
    StreamType.MEMORY64_LIST: "Memory64List",
    StreamType.COMMENT_A: "CommentA",
    StreamType.COMMENT_W: "CommentW",
    StreamType.HANDLE_DATA: "HandleData",
    StreamType.FUNCTION_TABLE: "FunctionTable",
    StreamType.UNLOADED_MODULE_LIST: "UnloadedModuleList",
    StreamType.MISC_INFO: "MiscInfo",
    StreamType.MEMORY_INFO_LIST: "MemoryInfoList",
    StreamType.THREAD_INFO_LIST: "ThreadInfoList",
    StreamType.HANDLE_OPERATION_LIST: "HandleOperationList",
    StreamType.TOKEN: "Token",
    StreamType.JAVASCRIPT_DATA: "JavaScriptData",
    StreamType.SYSTEM_MEMORY_INFO: "SystemMemoryInfo",
    StreamType.PROCESS_VM_COUNTERS: "ProcessVmCounters",
    StreamType.IPT_TRACE: "IptTrace",
    StreamType.THREAD_NAMES: "ThreadNames",
    StreamType.BREAKPAD_INFO: "BreakpadInfo",
    StreamType.ASSERTION_INFO: "AssertionInfo",
    StreamType.LINUX_CPU_INFO: "LinuxCpuInfo",
    StreamType.LINUX_PROC_STATUS: "LinuxProcStatus",
    StreamType.LINUX_LSB_RELEASE: "LinuxLsbRelease",
    StreamType.LINUX_CMD_LINE: "LinuxCmdLine",
    StreamType.LINUX_ENVIRON: "LinuxEnviron",
    StreamType.LINUX_AUXV: "LinuxAuxv",
    StreamType.LINUX_MAPS: "LinuxMaps",
    StreamType.LINUX_DSO_DEBUG: "LinuxDsoDebug",
    StreamType.LLVM_LINUX_PROC_STAT: "LinuxProcStat",
    StreamType.LLVM_LINUX_PROC_UPTIME: "LinuxProcUptime",
    StreamType.LLVM_LINUX_PROC_FD: "LinuxProcFd",
    StreamType.CRASHPAD_INFO: "CrashpadInfo",
    StreamType.MOZ_MACOS_CRASH_INFO: "MozMacosCrashInfo",
    StreamType.MOZ_MACOS_BOOTARGS: "MozMacosBootargs",
    StreamType.MOZ_LINUX_LIMITS: "MozLinuxLimits",
    StreamType.OPENWER_PYTHON_STACKS: "OpenwerPythonStacks",
}


def stream_type_name(stream_type: int) -> str:
    """The stream's display name, or ``0x…`` for a type openwer does not know."""
    try:
        return _DISPLAY_NAMES[StreamType(stream_type)]
    except ValueError:
        return f"0x{stream_type:x}"


class CpuArchitecture(IntEnum):
    """MINIDUMP_SYSTEM_INFO.ProcessorArchitecture (Microsoft's values, Breakpad's 0x8000 range)."""

    X86 = 0
    MIPS = 1
    ALPHA = 2
    PPC = 3
    SHX = 4
    ARM = 5
    IA64 = 6
    ALPHA64 = 7
    MSIL = 8
    AMD64 = 9
    X86_WIN64 = 10
    ARM64 = 12
    SPARC = 0x8001
    PPC64 = 0x8002
    ARM64_OLD = 0x8003
    MIPS64 = 0x8004
    RISCV = 0x8005
    RISCV64 = 0x8006
    UNKNOWN = 0xFFFF


class PlatformId(IntEnum):
    """MINIDUMP_SYSTEM_INFO.PlatformId (Microsoft's values, Breakpad's 0x8000 range)."""

    WIN32S = 0
    WIN32_WINDOWS = 1
    WIN32_NT = 2
    WIN32_CE = 3
    UNIX = 0x8000
    MAC_OS_X = 0x8101
    IOS = 0x8102
    LINUX = 0x8201
    SOLARIS = 0x8202
    ANDROID = 0x8203
    PS3 = 0x8204
    NACL = 0x8205
    FUCHSIA = 0x8206
