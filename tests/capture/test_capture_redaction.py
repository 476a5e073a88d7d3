"""Secret-looking names, command lines and the process values of Report.wer."""

from __future__ import annotations

import os
import sys

import pytest

from openwer.capture import process_details
from openwer.capture.problems import CaptureProblems
from openwer.capture.redaction import (
    REDACTED,
    is_secret_name,
    redact_command_line,
    redact_text,
)


@pytest.mark.parametrize(
    "name",
    ["password", "DB_PASSWD", "passphrase", "pwd", "client_secret", "access_token", "API_KEY",
     "apikey", "api-key", "Authorization", "oauth", "cookie", "SessionId", "credentials",
     "private_key", "aws_access_key_id", "csrf", "xsrf_token", "bearer", "jwt", "signature"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    """Each documented word, in any case, makes a name secret."""
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["user", "count", "path", "row", "host"])
def test_ordinary_names(name: str) -> None:
    """Ordinary names are not."""
    assert not is_secret_name(name)


def test_redact_text_blanks_pairs_and_url_passwords() -> None:
    """name=value, 'name': value and user:password@ forms."""
    assert redact_text("Cfg(token='abc', user='u')") == f"Cfg(token={REDACTED}, user='u')"
    assert redact_text("{'apiKey': b'x\\'y', 'n': 1}") == f"{{'apiKey': {REDACTED}, 'n': 1}}"
    assert redact_text("secret: plain words") == f"secret: {REDACTED} words"
    assert redact_text("https://me:pa55@host/x") == f"https://me:{REDACTED}@host/x"
    assert redact_text("no secrets here") == "no secrets here"


def test_redact_command_line() -> None:
    """--password=x, --token x, PASSWORD=x and URLs; other arguments untouched."""
    argv = ["python", "app.py", "--password=hunter2", "--token", "abc", "DB_PASSWORD=pw",
            "--user", "bob", "https://u:p@h/", "--verbose"]  # fmt: skip
    assert redact_command_line(argv) == [
        "python", "app.py", f"--password={REDACTED}", "--token", REDACTED,
        f"DB_PASSWORD={REDACTED}", "--user", "bob", f"https://u:{REDACTED}@h/", "--verbose",
    ]  # fmt: skip


def test_process_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppSessionGuid, uptime, the redacted command line and the interpreter."""
    monkeypatch.setattr(sys, "orig_argv", ["python", "tool.py", "--secret=x", "a\nb"])
    values = process_details.process_values()
    guid = values["AppSessionGuid"]
    assert guid.startswith(f"{os.getpid():08x}-0000-0000-")
    assert len(guid) == 36
    assert guid == process_details.app_session_guid()  # one per process
    assert values["CommandLine"] == f"python tool.py '--secret={REDACTED}' 'a?b'"
    assert int(values["ProcessUptimeMs"]) >= 0


def test_process_values_without_a_start_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc unreadable: a zero FILETIME in the GUID and no uptime."""
    monkeypatch.setattr(process_details, "_start", None)
    monkeypatch.setattr(process_details, "process_start_time", lambda: None)
    values = process_details.process_values()
    assert values["AppSessionGuid"].endswith("-0000-000000000000")
    assert "ProcessUptimeMs" not in values


def test_capture_problems_collect_and_summarize() -> None:
    """Guards swallow and note; the summary names sections; notes are bounded."""
    problems = CaptureProblems()
    assert not problems
    with problems.guard("first"):
        raise ValueError("broken\nline")
    with problems.guard("second"):
        raise KeyboardInterrupt
    with problems.guard("quiet"):
        pass
    assert problems.notes[0].startswith("first: ValueError: broken line (at test_capture_")
    assert problems.notes[1].startswith("second: KeyboardInterrupt")
    assert problems.summary() == "2: first, second"
    assert problems.text().count("\n") == 2
    for index in range(200):
        problems.note("many", str(index))
    assert len(problems.notes) == 100


def test_a_problem_whose_str_fails_is_still_noted() -> None:
    """The note survives an exception that cannot be printed."""

    class Mute(Exception):
        def __str__(self) -> str:
            raise RuntimeError("mute")

    problems = CaptureProblems()
    with problems.guard("odd"):
        raise Mute
    assert problems.notes[0].startswith("odd: Mute: <str() failed>")
