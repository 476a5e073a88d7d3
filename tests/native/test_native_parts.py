"""The parts of native capture that need no crash: frames, stacks, ELF ids, plans, parameters."""

from __future__ import annotations

import json
import os
import signal
import stat
import struct
import sys
from pathlib import Path

import pytest

from openwer.formats.minidump_writer import (
    Architecture,
    CrashException,
    CrashSnapshot,
    MemoryRegion,
    MiscInfo,
    ModuleRecord,
    SystemFacts,
    ThreadRecord,
    X86Context,
)
from openwer.native.appcrash import CrashedApplication, appcrash_parameters
from openwer.native.collector import Capture, mini_snapshot
from openwer.native.dso_debug import parse_auxv, read_dso_debug
from openwer.native.dump_plan import DumpPlan, plan_for_local_dumps
from openwer.native.elf_identity import (
    IdentityCache,
    parse_build_id,
    read_elf_identity,
    version_from_name,
)
from openwer.native.handler_protocol import (
    HandlerArguments,
    decode_arguments,
    decode_message,
    encode_arguments,
    encode_message,
)
from openwer.native.local_minidump import write_local_minidump
from openwer.native.memory_selection import extra_ranges, stack_range, window_ranges
from openwer.native.modules import module_at, modules_from_maps
from openwer.native.python_stacks import (
    parse_faulthandler,
    py_spy_stacks,
    stacks_payload,
    with_thread_ids,
)
from openwer.native.signal_frame import RESTORER_CODE, fault_details, find_signal_frame
from openwer.platform.process_memory import ProcessMemory
from openwer.platform.procfs import parse_maps, read_maps, read_proc_file
from openwer.settings import LocalDumpSettings, LocalDumpType

FAULTHANDLER_TEXT = """Fatal Python error: Segmentation fault

Thread 0x00007f0000000700 (most recent call first):
  File "/usr/lib/python3.11/threading.py", line 320 in wait
  File "app.py", line 7 in worker

Current thread 0x00007f0000001000 (most recent call first):
  File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at
  File "app.py", line ??? in crash
  File "app.py", line 12 in <module>

Extension modules: _ctypes (total: 1)
"""


def test_faulthandler_text_parses_into_threads() -> None:
    """Both threads, the current one marked, frames innermost first, unknown lines as None."""
    stacks = parse_faulthandler(FAULTHANDLER_TEXT)
    assert stacks.fatal_error == "Segmentation fault"
    assert [thread.ident for thread in stacks.threads] == [0x7F0000000700, 0x7F0000001000]
    current = stacks.current
    assert current is not None
    assert current.ident == 0x7F0000001000
    assert [frame.function for frame in current.frames] == ["string_at", "crash", "<module>"]
    assert current.frames[1].line is None
    mapped = with_thread_ids(stacks, {0x7F0000001000: 4242})
    assert mapped.current is not None
    assert mapped.current.thread_id == 4242
    document = json.loads(stacks_payload(mapped))
    assert document["format"] == "openwer-python-stacks"
    assert document["threads"][1]["frames"][0] == {
        "file": "/usr/lib/python3.11/ctypes/__init__.py",
        "line": 519,
        "function": "string_at",
    }
    assert document["text"] == FAULTHANDLER_TEXT


def test_py_spy_output_is_read(tmp_path: Path) -> None:
    """py-spy's --json listing becomes the same stacks; a failing py-spy gives None."""
    listing = [
        {
            "thread_id": 140000,
            "os_thread_id": 77,
            "thread_name": "MainThread",
            "frames": [{"name": "crash", "filename": "app.py", "line": 3}],
        }
    ]
    fake = tmp_path / "py-spy"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(listing)}\nEOF\n")
    fake.chmod(stat.S_IRWXU)
    stacks = py_spy_stacks(str(fake), 1, 77)
    assert stacks is not None
    assert stacks.source == "py-spy"
    (thread,) = stacks.threads
    assert (thread.thread_id, thread.current, thread.name) == (77, True, "MainThread")
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(stat.S_IRWXU)
    assert py_spy_stacks(str(broken), 1, 77) is None


