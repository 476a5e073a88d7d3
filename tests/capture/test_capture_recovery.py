"""Tests of application recovery: registration rules, pings, abandon, finish and cancel."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openwer.capture.recovery import (
    RECOVERY_DEFAULT_PING_INTERVAL,
    NotInRecoveryError,
    RecoveryOutcome,
    cancel_recovery,
    recovery_finished,
    recovery_in_progress,
    recovery_registration,
    register_recovery,
    run_recovery_after_report,
    unregister_recovery,
)
from openwer.capture.restart import register_restart, restart_settings, unregister_restart
from openwer.errors import InvalidArgumentError, InvalidStateError
from openwer.report.registry import Registry, process_registry
from openwer.types import HResult


@pytest.fixture(autouse=True)
def release() -> Iterator[threading.Event]:
    """Unregistered before and after; set at the end so that blocked callbacks can end."""
    release = threading.Event()
    unregister_recovery()
    yield release
    release.set()
    unregister_recovery()
    for thread in threading.enumerate():
        if thread.name == "openwer-recovery":
            thread.join(timeout=5)


def test_registration_defaults_and_limits() -> None:
    """Ping 0 means 5000 ms; the registration reads back as registered."""
    assert recovery_registration() is None
    register_recovery(lambda parameter: 0, "param", 0)
    registration = recovery_registration()
    assert registration is not None
    assert registration.ping_interval_ms == RECOVERY_DEFAULT_PING_INTERVAL == 5000
    assert registration.parameter == "param"
    register_recovery(lambda parameter: 0, None, 300_000)  # the 5-minute maximum is allowed


@pytest.mark.parametrize(
    ("callback", "interval", "flags"),
    [
        (None, 5000, 0),
        (lambda p: 0, 300_001, 0),
        (lambda p: 0, -1, 0),
        (lambda p: 0, 1.5, 0),
        (lambda p: 0, True, 0),
        (lambda p: 0, 5000, 1),
    ],
)
def test_invalid_registrations(callback: object, interval: object, flags: int) -> None:
    """No callable, a ping over 5 minutes or negative, or non-zero flags: E_INVALIDARG."""
    with pytest.raises(InvalidArgumentError):
        register_recovery(callback, None, interval, flags)  # type: ignore[arg-type]


def test_not_registered() -> None:
    """Without a callback nothing runs."""
    assert run_recovery_after_report() is RecoveryOutcome.NOT_REGISTERED


def test_in_progress_outside_recovery_is_e_fail() -> None:
    """recovery_in_progress() outside a recovery raises InvalidStateError with E_FAIL."""
    with pytest.raises(NotInRecoveryError) as caught:
        recovery_in_progress()
    assert isinstance(caught.value, InvalidStateError)
    assert caught.value.hresult == HResult.E_FAIL
    recovery_finished(True)  # outside a recovery: ignored, no exception
    assert cancel_recovery() is False


def test_callback_that_returns_finishes() -> None:
    """A callback that returns gives FINISHED; it got its parameter and ran in recovery."""
    seen: list[object] = []

    def callback(parameter: object) -> int:
        seen.extend([parameter, process_registry().in_recovery, recovery_in_progress()])
        return 0

    register_recovery(callback, "doc.txt", 1000)
    assert run_recovery_after_report() is RecoveryOutcome.FINISHED
    assert seen == ["doc.txt", True, False]
    assert not process_registry().in_recovery


@pytest.mark.parametrize(
    ("success", "outcome"), [(True, RecoveryOutcome.FINISHED), (False, RecoveryOutcome.FAILED)]
)
def test_recovery_finished_is_the_last_call(success: bool, outcome: RecoveryOutcome) -> None:
    """recovery_finished() ends the callback at once, even inside ``except Exception``."""
    after: list[str] = []

    def callback(parameter: object) -> None:
        try:
            recovery_finished(success)
        except Exception:  # must not swallow the unwinding
            after.append("caught")
        after.append("went on")

    register_recovery(callback, None, 1000)
    assert run_recovery_after_report() is outcome
    assert after == []


def test_callback_that_raises_fails(caplog: pytest.LogCaptureFixture) -> None:
    """An exception in the callback gives FAILED and is logged, never raised."""

    def callback(parameter: object) -> None:
        raise RuntimeError("cannot save")

    register_recovery(callback, None, 1000)
    assert run_recovery_after_report() is RecoveryOutcome.FAILED
    assert "cannot save" in caplog.text


def test_sys_exit_in_callback_ends_only_the_callback() -> None:
    """sys.exit() inside the callback is a return, not the end of the process."""
    register_recovery(lambda parameter: sys.exit(5), None, 1000)
    assert run_recovery_after_report() is RecoveryOutcome.FINISHED


def test_pinging_callback_may_outlive_its_interval() -> None:
    """A callback that pings every 20 ms may run well past a 100 ms interval."""

    def callback(parameter: object) -> None:
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            assert recovery_in_progress() is False
            time.sleep(0.02)
        recovery_finished(True)

    register_recovery(callback, None, 100)
    assert run_recovery_after_report() is RecoveryOutcome.FINISHED


def test_silent_callback_is_abandoned(release: threading.Event) -> None:
    """A callback that misses its ping is abandoned; a late ping then answers "cancelled"."""
    late: list[bool] = []

    def callback(parameter: object) -> None:
        release.wait(5)
        late.append(recovery_in_progress())

    register_recovery(callback, None, 100)
    started = time.monotonic()
    assert run_recovery_after_report() is RecoveryOutcome.ABANDONED
    assert 0.09 <= time.monotonic() - started < 2
    assert process_registry().in_recovery  # its thread still runs
    assert run_recovery_after_report() is RecoveryOutcome.BUSY
    release.set()
    for thread in threading.enumerate():
        if thread.name == "openwer-recovery":
            thread.join(timeout=5)
    assert late == [True]
    assert not process_registry().in_recovery


def test_overall_timeout() -> None:
    """A callback that keeps pinging is stopped waiting for after timeout_s."""

    def callback(parameter: object) -> None:
        while not recovery_in_progress():
            time.sleep(0.02)

    register_recovery(callback, None, 1000)
    assert run_recovery_after_report(timeout_s=0.2) is RecoveryOutcome.TIMED_OUT


def test_cancel_is_seen_by_the_next_ping() -> None:
    """cancel_recovery() makes recovery_in_progress() answer True; the outcome is CANCELLED."""
    answers: list[bool] = []

    def callback(parameter: object) -> None:
        while not answers or not answers[-1]:
            answers.append(recovery_in_progress())
            time.sleep(0.02)
        recovery_finished(False)

    register_recovery(callback, None, 1000)
    threading.Timer(0.1, cancel_recovery).start()
    assert run_recovery_after_report() is RecoveryOutcome.CANCELLED
    assert answers[-1] is True


def test_ctrl_c_while_waiting_cancels() -> None:
    """Ctrl-C in the waiting crash path is WER's Cancel button: CANCELLED, no exception."""

    def callback(parameter: object) -> None:
        while not recovery_in_progress():
            time.sleep(0.02)

    register_recovery(callback, None, 1000)
    main = threading.main_thread().ident
    assert main is not None
    threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT)).start()
    started = time.monotonic()
    assert run_recovery_after_report() is RecoveryOutcome.CANCELLED
    assert time.monotonic() - started < 0.9  # woken by the signal, not by the ping deadline


