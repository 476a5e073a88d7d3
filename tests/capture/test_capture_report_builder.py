"""build_exception_report: the report's content, and that it never raises."""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from capture_samples import ADDRESS, APP_CONFIG, first_bug, raised, recurse, strings_in

from openwer.capture.report_builder import (
    CONTEXT_FILE,
    LOCALS_FILE,
    PROBLEMS_FILE,
    STACK_FILE,
    THREADS_FILE,
    TRACEBACK_FILE,
    ExceptionKind,
    build_exception_report,
    prepare_capture,
)
from openwer.capture.signature import NON_FATAL_EVENT, UNHANDLED_EVENT
from openwer.report import Report
from openwer.types import FileFlags, ReportType


def _files(report: Report) -> dict[str, bytes]:
    return {f.name: f.data or b"" for f in report.files()}


def _build(exc: BaseException, **kwargs: object) -> Report:
    kind = kwargs.pop("kind", ExceptionKind.MAIN_THREAD)
    assert isinstance(kind, ExceptionKind)
    include = bool(kwargs.pop("include_locals", False))
    return build_exception_report(exc, kind, APP_CONFIG, include_locals=include, **kwargs)  # type: ignore[arg-type]


def test_the_report_carries_signature_and_information() -> None:
    """Event type, report type, P0–P8, dynamic signature and WER_REPORT_INFORMATION."""
    report = _build(raised(lambda: first_bug({})))
    assert report.event_type == UNHANDLED_EVENT
    assert report.report_type == ReportType.APPLICATION_CRASH
    assert [p.value for p in report.parameters][6] == "first_bug"
    content = report.content()
    assert {i: (n, v) for i, n, v in content.dynamic_signature} == {
        22: (
            "Python Version",
            f"{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}",
        ),
        23: ("Python Implementation", "CPython"),
    }
    info = report.information
    assert info.consent_key == UNHANDLED_EVENT
    assert info.friendly_event_name == "Stopped working"
    assert info.application_name == "sampleapp"
    assert info.process_id == os.getpid()


@pytest.mark.parametrize(
    ("kind", "event", "report_type", "friendly"),
    [
        (ExceptionKind.MAIN_THREAD, UNHANDLED_EVENT, 2, "Stopped working"),
        (ExceptionKind.THREAD, UNHANDLED_EVENT, 0, "A thread stopped working"),
        (ExceptionKind.ASYNCIO, UNHANDLED_EVENT, 0, "An asyncio task stopped working"),
        (ExceptionKind.UNRAISABLE, NON_FATAL_EVENT, 0, "Exception ignored"),
        (ExceptionKind.HANDLED, NON_FATAL_EVENT, 0, "Exception handled"),
    ],
)
def test_each_kind_has_its_event_type_and_report_type(
    kind: ExceptionKind, event: str, report_type: int, friendly: str
) -> None:
    """docs/events.md's table: which kind gives which event, report type and friendly name."""
    report = _build(raised(lambda: first_bug({})), kind=kind)
    assert (report.event_type, report.report_type) == (event, report_type)
    assert report.information.friendly_event_name == friendly
    assert dict(report.content().extra)["ExceptionKind"] == kind.value


def test_process_values_are_set() -> None:
    """AppSessionGuid (pid first), uptime, command line and interpreter."""
    extra = dict(_build(raised(lambda: first_bug({}))).content().extra)
    assert extra["AppSessionGuid"].startswith(f"{os.getpid():08x}-")
    assert int(extra["ProcessUptimeMs"]) >= 0
    assert extra["CommandLine"]
    assert extra["PythonExecutable"] == sys.executable
    assert "CaptureProblems" not in extra


