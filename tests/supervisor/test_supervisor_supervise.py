"""Tests of supervise(): real child processes, their exits, crash reports and restarts."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from openwer.store import StoreArea, StoreScope, open_store
from openwer.supervisor import (
    LaunchError,
    ReportOrigin,
    RestartDecision,
    RestartPolicy,
    RunRecord,
    supervise,
)
from openwer.types import SubmitResult

PY = sys.executable
NO_CORE = "import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"

# A program that logs its arguments, registers for restart and crashes as a Python program
# with openwer's hook would: the hook marks the crash as reported, the process exits 1.
RESTARTABLE = """
import json, sys
from openwer.capture.restart import mark_crash_reported, register_restart
with open(sys.argv[1], "a") as log:
    log.write(json.dumps(sys.argv[2:]) + "\\n")
register_restart([sys.argv[1], "--restarted"], int(sys.argv[2]) if sys.argv[2:3] == ["1"] else 0)
mark_crash_reported("AppCrash_fake_key")
sys.exit(1)
"""


def _queued() -> list[str]:
    return open_store(StoreScope.USER).keys(StoreArea.QUEUE)


def _script(tmp_path: Path, text: str, name: str = "child.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_exit_code_is_recorded(openwer_home: Path) -> None:
    """A child exiting 3 is one run ending with status 3: not a crash, no report."""
    result = supervise([PY, "-c", "raise SystemExit(3)"])
    (run,) = result.runs
    assert run.exit.exit_code == 3
    assert run.exit.signal is None
    assert not run.crashed
    assert run.report is ReportOrigin.NONE
    assert run.restart is RestartDecision.NOT_ENABLED
    assert result.final_exit == run.exit
    assert result.restarts == 0
    assert _queued() == []


def test_fatal_signal_gives_exactly_one_appcrash_report(openwer_home: Path) -> None:
    """Death by SIGSEGV is a crash: one APPCRASH report is queued, with the signal as code."""
    code = NO_CORE + "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    (run,) = supervise([PY, "-c", code]).runs
    assert run.exit.signal == signal.SIGSEGV
    assert run.crashed
    assert run.report is ReportOrigin.SUPERVISOR
    assert run.submit_result is SubmitResult.REPORT_QUEUED
    (key,) = _queued()
    stored = open_store(StoreScope.USER).get(key)
    document = stored.document
    assert document.get("EventType") == "APPCRASH"
    assert document.get("ReportType") == "2"
    assert document.get("TargetProcessId") == str(run.exit.pid)
    values = [document.get(f"Sig[{i}].Value") for i in range(8)]
    assert values == [
        os.path.basename(PY),
        "0.0.0.0",
        "00000000",
        "unknown",
        "0.0.0.0",
        "00000000",
        "0000000b",
        "0000000000000000",
    ]
    assert document.get("Sig[6].Name") == "Exception Code"
    with open_store(StoreScope.USER).open_file(key, "ProcessExit.json") as facts_file:
        facts = json.load(facts_file)
    assert facts["signal_name"] == "SIGSEGV"
    assert facts["pid"] == run.exit.pid


def test_null_pointer_dereference(openwer_home: Path) -> None:
    """A real segmentation fault (ctypes reading address 0) is reported once."""
    code = NO_CORE + "import ctypes; ctypes.string_at(0)"
    (run,) = supervise([PY, "-c", code]).runs
    assert run.exit.signal == signal.SIGSEGV
    assert len(_queued()) == 1


def test_in_process_report_is_not_doubled(openwer_home: Path) -> None:
    """A child whose crash path marked its crash as reported gets no second report."""
    code = NO_CORE + (
        "import os, signal\n"
        "from openwer.capture.restart import mark_crash_reported\n"
        "mark_crash_reported('AppCrash_native_key')\n"
        "os.abort()\n"
    )
    (run,) = supervise([PY, "-c", code]).runs
    assert run.exit.signal == signal.SIGABRT
    assert run.crashed
    assert run.report is ReportOrigin.IN_PROCESS
    assert run.report_key == "AppCrash_native_key"
    assert _queued() == []


def test_unhandled_exception_with_marker_is_a_crash(openwer_home: Path) -> None:
    """Exit 1 after an in-process report is a crash, reported once (by the program)."""
    code = (
        "from openwer.capture.restart import mark_crash_reported\n"
        "mark_crash_reported(None)\n"
        "raise RuntimeError('boom')\n"
    )
    (run,) = supervise([PY, "-c", code]).runs
    assert run.exit.exit_code == 1
    assert run.crashed
    assert run.report is ReportOrigin.IN_PROCESS
    assert run.report_key is None
    assert _queued() == []


def test_marker_with_clean_exit_is_not_a_crash(openwer_home: Path) -> None:
    """A marker followed by exit 0 (a non-fatal report) is not a crash."""
    code = "from openwer.capture.restart import mark_crash_reported; mark_crash_reported('k')"
    (run,) = supervise([PY, "-c", code]).runs
    assert not run.crashed


def test_killed_by_sigterm_is_not_a_crash(openwer_home: Path) -> None:
    """Death by SIGTERM is being stopped, not a crash: no report."""
    (run,) = supervise([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"]).runs
    assert run.exit.signal == signal.SIGTERM
    assert not run.crashed
    assert _queued() == []


def test_restart_with_registered_command_line_is_bounded(
    openwer_home: Path, tmp_path: Path
) -> None:
    """A registered program is restarted as itself plus its arguments, --max-restarts times."""
    log = tmp_path / "runs.log"
    script = _script(tmp_path, RESTARTABLE)
    seen: list[RunRecord] = []
    result = supervise(
        [PY, str(script), str(log)],
        RestartPolicy(enabled=True, max_restarts=2, min_uptime_s=0),
        on_run_end=seen.append,
    )
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        [],
        ["--restarted"],
        ["--restarted"],
    ]
    assert result.restarts == 2
    assert list(result.runs) == seen
    assert [run.restart for run in result.runs] == [
        RestartDecision.RESTART,
        RestartDecision.RESTART,
        RestartDecision.LIMIT_REACHED,
    ]
    assert result.runs[0].next_argv == (PY, str(script), str(log), "--restarted")
    assert result.final_exit.exit_code == 1
    assert len({run.exit.pid for run in result.runs}) == 3


@pytest.mark.parametrize(
    ("policy", "flag", "decision"),
    [
        (RestartPolicy(enabled=True, min_uptime_s=30), "0", RestartDecision.TOO_SOON),
        (RestartPolicy(enabled=True, min_uptime_s=0), "1", RestartDecision.OPTED_OUT),
        (RestartPolicy(enabled=False, min_uptime_s=0), "0", RestartDecision.NOT_ENABLED),
        (
            RestartPolicy(enabled=True, max_restarts=0, min_uptime_s=0),
            "0",
            RestartDecision.LIMIT_REACHED,
        ),
    ],
)
def test_no_restart(
    openwer_home: Path,
    tmp_path: Path,
    policy: RestartPolicy,
    flag: str,
    decision: RestartDecision,
) -> None:
    """The 60-second rule, RESTART_NO_CRASH, no --restart and the bound each prevent a restart."""
    log = tmp_path / "runs.log"
    script = _script(tmp_path, RESTARTABLE)
    result = supervise([PY, str(script), str(log), flag], policy)
    (run,) = result.runs
    assert run.crashed
    assert run.restart is decision


def test_unregistered_program_is_not_restarted(openwer_home: Path) -> None:
    """A crash of a program that never registered is not followed by a restart."""
    code = NO_CORE + "import os; os.abort()"
    result = supervise([PY, "-c", code], RestartPolicy(enabled=True, min_uptime_s=0))
    assert [run.restart for run in result.runs] == [RestartDecision.NOT_REGISTERED]


def test_clean_exit_is_not_restarted(openwer_home: Path) -> None:
    """A registered program that exits normally is not restarted."""
    code = "from openwer.capture.restart import register_restart; register_restart(None)"
    result = supervise([PY, "-c", code], RestartPolicy(enabled=True, min_uptime_s=0))
    assert [run.restart for run in result.runs] == [RestartDecision.NOT_A_CRASH]


def test_stop_request_prevents_restart(openwer_home: Path, tmp_path: Path) -> None:
    """SIGTERM to the supervisor reaches the program, and the program is not restarted."""
    ready = tmp_path / "ready"
    code = (
        "import os, signal, sys, time\n"
        "from openwer.capture.restart import mark_crash_reported, register_restart\n"
        "def on_term(number, frame):\n"
        "    mark_crash_reported(None)\n"
        "    os._exit(1)\n"
        "signal.signal(signal.SIGTERM, on_term)\n"
        "register_restart(None)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(20)\n"
    )
    main = threading.main_thread().ident
    assert main is not None

    def send_when_ready() -> None:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGTERM)  # the supervisor's thread, where it is blocked

    threading.Thread(target=send_when_ready, daemon=True).start()
    result = supervise([PY, "-c", code], RestartPolicy(enabled=True, min_uptime_s=0))
    (run,) = result.runs
    assert run.crashed
    assert run.restart is RestartDecision.STOP_REQUESTED


def test_program_sees_the_channel(openwer_home: Path, tmp_path: Path) -> None:
    """The program gets OPENWER_SUPERVISOR_DIR, a private folder removed afterwards."""
    out = tmp_path / "env.txt"
    code = (
        "import os, stat\n"
        "d = os.environ['OPENWER_SUPERVISOR_DIR']\n"
        f"open({str(out)!r}, 'w').write(d + ' ' + oct(stat.S_IMODE(os.stat(d).st_mode)))\n"
    )
    supervise([PY, "-c", code])
    folder, mode = out.read_text().split()
    assert mode == "0o700"
    assert not Path(folder).exists()
    assert "OPENWER_SUPERVISOR_DIR" not in os.environ


def test_command_not_found() -> None:
    """A program that does not exist is a LaunchError with a shell's 127."""
    with pytest.raises(LaunchError) as caught:
        supervise(["openwer-test-no-such-program"])
    assert caught.value.exit_status == 127


