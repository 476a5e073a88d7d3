"""``openwer run`` with native capture: real crashing children, traced, each with one report.

Every crash is checked end to end: the exit status (death by the same signal), exactly one
APPCRASH report with WER's parameters and the minidump attached as a minidump file, and the
dump itself read by lldb, by openwer's reader (same crashing thread, same top frames) and by
the ``minidump`` package.
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
    crasher,
    minidump_package_view,
    require_ptrace,
    same_function,
    stream_types,
)

from openwer.formats.minidump_writer.stream_types import LINUX_ENVIRON
from openwer.store import StoreArea, StoreScope, open_store
from openwer.supervisor import ReportOrigin, RunRecord, supervise
from openwer.types import FileType, SubmitResult

pytestmark = pytest.mark.timeout(120)

PY = sys.executable


@pytest.fixture(autouse=True)
def _ptrace_allowed() -> None:
    require_ptrace()


def _reports() -> list[str]:
    return open_store(StoreScope.USER).keys(StoreArea.QUEUE)


def _only_report() -> tuple[dict[str, str], Path]:
    (key,) = _reports()
    stored = open_store(StoreScope.USER).get(key)
    return {entry.key: entry.value or "" for entry in stored.document.entries}, Path(stored.folder)


def _run(argv: list[str]) -> RunRecord:
    (run,) = supervise(argv, native=True).runs
    return run


def test_c_segfault_gives_one_appcrash_report_with_a_minidump(openwer_home: Path) -> None:
    """A C program's NULL dereference: death by SIGSEGV, one report, a dump every reader reads."""
    program = crasher()
    run = _run([str(program), "segv"])
    assert run.exit.signal == signal.SIGSEGV
    assert run.report is ReportOrigin.SUPERVISOR
    assert run.submit_result is SubmitResult.REPORT_QUEUED
    assert run.minidump_size > 0
    values, folder = _only_report()
    assert values["EventType"] == "APPCRASH"
    signature = [values[f"Sig[{i}].Value"] for i in range(8)]
    assert signature[0] == program.name
    assert signature[2] != "00000000"  # the program's build id
    assert signature[3] == program.name  # the fault is in the program itself
    assert signature[6] == "0000000b"
    assert int(signature[7], 16) > 0
    assert [values[f"Sig[{i}].Name"] for i in (0, 3, 6, 7)] == [
        "Application Name",
        "Fault Module Name",
        "Exception Code",
        "Exception Offset",
    ]
    files = {
        values[key]: values[key.replace(".CabName", ".Type")]
        for key in values
        if key.endswith(".CabName")
    }
    assert files["minidump.mdmp"] == str(int(FileType.MINIDUMP))
    dump = folder / "minidump.mdmp"
    document, lldb_threads = assert_readers_agree(dump)
    assert lldb_threads[0].stop_reason == "signal SIGSEGV"
    assert lldb_threads[0].functions[:3] == ("deref", "level2", "main")
    assert len(lldb_threads) == 2
    assert document["crash"]["reason"] == "SIGSEGV / SEGV_MAPERR"
    assert document["crash"]["address"] == 0x10
    facts = json.loads((folder / "ProcessExit.json").read_text())
    assert facts["si_code"] == 1
    assert facts["fault_address"] == "0x10"


def test_abort_is_reported_as_sigabrt(openwer_home: Path) -> None:
    """abort(): death by SIGABRT, exception code 6, the dump shows abort's frames."""
    run = _run([str(crasher()), "abort"])
    assert run.exit.signal == signal.SIGABRT
    values, folder = _only_report()
    assert values["Sig[6].Value"] == "00000006"
    assert values["Sig[3].Value"] == "libc.so.6"
    _, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert lldb_threads[0].stop_reason == "signal SIGABRT"
    assert any(same_function("abort", name) for name in lldb_threads[0].functions[:4])


def test_divide_by_zero_is_sigfpe(openwer_home: Path) -> None:
    """Integer division by zero: SIGFPE with FPE_INTDIV at the dividing instruction."""
    run = _run([str(crasher()), "fpe"])
    assert run.exit.signal == signal.SIGFPE
    values, folder = _only_report()
    assert values["Sig[6].Value"] == "00000008"
    document, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert lldb_threads[0].functions[:2] == ("divide", "main")
    assert document["crash"]["reason"].startswith("SIGFPE")