def test_the_traceback_is_what_python_prints() -> None:
    """traceback.txt equals traceback.format_exception, causes included; not anonymous."""
    import traceback

    def wrapped() -> None:
        try:
            first_bug({})
        except KeyError as exc:
            raise RuntimeError("wrapped") from exc

    exc = raised(wrapped)
    report = _build(exc)
    text = _files(report)[TRACEBACK_FILE].decode()
    assert text == "".join(traceback.format_exception(exc))
    assert "The above exception was the direct cause" in text
    flags = {f.name: f.flags for f in report.files()}
    assert not flags[TRACEBACK_FILE] & FileFlags.ANONYMOUS_DATA
    assert flags[STACK_FILE] & FileFlags.ANONYMOUS_DATA
    assert flags[THREADS_FILE] & FileFlags.ANONYMOUS_DATA


def test_stack_json_lists_the_chain_and_the_faulting_frame() -> None:
    """Every exception of the chain with its frames; relations and parents."""

    def chained() -> None:
        try:
            first_bug({})
        except KeyError:
            raise ValueError("context")  # noqa: B904 - an implicit context on purpose

    stack = json.loads(_files(_build(raised(chained)))[STACK_FILE])
    exceptions = stack["exceptions"]
    assert [(e["type"], e["relation"], e["parent"]) for e in exceptions] == [
        ("ValueError", "root", None),
        ("KeyError", "context", 0),
    ]
    assert exceptions[1]["frames"][-1]["function"] == "first_bug"
    assert (
        stack["faulting_frame"]["function"]
        == "test_stack_json_lists_the_chain_and_the_faulting_frame.<locals>.chained"
    )


def test_exception_groups_appear_in_traceback_and_stack() -> None:
    """Nested ExceptionGroups: every member in stack.json, the tree in traceback.txt."""

    def grouped() -> None:
        inner = ExceptionGroup("inner", [raised(lambda: first_bug({})), OSError("disk")])
        raise ExceptionGroup("outer", [inner, TypeError("t")])

    files = _files(_build(raised(grouped)))
    stack = json.loads(files[STACK_FILE])
    types = [(e["type"], e["relation"]) for e in stack["exceptions"]]
    assert types == [
        ("ExceptionGroup", "root"),
        ("ExceptionGroup", "member"),
        ("KeyError", "member"),
        ("OSError", "member"),
        ("TypeError", "member"),
    ]
    text = files[TRACEBACK_FILE].decode()
    assert "ExceptionGroup: outer (2 sub-exceptions)" in text
    assert "| KeyError: 'missing'" in text


def test_threads_json_lists_every_thread() -> None:
    """The main thread and a waiting worker, by name, without idents."""
    ready, release = threading.Event(), threading.Event()

    def worker() -> None:
        ready.set()
        release.wait(10)

    thread = threading.Thread(target=worker, name="sample-worker")
    thread.start()
    try:
        ready.wait(10)
        report = _build(raised(lambda: first_bug({})), kind=ExceptionKind.THREAD, thread=thread)
    finally:
        release.set()
        thread.join()
    threads = json.loads(_files(report)[THREADS_FILE])["threads"]
    by_name = {t["name"]: t for t in threads}
    assert threads[0]["main"] is True
    assert by_name["sample-worker"]["crashed"] is True
    assert by_name["sample-worker"]["frames"][-1]["function"] == "Event.wait" or any(
        f["function"].endswith("worker") for f in by_name["sample-worker"]["frames"]
    )
    current = [t for t in threads if t["current"]]
    assert len(current) == 1
    assert all(not f["module"].startswith("openwer.") for f in current[0]["frames"])
    assert dict(report.content().extra)["ThreadName"] == "sample-worker"


def test_threads_json_leaves_out_openwers_own_threads() -> None:
    """A waiting ``openwer-…`` worker (upload, warm-up, watchdog) is machinery, not the
    program: it is not listed; the same worker is listed when it is the one that crashed."""
    release = threading.Event()
    own = threading.Thread(target=release.wait, args=(10,), name="openwer-upload", daemon=True)
    own.start()
    try:
        plain = _build(raised(lambda: first_bug({})))
        crashed = _build(raised(lambda: first_bug({})), kind=ExceptionKind.THREAD, thread=own)
    finally:
        release.set()
        own.join()
    names = [t["name"] for t in json.loads(_files(plain)[THREADS_FILE])["threads"]]
    assert "openwer-upload" not in names
    listed = json.loads(_files(crashed)[THREADS_FILE])["threads"]
    assert [t["crashed"] for t in listed if t["name"] == "openwer-upload"] == [True]


