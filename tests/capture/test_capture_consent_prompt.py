"""Tests of the terminal consent prompt: real pseudo-terminals, never blocking without one."""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openwer.capture.consent_prompt import make_terminal_prompt, terminal_prompt
from openwer.report import ConsentAnswer
from openwer.settings import Settings, load_settings, resolve_paths
from openwer.types import ConsentLevel, UIOption


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (controller, terminal side); the test process's own tty is untouched."""
    controller, side = os.openpty()
    yield controller, side
    os.close(controller)
    os.close(side)


def _drain(controller: int) -> str:
    text = b""
    while select.select([controller], [], [], 0)[0]:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    return text.decode("utf-8", "replace")


def _ask(terminal: tuple[int, int], typed: bytes, **options: object) -> tuple[ConsentAnswer, str]:
    controller, side = terminal
    os.write(controller, typed)
    answer = terminal_prompt(
        "APPCRASH",
        options.pop("ui", {}),  # type: ignore[arg-type]
        stdin_fd=side,
        stderr_fd=side,
        timeout_s=options.pop("timeout_s", 5.0),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return answer, _drain(controller)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (b"s\n", ConsentAnswer.SEND),
        (b"Send\n", ConsentAnswer.SEND),
        (b"d\n", ConsentAnswer.DONT_SEND),
        (b"don't send\n", ConsentAnswer.DONT_SEND),
        (b"maybe\ns\n", ConsentAnswer.SEND),
    ],
)
def test_answers(
    openwer_home: Path, terminal: tuple[int, int], typed: bytes, expected: ConsentAnswer
) -> None:
    """Send and don't send, in short or long form; an unknown answer asks again."""
    answer, shown = _ask(terminal, typed)
    assert answer is expected
    assert "[s]end / [d]on't send / [a]lways send / [n]ever send" in shown
    assert load_settings().default_consent == ConsentLevel.ALWAYS_ASK  # nothing saved


