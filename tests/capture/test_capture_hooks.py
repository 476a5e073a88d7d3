"""openwer.install() in real child processes: every kind of unhandled failure, one report each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from openwer.settings import OpenwerPaths
from openwer.store import StoreArea, StoredReport, StoreScope, open_store


def run_program(
    tmp_path: Path, source: str, *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``source`` as a script with a private OPENWER_HOME; return the finished process."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENWER")}
    environ["OPENWER_HOME"] = str(tmp_path / "home")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=timeout,
        check=False,
    )


def queued(tmp_path: Path) -> list[StoredReport]:
    """The reports in the user queue of the program's OPENWER_HOME."""
    store = open_store(StoreScope.USER, OpenwerPaths.under(tmp_path / "home"))
    return [store.get(key) for key in store.keys(StoreArea.QUEUE)]


def only_report(tmp_path: Path) -> StoredReport:
    reports = queued(tmp_path)
    assert len(reports) == 1, [r.key for r in reports]
    return reports[0]


def signature(report: StoredReport) -> dict[str, str]:
    return {p.name or "": p.value or "" for p in report.manifest.signature}


def read_file(report: StoredReport, name: str) -> bytes:
    return (report.folder / name).read_bytes()


def test_main_thread_crash(tmp_path: Path) -> None:
    """An unhandled exception in the main thread: one report, the previous hook still runs."""
    done = run_program(
        tmp_path,
        """
        import sys
        def previous(t, e, tb):
            print("PREVIOUS HOOK", t.__name__, flush=True)
        sys.excepthook = previous
        import openwer
        openwer.install(app_name="demo", app_version="2.0")

        def parse(row):
            return int(row)

        parse("x")
        """,
    )
    assert done.returncode == 1
    assert "PREVIOUS HOOK ValueError" in done.stdout
    report = only_report(tmp_path)
    manifest = report.manifest
    assert manifest.event_type == "PythonUnhandledException"
    assert manifest.report_type == 2
    sig = signature(report)
    assert sig["Application Name"] == "demo"
    assert sig["Application Version"] == "2.0"
    assert sig["Faulting Module"] == "program"
    assert sig["Function"] == "parse"
    assert sig["Exception Type"] == "ValueError"
    assert set(report.file_names) >= {"traceback.txt", "stack.json", "threads.json", "modules.json"}
    assert b"invalid literal for int()" in read_file(report, "traceback.txt")
    assert manifest.loaded_modules  # phase 2 added every module


