"""Real hung programs: deadlocked Python threads and a chain that crosses into a child process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hang_programs import line_of, node_summary, run_program, state

pytestmark = pytest.mark.timeout(60)

ABBA = """
    import sys, threading, time
    import openwer

    openwer.install(app_name="abba")
    first, second = threading.Lock(), threading.Lock()

    def one():
        with first:
            time.sleep(0.1)
            with second:
                pass

    def two():
        with second:
            time.sleep(0.1)
            with first:
                pass

    workers = [threading.Thread(target=f, name=f.__name__, daemon=True) for f in (one, two)]
    for worker in workers:
        worker.start()
    if sys.argv[1:] == ["join"]:
        workers[0].join(1.5)
    else:
        time.sleep(1.5)
    print("exiting")
"""


def test_abba_deadlock_of_two_threads(tmp_path: Path) -> None:
    """Two threads taking two locks in opposite order: one AppHangB1 deadlock report whose
    chains close on themselves, with the line where each lock was taken."""
    run = run_program(tmp_path, ABBA)
    assert run.returncode == 0, run.stderr
    (report,) = run.hang_reports()
    assert report["event_type"] == "AppHangB1"
    assert report["report_type"] == 3
    values = run.values(report)
    assert list(values) == [
        "Application Name",
        "Application Version",
        "Application Timestamp",
        "Hang Signature",
        "Hang Type",
    ]
    assert values["Application Name"] == "abba"
    assert values["Hang Type"] == "4"
    assert len(values["Hang Signature"]) == 4
    assert state(report, "HangSource") == "deadlock"
    chains = report["wait_chains"]
    hung = chains[0]
    assert hung["is_cycle"]
    assert not hung["cross_process"]
    types = [node["type"] for node in hung["nodes"]]
    assert types == [
        "WctThreadType",
        "WctCriticalSectionType",
        "WctThreadType",
        "WctCriticalSectionType",
        "WctThreadType",
    ]
    names = [node["name"] for node in hung["nodes"]]
    assert names[0] == names[4]
    assert {names[0], names[2]} == {"one", "two"}
    locks = hung["nodes"][1::2][:2]
    assert all(node["status"] == "WctStatusOwned" for node in locks)
    # one() takes `first` then waits for `second`; two() the other way round.
    taken = {
        f"prog.py:{line_of(ABBA, 'with first:')}",
        f"prog.py:{line_of(ABBA, 'with second:', 2)}",
    }
    assert {node["location"] for node in locks} == taken  # where each lock was taken
    waiting = {
        f"prog.py:{line_of(ABBA, 'with second:')}",
        f"prog.py:{line_of(ABBA, 'with first:', 2)}",
    }
    assert hung["nodes"][0]["location"] in waiting  # where the thread waits
    by_first = {chain["nodes"][0]["name"]: chain for chain in chains}
    assert by_first["MainThread"]["is_cycle"] is False  # main only sleeps: no cycle there
    assert by_first[names[2]]["is_cycle"] is True


def test_deadlock_seen_by_the_joining_main_thread(tmp_path: Path) -> None:
    """The main thread joining a deadlocked thread: still one report (whichever watch saw it
    first), Thread.join is a WctThreadWaitType link, the main thread's chain has the cycle, and
    the signature is the deadlock's, as without the join."""
    for name in ("join", "alone"):
        (tmp_path / name).mkdir()
    joined = run_program(tmp_path / "join", ABBA, args=("join",))
    alone = run_program(tmp_path / "alone", ABBA)
    (report,) = joined.hang_reports()
    assert state(report, "HangSource") in {"main-thread", "deadlock"}
    assert joined.values(report)["Hang Type"] == "4"
    (main,) = [c for c in report["wait_chains"] if c["nodes"][0]["name"] == "MainThread"]
    assert main["is_cycle"]
    assert main["nodes"][1]["type"] == "WctThreadWaitType"
    assert main["nodes"][1]["name"].startswith("thread 'one'")
    assert main["nodes"][2]["type"] == "WctThreadType"
    same = joined.values(report)["Hang Signature"]
    assert same == alone.values(alone.hang_reports()[0])["Hang Signature"]