def test_cancelled_callback_that_ignores_it_is_cut_off_after_one_interval() -> None:
    """After a cancel the callback has one ping interval left, pings or not."""

    def callback(parameter: object) -> None:
        time.sleep(0.6)

    register_recovery(callback, None, 300)
    threading.Timer(0.05, cancel_recovery).start()
    started = time.monotonic()
    assert run_recovery_after_report() is RecoveryOutcome.CANCELLED
    assert time.monotonic() - started < 0.55


def test_registrations_refused_but_restart_refreshable_in_recovery() -> None:
    """In recovery WER refuses registrations, but the restart registration may be refreshed."""
    results: list[object] = []
    registry = Registry()

    def callback(parameter: object) -> None:
        try:
            registry.register_metadata("key", "value")
        except InvalidStateError as exc:
            results.append(type(exc))
        results.append(register_restart(["--recovered"]).arguments)

    register_recovery(callback, None, 1000)
    try:
        assert run_recovery_after_report(registry=registry) is RecoveryOutcome.FINISHED
        assert results == [InvalidStateError, ("--recovered",)]
        assert restart_settings() is not None
        assert not registry.in_recovery
    finally:
        unregister_restart()


def test_unregistered_callback_does_not_run() -> None:
    """unregister_recovery() removes the callback."""
    register_recovery(lambda parameter: 0)
    unregister_recovery()
    assert recovery_registration() is None
    assert run_recovery_after_report() is RecoveryOutcome.NOT_REGISTERED


_CRASHING_PROGRAM = """
import sys
from pathlib import Path
from openwer.capture.recovery import recovery_finished, register_recovery, run_recovery_after_report
from openwer.report import Report
from openwer.store import StoreArea, StoreScope, open_store
from openwer.types import Consent, SubmitFlags

out = Path(sys.argv[1])

def recover(parameter):
    queued = open_store(StoreScope.USER).count(StoreArea.QUEUE)
    out.write_text(f"{parameter} queued={queued}")
    recovery_finished(True)

def crash_path(kind, value, tb):
    with Report("PythonUnhandledException", 2) as report:
        report.set_parameter(0, kind.__name__)
        report.submit(Consent.NOT_ASKED, SubmitFlags.QUEUE)
    out.with_suffix(".outcome").write_text(run_recovery_after_report().value)

register_recovery(recover, "saved-work", 1000)
sys.excepthook = crash_path
raise RuntimeError("boom")
"""


def test_recovery_runs_after_the_report_and_keeps_the_crash_status(
    openwer_home: Path, tmp_path: Path
) -> None:
    """In a crashing child the callback runs after the report is queued; exit status stays 1."""
    out = tmp_path / "recovered.txt"
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_PROGRAM, str(out)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1, done.stderr
    assert out.read_text() == "saved-work queued=1"
    assert out.with_suffix(".outcome").read_text() == "finished"
