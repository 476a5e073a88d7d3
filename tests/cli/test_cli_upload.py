"""``openwer reports upload`` and ``openwer reports preview``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.report import Report
from openwer.types import FileFlags, SubmitFlags


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def queued_key() -> str:
    with Report("MyEvent") as report:
        report.set_parameter(0, "parser", "Component")
        report.add_file_bytes("safe.json", b"{}", flags=FileFlags.ANONYMOUS_DATA)
        report.add_file_bytes("personal.txt", b"secret")
        report.submit(flags=SubmitFlags.QUEUE)
        assert report.stored_key is not None
        return report.stored_key


def test_upload_without_a_server_is_an_error() -> None:
    """Without Server.Url, upload says how to set one and exits 1."""
    code, _, err = run("reports", "upload")
    assert code == 1
    assert "Server.Url" in err


def test_upload_to_an_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable server leaves the reports queued and says so."""
    queued_key()
    monkeypatch.setenv("OPENWER_SERVER_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENWER__Consent__DefaultConsent", "4")
    code, out, _ = run("reports", "upload", "--on-battery", "--json")
    assert code == 0
    assert json.loads(out)["outcome"] == "server-unreachable"
    assert len(json.loads(run("reports", "list", "--queue", "--json")[1])) == 1


def test_preview_follows_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    """preview shows stage 1 and which files stage 2 would carry under the current consent."""
    key = queued_key()
    code, out, _ = run("reports", "preview", key)
    assert code == 0
    assert "Stage 1: nothing is sent" in out  # 'always ask' by default
    monkeypatch.setenv("OPENWER__Consent__DefaultConsent", "3")
    code, out, _ = run("reports", "preview", key)
    assert '"event_type": "MyEvent"' in out
    assert "safe.json: sent" in out
    assert "personal.txt: withheld: needs consent level 4" in out
    assert run("reports", "preview", "nope")[0] == 1
