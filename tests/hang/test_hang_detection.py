"""Real programs that hang (or merely take their time): what is reported, once, and when not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hang_programs import run_program, state

pytestmark = pytest.mark.timeout(60)


def test_asyncio_loop_blocked_by_a_synchronous_call(tmp_path: Path) -> None:
    """A coroutine calling time.sleep blocks its loop: one AppHangB1 from the loop probe,
    blocked (Hang Type 0), no cycle, the running task named, and its duration once it ends."""
    run = run_program(
        tmp_path,
        """
        import asyncio, time
        import openwer

        openwer.install(app_name="loopy")

        async def idle():
            await asyncio.sleep(30)

        async def main():
            sleeper = asyncio.create_task(idle(), name="idler")
            await asyncio.sleep(0.4)
            time.sleep(1.2)  # blocks the event loop
            await asyncio.sleep(0.3)
            sleeper.cancel()

        asyncio.run(main())
        """,
    )
    assert run.returncode == 0, run.stderr
    (report,) = run.hang_reports()
    assert report["event_type"] == "AppHangB1"
    assert run.values(report)["Hang Type"] == "0"
    assert state(report, "HangSource") == "asyncio-loop"
    assert state(report, "HangLoopTask") == "Task-1"
    assert state(report, "HangFunction") == "prog!main"
    hung = report["wait_chains"][0]
    assert not hung["is_cycle"]
    assert hung["nodes"][0]["name"] == "MainThread"
    assert state(report, "HangRecovered") == "1"
    assert 700 <= int(state(report, "HangDurationMs") or 0) <= 5000


def test_asyncio_tasks_awaiting_each_other(tmp_path: Path) -> None:
    """Two tasks awaiting each other while the loop runs on: a deadlock of tasks, reported from
    the task graph with a cycle of asyncio.Task nodes."""
    run = run_program(
        tmp_path,
        """
        import asyncio, os
        import openwer

        openwer.install(app_name="tasks")

        async def main():
            async def first():
                await second_task

            async def second():
                await first_task

            first_task = asyncio.create_task(first(), name="first")
            second_task = asyncio.create_task(second(), name="second")
            await asyncio.sleep(1.5)
            os._exit(0)  # tasks awaiting each other cannot even be cancelled

        asyncio.run(main())
        """,
    )
    assert run.returncode == 0, run.stderr
    (report,) = run.hang_reports()
    assert state(report, "HangSource") == "asyncio-tasks"
    assert run.values(report)["Hang Type"] == "4"
    (cycle,) = report["wait_chains"]
    assert cycle["is_cycle"]
    kinds = [node["details"].get("kind") for node in cycle["nodes"]]
    assert kinds == ["asyncio.Task"] * 3
    assert cycle["nodes"][0]["name"] == cycle["nodes"][2]["name"]


def test_busy_loop_is_a_hang_but_not_a_deadlock(tmp_path: Path) -> None:
    """A main thread spinning in one function: busy in Python (Hang Type 1), its chain a single
    running thread, no cycle; one report for the whole spin."""
    run = run_program(
        tmp_path,
        """
        import time
        import openwer

        openwer.install(app_name="spinner")
        time.sleep(0.2)
        count, started = 0, time.monotonic()
        while time.monotonic() - started < 1.5:
            count += 1
        """,
    )
    assert run.returncode == 0, run.stderr
    (report,) = run.hang_reports()
    assert run.values(report)["Hang Type"] == "1"
    assert state(report, "HangKind") == "busy-python"
    assert int(state(report, "HangCpuPercent") or 0) >= 25
    hung = report["wait_chains"][0]
    assert not hung["is_cycle"]
    assert [(n["type"], n["status"]) for n in hung["nodes"]] == [
        ("WctThreadType", "WctStatusRunning")
    ]


def test_slow_program_that_keeps_its_heartbeat_is_never_hung(tmp_path: Path) -> None:
    """A main loop slower than the threshold in total but beating every 0.1 s, with work in
    one frame (which would look stuck without the heartbeat), and idle waits: no report."""
    run = run_program(
        tmp_path,
        """
        import queue, threading, time
        import openwer

        openwer.install(app_name="slow")
        started = time.monotonic()
        while time.monotonic() - started < 1.5:
            openwer.heartbeat("main loop")
            spin = time.monotonic()
            while time.monotonic() - spin < 0.1:
                pass
        openwer.heartbeat_pause()
        time.sleep(0.8)  # idle: sleeping is not hanging
        try:
            queue.Queue().get(timeout=0.8)  # idle: waiting for work is not hanging
        except queue.Empty:
            pass
        print("done")
        """,
    )
    assert run.stdout.strip() == "done", run.stderr
    assert run.hang_reports() == []


def test_silent_heartbeat_and_a_second_hang(tmp_path: Path) -> None:
    """A worker loop whose heartbeat stops (it spins), recovers, then the main thread waits
    too long on a lock the worker holds: two episodes, two reports, each with its duration."""
    run = run_program(
        tmp_path,
        """
        import threading, time
        import openwer

        openwer.install(app_name="twice")
        lock = threading.Lock()
        phase = threading.Event()

        def worker():
            for n in range(40):
                openwer.heartbeat("worker")
                if n == 5:
                    spin = time.monotonic()
                    while time.monotonic() - spin < 1.0:
                        pass
                time.sleep(0.02)
            openwer.heartbeat_pause()
            with lock:
                phase.set()
                time.sleep(1.0)

        thread = threading.Thread(target=worker, name="worker")
        thread.start()
        phase.wait(10)
        with lock:
            pass
        thread.join()
        """,
    )
    assert run.returncode == 0, run.stderr
    first, second = run.hang_reports()
    assert state(first, "HangSource") == "heartbeat"
    assert state(first, "HangHeartbeatName") == "worker"
    assert run.values(first)["Hang Type"] == "1"
    assert state(second, "HangSource") == "main-thread"
    assert run.values(second)["Hang Type"] == "0"
    assert [n["name"] for n in second["wait_chains"][0]["nodes"]][::2] == ["MainThread", "worker"]
    for report in (first, second):
        assert state(report, "HangRecovered") == "1"
        assert int(state(report, "HangDurationMs") or 0) >= 500


def test_hang_detection_can_be_turned_off(tmp_path: Path) -> None:
    """Hang.Disabled=1 leaves threading alone and reports nothing; install(hangs=False) too."""
    source = """
        import sys, threading, time
        import openwer

        openwer.install(app_name="off", hangs=sys.argv[1:] != ["no-hangs"])
        time.sleep(0.5)  # the warm-up reads the settings
        lock = threading.Lock()
        print(type(lock).__name__)
        lock.acquire()
        threading.Thread(target=lock.acquire, args=(True, 1.0)).start()
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            pass
    """
    (tmp_path / "setting").mkdir()
    (tmp_path / "keyword").mkdir()
    by_setting = run_program(tmp_path / "setting", source, env={"OPENWER__Hang__Disabled": "1"})
    by_keyword = run_program(tmp_path / "keyword", source, args=("no-hangs",))
    for run in (by_setting, by_keyword):
        assert run.stdout.split() == ["lock"], run.stderr
        assert run.hang_reports() == []


def test_forked_child_detects_its_own_hang(tmp_path: Path) -> None:
    """After fork() the child restarts the watchdog and reports its own hang, once."""
    run = run_program(
        tmp_path,
        """
        import os, pathlib, time
        import openwer

        openwer.install(app_name="forker")
        time.sleep(0.4)  # warm-up done: the watchdog runs in the parent
        pid = os.fork()
        if pid == 0:
            started = time.monotonic()
            while time.monotonic() - started < 1.0:
                pass
            queue = pathlib.Path(os.environ["OPENWER_HOME"], "user", "ReportQueue")
            while time.monotonic() - started < 15 and not any(queue.glob("AppHang_*")):
                time.sleep(0.05)  # let the child's watchdog finish writing on a slow disk
            os._exit(0)
        os.waitpid(pid, 0)
        print(pid)
        """,
    )
    child = int(run.stdout.strip())
    (report,) = run.hang_reports()
    assert state(report, "HangSource") == "main-thread"
    assert report["wait_chains"][0]["nodes"][0]["process_id"] == child


def test_uninstall_stops_the_watchdog_and_restores_threading(tmp_path: Path) -> None:
    """uninstall() ends the watchdog thread and puts threading's classes back."""
    run = run_program(
        tmp_path,
        """
        import threading, time
        import openwer
        from openwer.capture.install import wait_until_ready

        original = (threading.Lock, threading.RLock, threading.Thread.join)
        openwer.install(app_name="off-again")
        wait_until_ready(10)
        time.sleep(0.2)
        names = {t.name for t in threading.enumerate()}
        openwer.uninstall()
        after = {t.name for t in threading.enumerate()}
        restored = (threading.Lock, threading.RLock, threading.Thread.join) == original
        print("openwer-hang-watchdog" in names, "openwer-hang-watchdog" in after, restored)
        """,
    )
    assert run.stdout.split() == ["True", "False", "True"], run.stderr
