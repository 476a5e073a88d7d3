"""The Python exception signature P0–P8 (docs/events.md), computed in this process."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import threading
from pathlib import Path

import pytest
from capture_samples import (
    APP_CONFIG,
    fake_site_packages,
    first_bug,
    from_site_packages,
    raised,
    recurse,
    second_bug,
)

from openwer.capture.config import CaptureConfig
from openwer.capture.frames import FrameOrigin
from openwer.capture.signature import (
    NON_FATAL_EVENT,
    PARAMETER_NAMES,
    UNHANDLED_EVENT,
    fit_parameter,
    python_signature,
)
from openwer.formats.bucket_id import compute_bucket_ids

THIS_MODULE = __name__


def test_parameters_have_the_documented_names_and_slots() -> None:
    """Nine parameters, named as docs/events.md's table, in slot order."""
    signature = python_signature(raised(lambda: first_bug({})), APP_CONFIG)
    assert [name for name, _ in signature.parameters] == list(PARAMETER_NAMES)
    assert PARAMETER_NAMES[0] == "Application Name"
    assert PARAMETER_NAMES[8] == "Exception Type"


def test_values_describe_the_faulting_frame() -> None:
    """P0–P8 name the application, the innermost application frame and the type."""
    signature = python_signature(raised(lambda: first_bug({})), APP_CONFIG)
    values = signature.values
    assert values[:3] == ("sampleapp", "1.2.3", "00000000")
    assert values[3] == "capture_samples"
    assert values[4] == "1.2.3"  # application code: the application's version
    assert values[5] == "00000000"
    assert values[6] == "first_bug"
    assert values[7] == "0002"  # the line after the def line and the docstring
    assert values[8] == "KeyError"
    assert signature.faulting_frame is not None
    assert signature.faulting_frame.origin is FrameOrigin.APPLICATION


def test_the_same_bug_gives_the_same_signature_every_time() -> None:
    """Two occurrences of one bug, through different callers, share P0–P8 and bucket."""
    first = python_signature(raised(lambda: first_bug({"a": 1})), APP_CONFIG)
    again = python_signature(raised(lambda: [first_bug({})]), APP_CONFIG)
    assert first.values == again.values
    assert first.bucket_ids() == again.bucket_ids()


def test_two_bugs_give_two_buckets() -> None:
    """Different function, line and type: different values and bucket ids."""
    one = python_signature(raised(lambda: first_bug({})), APP_CONFIG)
    two = python_signature(raised(lambda: second_bug({})), APP_CONFIG)
    assert one.values[6] != two.values[6]
    assert one.values[7] != two.values[7]
    assert one.values[8] != two.values[8]
    assert one.bucket_ids() != two.bucket_ids()


def test_bucket_ids_match_the_shared_formula() -> None:
    """bucket_ids() is compute_bucket_ids over the event type and the nine values."""
    signature = python_signature(raised(lambda: first_bug({})), APP_CONFIG)
    expected = compute_bucket_ids(NON_FATAL_EVENT, signature.values)
    assert signature.bucket_ids(NON_FATAL_EVENT) == expected
    assert signature.bucket_ids() == compute_bucket_ids(UNHANDLED_EVENT, signature.values)


def test_application_timestamp_is_eight_hex_digits() -> None:
    """P2 (and P5 for application code) is the build time in 8 hex digits."""
    config = CaptureConfig("app", "1.0", 0x5F5E1000, ())
    values = python_signature(raised(lambda: first_bug({})), config).values
    assert values[2] == "5f5e1000"
    assert values[5] == "5f5e1000"


def test_an_exception_without_traceback_is_unknown() -> None:
    """A never-raised exception still gets a signature: unknown module and function."""
    signature = python_signature(ValueError("never raised"), APP_CONFIG)
    assert signature.values[3:] == (
        "unknown",
        "0.0.0.0",
        "00000000",
        "unknown",
        "0000",
        "ValueError",
    )
    assert signature.faulting_frame is None


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A library 'rowlib_sig' 2.0.1 installed in a fake site-packages on sys.path."""
    site = fake_site_packages(
        tmp_path / "venv",
        {
            "rowlib_sig/__init__.py": """
                def lookup(row, key):
                    return _get(row, key)

                def _get(row, key):
                    return row[key]

                def call_back(function):
                    return function()
                """,
            "rowlib_sig-2.0.1.dist-info/METADATA": "Name: rowlib-sig\nVersion: 2.0.1\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "rowlib_sig", raising=False)
    importlib.invalidate_caches()
    return "rowlib_sig"


def _app_calls_library(name: str) -> object:
    module = importlib.import_module(name)
    return module.lookup({}, "key")


def test_a_library_exception_buckets_at_the_calling_application_frame(library: str) -> None:
    """A KeyError raised deep in a library is bucketed where the application called it."""
    signature = python_signature(raised(lambda: _app_calls_library(library)), APP_CONFIG)
    assert signature.values[3] == THIS_MODULE
    assert signature.values[6] == "_app_calls_library"
    assert signature.values[4] == "1.2.3"


def test_a_crash_in_library_code_only_buckets_at_its_innermost_frame(library: str) -> None:
    """Without application frames, the innermost frame and its distribution's version."""
    module = importlib.import_module(library)
    exc = from_site_packages(raised(lambda: module.lookup({}, "key")))
    signature = python_signature(exc, APP_CONFIG)
    assert signature.values[3:8] == ("rowlib_sig", "2.0.1", "00000000", "_get", "0001")
    assert signature.faulting_frame is not None
    assert signature.faulting_frame.origin is FrameOrigin.LIBRARY
    assert signature.faulting_frame.file == "rowlib_sig/__init__.py"