def test_crash_in_a_second_thread_names_that_thread(openwer_home: Path) -> None:
    """The crashing thread is the worker, not the main thread; its context is the fault's."""
    run = _run([str(crasher()), "thread"])
    assert run.exit.signal == signal.SIGSEGV
    _, folder = _only_report()
    document, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    crashed = next(thread for thread in lldb_threads if thread.crashed)
    assert crashed.functions[:3] == ("deref", "level2", "crasher_thread")
    assert document["crash"]["thread_id"] != run.exit.pid
    assert len(lldb_threads) == 3


def test_crash_of_a_forked_child_is_reported_once(openwer_home: Path) -> None:
    """A forked child dies of SIGSEGV: one report for it; the program's own exit is unchanged."""
    run = _run([str(crasher()), "fork"])
    assert run.exit.exit_code == 3
    assert not run.crashed
    values, folder = _only_report()
    assert values["TargetProcessId"] != str(run.exit.pid)
    assert values["Sig[6].Value"] == "0000000b"
    _, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert lldb_threads[0].functions[:3] == ("deref", "level2", "main")


def test_python_ctypes_segfault(openwer_home: Path, tmp_path: Path) -> None:
    """A segfault in a C extension (ctypes): libc's strlen at the top, Python stacks attached."""
    script = tmp_path / "crash.py"
    script.write_text(
        NO_CORE
        + SELF_DESTRUCT
        + "import ctypes, faulthandler, threading, time\n"
        + "faulthandler.enable()\n"
        + "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        + "def crash():\n    ctypes.string_at(0)\n"
        + "crash()\n"
    )
    run = _run([PY, str(script)])
    assert run.exit.signal == signal.SIGSEGV
    values, folder = _only_report()
    assert values["Sig[3].Value"] == "libc.so.6"
    document, lldb_threads = assert_readers_agree(folder / "minidump.mdmp")
    assert "strlen" in lldb_threads[0].functions[0]
    assert "string_at" in " ".join(lldb_threads[0].functions[:3])
    if (folder / "python-stacks.json").exists():  # py-spy was found
        stacks = json.loads((folder / "python-stacks.json").read_text())
        current = next(thread for thread in stacks["threads"] if thread["current"])
        assert [frame["function"] for frame in current["frames"]][:2] == ["string_at", "crash"]
        assert document["python"] is not None


def test_handled_sigsegv_is_not_a_crash(openwer_home: Path) -> None:
    """A program that recovers from its own SIGSEGV is not reported and exits as it would."""
    run = _run([str(crasher()), "handled"])
    assert run.exit.exit_code == 5
    assert not run.crashed
    assert _reports() == []


def test_non_fatal_signals_pass_through(openwer_home: Path) -> None:
    """Signals the program handles reach its handlers unchanged: it counts three SIGUSR1."""
    run = _run([str(crasher()), "usr1"])
    assert run.exit.exit_code == 13
    assert _reports() == []


def test_plain_exit_status_is_unchanged(openwer_home: Path) -> None:
    """Tracing changes nothing for a program that just exits."""
    run = _run([str(crasher()), "exit"])
    assert run.exit.exit_code == 7
    assert _reports() == []


def test_job_control_stop_and_continue(openwer_home: Path, tmp_path: Path) -> None:
    """SIGSTOP stops the traced program (a group-stop, kept with PTRACE_LISTEN); SIGCONT resumes."""
    ready = tmp_path / "ready"
    script = tmp_path / "stopper.py"
    script.write_text(
        SELF_DESTRUCT.replace("signal.", "__import__('signal').")
        + "import os, signal, time\n"
        + f"open({str(ready)!r}, 'w').close()\n"
        + "os.kill(os.getpid(), signal.SIGSTOP)\n"
        + "raise SystemExit(4)\n"
    )
    import threading

    def resume_when_stopped() -> None:
        from native_samples import wait_for

        def stopped() -> bool:
            for entry in os.listdir("/proc"):
                if entry.isdigit() and entry != str(os.getpid()):
                    try:
                        if str(script) in Path(f"/proc/{entry}/cmdline").read_text():
                            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2]
                            if state.split()[0] in ("T", "t"):
                                os.kill(int(entry), signal.SIGCONT)
                                return True
                    except OSError:
                        continue
            return False

        wait_for(stopped, 20)

    helper = threading.Thread(target=resume_when_stopped, daemon=True)
    helper.start()
    run = _run([PY, str(script)])
    helper.join(5)
    assert ready.exists()
    assert run.exit.exit_code == 4