def test_anonymous_files_have_no_paths_or_addresses(tmp_path: Path) -> None:
    """stack.json and threads.json in-process: nothing absolute, no 0x… values."""
    files = _files(_build(raised(lambda: recurse(30))))
    for name in (STACK_FILE, THREADS_FILE):
        for text in strings_in(json.loads(files[name])):
            assert not text.startswith("/"), text
            assert ADDRESS.search(text) is None, text
            assert str(Path.home()) not in text


def test_locals_only_when_asked() -> None:
    """locals.json appears with include_locals and is not anonymous."""
    exc = raised(lambda: first_bug({"password": 1}))
    assert LOCALS_FILE not in _files(_build(exc))
    report = _build(exc, include_locals=True)
    document = json.loads(_files(report)[LOCALS_FILE])
    assert document["frames"][0]["function"] == "first_bug"
    assert document["frames"][0]["variables"]["values"] == "{'password': [redacted]}"
    flags = {f.name: f.flags for f in report.files()}
    assert not flags[LOCALS_FILE] & FileFlags.ANONYMOUS_DATA


def test_context_is_attached_with_secrets_redacted() -> None:
    """context.json carries the hook's context; secret-looking keys are blanked."""
    report = _build(
        raised(lambda: first_bug({})),
        kind=ExceptionKind.ASYNCIO,
        context={"message": "Task exception was never retrieved", "auth_token": "abc"},
    )
    context = json.loads(_files(report)[CONTEXT_FILE])["context"]
    assert context == {"message": "Task exception was never retrieved", "auth_token": "[redacted]"}


# -- hostile exceptions -------------------------------------------------------------------------


class StrRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


