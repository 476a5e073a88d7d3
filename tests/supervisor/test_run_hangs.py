"""``openwer run`` finds hangs of the programs it supervises: real hung children, real reports.

Thresholds are lowered to 300 ms through ``OPENWER__Hang__ThresholdMs``; every child is bounded
by a timeout, so nothing here can hang the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openwer.store import StoreArea, StoreScope, open_store
from openwer.supervisor import RestartDecision, RestartPolicy, supervise
from openwer.supervisor.hang_detector import idle_wait
from openwer.supervisor.hang_watch import HangAction
from openwer.types import FileType

pytestmark = pytest.mark.timeout(60)

PY = sys.executable
_LAUNCH = (
    "from openwer.cli.main import cli, main\n"
    "from openwer.cli.run_command import run\n"
    "if 'run' not in cli.commands:\n"
    "    cli.add_command(run)\n"
    "main()\n"
)
_PIPE_READER = r"""
#include <unistd.h>
int main(void) {
    int fds[2];
    char byte;
    if (pipe(fds) != 0) return 2;
    return (int)read(fds[0], &byte, 1);  /* nobody ever writes: blocked forever */
}
"""
_SELF_DEADLOCK = "import threading\nlock = threading.Lock()\nlock.acquire()\nlock.acquire()\n"


@pytest.fixture(autouse=True)
def _fast_hangs(openwer_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    if scope.exists() and scope.read_text().strip() == "3":
        pytest.skip("ptrace is disabled here (Yama mode 3)")
    monkeypatch.setenv("OPENWER__Hang__ThresholdMs", "300")


def _reports() -> list[str]:
    return open_store(StoreScope.USER).keys(StoreArea.QUEUE)


def _values(key: str) -> tuple[dict[str, str], Path]:
    stored = open_store(StoreScope.USER).get(key)
    values = {entry.key: entry.value or "" for entry in stored.document.entries}
    return values, Path(stored.folder)


def _wait_for_report(deadline_s: float) -> str:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if keys := _reports():
            return keys[0]
        time.sleep(0.05)
    raise AssertionError("no hang report")


def _pipe_reader(tmp_path: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    source = tmp_path / "pipe_reader.c"
    source.write_text(_PIPE_READER)
    binary = tmp_path / "pipe_reader"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(binary), str(source)], check=True, timeout=30)
    return binary


def test_a_blocked_c_program_is_reported_and_left_running(tmp_path: Path) -> None:
    """One AppHangB1 report with a minidump and a wait chain; the program goes on."""
    binary = _pipe_reader(tmp_path)
    supervisor = subprocess.Popen(
        [PY, "-c", _LAUNCH, "run", "--on-hang", "leave", "--", str(binary)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        key = _wait_for_report(10)
        time.sleep(1.0)  # three more thresholds: still one report for the one episode
        assert _reports() == [key]
        values, folder = _values(key)
        assert values["EventType"] == "AppHangB1"
        assert values["ReportType"] == "3"
        assert values["Sig[0].Name"] == "Application Name"
        assert values["Sig[0].Value"] == "pipe_reader"
        assert values["Sig[3].Name"] == "Hang Signature"
        assert len(values["Sig[3].Value"]) == 4
        assert values["Sig[4].Value"] in ("0", "4")  # 4: it holds the only write end itself
        assert values["HangSyscall"] == "read"
        facts = json.loads((folder / "ProcessHang.json").read_text())
        pid = facts["pid"]
        # Still alive, blocked in its read again: the capture did not kill or stop it.
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0]
        assert state == "S"
        files = {
            values[name]: values[name.replace(".CabName", ".Type")]
            for name in values
            if name.endswith(".CabName")
        }
        assert files["minidump.mdmp"] == str(int(FileType.MINIDUMP))
        analyzed = subprocess.run(
            [PY, "-c", _LAUNCH, "analyze", "--json", str(folder / "minidump.mdmp")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert analyzed.returncode == 0, analyzed.stderr
        assert json.loads(analyzed.stdout)
        chains = json.loads((folder / "waitchains.json").read_text())
        assert chains
        shown = subprocess.run(
            [PY, "-c", _LAUNCH, "reports", "show", "--json", key],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert shown.returncode == 0, shown.stderr
        assert "pipe" in shown.stdout
    finally:
        supervisor.send_signal(signal.SIGTERM)  # forwarded to the program
        _, err = supervisor.communicate(timeout=10)
    assert supervisor.returncode == -signal.SIGTERM, err
    assert "stopped responding" in err


def test_a_self_deadlocked_python_program_is_killed() -> None:
    """--on-hang kill: the report, then the exit of a process killed by SIGKILL."""
    (run,) = supervise([PY, "-c", _SELF_DEADLOCK], native=True, on_hang=HangAction.KILL).runs
    assert run.exit.signal == signal.SIGKILL
    assert run.killed_after_hang
    assert not run.crashed
    (key,) = _reports()
    assert run.hang_reports == (key,)
    values, folder = _values(key)
    assert values["EventType"] in ("AppHangB1", "AppHangXProcB1")
    assert values["HangSyscall"] == "futex"
    assert (folder / "minidump.mdmp").stat().st_size > 0


def test_a_busy_program_is_not_hung() -> None:
    """A loop that keeps using CPU for 4x the threshold gives no report."""
    busy = "import time\nend = time.monotonic() + 1.2\nwhile time.monotonic() < end:\n    pass\n"
    sleepy = "import time\nfor _ in range(12):\n    time.sleep(0.1)\n"
    for program in (busy, sleepy):
        (run,) = supervise([PY, "-c", program], native=True, on_hang=HangAction.KILL).runs
        assert run.exit.exit_code == 0
        assert run.hang_reports == ()
    assert _reports() == []


def test_an_idle_server_waiting_for_clients_is_not_hung() -> None:
    """A main thread blocked in accept(), then in a socket read, for 4x the threshold: idle,
    not hung (a server waiting for its next client); no report."""
    server = (
        "import socket, threading, time\n"
        "listener = socket.socket(); listener.bind(('127.0.0.1', 0)); listener.listen()\n"
        "port = listener.getsockname()[1]\n"
        "def client():\n"
        "    time.sleep(0.6); peer = socket.create_connection(('127.0.0.1', port))\n"
        "    time.sleep(0.8); peer.sendall(b'x'); peer.close()\n"
        "threading.Thread(target=client).start()\n"
        "conn, _ = listener.accept()\n"
        "conn.recv(1)\n"
    )
    (run,) = supervise([PY, "-c", server], native=True, on_hang=HangAction.KILL).runs
    assert run.exit.exit_code == 0
    assert run.hang_reports == ()
    assert _reports() == []


@pytest.mark.parametrize(
    ("syscall", "target", "idle"),
    [
        ("accept4", None, True),
        ("epoll_wait", None, True),
        ("clock_nanosleep", None, True),
        ("read", "socket:[123]", True),
        ("read", "/dev/pts/4", True),
        ("read", "pipe:[77]", False),
        ("read", None, False),
        ("futex", None, False),
        ("flock", None, False),
    ],
)
def test_idle_waits(syscall: str, target: str | None, idle: bool) -> None:
    """Waits for the outside world are idle; locks, pipes and file locks are not."""
    assert idle_wait(syscall, target) is idle


def test_an_untraced_hang_is_reported_too() -> None:
    """--no-trace: the watch seizes the program for its dump and kills it as asked."""
    (run,) = supervise([PY, "-c", _SELF_DEADLOCK], native=False, on_hang=HangAction.KILL).runs
    assert run.exit.signal == signal.SIGKILL
    assert len(run.hang_reports) == 1


def _registered_deadlock(flags: int) -> str:
    return (
        "import sys, threading\n"
        "from openwer.capture.restart import register_restart\n"
        "if '--again' in sys.argv:\n"
        "    raise SystemExit(0)\n"
        f"register_restart(['--again'], {flags})\n"
        "lock = threading.Lock()\nlock.acquire()\nlock.acquire()\n"
    )


@pytest.mark.parametrize(("flags", "restarted"), [(0, True), (2, False)])
def test_restart_after_a_hang_honours_restart_no_hang(flags: int, restarted: bool) -> None:
    """--on-hang restart restarts a registered program, unless it said RESTART_NO_HANG."""
    script = os.path.join(os.environ["OPENWER_HOME"], "deadlock.py")
    Path(script).write_text(_registered_deadlock(flags))
    result = supervise(
        [PY, script],
        RestartPolicy(False, 2, 0.0),
        native=True,
        on_hang=HangAction.RESTART,
    )
    first = result.runs[0]
    assert first.killed_after_hang
    if restarted:
        assert first.restart is RestartDecision.RESTART
        assert len(result.runs) == 2
        assert result.final_exit.exit_code == 0
    else:
        assert first.restart is RestartDecision.OPTED_OUT_OF_HANG
        assert len(result.runs) == 1