def test_worker_thread_crash(tmp_path: Path) -> None:
    """An exception ending a worker thread: one non-critical report; the program goes on."""
    done = run_program(
        tmp_path,
        """
        import threading
        seen = []
        threading.excepthook = lambda args: seen.append(args.exc_type.__name__)
        import openwer
        openwer.install(app_name="demo")

        def work():
            raise KeyError("missing")

        t = threading.Thread(target=work, name="worker-1")
        t.start(); t.join()
        print("PREVIOUS", seen, flush=True)
        print("STILL RUNNING", flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "PREVIOUS ['KeyError']" in done.stdout
    assert "STILL RUNNING" in done.stdout
    report = only_report(tmp_path)
    assert report.manifest.report_type == 0
    assert signature(report)["Function"] == "work"
    assert report.document.get("ThreadName") == "worker-1"


def test_asyncio_task_and_callback(tmp_path: Path) -> None:
    """A task whose exception is never retrieved and a callback that raises: two reports."""
    done = run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")
        import asyncio, gc

        async def failing_task():
            raise RuntimeError("task failed")

        def failing_callback():
            raise LookupError("callback failed")

        async def main():
            asyncio.get_running_loop().create_task(failing_task())
            asyncio.get_running_loop().call_soon(failing_callback)
            await asyncio.sleep(0.05)

        asyncio.run(main())
        gc.collect()
        print("DONE", flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "Task exception was never retrieved" in done.stderr  # asyncio's own log still runs
    functions = sorted(signature(r)["Function"] for r in queued(tmp_path))
    assert functions == ["failing_callback", "failing_task"]
    for report in queued(tmp_path):
        assert report.document.get("ExceptionKind") == "asyncio"
        assert "context.json" in report.file_names


def test_unraisable(tmp_path: Path) -> None:
    """An exception in __del__: one non-fatal report; the previous unraisable hook runs."""
    done = run_program(
        tmp_path,
        """
        import sys
        def previous(u):
            print("PREVIOUS UNRAISABLE", type(u.exc_value).__name__, flush=True)
        sys.unraisablehook = previous
        import openwer
        openwer.install(app_name="demo")

        class Leaky:
            def __del__(self):
                raise OSError("cannot close")

        Leaky()
        print("AFTER", flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "PREVIOUS UNRAISABLE OSError" in done.stdout
    report = only_report(tmp_path)
    assert report.manifest.event_type == "PythonNonFatalException"
    assert signature(report)["Function"] == "Leaky.__del__"


def test_chained_exception(tmp_path: Path) -> None:
    """raise … from …: the signature is the outer exception's, the traceback holds both."""
    run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")

        def load():
            try:
                {}["config"]
            except KeyError as exc:
                raise RuntimeError("cannot load") from exc

        load()
        """,
    )
    report = only_report(tmp_path)
    assert signature(report)["Exception Type"] == "RuntimeError"
    text = read_file(report, "traceback.txt").decode()
    assert "direct cause of the following exception" in text
    assert "KeyError" in text


def test_exception_group(tmp_path: Path) -> None:
    """An ExceptionGroup: one report naming the group's first leaf, all in the traceback."""
    run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")

        def one():
            raise ValueError("one")

        def fail_all():
            errors = []
            for step in (one, lambda: 1 / 0):
                try:
                    step()
                except Exception as exc:
                    errors.append(exc)
            raise ExceptionGroup("several", errors)

        fail_all()
        """,
    )
    report = only_report(tmp_path)
    text = read_file(report, "traceback.txt").decode()
    assert "ExceptionGroup: several" in text
    assert "ZeroDivisionError" in text
    stack: dict[str, Any] = json.loads(read_file(report, "stack.json"))
    assert len(stack["exceptions"]) >= 3


def test_crash_after_fork(tmp_path: Path) -> None:
    """A child forked after install crashes: one report, from the child, not the parent."""
    done = run_program(
        tmp_path,
        """
        import os, sys
        import openwer
        openwer.install(app_name="demo")

        def child_work():
            raise ArithmeticError("in the child")

        pid = os.fork()
        if pid == 0:
            child_work()
        _, status = os.waitpid(pid, 0)
        print("CHILD", pid, os.waitstatus_to_exitcode(status), flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    child_pid = done.stdout.split()[1]
    report = only_report(tmp_path)
    assert signature(report)["Function"] == "child_work"
    assert report.document.get("TargetProcessId") == child_pid


def test_multiprocessing_worker(tmp_path: Path) -> None:
    """An exception ending a multiprocessing worker: one report from the worker."""
    done = run_program(
        tmp_path,
        """
        import multiprocessing
        import openwer
        openwer.install(app_name="demo")

        def worker():
            raise PermissionError("worker failed")

        if __name__ == "__main__":
            p = multiprocessing.get_context("fork").Process(target=worker)
            p.start(); p.join()
            print("EXIT", p.exitcode, flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "EXIT 1" in done.stdout  # multiprocessing behaves as before
    report = only_report(tmp_path)
    assert signature(report)["Function"] == "worker"
    assert signature(report)["Exception Type"] == "PermissionError"


def test_report_exception(tmp_path: Path) -> None:
    """report_exception files a non-fatal report for a handled exception and returns its key."""
    done = run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")
        try:
            open("/nonexistent/file")
        except OSError:
            key = openwer.report_exception(wait=True)
            print("KEY", key, flush=True)
        print("NONE", openwer.report_exception(), flush=True)
        """,
    )
    assert done.returncode == 0, done.stderr
    report = only_report(tmp_path)
    assert f"KEY {report.key}" in done.stdout
    assert "NONE None" in done.stdout
    assert report.manifest.event_type == "PythonNonFatalException"
    assert signature(report)["Exception Type"] == "FileNotFoundError"


def test_keyboard_interrupt_is_not_a_crash(tmp_path: Path) -> None:
    """Ctrl-C is the user stopping the program: no report."""
    done = run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")
        raise KeyboardInterrupt
        """,
    )
    assert done.returncode != 0
    assert queued(tmp_path) == []


def test_install_is_idempotent(tmp_path: Path) -> None:
    """Calling install() twice installs the hooks once: one crash, one report."""
    run_program(
        tmp_path,
        """
        import openwer
        openwer.install(app_name="demo")
        openwer.install(app_name="demo", app_version="3.0")
        raise TypeError("once")
        """,
    )
    report = only_report(tmp_path)
    assert signature(report)["Application Version"] == "3.0"


def test_local_dumps_even_when_disabled(tmp_path: Path) -> None:
    """LocalDumps writes a dump per crash, keeping DumpCount, even with reporting disabled."""
    dumps = tmp_path / "dumps"
    for _ in range(3):
        run_program(
            tmp_path,
            """
            import openwer
            openwer.install(app_name="demo")
            secret_token = "hunter2"
            raise ValueError("boom")
            """,
            env={
                "OPENWER__Disabled": "1",
                "OPENWER__LocalDumps__DumpFolder": str(dumps),
                "OPENWER__LocalDumps__DumpCount": "2",
                "OPENWER__LocalDumps__DumpType": "2",
            },
        )
    assert queued(tmp_path) == []  # reporting is disabled
    files = sorted(dumps.glob("demo.*.pydump.json"))
    assert len(files) == 2
    dump = json.loads(files[-1].read_text())
    assert dump["format"] == "openwer-python-dump"
    assert dump["exception"]["type"] == "ValueError"
    assert dump["threads"]["threads"]
    assert "hunter2" not in files[-1].read_text()  # full dumps hold locals, secrets redacted


def test_openwer_failure_never_breaks_the_host(tmp_path: Path) -> None:
    """With an unusable store openwer logs and steps aside: same output, same exit status."""
    blocker = tmp_path / "home"
    blocker.write_text("a file where the store folder should be")
    done = run_program(
        tmp_path,
        """
        import sys
        sys.excepthook = lambda t, e, tb: print("PREVIOUS HOOK", flush=True)
        import openwer
        openwer.install(app_name="demo")
        raise ValueError("boom")
        """,
    )
    assert done.returncode == 1
    assert "PREVIOUS HOOK" in done.stdout


def test_disable_capture_variable(tmp_path: Path) -> None:
    """OPENWER_DISABLE_CAPTURE=1 makes install() a no-op."""
    done = run_program(
        tmp_path,
        """
        import openwer, sys
        print("RESULT", openwer.install(app_name="demo"), sys.excepthook is sys.__excepthook__)
        """,
        env={"OPENWER_DISABLE_CAPTURE": "1"},
    )
    assert "RESULT None True" in done.stdout


@pytest.mark.parametrize("bad", ["''", "'x' * 300", "'a\\nb'"])
def test_install_refuses_bad_names(tmp_path: Path, bad: str) -> None:
    """Misconfiguration raises at install()."""
    done = run_program(
        tmp_path,
        f"""
        import openwer
        try:
            openwer.install(app_name={bad})
        except openwer.InvalidArgumentError as exc:
            print("REFUSED", flush=True)
        """,
    )
    assert "REFUSED" in done.stdout


def test_thread_report_completed_at_exit(tmp_path: Path) -> None:
    """A worker-thread report finished in the background is completed before the process exits."""
    run_program(
        tmp_path,
        """
        import threading
        import openwer
        openwer.install(app_name="demo")
        t = threading.Thread(target=lambda: 1 / 0)
        t.start(); t.join()
        """,
    )
    report = only_report(tmp_path)
    assert "modules.json" in report.file_names  # phase 2 ran before the interpreter exited


def test_names_from_the_environment(tmp_path: Path) -> None:
    """OPENWER_APP_NAME and OPENWER_APP_VERSION fill in what install() leaves out."""
    run_program(
        tmp_path,
        """
        import openwer
        openwer.install()
        raise RuntimeError("named by the environment")
        """,
        env={"OPENWER_APP_NAME": "from-env", "OPENWER_APP_VERSION": "9.9"},
    )
    sig = signature(only_report(tmp_path))
    assert (sig["Application Name"], sig["Application Version"]) == ("from-env", "9.9")


def test_uninstall_restores_previous_hooks(tmp_path: Path) -> None:
    """uninstall() puts back the hooks openwer replaced."""
    done = run_program(
        tmp_path,
        """
        import sys, threading
        import openwer
        before = (sys.excepthook, threading.excepthook, sys.unraisablehook)
        openwer.install(app_name="demo")
        changed = (sys.excepthook, threading.excepthook, sys.unraisablehook) != before
        openwer.uninstall()
        restored = (sys.excepthook, threading.excepthook, sys.unraisablehook) == before
        print("RESULT", changed, restored)
        """,
    )
    assert "RESULT True True" in done.stdout


def test_registered_data_goes_into_crash_reports(tmp_path: Path) -> None:
    """Files and metadata registered with the process registry are attached to a crash report."""
    (tmp_path / "app.log").write_text("last lines of the log")
    run_program(
        tmp_path,
        f"""
        import openwer
        openwer.install(app_name="demo")
        openwer.process_registry().register_file({str(tmp_path / "app.log")!r})
        openwer.process_registry().register_metadata("Build", "1234")
        raise RuntimeError("with registered data")
        """,
    )
    report = only_report(tmp_path)
    assert {"app.log", "RegisteredData.json"} <= set(report.file_names)
    assert b'"Build": "1234"' in read_file(report, "RegisteredData.json")