def test_wer_default_strings(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """Without UI strings the dialog shows WER's wording and the event name."""
    _, shown = _ask(terminal, b"d\n")
    assert "APPCRASH" in shown
    assert "Do you want to send information about the problem?" in shown


def test_ui_strings_replace_the_defaults(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """UI[3] and UI[4] replace the header and the body; control characters are blanked."""
    ui = {UIOption.CONSENT_DLG_HEADER: "MyApp hit a snag", 4: "Help us fix it\x1b[2J."}
    _, shown = _ask(terminal, b"d\n", ui=ui)
    assert "MyApp hit a snag" in shown
    assert "Help us fix it [2J." in shown
    assert "Do you want to send" not in shown


def test_always_saves_default_consent(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """ "Always" writes Consent.DefaultConsent = 4 to the user's settings."""
    answer, _ = _ask(terminal, b"a\n")
    assert answer is ConsentAnswer.ALWAYS
    assert load_settings().default_consent == ConsentLevel.ALL_DATA
    assert "DefaultConsent = 4" in resolve_paths().user_settings_file.read_text()


def test_never_saves_per_event_consent(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """ "Never" writes Consent.<event> = 0 to the user's settings."""
    answer, _ = _ask(terminal, b"never\n")
    assert answer is ConsentAnswer.NEVER
    assert load_settings().consent_for("APPCRASH") == ConsentLevel.NONE


def test_unsaved_choice_is_still_answered(
    openwer_home: Path,
    tmp_path: Path,
    terminal: tuple[int, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A settings file that cannot be written is logged; the answer stands."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    paths = dataclasses.replace(resolve_paths(), user_settings_file=blocked / "settings.toml")
    answer, shown = _ask(terminal, b"a\n", paths=paths)
    assert answer is ConsentAnswer.ALWAYS
    assert "could not be saved" in shown
    assert "could not save" in caplog.text


def test_end_of_input_is_dont_send(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """Ctrl-D (end of input) answers don't send."""
    answer, _ = _ask(terminal, b"\x04")
    assert answer is ConsentAnswer.DONT_SEND


def test_timeout_is_dont_send(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """No answer within the timeout: don't send, after the timeout and not later."""
    started = time.monotonic()
    answer, _ = _ask(terminal, b"", timeout_s=0.3)
    assert answer is ConsentAnswer.DONT_SEND
    assert 0.25 <= time.monotonic() - started < 2


def test_too_many_unknown_answers(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """Three unknown answers in a row: don't send."""
    answer, _ = _ask(terminal, b"x\ny\nz\ns\n")
    assert answer is ConsentAnswer.DONT_SEND


def test_ctrl_c_is_dont_send(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """Ctrl-C (SIGINT) while waiting for an answer: don't send, no KeyboardInterrupt."""
    main = threading.main_thread().ident
    assert main is not None
    threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT)).start()
    answer, _ = _ask(terminal, b"", timeout_s=5)
    assert answer is ConsentAnswer.DONT_SEND


def test_make_prompt_needs_terminals_and_ui(
    openwer_home: Path, terminal: tuple[int, int], tmp_path: Path
) -> None:
    """A prompt is made only with DontShowUI off and both stdin and stderr on a terminal."""
    _, side = terminal
    settings = Settings.defaults()
    assert make_terminal_prompt(settings, stdin_fd=side, stderr_fd=side) is not None
    no_ui = dataclasses.replace(settings, dont_show_ui=True)
    assert make_terminal_prompt(no_ui, stdin_fd=side, stderr_fd=side) is None
    with (tmp_path / "file").open("w") as regular:
        assert make_terminal_prompt(settings, stdin_fd=regular.fileno(), stderr_fd=side) is None
        assert make_terminal_prompt(settings, stdin_fd=side, stderr_fd=regular.fileno()) is None
    assert make_terminal_prompt(settings, stdin_fd=999, stderr_fd=side) is None


def test_made_prompt_asks(openwer_home: Path, terminal: tuple[int, int]) -> None:
    """The prompt make_terminal_prompt returns asks on its terminal."""
    controller, side = terminal
    prompt = make_terminal_prompt(Settings.defaults(), stdin_fd=side, stderr_fd=side)
    assert prompt is not None
    os.write(controller, b"s\n")
    assert prompt("APPCRASH", {}) is ConsentAnswer.SEND


_ON_ITS_TERMINAL = """
import fcntl, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty becomes this session's controlling terminal
from openwer.capture.consent_prompt import make_terminal_prompt
from openwer.report import Report, ReportContext
from openwer.types import Consent
context = ReportContext.from_environment()
prompt = make_terminal_prompt(context.settings)
assert prompt is not None
context = ReportContext(paths=context.paths, settings=context.settings, prompt=prompt)
with Report("MyEvent") as report:
    report.set_parameter(0, "value")
    result = report.submit(Consent.NOT_ASKED, context=context)
print("RESULT", result.name, file=sys.stderr)
"""


def _run_on_terminal(typed: bytes) -> str:
    """Run a child submitting a report on a pty it controls; type ``typed`` at the prompt."""
    controller, side = os.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _ON_ITS_TERMINAL],
            stdin=side,
            stdout=side,
            stderr=side,
            start_new_session=True,
        )
        os.close(side)
        shown = b""
        deadline = time.monotonic() + 20
        while b"report (" not in shown and time.monotonic() < deadline:
            if select.select([controller], [], [], 0.1)[0]:
                shown += os.read(controller, 4096)
        os.write(controller, typed)
        while child.poll() is None or select.select([controller], [], [], 0)[0]:
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    shown += os.read(controller, 4096)
                except OSError:  # EIO: the child closed its side
                    break
        child.wait(timeout=20)
        return shown.decode("utf-8", "replace")
    finally:
        os.close(controller)


@pytest.mark.parametrize(
    ("typed", "result"),
    [(b"s\n", "REPORT_QUEUED"), (b"\x03", "REPORT_CANCELLED")],
)
def test_submission_asks_on_the_controlling_terminal(
    openwer_home: Path, typed: bytes, result: str
) -> None:
    """A child on its own terminal is asked; "send" queues (no server), Ctrl-C cancels."""
    shown = _run_on_terminal(typed)
    assert "MyEvent" in shown
    assert f"RESULT {result}" in shown


_WITHOUT_TERMINAL = """
import sys, time
from openwer.capture.consent_prompt import make_terminal_prompt, terminal_prompt
from openwer.report import Report, ReportContext
from openwer.types import Consent
context = ReportContext.from_environment()
started = time.monotonic()
assert make_terminal_prompt(context.settings) is None
assert terminal_prompt("APPCRASH", {}, timeout_s=10).value == "dont-send"
with Report("MyEvent") as report:
    report.set_parameter(0, "value")
    result = report.submit(Consent.NOT_ASKED, context=context)
print(result.name, round(time.monotonic() - started, 1))
"""


def test_non_interactive_process_never_blocks(openwer_home: Path) -> None:
    """With stdin a pipe nobody writes to, nothing asks and the report is queued at once."""
    child = subprocess.Popen(
        [sys.executable, "-c", _WITHOUT_TERMINAL],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    name, seconds = out.split()
    assert name == "REPORT_QUEUED"
    assert float(seconds) < 5