def test_the_applications_own_distribution_counts_as_application(library: str) -> None:
    """Code of the distribution named like the application is application code."""
    module = importlib.import_module(library)
    config = CaptureConfig("rowlib-sig", "9", None, (), app_distribution="rowlib-sig")
    signature = python_signature(raised(lambda: module.lookup({}, "k")), config)
    assert signature.faulting_frame is not None
    assert signature.faulting_frame.origin is FrameOrigin.APPLICATION
    # Installed application code: the version of the distribution that holds it, and P2.
    assert signature.values[3:7] == ("rowlib_sig", "2.0.1", "00000000", "_get")


def test_app_packages_make_installed_modules_application_code(library: str) -> None:
    """A module listed in app_packages is application code even in site-packages."""
    module = importlib.import_module(library)
    exc = from_site_packages(raised(lambda: module.lookup({}, "key")))
    config = CaptureConfig("app", "3.0", None, ("rowlib_sig",))
    signature = python_signature(exc, config)
    assert signature.faulting_frame is not None
    assert signature.faulting_frame.origin is FrameOrigin.APPLICATION
    assert signature.values[3:7] == ("rowlib_sig", "2.0.1", "00000000", "_get")


def test_a_stdlib_crash_called_from_the_stdlib_has_the_python_version() -> None:
    """json.loads failing in a thread: innermost stdlib frame, P4 = Python version."""
    caught: list[BaseException] = []

    def keep(args: threading.ExceptHookArgs) -> None:
        assert args.exc_value is not None
        caught.append(args.exc_value)

    previous = threading.excepthook
    threading.excepthook = keep
    try:
        worker = threading.Thread(target=json.loads, args=("{",))
        worker.start()
        worker.join()
    finally:
        threading.excepthook = previous
    signature = python_signature(caught[0], APP_CONFIG)
    values = signature.values
    assert values[3] == "json.decoder"
    assert values[4] == platform.python_version()
    assert values[5] == "00000000"
    assert values[6] == "JSONDecoder.raw_decode"
    assert values[8] == "json.decoder.JSONDecodeError"
    assert signature.faulting_frame is not None
    assert signature.faulting_frame.origin is FrameOrigin.STDLIB


def _wrap_with_cause() -> None:
    try:
        first_bug({})
    except KeyError as exc:
        raise RuntimeError("could not load") from exc


def _wrap_with_context() -> None:
    try:
        first_bug({})
    except KeyError:
        raise RuntimeError("while handling") from None


def test_a_chained_exception_is_bucketed_at_the_outer_raise() -> None:
    """raise … from …: the exception that went unhandled and where it was raised."""
    values = python_signature(raised(_wrap_with_cause), APP_CONFIG).values
    assert values[6] == "_wrap_with_cause"
    assert values[8] == "RuntimeError"
    assert python_signature(raised(_wrap_with_context), APP_CONFIG).values[8] == "RuntimeError"


def _group() -> None:
    errors = [raised(lambda: first_bug({})), raised(lambda: second_bug({}))]
    raise ExceptionGroup("two", [ExceptionGroup("inner", errors[:1]), errors[1]])


def test_an_exception_group_is_bucketed_at_its_first_leaf() -> None:
    """Nested groups: the first leaf's type and innermost application frame."""
    values = python_signature(raised(_group), APP_CONFIG).values
    assert values[6] == "first_bug"
    assert values[8] == "KeyError"


def test_a_long_type_name_is_hashed() -> None:
    """A type name over 259 characters becomes sha1: and 32 hex digits."""
    long_type = type("E" * 300, (Exception,), {})
    value = python_signature(raised(lambda: _raise(long_type())), APP_CONFIG).values[8]
    assert value.startswith("sha1:")
    assert len(value) == 37
    assert value == fit_parameter(f"{THIS_MODULE}.{'E' * 300}")


def _raise(exc: BaseException) -> None:
    raise exc


def test_fit_parameter_keeps_short_values_and_cleans_control_characters() -> None:
    """Short values stay; control characters become question marks."""
    assert fit_parameter("abc") == "abc"
    assert fit_parameter("a\nb\x00c") == "a?b?c"
    assert fit_parameter("x" * 259) == "x" * 259
    assert fit_parameter("x" * 260).startswith("sha1:")


def test_types_are_qualified_by_module_and_qualname() -> None:
    """Nested classes keep their qualified name; builtins have no module."""

    class Inner(LookupError):
        pass

    value = python_signature(raised(lambda: _raise(Inner())), APP_CONFIG).values[8]
    expected = f"{THIS_MODULE}.test_types_are_qualified_by_module_and_qualname.<locals>.Inner"
    assert value == expected


def test_a_deep_recursion_buckets_at_the_innermost_frame() -> None:
    """A RecursionError-like depth still names the innermost application frame."""
    values = python_signature(raised(lambda: recurse(500)), APP_CONFIG).values
    assert values[6] == "recurse"
    assert values[8] == "ValueError"


def test_code_without_a_module_name_is_named_by_its_file() -> None:
    """exec() with bare globals: the module is named by the pseudo file name."""
    code = compile("def f():\n    raise OSError('x')\nf()\n", "<generated>", "exec")
    values = python_signature(raised(lambda: exec(code, {})), APP_CONFIG).values
    assert values[3] == "<generated>"
    assert values[6] == "f"
    assert values[7] == "0001"
    assert values[8] == "OSError"