def test_command_not_runnable(tmp_path: Path) -> None:
    """A file that is not executable is a LaunchError with a shell's 126."""
    path = _script(tmp_path, "#!/bin/sh\n", "not-executable")
    path.chmod(stat.S_IRUSR)
    with pytest.raises(LaunchError) as caught:
        supervise([str(path)])
    assert caught.value.exit_status == 126


def test_failed_restart_ends_supervision(openwer_home: Path) -> None:
    """A restart whose program cannot start ends supervision, mirroring the crash's exit."""
    code = (
        "import json, os, sys\n"
        "d = os.environ['OPENWER_SUPERVISOR_DIR']\n"
        "entry = {'version': 1, 'pid': os.getpid(), 'command_line': '', 'arguments': [],\n"
        "         'flags': 0, 'program': ['/nonexistent/program']}\n"
        "open(os.path.join(d, f'{os.getpid()}.restart.json'), 'w').write(json.dumps(entry))\n"
        "from openwer.capture.restart import mark_crash_reported\n"
        "mark_crash_reported(None)\n"
        "sys.exit(4)\n"
    )
    result = supervise([PY, "-c", code], RestartPolicy(enabled=True, min_uptime_s=0))
    assert result.restart_failure is not None
    assert "command not found" in result.restart_failure
    assert result.final_exit.exit_code == 4


def test_report_filing_failure_is_recorded(
    openwer_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash report that cannot be filed (a broken settings file) is logged and recorded."""
    settings = openwer_home / "config" / "openwer" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text("this is not = = toml")
    (run,) = supervise([PY, "-c", NO_CORE + "import os; os.abort()"]).runs
    assert run.crashed
    assert run.report is ReportOrigin.SUPERVISOR_FAILED
    assert "could not file the crash report" in caplog.text
