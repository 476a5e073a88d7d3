"""Running small hung Python programs as child processes and reading the reports they file.

Not a conftest (mypy sees one module per name): the hang tests import it as ``hang_programs``.
Each program runs with ``openwer.install()`` (the test's source calls it), a private
``OPENWER_HOME`` and a hang threshold of a few hundred milliseconds, under a timeout, so nothing
can hang the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from openwer.cli.main import cli

THRESHOLD_MS = 300
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ProgramRun:
    """What a child program did: its exit, its output and the reports in its store."""

    returncode: int
    stdout: str
    stderr: str
    reports: list[dict[str, Any]]

    def values(self, report: dict[str, Any]) -> dict[str, str]:
        """A report's signature parameters by name."""
        return {item["name"]: item["value"] for item in report["signature"]}

    def hang_reports(self) -> list[dict[str, Any]]:
        """The AppHangB1 / AppHangXProcB1 reports, oldest first."""
        return [r for r in self.reports if str(r["event_type"]).startswith("AppHang")]


def state(report: dict[str, Any], key: str) -> str | None:
    """A Report.wer value that ``reports show --json`` lists under ``unknown``."""
    return next((item["value"] for item in report["unknown"] if item["key"] == key), None)


def run_program(
    tmp_path: Path,
    source: str,
    *,
    threshold_ms: int = THRESHOLD_MS,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    timeout_s: float = TIMEOUT_S,
) -> ProgramRun:
    """Run ``source`` (dedented) as ``prog.py`` in ``tmp_path`` and collect its reports."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENWER", "PYTHON"))}
    child_env["OPENWER_HOME"] = str(home)
    child_env["OPENWER__Hang__ThresholdMs"] = str(threshold_ms)
    child_env.update(env or {})
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    return ProgramRun(done.returncode, done.stdout, done.stderr, reports_in(home))


def reports_in(home: Path) -> list[dict[str, Any]]:
    """``openwer reports show --json`` of every report in ``home``'s user store, oldest first."""
    runner = CliRunner()
    environment = {"OPENWER_HOME": str(home)}
    listed = runner.invoke(cli, ["reports", "list", "--json"], env=environment)
    assert listed.exit_code == 0, listed.output
    shown = []
    for item in json.loads(listed.stdout):
        result = runner.invoke(cli, ["reports", "show", item["key"], "--json"], env=environment)
        assert result.exit_code == 0, result.output
        shown.append(json.loads(result.stdout))
    shown.sort(key=lambda report: str(report["event_time_raw"]))
    return shown


def line_of(source: str, text: str, occurrence: int = 1) -> int:
    """The line number of the ``occurrence``-th line of ``source`` containing ``text``."""
    found = [n for n, line in enumerate(source.splitlines(), 1) if text in line]
    return found[occurrence - 1]


def node_summary(chain: dict[str, Any]) -> list[tuple[str, str]]:
    """A chain's nodes as ``(type, name-or-thread)`` pairs, for readable assertions."""
    return [(node["type"], node["name"]) for node in chain["nodes"]]
