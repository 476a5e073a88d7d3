"""``openwer.install(native=True)``: a handler waits beside a Python program, attaches at crash.

Each test runs a real Python program that crashes (a C-level fault through ctypes, abort(), a
crash in a thread or in a forked child) and checks: its exit status is the real one, exactly one
APPCRASH report holds a minidump whose crashing thread has the fault's context (not the
handler's), faulthandler's Python stacks are attached, and lldb, openwer's reader and the
``minidump`` package read the dump. While nothing crashes, nothing traces the program.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from native_samples import (
    NO_CORE,
    SELF_DESTRUCT,
    assert_readers_agree,
    handler_of,
    no_process_left,
    require_ptrace,
    wait_for,
)

from openwer.store import StoreArea, StoreScope, open_store

pytestmark = pytest.mark.timeout(120)

PY = sys.executable

PRELUDE = (
    NO_CORE
    + SELF_DESTRUCT
    + "import ctypes, os, sys, threading, time\n"
    + "import openwer\n"
    + "from openwer.native.crash_client import wait_until_ready\n"
)
READY = "openwer.install(native=True)\nassert wait_until_ready(30), 'no handler'\n"
THREADS = (
    "for _ in range(7):\n    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
)


@pytest.fixture(autouse=True)
def _ptrace_allowed() -> None:
    require_ptrace()


def _run(
    tmp_path: Path, body: str, name: str = "app.py", **extra: object
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / name
    script.write_text(PRELUDE + body)
    env = {**os.environ, **extra.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [PY, str(script)], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def _reports() -> list[Path]:
    store = open_store(StoreScope.USER)
    return [Path(store.get(key).folder) for key in store.keys(StoreArea.QUEUE)]


def _values(folder: Path) -> dict[str, str]:
    store = open_store(StoreScope.USER)
    (key,) = [k for k in store.keys(StoreArea.QUEUE) if Path(store.get(k).folder) == folder]
    return {entry.key: entry.value or "" for entry in store.get(key).document.entries}


def _one_report() -> tuple[Path, dict[str, str]]:
    (folder,) = wait_for_reports(1)
    return folder, _values(folder)


def wait_for_reports(count: int) -> list[Path]:
    wait_for(lambda: len(_reports()) >= count, 10)
    found = _reports()
    assert len(found) == count, found
    return found


def test_ctypes_segfault_with_eight_threads(openwer_home: Path, tmp_path: Path) -> None:
    """The classic: a C extension dereferences NULL in a program with 8 threads."""
    done = _run(
        tmp_path,
        READY + THREADS + "def crash():\n    ctypes.string_at(0)\ncrash()\n",
        name="eight.py",
    )
    assert done.returncode == -signal.SIGSEGV, done.stderr
    folder, values = _one_report()
    assert values["EventType"] == "APPCRASH"
    assert values["Sig[0].Value"] == "eight"
    assert values["Sig[3].Value"] == "libc.so.6"
    assert values["Sig[6].Value"] == "0000000b"
    facts = json.loads((folder / "ProcessExit.json").read_text())
    assert facts["si_code"] == 1  # SEGV_MAPERR, recovered from the signal frame
    assert facts["fault_address"] == "0x0"
    assert "capture_problems" not in facts
    document, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert len(lldb_threads) >= 8  # the 8 threads, and openwer's own when it has one
    assert "strlen" in lldb_threads[0].functions[0]  # the fault, not faulthandler's write()
    assert document["crash"]["reason"] == "SIGSEGV / SEGV_MAPERR"
    stacks = json.loads((folder / "python-stacks.json").read_text())
    assert stacks["source"] == "faulthandler"
    assert stacks["fatal_error"] == "Segmentation fault"
    assert len(stacks["threads"]) >= 8
    current = next(thread for thread in stacks["threads"] if thread["current"])
    assert [frame["function"] for frame in current["frames"]][:3] == [
        "string_at",
        "crash",
        "<module>",
    ]
    assert current["thread_id"] == document["crash"]["thread_id"]
    assert "Fatal Python error: Segmentation fault" in (folder / "python-stacks.txt").read_text()
    assert document["python"] is not None


def test_crash_right_after_install_waits_for_the_handler(
    openwer_home: Path, tmp_path: Path
) -> None:
    """A crash before the handler is up is still captured: faulthandler's write waits for it."""
    done = _run(tmp_path, "openwer.install(native=True)\nctypes.string_at(0)\n")
    assert done.returncode == -signal.SIGSEGV
    folder, values = _one_report()
    assert values["Sig[3].Value"] == "libc.so.6"
    assert (folder / "minidump.mdmp").stat().st_size > 0