class ReprRaises(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class StrExits(Exception):
    def __str__(self) -> str:
        raise SystemExit(3)


class Untouchable(Exception):
    def __getattribute__(self, name: str) -> object:
        raise RuntimeError(f"no {name}")


class OddModule(Exception):
    pass


OddModule.__module__ = 42  # type: ignore[assignment]


def _cyclic() -> BaseException:
    first, second = ValueError("a"), KeyError("b")
    first.__context__ = second
    second.__context__ = first
    return raised(lambda: _raise(first))


def _raise(exc: BaseException) -> None:
    raise exc


def _deep() -> BaseException:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(12_000)
    try:
        return raised(lambda: recurse(10_000))
    finally:
        sys.setrecursionlimit(limit)


def _huge_group() -> BaseException:
    members = [ValueError(str(i)) for i in range(10_000)]
    group: Exception = ExceptionGroup("wide", members)
    for depth in range(200):
        group = ExceptionGroup(f"level {depth}", [group])
    return raised(lambda: _raise(group))


def _with_notes() -> BaseException:
    exc = raised(lambda: first_bug({}))
    setattr(exc, "__notes__", 42)  # noqa: B010 - mypy knows __notes__ as a list
    return exc


def _deleted_source(tmp_path: Path) -> BaseException:
    module_file = tmp_path / "vanishing_module.py"
    module_file.write_text("def fail():\n    raise LookupError('gone')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import vanishing_module  # type: ignore[import-not-found]

        module_file.unlink()
        return raised(vanishing_module.fail)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("vanishing_module", None)


HOSTILE: dict[str, Callable[[Path], BaseException]] = {
    "str raises": lambda _: raised(lambda: _raise(StrRaises())),
    "repr raises": lambda _: raised(lambda: _raise(ReprRaises())),
    "str raises SystemExit": lambda _: raised(lambda: _raise(StrExits())),
    "getattribute raises": lambda _: raised(lambda: _raise(Untouchable())),
    "module not a string": lambda _: raised(lambda: _raise(OddModule())),
    "cyclic context": lambda _: _cyclic(),
    "no traceback": lambda _: ValueError("never raised"),
    "10,000 frames": lambda _: _deep(),
    "huge nested group": lambda _: _huge_group(),
    "notes not a list": lambda _: _with_notes(),
    "deleted source file": _deleted_source,
    "KeyboardInterrupt": lambda _: KeyboardInterrupt(),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("kind", list(ExceptionKind))
def test_hostile_exceptions_never_make_it_raise(
    case: str, kind: ExceptionKind, tmp_path: Path
) -> None:
    """Odd exceptions yield a complete report: nine parameters and every file."""
    exc = HOSTILE[case](tmp_path)
    report = _build(exc, kind=kind, include_locals=True, context={"k": "v"})
    assert len(report.parameters) == 9
    names = set(_files(report))
    assert {TRACEBACK_FILE, STACK_FILE, THREADS_FILE, LOCALS_FILE, CONTEXT_FILE} <= names
    json.loads(_files(report)[STACK_FILE])


def test_a_cyclic_chain_is_walked_once() -> None:
    """a.__context__ = b, b.__context__ = a: two exceptions in stack.json."""
    stack = json.loads(_files(_build(_cyclic()))[STACK_FILE])
    assert [e["type"] for e in stack["exceptions"]] == ["ValueError", "KeyError"]


def test_a_deep_traceback_is_bounded_and_noted() -> None:
    """10,000 frames: stack.json keeps 200, traceback.txt 1,000, and the notes say so."""
    report = _build(_deep())
    files = _files(report)
    exception = json.loads(files[STACK_FILE])["exceptions"][0]
    assert len(exception["frames"]) == 200
    assert exception["omitted_frames"] > 9_000
    assert files[TRACEBACK_FILE].startswith(b"[openwer: the ")
    assert b"outermost frames left out" in files[PROBLEMS_FILE]
    assert dict(report.content().extra)["CaptureProblems"].startswith("1: traceback")


def test_a_huge_group_is_bounded() -> None:
    """200 nested levels of a 10,000-member group: 64 exceptions described, the rest counted."""
    stack = json.loads(_files(_build(_huge_group()))[STACK_FILE])
    assert len(stack["exceptions"]) == 64
    assert stack["omitted_exceptions"] > 0


def test_unreadable_attributes_are_noted() -> None:
    """An exception whose __getattribute__ raises: still a signature, with its type."""
    report = _build(raised(lambda: _raise(Untouchable())))
    assert report.parameters[8].value.endswith("Untouchable")
    assert report.parameters[6].value == "_raise"


def test_a_raising_str_still_renders_the_traceback() -> None:
    """Python's own placeholder for a failing __str__ is kept."""
    text = _files(_build(raised(lambda: _raise(StrRaises()))))[TRACEBACK_FILE].decode()
    assert "<exception str() failed>" in text


def test_a_str_raising_systemexit_is_contained() -> None:
    """SystemExit from __str__ does not escape: Python's placeholder again."""
    text = _files(_build(raised(lambda: _raise(StrExits()))))[TRACEBACK_FILE].decode()
    assert text.endswith("StrExits: <exception str() failed>\n")


def test_when_the_traceback_module_fails_a_plain_rendering_replaces_it() -> None:
    """An exception the traceback module cannot read: frames and type, and a note."""
    report = _build(raised(lambda: _raise(Untouchable())))
    files = _files(report)
    text = files[TRACEBACK_FILE].decode()
    assert text.startswith("Traceback (most recent call last):\n")
    assert ", in _raise\n" in text
    assert text.endswith("Untouchable: <the message could not be rendered>\n")
    assert b"the traceback module failed (RuntimeError)" in files[PROBLEMS_FILE]


def test_prepare_capture_is_harmless() -> None:
    """Warming the caches twice changes nothing and raises nothing."""
    prepare_capture(APP_CONFIG)
    prepare_capture(APP_CONFIG)


def test_the_fast_path_is_fast() -> None:
    """A loose sanity bound (benchmarks/bench_capture.py measures for real): under 50 ms."""
    exc = raised(lambda: recurse(18))
    _build(exc)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        _build(exc)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.05