def _frame_bytes(restorer: int, rip: int, cr2: int, trapno: int, err: int) -> bytes:
    head = struct.pack("<QQQ", restorer, 7, 0) + b"\0" * 24
    general = [0] * 18
    general[15], general[16], general[17] = 0x7FFF1000, rip, 0x10283  # rsp, rip, eflags
    sigcontext = struct.pack("<18Q4H5Q", *general, 0x33, 0, 0, 0x2B, err, trapno, 0, cr2, 0)
    return head + sigcontext + b"\0" * 64


def test_signal_frame_is_found_and_decoded() -> None:
    """A frame 8 modulo 16 whose return address is the restorer's code gives the fault context."""
    restorer = 0x7F0000003C050
    frame = _frame_bytes(restorer, rip=0x401234, cr2=0x10, trapno=14, err=4)
    base = 0x7FFF0000  # frames sit at 8 modulo 16
    stack = b"\x11" * 8 + frame + b"\0" * 64

    def read(address: int, size: int) -> bytes:
        return RESTORER_CODE[:size] if address == restorer else b""

    found = find_signal_frame(stack, base, read)
    assert found is not None
    assert found.address == base + 8
    assert (found.context.rip, found.context.rsp, found.context.cs) == (0x401234, 0x7FFF1000, 0x33)
    assert fault_details(found, signal.SIGSEGV) == (1, 0x10)  # SEGV_MAPERR at cr2
    assert fault_details(found, signal.SIGABRT) == (-6, 0)
    assert find_signal_frame(stack, base, lambda address, size: b"") is None


def test_fault_details_of_other_traps() -> None:
    """Divide error → FPE_INTDIV at rip; protection fault → SEGV_ACCERR; GP fault → SI_KERNEL."""
    restorer = 0x7F0000003C050

    def decoded(trapno: int, err: int) -> object:
        stack = b"\0" * 8 + _frame_bytes(restorer, 0x401000, 0x20, trapno, err)
        frame = find_signal_frame(stack, 0x1000, lambda a, s: RESTORER_CODE[:s])
        assert frame is not None
        return frame

    assert fault_details(decoded(0, 0), signal.SIGFPE) == (1, 0x401000)  # type: ignore[arg-type]
    assert fault_details(decoded(14, 5), signal.SIGSEGV) == (2, 0x20)  # type: ignore[arg-type]
    assert fault_details(decoded(13, 0), signal.SIGSEGV) == (0x80, 0)  # type: ignore[arg-type]
    assert fault_details(decoded(6, 0), signal.SIGILL) == (2, 0x401000)  # type: ignore[arg-type]


def test_elf_build_ids_and_versions() -> None:
    """The interpreter's build id read from its file equals the one parsed from its bytes."""
    executable = os.path.realpath(sys.executable)
    identity = read_elf_identity(executable)
    assert identity is not None
    with open(executable, "rb") as handle:
        head = handle.read(1 << 16)
    assert parse_build_id(head) in (identity.build_id, b"")
    assert read_elf_identity(__file__) is None  # not ELF
    assert parse_build_id(b"not an elf") is None
    assert version_from_name("/lib/libssl.so.3") == (3, 0, 0, 0)
    assert version_from_name("libpython3.11.so.1.0") == (1, 0, 0, 0)
    assert version_from_name("/usr/bin/python3") is None
    cache = IdentityCache()
    assert cache.identity(executable, "0:0", 1) == cache.identity(executable, "0:0", 1)
    assert len(cache) == 1