def test_crash_in_a_thread(openwer_home: Path, tmp_path: Path) -> None:
    """The crashing thread is the worker: the dump and the Python stacks say so."""
    body = (
        READY
        + "def worker():\n    ctypes.string_at(0)\n"
        + "t = threading.Thread(target=worker, name='crasher')\nt.start()\nt.join()\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == -signal.SIGSEGV
    folder, _ = _one_report()
    document, _ = assert_readers_agree(folder / "minidump.mdmp")
    assert document["crash"]["thread_id"] != document["process"]["pid"]
    stacks = json.loads((folder / "python-stacks.json").read_text())
    current = next(thread for thread in stacks["threads"] if thread["current"])
    assert "worker" in [frame["function"] for frame in current["frames"]]
    assert current["thread_id"] == document["crash"]["thread_id"]


def test_abort(openwer_home: Path, tmp_path: Path) -> None:
    """os.abort(): SIGABRT, exception code 6, the dump shows abort()."""
    done = _run(tmp_path, READY + "os.abort()\n")
    assert done.returncode == -signal.SIGABRT
    folder, values = _one_report()
    assert values["Sig[6].Value"] == "00000006"
    _, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert lldb_threads[0].stop_reason == "signal SIGABRT"


def test_faulthandler_enabled_before_install_keeps_its_output(
    openwer_home: Path, tmp_path: Path
) -> None:
    """PYTHONFAULTHANDLER=1: the traceback still reaches stderr (copied by the handler)."""
    done = _run(tmp_path, READY + "ctypes.string_at(0)\n", env={"PYTHONFAULTHANDLER": "1"})
    assert done.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert "ctypes" in done.stderr
    wait_for_reports(1)


def test_faulthandler_enabled_after_install_keeps_its_file(
    openwer_home: Path, tmp_path: Path
) -> None:
    """faulthandler.enable(file=…) after install: the program's file gets the traceback."""
    log = tmp_path / "fault.log"
    body = (
        READY
        + "import faulthandler\n"
        + f"f = open({str(log)!r}, 'w')\n"
        + "faulthandler.enable(file=f)\n"
        + "assert faulthandler.is_enabled()\n"
        + "faulthandler.disable()\nassert not faulthandler.is_enabled()\n"
        + "faulthandler.enable(file=f)\n"
        + "ctypes.string_at(0)\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == -signal.SIGSEGV, done.stderr
    assert "Fatal Python error: Segmentation fault" in log.read_text()
    assert "Fatal Python error" not in done.stderr
    folder, _ = _one_report()
    assert (folder / "minidump.mdmp").exists()


def test_crash_in_a_forked_child(openwer_home: Path, tmp_path: Path) -> None:
    """A forked child is protected by the same handler; the parent's exit is its own."""
    body = (
        READY
        + "pid = os.fork()\n"
        + "if pid == 0:\n    ctypes.string_at(0)\n"
        + "_, status = os.waitpid(pid, 0)\n"
        + "print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, pid)\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    child_signal, child = done.stdout.split()
    assert int(child_signal) == signal.SIGSEGV
    folder, values = _one_report()
    assert values["TargetProcessId"] == child
    assert_readers_agree(folder / "minidump.mdmp")


def test_nothing_traces_the_program_until_it_crashes(openwer_home: Path, tmp_path: Path) -> None:
    """No tracer while it runs (a debugger could attach), no report, no process left behind."""
    body = (
        READY
        + "status = open('/proc/self/status').read()\n"
        + "print([l for l in status.splitlines() if l.startswith('TracerPid')][0].split()[1])\n"
        + "print(os.listdir(f'/proc/{os.getpid()}/task/{os.getpid()}'))\n"
        + "kids = open(f'/proc/{os.getpid()}/task/{os.getpid()}/children').read().split()\n"
        + "print(len(kids))\n"
        + "print(os.getpid())\n"
        + "raise SystemExit(3)\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == 3, done.stderr
    tracer, _, children, pid = done.stdout.splitlines()
    assert tracer == "0"
    assert children == "0"  # the handler is not the program's child
    assert _reports() == []
    assert wait_for(lambda: no_process_left(str(tmp_path / "app.py")), 10)
    assert wait_for(lambda: no_process_left(*handler_of(int(pid))), 10)


def test_a_debugger_can_attach_while_protected(openwer_home: Path, tmp_path: Path) -> None:
    """The protected program can be seized by another tracer (as a debugger would)."""
    from openwer.platform import ptrace

    ready = tmp_path / "ready"
    script = tmp_path / "waiting.py"
    script.write_text(PRELUDE + READY + f"open({str(ready)!r}, 'w').close()\ntime.sleep(30)\n")
    process = subprocess.Popen([PY, str(script)])
    try:
        assert wait_for(ready.exists, 30)
        ptrace.seize(process.pid)
        ptrace.interrupt(process.pid)
        _, status = os.waitpid(process.pid, ptrace.WALL)
        assert os.WIFSTOPPED(status)
        ptrace.detach(process.pid, 0)
    finally:
        process.kill()
        process.wait(timeout=10)


def test_under_openwer_run_only_the_supervisor_reports(openwer_home: Path, tmp_path: Path) -> None:
    """A traced program does not start a handler: one report, the supervisor's, with a dump."""
    from openwer.supervisor import ReportOrigin, supervise

    script = tmp_path / "supervised.py"
    script.write_text(
        PRELUDE
        + "from openwer.native.crash_client import ProtectionOutcome, protect\n"
        + "assert protect('x', '1', '') is ProtectionOutcome.TRACED\n"
        + "openwer.install(native=True)\n"
        + "ctypes.string_at(0)\n"
    )
    (run,) = supervise([PY, str(script)], native=True).runs
    assert run.exit.signal == signal.SIGSEGV
    assert run.report is ReportOrigin.SUPERVISOR
    (folder,) = wait_for_reports(1)
    assert (folder / "minidump.mdmp").exists()


def test_protection_lifecycle_and_faulthandler_wrappers(openwer_home: Path, tmp_path: Path) -> None:
    """protect/unprotect in a program that then exits normally: faulthandler is the program's."""
    log = tmp_path / "fault.log"
    body = (
        "import faulthandler\n"
        "from openwer.native.crash_client import (\n"
        "    ProtectionOutcome, handler_pid, protect, unprotect)\n"
        "faulthandler.enable()\n"
        "assert protect('app', '1.0', '/app.py') is ProtectionOutcome.STARTED\n"
        "assert protect('app', '1.0', '/app.py') is ProtectionOutcome.ALREADY_PROTECTED\n"
        "assert wait_until_ready(30)\n"
        "assert handler_pid() and handler_pid() != os.getpid()\n"
        "assert faulthandler.is_enabled()  # enabled before: still enabled, as it sees it\n"
        "faulthandler.disable()\n"
        "assert not faulthandler.is_enabled()\n"
        f"f = open({str(log)!r}, 'w')\n"
        "faulthandler.enable(file=f.fileno(), all_threads=False)\n"
        "assert faulthandler.is_enabled()\n"
        "try:\n"
        "    faulthandler.enable(file=object())\n"
        "except (AttributeError, TypeError, ValueError):\n"
        "    pass  # the same error faulthandler itself raises\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
        "unprotect()\n"
        "unprotect()\n"
        "assert handler_pid() is None\n"
        "faulthandler.dump_traceback(f)\n"
        "print(os.getpid())\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == 0, done.stderr
    assert _reports() == []
    assert wait_for(lambda: no_process_left(*handler_of(int(done.stdout))), 10)


def test_registered_data_goes_into_the_report(openwer_home: Path, tmp_path: Path) -> None:
    """Files and metadata the program registered (WerRegister*) come with its native crash."""
    attachment = tmp_path / "state.log"
    attachment.write_text("the program's own log\n")
    body = (
        READY
        + "from openwer.report.registry import process_registry\n"
        + f"process_registry().register_file({str(attachment)!r})\n"
        + "process_registry().register_metadata('Build', 'nightly-42')\n"
        + "ctypes.string_at(0)\n"
    )
    done = _run(tmp_path, body)
    assert done.returncode == -signal.SIGSEGV
    folder, _ = _one_report()
    assert (folder / "state.log").read_text() == "the program's own log\n"
    registered = json.loads((folder / "RegisteredData.json").read_text())
    assert registered["metadata"] == {"Build": "nightly-42"}
