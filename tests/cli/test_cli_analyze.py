"""``openwer analyze DUMP [--symbols DIR] [--json]``: text, JSON, exit statuses, and every
corpus dump (the malformed one included) analysed without a traceback, also in a child process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))

from minidump_synth import SynthDump, SynthException, SynthThread, synthetic_dump

from openwer.cli.main import cli

MINIDUMP2 = "mdmp-windows/google__breakpad__src__processor__testdata__minidump2.dmp"
LINUX = "mdmp-linux/getsentry__symbolicator__tests__fixtures__linux.dmp"
MALFORMED = "mdmp-malformed/rust-minidump__rust-minidump__testdata__invalid-range.dmp"
SYMBOLS = "symbols/google__breakpad__src__processor__testdata__symbols__"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _json(*args: str) -> dict[str, Any]:
    code, out, err = run("analyze", *args, "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def _numbers_are_integers(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_numbers_are_integers(item) for item in value.values())
    if isinstance(value, list):
        return all(_numbers_are_integers(item) for item in value)
    return True


@pytest.fixture
def symbol_store(corpus_dir: Path, tmp_path: Path) -> Path:
    for pdb, identifier, name in (
        ("test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF1", "test_app.sym"),
        ("kernel32.pdb", "BCE8785C57B44245A669896B6A19B9542", "kernel32.sym"),
    ):
        target = tmp_path / pdb / identifier / name
        target.parent.mkdir(parents=True)
        shutil.copyfile(corpus_dir / f"{SYMBOLS}{pdb}__{identifier}__{name}", target)
    return tmp_path


def test_text_report_with_symbols(corpus_dir: Path, symbol_store: Path) -> None:
    """The crash, the crashing thread's symbolized frames, how each was found, the modules."""
    code, out, err = run("analyze", str(corpus_dir / MINIDUMP2), "--symbols", str(symbol_store))
    assert (code, err) == (0, "")
    assert "Crash reason:  EXCEPTION_ACCESS_VIOLATION_WRITE\nCrash address: 0x45\n" in out
    assert "Crashing thread: 0 (id 3060)" in out
    assert " 0  test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]" in out
    assert " 3  kernel32.dll!BaseProcessStart + 0x23\n" in out
    assert "Found by: call frame info" in out
    assert "Thread 1 (id 4544, wrote the dump)" in out
    main_module = "0x00400000 - 0x0042cfff  test_app.exe  ???  5A9832E5287241C1838ED98914E9B7FF1"
    assert f"{main_module}  (main) (symbols)\n" in out


def test_json_document(corpus_dir: Path, symbol_store: Path) -> None:
    """The documented fields, with integers for every number."""
    document = _json(str(corpus_dir / MINIDUMP2), "--symbols", str(symbol_store))
    assert document["schema_version"] == 1
    assert (document["status"], document["damage"]) == ("ok", [])
    assert document["crash"] == {
        "reason": "EXCEPTION_ACCESS_VIOLATION_WRITE",
        "code": 0xC0000005,
        "flags": 0,
        "address": 0x45,
        "thread_id": 3060,
        "parameters": [1, 0x45],
    }
    assert document["system"]["os"] == "Windows NT"
    assert document["system"]["cpu"] == "x86"
    assert document["crashing_thread"] == 0
    frames = document["threads"][0]["frames"]
    assert [(f["module"], f["function"], f["line"], f["trust"]) for f in frames] == [
        ("test_app.exe", "`anonymous namespace'::CrashFunction", 58, "context"),
        ("test_app.exe", "main", 65, "cfi"),
        ("test_app.exe", "__tmainCRTStartup", 327, "cfi"),
        ("kernel32.dll", "BaseProcessStart", None, "cfi"),
    ]
    assert frames[0]["instruction"] == 0x40429E
    assert frames[0]["registers"]["eip"] == 0x40429E
    assert (frames[3]["function_offset"], frames[0]["line_offset"]) == (0x23, 3)
    assert len(document["modules"]) == 13
    first = document["modules"][0]
    assert (first["path"], first["base"], first["size"], first["code_id"], first["debug_id"]) == (
        r"c:\test_app.exe",
        0x400000,
        0x2D000,
        "45D35F6C2d000",
        "5A9832E5287241C1838ED98914E9B7FF1",
    )
    assert first["symbols"] is True
    assert _numbers_are_integers(document)


