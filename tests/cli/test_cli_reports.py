"""Tests of ``openwer reports`` and ``openwer store stats``: output shapes and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.report import Report
from openwer.types import FileFlags, FileType, SubmitFlags

CORPUS_REPORT = "wer/DownPower__website__Report.wer"


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def file_report(tmp_path: Path, value: str = "parser", *, machine: bool = False) -> None:
    log = tmp_path / f"{value}.log"
    log.write_text("log line")
    with Report("ImportFailure") as report:
        report.set_parameter(0, "example-app", "Application Name")
        report.set_parameter(1, value, "Component")
        report.add_file(log, FileType.OTHER, FileFlags.ANONYMOUS_DATA)
        report.submit(flags=SubmitFlags.QUEUE, machine_store=machine)


def test_list_empty() -> None:
    """An empty store lists as 'No reports.' and as an empty JSON array."""
    assert run("reports", "list") == (0, "No reports.\n", "")
    code, out, _ = run("reports", "list", "--json")
    assert code == 0
    assert json.loads(out) == []


def test_list_show_delete(tmp_path: Path) -> None:
    """list --json gives keys that show, export and delete accept."""
    file_report(tmp_path, "parser")
    file_report(tmp_path, "loader")
    code, out, _ = run("reports", "list", "--json")
    assert code == 0
    listing = json.loads(out)
    assert [item["status"] for item in listing] == ["queued", "queued"]
    key = listing[0]["key"]
    assert set(listing[0]) >= {"key", "event_type", "event_time", "signature", "bucket_id", "store"}

    code, out, _ = run("reports", "show", key, "--json")
    shown = json.loads(out)
    required = {
        "key", "event_type", "event_time", "report_type", "signature", "dynamic_signature",
        "bucket_id", "legacy_bucket_id", "report_id", "files", "consent", "status", "store",
        "folder", "response",
    }  # fmt: skip
    assert required <= set(shown)
    assert shown["key"] == key
    assert shown["signature"][1] == {"name": "Component", "value": "parser"}
    assert shown["store"] == "user"
    assert shown["response"] is None
    assert shown["event_time"].endswith("+00:00")

    code, out, _ = run("reports", "show", key)
    assert code == 0
    assert "Application Name" in out
    assert "parser" in out

    export = tmp_path / "export"
    code, out, _ = run("reports", "export", key, "--to", str(export))
    assert code == 0
    assert (export / key / "Report.wer").is_file()
    assert (export / key / "parser.log").is_file()
    assert run("reports", "export", key, "--to", str(export))[0] == 1  # exists already

    assert run("reports", "delete", key)[0] == 0
    assert len(json.loads(run("reports", "list", "--json")[1])) == 1
    code, _, err = run("reports", "delete", key)
    assert code == 1
    assert err.startswith("openwer: error: no report with key")


def test_human_list(tmp_path: Path) -> None:
    """The human listing is a table with the key in the last column."""
    file_report(tmp_path)
    _code, out, _ = run("reports", "list")
    header, row = out.splitlines()
    assert header.split() == [
        "STATUS",
        "EVENT",
        "TIME",
        "(UTC)",
        "EVENT",
        "TYPE",
        "SIGNATURE",
        "KEY",
    ]
    assert row.startswith("queue")
    assert row.split()[-1].startswith("NonCritical_")


def test_machine_store_and_filters(tmp_path: Path) -> None:
    """--store machine and --queue/--archive pick what is listed."""
    file_report(tmp_path, "user-one")
    file_report(tmp_path, "machine-one", machine=True)
    machine = json.loads(run("reports", "list", "--store", "machine", "--json")[1])
    assert [item["signature"][1]["value"] for item in machine] == ["machine-one"]
    assert json.loads(run("reports", "list", "--archive", "--json")[1]) == []
    assert len(json.loads(run("reports", "list", "--queue", "--json")[1])) == 1
    # show finds a machine-store key without --store
    assert run("reports", "show", machine[0]["key"], "--json")[0] == 0


def test_purge(tmp_path: Path) -> None:
    """purge removes every report of the store."""
    file_report(tmp_path, "a")
    file_report(tmp_path, "b")
    assert run("reports", "purge") == (0, "Purged 2 reports.\n", "")
    assert run("reports", "purge", "--queue") == (0, "Purged 0 reports.\n", "")


def test_show_bare_report_wer(corpus_dir: Path) -> None:
    """show accepts a bare Report.wer file (a real Windows one here)."""
    code, out, _ = run("reports", "show", str(corpus_dir / CORPUS_REPORT), "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["event_type"] == "APPCRASH"
    assert shown["status"] == "file"
    assert shown["store"] is None
    assert shown["response"]["bucket_id"] == "c8afbeebe387a4eff71d246ac10bf97f"
    assert shown["response"]["legacy_bucket_id"] == 1665527478120872319
    assert shown["signature"][7]["value"] == "000000000004b519"
    code, out, _ = run("reports", "show", str(corpus_dir / CORPUS_REPORT))
    assert code == 0
    assert "taskmgr.exe" in out


def test_show_folder(tmp_path: Path) -> None:
    """show accepts a report folder."""
    file_report(tmp_path)
    folder = json.loads(run("reports", "list", "--json")[1])[0]["folder"]
    code, out, _ = run("reports", "show", folder, "--json")
    assert code == 0
    assert json.loads(out)["files"][0]["present"] is True


def test_show_errors(tmp_path: Path) -> None:
    """Unknown keys, missing and damaged files exit 1 with one line on stderr."""
    code, _, err = run("reports", "show", "nope")
    assert code == 1
    assert err.count("\n") == 1
    code, _, err = run("reports", "show", str(tmp_path / "missing" / "Report.wer"))
    assert code == 1
    assert "does not exist" in err
    garbage = tmp_path / "Report.wer"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    code, _, err = run("reports", "show", str(garbage))
    assert code == 1
    assert err.startswith("openwer: error: Report.wer:")


def test_store_stats(tmp_path: Path) -> None:
    """store stats counts each area of each store."""
    file_report(tmp_path)
    code, out, _ = run("store", "stats", "--json")
    rows = json.loads(out)
    user_queue = next(r for r in rows if r["store"] == "user" and r["area"] == "queue")
    assert user_queue["count"] == 1
    assert user_queue["size_bytes"] > 0
    code, out, _ = run("store", "stats")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["STORE", "AREA", "REPORTS"]


def test_usage_errors_exit_2() -> None:
    """Unknown commands and options are usage errors: exit 2."""
    assert run("reports", "frobnicate")[0] == 2
    assert run("reports", "list", "--bogus")[0] == 2
    assert run("reports", "show")[0] == 2


def test_console_script_runs(openwer_home: Path) -> None:
    """The installed entry point works in a real process and exits 0/1/2 as documented."""
    command = [sys.executable, "-m", "openwer.cli", "reports", "list", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0
    assert json.loads(done.stdout) == []
    missing = [sys.executable, "-m", "openwer.cli", "reports", "show", "nope"]
    done = subprocess.run(missing, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("openwer: error:")
    done = subprocess.run(
        [sys.executable, "-m", "openwer.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "reports" in done.stdout


def test_store_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """store prune applies MaxQueueCount, oldest first."""
    for value in ("a", "b", "c"):
        file_report(tmp_path, value)
    monkeypatch.setenv("OPENWER__MaxQueueCount", "1")
    code, out, _ = run("store", "prune", "--json")
    removed = json.loads(out)
    assert code == 0
    assert [r["reason"] for r in removed] == ["count", "count"]
    (left,) = json.loads(run("reports", "list", "--json")[1])
    assert left["signature"][1]["value"] == "c"
    code, out, _ = run("store", "prune")
    assert code == 0
    assert out.startswith("Pruned 0 report(s)")


def test_store_recover(openwer_home: Path) -> None:
    """store recover removes what a dead writer left in Temp."""
    temp = openwer_home / "user" / "Temp"
    temp.mkdir(parents=True)
    (temp / "new~999999999.1.deadbeef.4026531836~abcd").mkdir()
    code, out, _ = run("store", "recover")
    assert code == 0
    assert "Recovered" in out