def test_modules_of_this_process() -> None:
    """Every code-mapped ELF file is one module spanning all its mappings; libc has a build id."""
    _, mappings = read_maps(os.getpid())
    with ProcessMemory(os.getpid()) as memory:
        modules = modules_from_maps(mappings, IdentityCache(), memory.read)
    libc = next(module for module in modules if "libc.so" in module.path)
    assert len(libc.build_id) >= 16
    assert libc.version == (6, 0, 0, 0)
    code = next(m for m in mappings if m.file_path == libc.path and m.executable)
    assert module_at(modules, code.start) == libc
    assert any(module.path == "linux-gate.so" for module in modules)  # the vDSO
    assert module_at(modules, 8) is None


def test_dso_debug_of_this_process() -> None:
    """r_debug's link map lists the libraries the dynamic linker loaded."""
    auxv = parse_auxv(read_proc_file(os.getpid(), "auxv") or b"")
    with ProcessMemory(os.getpid()) as memory:
        debug = read_dso_debug(memory.read, auxv)
    assert debug is not None
    assert debug.version == 1
    assert any("libc.so" in entry.name for entry in debug.entries)


def test_memory_selection_follows_the_plan() -> None:
    """Stacks from the red zone up; windows clipped to mappings; plans add their extras."""
    mappings = parse_maps(
        b"00400000-00401000 r-xp 00000000 08:02 7 /usr/bin/prog\n"
        b"00600000-00601000 rw-p 00000000 08:02 7 /usr/bin/prog\n"
        b"01000000-01100000 rw-p 00000000 00:00 0 [heap]\n"
        b"7ff00000-7ff20000 rw-p 00000000 00:00 0 [stack]\n"
    )
    mini = DumpPlan.mini()
    assert stack_range(mappings, 0x7FF10000, mini) == (0x7FF10000 - 128, 0x10000 + 128)
    assert stack_range(mappings, 0x5000, mini) is None
    assert window_ranges(mappings, [0x400010], mini) == [(0x400000, 0x90)]
    assert extra_ranges(mappings, [], mini) == []
    assert extra_ranges(mappings, [], DumpPlan.from_flags(0x1)) == [(0x600000, 0x1000)]
    assert extra_ranges(mappings, [], DumpPlan.from_flags(0x200)) == [
        (0x1000000, 0x100000),
        (0x7FF00000, 0x20000),
    ]
    stack_word = struct.pack("<Q", 0x1000080)
    assert extra_ranges(mappings, [stack_word], DumpPlan.from_flags(0x40)) == [(0x1000000, 0x100)]
    assert len(extra_ranges(mappings, [], DumpPlan.full())) == 3


def test_local_dump_settings_pick_the_plan(tmp_path: Path) -> None:
    """DumpType 1 mini, 2 full, 0 the custom flags."""

    def settings(kind: LocalDumpType, flags: int = 0) -> LocalDumpSettings:
        return LocalDumpSettings(tmp_path, 2, kind, flags)

    assert plan_for_local_dumps(settings(LocalDumpType.MINI)) == DumpPlan.mini()
    assert plan_for_local_dumps(settings(LocalDumpType.FULL)) == DumpPlan.full()
    custom = plan_for_local_dumps(settings(LocalDumpType.CUSTOM, 0x201))
    assert (custom.data_segments, custom.private_memory, custom.name) == (True, True, "custom")
    assert DumpPlan.full().name == "full"


def test_local_minidumps_rotate(tmp_path: Path) -> None:
    """DumpCount keeps the newest dumps, named <app>.<pid>.dmp; no settings, no dump."""
    settings = LocalDumpSettings(tmp_path / "dumps", 2, LocalDumpType.MINI, 0)
    paths = [
        write_local_minidump(b"MDMP" + bytes([i]), "my app", 10 + i, settings) for i in range(3)
    ]
    assert all(path is not None for path in paths)
    kept = sorted(p.name for p in (tmp_path / "dumps").iterdir())
    assert kept == ["my_app.11.dmp", "my_app.12.dmp"]
    assert write_local_minidump(b"MDMP", "app", 1, None) is None
    again = write_local_minidump(b"MDMP", "my app", 12, settings)
    assert again is not None
    assert again.name == "my_app.12.1.dmp"