CROSS_PROCESS = """
    import os, subprocess, sys, threading, time
    import openwer

    openwer.install(app_name="xproc")
    if sys.argv[1:] == ["fake-walker"]:
        from openwer.capture.hang.chain_extension import set_chain_extender
        from openwer.formats.wait_chain import WaitChain, WaitChainNode
        from openwer.types import WctObjectStatus, WctObjectType

        def extend(chain):
            child_node = WaitChainNode(
                WctObjectType.THREAD, WctObjectStatus.BLOCKED, process_id=child.pid,
                thread_id=child.pid,
            )
            return WaitChain.of([*chain.nodes, child_node])

        set_chain_extender(extend)
    lock = threading.Lock()
    read_end, write_end = os.pipe()
    # The child holds the pipe's write end and never writes: it waits for its parent (its stdin).
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE, pass_fds=(write_end,),
    )
    os.close(write_end)

    def reader():
        with lock:
            os.read(read_end, 1)

    threading.Thread(target=reader, name="pipe-reader", daemon=True).start()
    time.sleep(0.1)
    acquired = lock.acquire(timeout=1.5)
    child.kill()
    child.wait()
    print("acquired" if acquired else "timed out")
"""


def test_lock_owner_blocked_on_a_child_process(tmp_path: Path) -> None:
    """The main thread waits on a lock whose owner reads a pipe only a child could write, while
    the child waits on its parent: the Python chain ends at the owner's pipe read, and the
    Linux walker (when installed) carries it into the child and back: AppHangXProcB1, a cycle."""
    run = run_program(tmp_path, CROSS_PROCESS)
    assert run.stdout.strip() == "timed out", run.stderr
    (report,) = run.hang_reports()
    hung = report["wait_chains"][0]
    nodes = hung["nodes"]
    assert [n["type"] for n in nodes[:3]] == [
        "WctThreadType",
        "WctCriticalSectionType",
        "WctThreadType",
    ]
    assert nodes[0]["name"] == "MainThread"
    assert nodes[2]["name"] == "pipe-reader"
    assert nodes[1]["location"] == f"prog.py:{line_of(CROSS_PROCESS, 'with lock:')}"
    assert nodes[3]["name"].startswith("pipe:[")
    assert state(report, "HangRecovered") == "1"  # the acquire timed out: the hang ended
    if hung["cross_process"]:  # the /proc walker continued the chain
        assert report["event_type"] == "AppHangXProcB1"
        assert hung["is_cycle"]
        assert run.values(report)["Hang Type"] == "4"
        child_pids = {n["process_id"] for n in nodes if n["type"] == "WctThreadType"}
        assert len(child_pids) == 2
    else:
        assert report["event_type"] == "AppHangB1"
        assert not hung["is_cycle"]
        assert nodes[-1]["name"].startswith("pipe:[")


def test_chain_extender_makes_a_cross_process_hang(tmp_path: Path) -> None:
    """An extender registered with set_chain_extender adds the child: AppHangXProcB1, and the
    cycle flag stays false when no node repeats."""
    run = run_program(tmp_path, CROSS_PROCESS, args=("fake-walker",))
    (report,) = run.hang_reports()
    assert report["event_type"] == "AppHangXProcB1"
    assert report["consent_key"] == "AppHangXProcB1"
    hung = report["wait_chains"][0]
    assert hung["cross_process"]
    assert not hung["is_cycle"]
    assert node_summary(hung)[-1][0] == "WctThreadType"


EXECUTOR = """
    import threading
    import openwer

    openwer.install(app_name="pool")
    from concurrent.futures import ThreadPoolExecutor, TimeoutError  # imported after install()

    lock = threading.Lock()

    def task():
        with lock:
            return 42

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker") as pool:
        with lock:
            future = pool.submit(task)
            try:
                future.result(timeout=1.5)
            except TimeoutError:
                print("timed out")
        print(future.result())
"""


def test_executor_deadlock_through_a_future(tmp_path: Path) -> None:
    """The main thread waits for a future whose task waits for a lock the main thread holds:
    main → Future → the worker running it → Lock → main, a cycle."""
    run = run_program(tmp_path, EXECUTOR)
    assert run.stdout.split() == ["timed", "out", "42"], run.stderr
    (report,) = run.hang_reports()
    assert run.values(report)["Hang Type"] == "4"
    (main,) = [c for c in report["wait_chains"] if c["nodes"][0]["name"] == "MainThread"]
    assert main["is_cycle"]
    kinds = [node["details"].get("kind") for node in main["nodes"]]
    assert kinds == [None, "concurrent.futures.Future", None, "threading.Lock", None]
    assert main["nodes"][2]["name"].startswith("worker")
    assert main["nodes"][3]["location"] == f"prog.py:{line_of(EXECUTOR, '    with lock:', 2)}"
