"""Signatures are stable across install paths, homes and runs: checked in child processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_samples import (
    ADDRESS,
    HARNESS,
    fake_site_packages,
    parameter_values,
    run_child,
    strings_in,
    write_files,
)

APP_FILES = {
    "capture_harness.py": HARNESS,
    "run_importer.py": """
        import sys
        import capture_harness
        capture_harness.install()
        from importer.cli import main
        main(sys.argv[1:])
        """,
    "importer/__init__.py": "",
    "importer/__main__.py": """
        import sys
        import capture_harness
        capture_harness.install()
        from importer.cli import main
        main(sys.argv[1:])
        """,
    "importer/cli.py": """
        from importer.parser import parse, total

        def main(args):
            rows = [{"count": "1"}]
            if "--other" in args:
                return total(rows)
            return parse(rows)
        """,
    "importer/parser.py": """
        import rowlib

        def parse(rows):
            parsed = []
            for row in rows:
                parsed.append(rowlib.lookup(row, "total"))
            return parsed

        def total(rows):
            return sum(row["count"] for row in rows) + len(rows)
        """,
    "crash_main.py": """
        import capture_harness
        capture_harness.install()

        class LocalError(Exception):
            pass

        def boom():
            raise LocalError("boom")

        boom()
        """,
}

LIBRARY_FILES = {
    "rowlib/__init__.py": """
        def lookup(row, key):
            return _get(row, key)

        def _get(row, key):
            return row[key]
        """,
    "rowlib-2.0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: rowlib\nVersion: 2.0.1\n",
}


class Install:
    """One copy of the sample application and its library, somewhere."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.app = root / "app"
        write_files(self.app, APP_FILES)
        self.site = fake_site_packages(root / "venv", LIBRARY_FILES)
        self.home = root / "home"
        self.home.mkdir()

    def run(self, *args: str) -> dict[str, object]:
        return run_child(list(args), cwd=self.app, home=self.home, pythonpath=[self.site])

    def run_script(self, *args: str) -> dict[str, object]:
        return self.run(str(self.app / "run_importer.py"), *args)


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Install, Install]:
    """The same application installed in two unrelated folders."""
    first = Install(tmp_path_factory.mktemp("install-one") / "opt" / "importer")
    second = Install(tmp_path_factory.mktemp("elsewhere") / "srv" / "deep" / "copy")
    return first, second


def _without_thread_ids(result: dict[str, object]) -> dict[str, object]:
    threads = result["threads"]
    assert isinstance(threads, dict)
    for thread in threads["threads"]:
        thread.pop("native_id")
    return result


def test_the_same_bug_from_two_install_paths_has_one_signature(
    installs: tuple[Install, Install],
) -> None:
    """Same P0–P8, bucket id, stack.json and threads.json from two folders and homes."""
    first, second = (_without_thread_ids(i.run_script()) for i in installs)
    assert first["parameters"] == second["parameters"]
    assert first["bucket"] == second["bucket"]
    assert first["stack"] == second["stack"]
    assert first["threads"] == second["threads"]
    assert first["problems"] == ""


def test_a_library_error_is_bucketed_at_the_application_frame(
    installs: tuple[Install, Install],
) -> None:
    """rowlib raises the KeyError; the signature names importer.parser.parse."""
    result = installs[0].run_script()
    values = parameter_values(result)
    assert values == [
        "run_importer",
        "0.0.0.0",
        "00000000",
        "importer.parser",
        "0.0.0.0",
        "00000000",
        "parse",
        "0003",
        "KeyError",
    ]
    stack = result["stack"]
    assert isinstance(stack, dict)
    frames = stack["exceptions"][0]["frames"]
    assert [f["file"] for f in frames] == [
        "run_importer.py",
        "importer/cli.py",
        "importer/parser.py",
        "rowlib/__init__.py",
        "rowlib/__init__.py",
    ]
    assert [f["origin"] for f in frames][-2:] == ["library", "library"]


def test_python_m_gives_the_same_stable_signature_from_two_paths(
    installs: tuple[Install, Install],
) -> None:
    """python -m importer: P0 is the module, and both installs agree."""
    first, second = (i.run("-m", "importer") for i in installs)
    assert first["parameters"] == second["parameters"]
    assert first["bucket"] == second["bucket"]
    assert parameter_values(first)[0] == "importer"
    stack = first["stack"]
    assert isinstance(stack, dict)
    outer = stack["exceptions"][0]["frames"][0]
    assert outer["module"] == "runpy"
    assert outer["origin"] == "stdlib"


def test_another_bug_gets_another_bucket(installs: tuple[Install, Install]) -> None:
    """A TypeError in another function: different P6–P8 and bucket."""
    one = installs[0].run_script()
    other = installs[1].run_script("--other")
    assert one["bucket"] != other["bucket"]
    values = parameter_values(other)
    assert values[3] == "importer.parser"
    assert values[6] == "total"  # sum() raises: the innermost Python frame is total()
    assert values[8] == "TypeError"


def test_main_is_named_alike_as_a_script_and_with_dash_m(
    installs: tuple[Install, Install],
) -> None:
    """crash_main.py and -m crash_main: one signature, __main__ named crash_main."""
    install = installs[0]
    as_script = install.run(str(install.app / "crash_main.py"))
    as_module = installs[1].run("-m", "crash_main")
    assert as_script["parameters"] == as_module["parameters"]
    values = parameter_values(as_script)
    assert values[0] == "crash_main"
    assert values[3] == "crash_main"
    assert values[6] == "boom"
    assert values[8] == "crash_main.LocalError"


def test_anonymous_files_hold_no_paths_and_no_addresses(
    installs: tuple[Install, Install],
) -> None:
    """stack.json and threads.json: no absolute path, no home, no 0x… address."""
    install = installs[0]
    result = install.run_script()
    for document in (result["stack"], result["threads"]):
        for text in strings_in(document):
            assert not text.startswith("/"), text
            assert str(install.root) not in text
            assert str(install.home) not in text
            assert ADDRESS.search(text) is None, text