def _capture(ip: int) -> Capture:
    libc_id, program_id = bytes.fromhex("93ac61ec") + bytes(16), bytes.fromhex("a7516ae8")
    libc = ModuleRecord(0x7F0000000000, 0x200000, "/lib/libc.so.6", libc_id)
    program = ModuleRecord(0x400000, 0x5000, "/usr/bin/prog", program_id + bytes(16))
    stack = MemoryRegion(0x7FF00000, bytes(200_000))
    snapshot = CrashSnapshot(
        timestamp=0,
        system=SystemFacts(Architecture.X86_64, 1, (6, 1, 0), ""),
        misc=MiscInfo(5),
        threads=(ThreadRecord(5, X86Context(rip=ip, rsp=0x7FF00080), stack),),
        modules=(program, libc),
        memory=(MemoryRegion(ip - 128, bytes(256)), MemoryRegion(0x1000000, bytes(4096))),
        exception=CrashException(5, 11, 1, 0),
    )
    return Capture(snapshot, (), libc if ip >= libc.base else None, program, window_count=1)


def test_appcrash_parameters() -> None:
    """WER's eight APPCRASH values from the capture: build-id stamps, module-relative offset."""
    application = CrashedApplication("prog", "/usr/bin/prog", "1.2.3.4")
    values = appcrash_parameters(application, 11, _capture(0x7F0000167AD8))
    assert values == (
        "prog",
        "1.2.3.4",
        "a7516ae8",
        "libc.so.6",
        "6.0.0.0",
        "93ac61ec",
        "0000000b",
        "0000000000167ad8",
    )
    unknown = appcrash_parameters(application, 6, None)
    assert unknown[3:] == ("unknown", "0.0.0.0", "00000000", "00000006", "0" * 16)


def test_mini_snapshot_cuts_memory_and_stacks() -> None:
    """The report's dump keeps the fault windows and 64 KiB of each stack."""
    mini = mini_snapshot(_capture(0x7F0000167AD8))
    assert len(mini.memory) == 1
    stack = mini.threads[0].stack
    assert stack is not None
    assert len(stack.data) == 0x80 + 64 * 1024


def test_handler_protocol_round_trip() -> None:
    """Arguments and messages survive encoding; junk is refused."""
    arguments = HandlerArguments(42, 3, 4, 17, "app", "1.0", "/app.py", 5)
    assert decode_arguments(encode_arguments(arguments)) == arguments
    with pytest.raises(ValueError, match="not openwer crash handler arguments"):
        decode_arguments('{"version": 2}')
    assert decode_message(encode_message("hello", pid=7)) == {"type": "hello", "pid": 7}
    assert decode_message(b"{not json") is None
    assert decode_message(b'{"type": "other"}') is None
    assert decode_message(b"x" * 70_000) is None