def test_crash_without_symbols_and_linux(corpus_dir: Path) -> None:
    """A Linux dump: signal, address, thread, and frames labelled context then scan."""
    document = _json(str(corpus_dir / LINUX))
    assert document["crash"]["reason"] == "SIGSEGV"
    assert (document["crash"]["code"], document["crash"]["address"]) == (11, 0x45)
    assert document["threads"][0]["id"] == 1304
    trusts = [frame["trust"] for frame in document["threads"][0]["frames"]]
    assert trusts[0] == "context"
    assert set(trusts[1:]) == {"scan"}
    assert document["process"]["command_line"] == ["./crash"]
    assert document["modules"][0]["code_id"] == "f1c3bcc0279865fe3058404b2831d9e64135386c"


def test_not_a_minidump_exits_1_with_one_line(tmp_path: Path) -> None:
    """A file that is not a minidump, or no file: one line on stderr, exit 1."""
    path = tmp_path / "report.txt"
    path.write_text("hello")
    code, out, err = run("analyze", str(path))
    assert (code, out) == (1, "")
    assert (
        err
        == "openwer: error: not a minidump: 5 bytes is shorter than a minidump header (32 bytes)\n"
    )
    code, _, err = run("analyze", str(tmp_path / "missing.dmp"))
    assert code == 1
    assert err.startswith("openwer: error: No such file or directory")
    assert err.count("\n") == 1


def test_damaged_dump_exits_0_with_the_damage(corpus_dir: Path) -> None:
    """rust-minidump's invalid-range.dmp: what could be read, and the damage, exit 0."""
    code, out, err = run("analyze", str(corpus_dir / MALFORMED))
    assert (code, err) == (0, "")
    assert "Damage (parts of the dump that could not be read):" in out
    assert "LinuxMaps:" in out
    document = _json(str(corpus_dir / MALFORMED))
    assert document["status"] == "damaged"
    assert document["crash"] is None
    assert any(item["where"] == "LinuxMaps" for item in document["damage"])


def test_truncated_dump(corpus_dir: Path, tmp_path: Path) -> None:
    """A dump cut in the middle of its streams is analysed in part."""
    path = tmp_path / "cut.dmp"
    path.write_bytes((corpus_dir / MINIDUMP2).read_bytes()[:3000])
    document = _json(str(path))
    assert document["status"] == "damaged"
    assert document["crash"] is not None
    assert document["crash"]["code"] == 0xC0000005


def test_every_corpus_dump_in_a_child_process(corpus_dir: Path) -> None:
    """``python -m openwer.cli analyze`` on every corpus dump: exit 0, JSON, empty stderr."""
    for path in sorted(corpus_dir.glob("mdmp-*/*.dmp")):
        done = subprocess.run(
            [sys.executable, "-m", "openwer.cli", "analyze", str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (done.returncode, done.stderr) == (0, ""), path.name
        assert json.loads(done.stdout)["schema_version"] == 1


@pytest.mark.parametrize(
    ("os", "code", "reason"),
    [
        ("linux", 0xFFFFFFFF, "DUMP_REQUESTED"),
        ("linux", 0, "0x00000000"),
        ("windows", 0, "STATUS_SUCCESS"),
    ],
)
def test_crash_is_present_for_any_exception_stream(
    tmp_path: Path, os: str, code: int, reason: str
) -> None:
    """A dump requested without a crash (or with code 0) still has its ``crash`` object."""
    thread = SynthThread(5, {"rip": 0x1000, "rsp": 0x2000})
    spec = SynthDump(os=os, threads=[thread], exception=SynthException(5, code))
    path = tmp_path / "requested.dmp"
    path.write_bytes(synthetic_dump(spec))
    document = _json(str(path))
    assert document["crash"]["reason"] == reason
    assert (document["crash"]["code"], document["crash"]["thread_id"]) == (code, 5)
    assert document["crashing_thread"] == 0