def test_openwer_run_mirrors_the_crash(openwer_home: Path) -> None:
    """The command itself: openwer run dies of the program's signal, with one report."""
    launch = "from openwer.cli.main import main; main()"
    done = subprocess.run(
        [PY, "-c", launch, "run", "--", str(crasher()), "segv"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGSEGV
    assert "an APPCRASH report is queued" in done.stderr
    (key,) = _reports()
    folder = Path(open_store(StoreScope.USER).get(key).folder)
    parsed = minidump_package_view(folder / "minidump.mdmp")
    record = parsed.exception.exception_records[0].ExceptionRecord
    assert int(record.ExceptionCode.value) == signal.SIGSEGV


def test_no_trace_runs_without_a_minidump(openwer_home: Path) -> None:
    """--no-trace (native=False): the crash is still reported, without a dump."""
    (run,) = supervise([str(crasher()), "segv"]).runs
    assert run.exit.signal == signal.SIGSEGV
    _, folder = _only_report()
    assert not (folder / "minidump.mdmp").exists()


def test_local_dumps_keep_a_full_minidump(openwer_home: Path, tmp_path: Path) -> None:
    """LocalDumps DumpType 2 keeps a full dump in DumpFolder; the report keeps a mini one."""
    folder = tmp_path / "dumps"
    settings = openwer_home / "config" / "openwer" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text(f'[LocalDumps]\nDumpFolder = "{folder}"\nDumpCount = 2\nDumpType = 2\n')
    program = crasher()
    for _ in range(3):
        _run([str(program), "segv"])
    local = sorted(folder.glob("*.dmp"))
    assert len(local) == 2  # DumpCount: the oldest was replaced
    assert all(path.name.startswith(f"{program.name}.") for path in local)
    report_dumps = [
        Path(open_store(StoreScope.USER).get(key).folder) / "minidump.mdmp" for key in _reports()
    ]
    assert len(report_dumps) == 3
    assert local[-1].stat().st_size > 4 * report_dumps[0].stat().st_size
    assert_readers_agree(local[-1])


def test_environment_goes_in_only_with_full_consent(
    openwer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environ stream (0x47670007) is written only when consent allows all data."""
    monkeypatch.setenv("OPENWER_TEST_SECRET", "s3cr3t-value")
    settings = openwer_home / "config" / "openwer" / "settings.toml"
    settings.parent.mkdir(parents=True)
    _run([str(crasher()), "segv"])
    (first,) = _reports()
    dump = (Path(open_store(StoreScope.USER).get(first).folder) / "minidump.mdmp").read_bytes()
    assert LINUX_ENVIRON not in stream_types(dump)
    settings.write_text("[Consent]\nDefaultConsent = 4\n")
    _run([str(crasher()), "segv"])
    (second,) = [key for key in _reports() if key != first]
    dump = (Path(open_store(StoreScope.USER).get(second).folder) / "minidump.mdmp").read_bytes()
    assert LINUX_ENVIRON in stream_types(dump)
    assert b"OPENWER_TEST_SECRET=s3cr3t-value" in dump
    assert os.environ["OPENWER_TEST_SECRET"] == "s3cr3t-value"


def test_exec_is_followed(openwer_home: Path) -> None:
    """A program that execs another one ends with the new program's status."""
    run = _run([PY, "-c", "import os; os.execv('/bin/sh', ['sh', '-c', 'exit 5'])"])
    assert run.exit.exit_code == 5
    assert _reports() == []


def test_children_that_outlive_the_program_are_released(openwer_home: Path, tmp_path: Path) -> None:
    """A child left running when the program exits is detached: it goes on, untraced."""
    from native_samples import wait_for

    from openwer.platform.procfs import tracer_pid

    out = tmp_path / "child.pid"
    code = (
        "import os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(3)\n"
        "    os._exit(0)\n"
        f"open({str(out)!r}, 'w').write(str(pid))\n"
    )
    (run,) = supervise([PY, "-c", code], native=True).runs
    assert run.exit.exit_code == 0
    child = int(out.read_text())
    try:
        assert Path(f"/proc/{child}").exists()
        assert tracer_pid(child) == 0
    finally:
        os.kill(child, signal.SIGKILL)
    assert wait_for(lambda: not Path(f"/proc/{child}/cmdline").exists() or tracer_pid(child) == 0)


def test_traced_launch_errors_are_a_shells(tmp_path: Path) -> None:
    """A traced program that cannot be started is 127 (not found) or 126 (not runnable)."""
    from openwer.supervisor import LaunchError

    with pytest.raises(LaunchError) as missing:
        supervise(["openwer-test-no-such-program"], native=True)
    assert missing.value.exit_status == 127
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(LaunchError) as refused:
        supervise([str(script)], native=True)
    assert refused.value.exit_status == 126
    assert "permission denied" in str(refused.value)