def test_a_thread_blocked_in_write_is_recognised(tmp_path: Path) -> None:
    """/proc/<tid>/syscall names the call a thread is blocked in, and its descriptor."""
    import subprocess

    from openwer.native.crash_attach import _blocked_writing

    code = (
        "import os, socket\n"
        "a, b = socket.socketpair()\n"
        "a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)\n"
        "print(a.fileno(), flush=True)\n"
        "while True:\n    os.write(a.fileno(), b'x' * 4096)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        descriptor = int(child.stdout.readline())
        from native_samples import wait_for

        assert wait_for(lambda: _blocked_writing(child.pid, descriptor, frozenset({1})), 10)
        assert not _blocked_writing(child.pid, descriptor + 1, frozenset({1}))
    finally:
        child.kill()
        child.communicate(timeout=10)


def test_live_snapshot_leaves_the_process_running() -> None:
    """A snapshot of a running process: its threads, no exception; it goes on untraced."""
    import subprocess

    from native_samples import require_ptrace

    from openwer.native.live_snapshot import snapshot_process
    from openwer.platform.procfs import tracer_pid

    require_ptrace()
    code = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "print('ready', flush=True)\ntime.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        capture = snapshot_process(child.pid)
        assert capture.snapshot.threads[0].thread_id == child.pid
        assert len(capture.snapshot.threads) == 2
        assert capture.snapshot.exception is None
        assert capture.main_module is not None
        assert tracer_pid(child.pid) == 0
        assert child.poll() is None
    finally:
        child.kill()
        child.communicate(timeout=10)


def test_threads_born_while_seizing_are_held_and_released(tmp_path: Path) -> None:
    """A process that keeps starting threads: every thread is held, then none stays traced."""
    import subprocess
    import time

    from native_samples import require_ptrace, wait_for

    from openwer.native.process_stop import release_stragglers, seize_all_threads, stop_threads
    from openwer.platform import ptrace
    from openwer.platform.procfs import task_ids, tracer_pid
    from openwer.platform.trace_stop import StopKind

    require_ptrace()
    beat = tmp_path / "beat"
    code = (
        "import threading, time\n"
        f"open({str(beat)!r}, 'w').write('0')\n"
        "print('ready', flush=True)\n"
        "n = 0\n"
        "while True:\n"
        "    threading.Thread(target=time.sleep, args=(0.002,)).start()\n"
        f"    n += 1\n    open({str(beat)!r}, 'w').write(str(n))\n"
        "    time.sleep(0.0005)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        for _ in range(5):
            held = stop_threads(seize_all_threads(child.pid))
            assert child.pid in held
            for tid, stop in held.items():
                ptrace.detach(tid, stop.signal if stop.kind is StopKind.SIGNAL else 0)
            release_stragglers(child.pid, held)
            assert all(tracer_pid(tid) != os.getpid() for tid in task_ids(child.pid))
            before = _beats(beat)
            assert wait_for(lambda before=before: _beats(beat) > before + 5, 10)  # it runs on
            time.sleep(0.01)
    finally:
        child.kill()
        child.communicate(timeout=10)


def _beats(path: Path) -> int:
    text = path.read_text()  # rewritten all the time: may be caught empty
    return int(text) if text.isdigit() else 0


def test_attaching_to_a_process_that_did_not_crash() -> None:
    """attach_crashed on a sleeping process: no crashing thread is found, it is left running."""
    import subprocess

    from native_samples import require_ptrace

    from openwer.native.crash_attach import attach_crashed
    from openwer.platform.procfs import tracer_pid

    require_ptrace()
    code = "import time\nprint('ready', flush=True)\ntime.sleep(30)\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        attached = attach_crashed(
            child.pid,
            999,
            plan=DumpPlan.mini(),
            identities=IdentityCache(),
            include_environ=False,
            drain=lambda: b"",
        )
        assert attached.crashed_tid is None
        assert "the crashing thread was not found" in attached.problems
        assert attached.capture is not None
        assert attached.capture.snapshot.exception is None
        assert attached.signal == 0
        attached.release()
        attached.release()
        assert tracer_pid(child.pid) == 0
        assert child.poll() is None
    finally:
        child.kill()
        child.communicate(timeout=10)


def test_handler_entry_point_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """The handler's entry point exits 2 without arguments or with arguments it cannot read."""
    from openwer.native.handler_process import main

    assert main([]) == 2
    assert main(["{not json"]) == 2
    assert "bad arguments" in capsys.readouterr().err


def test_ptrace_permission_probes() -> None:
    """The capability probe answers a bool; Yama's scope is None or 0..3."""
    from openwer.platform.ptrace_access import has_cap_sys_ptrace, ptrace_scope

    assert isinstance(has_cap_sys_ptrace(), bool)
    assert ptrace_scope() in (None, 0, 1, 2, 3)
