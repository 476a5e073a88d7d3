"""Tests of ``openwer waitchain PID [TID] [--json]`` against real blocked programs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "waitchain"))
from blocked_programs import run_without_ptrace_capability, scenario, wait_for_syscall

from openwer.cli.main import cli
from openwer.platform.ptrace_access import ptrace_scope

pytestmark = pytest.mark.timeout(60)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["waitchain", *args])
    return result.exit_code, result.stdout, result.stderr


def test_deadlock_text_and_json() -> None:
    """A cross-process deadlock: indented WCT names and a loud cycle flag; JSON for one thread
    is one chain object, without TID an array of every blocked thread's chain."""
    with scenario("waitpid_cycle") as program:
        parent, child = program.info["parent"], program.info["child"]
        wait_for_syscall(parent, parent, {"wait4"})
        wait_for_syscall(child, child, {"read"})
        text = _run(str(parent), str(parent))
        one = _run(str(parent), str(parent), "--json")
        every = _run(str(parent), "--json")
        every_text = _run(str(parent))
    code, out, err = text
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        f"thread {parent} of process {parent}: DEADLOCK (the wait chain has a cycle), "
        "crosses processes"
    )
    assert lines[1].startswith("  WctThreadType WctStatusBlocked: thread")
    assert lines[2].startswith(f"    WctProcessWaitType WctStatusOwned: process {child}")
    assert lines[4].startswith("        WctAlpcType WctStatusOwned: pipe:[")
    assert lines[5].endswith("<-- cycle: seen above")
    code, out, _ = one
    assert code == 0
    chain = json.loads(out)
    assert chain["is_cycle"] is True
    assert chain["cross_process"] is True
    assert [node["type"] for node in chain["nodes"]] == [
        "WctThreadType",
        "WctProcessWaitType",
        "WctThreadType",
        "WctAlpcType",
        "WctThreadType",
    ]
    assert chain["nodes"][1]["status"] == "WctStatusOwned"
    code, out, _ = every
    assert code == 0
    listing = json.loads(out)
    assert isinstance(listing, list)
    assert [c["nodes"][0]["thread_id"] for c in listing] == [parent]
    assert every_text[1].startswith(f"thread {parent} of process {parent}: DEADLOCK")


def test_process_without_blocked_threads() -> None:
    """A busy process: nothing blocked, said in one line; JSON is an empty array."""
    with scenario("busy") as program:
        pid = program.info["pid"]
        text = _run(str(pid))
        data = _run(str(pid), "--json")
    assert text == (0, f"process {pid}: no blocked thread\n", "")
    assert (data[0], json.loads(data[1])) == (0, [])


def test_missing_process_or_thread_is_one_line_and_exit_1() -> None:
    """No such process, or a thread of another process: exit 1 with one line on stderr."""
    code, out, err = _run(str(2**22 + 12345))
    assert (code, out) == (1, "")
    assert err == f"openwer: error: no process {2**22 + 12345}\n"
    with scenario("busy") as program:
        pid = program.info["pid"]
        code, _, err = _run(str(pid), str(2**22 + 12345))
    assert code == 1
    assert err == f"openwer: error: process {pid} has no thread {2**22 + 12345}\n"


@pytest.mark.skipif(ptrace_scope() not in (None, 0), reason="Yama restricts /proc to descendants")
def test_unreadable_process_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A process this user may not inspect: exit 1, one line naming the reason."""
    with scenario("flock_private_holder", str(tmp_path)) as program:
        holder = program.info["holder"]
        done = run_without_ptrace_capability(
            "import sys\n"
            "from openwer.cli.main import main\n"
            f"sys.argv = ['openwer', 'waitchain', '{holder}']\n"
            "main()\n"
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("openwer: error: cannot read /proc/")
    assert "permission denied" in done.stderr
