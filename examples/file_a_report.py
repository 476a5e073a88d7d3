"""File one WER-style report through openwer's Python API and print what happened.

Run with OPENWER_HOME set to keep the stores out of your home folder::

    OPENWER_HOME=/tmp/openwer .venv/bin/python examples/file_a_report.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import openwer


def main() -> None:
    """Create a non-critical report with a signature and a log file, and queue it."""
    info = openwer.ReportInformation(
        application_name="example-app",
        friendly_event_name="Import failed",
        description="The nightly import could not parse its input file.",
    )
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "import.log"
        log.write_text("2026-11-24 02:00:01 parser: unexpected token at line 12\n")
        with openwer.Report("ImportFailure", openwer.ReportType.NON_CRITICAL, info) as report:
            report.set_parameter(0, "example-app", "Application Name")
            report.set_parameter(1, "1.4.2", "Application Version")
            report.set_parameter(2, "parser", "Component")
            report.set_parameter(3, "E_UNEXPECTED_TOKEN", "Error Code")
            report.add_file(log, openwer.FileType.OTHER, openwer.FileFlags.ANONYMOUS_DATA)
            result = report.submit(openwer.Consent.NOT_ASKED, openwer.SubmitFlags.QUEUE)
    print(f"report {report.report_id}: {result.name}")


if __name__ == "__main__":
    main()
