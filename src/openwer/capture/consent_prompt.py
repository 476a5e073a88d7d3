"""The consent prompt on a terminal: WER's consent dialog for programs without a window.

WER asks the user before sending when the consent level is "always ask" (``DefaultConsent`` 1,
the default) or the application submits with ``WerConsentNotAsked``/``WerConsentAlwaysPrompt``,
unless ``DontShowUI`` is set; without a way to ask it queues the report silently. The submission
(:mod:`openwer.report.submission`) makes that decision; this module supplies the way to ask, a
:data:`~openwer.report.ConsentPrompt` for ``ReportContext.prompt``:

* :func:`make_terminal_prompt` returns a prompt only when ``DontShowUI`` is off, stdin and stderr
  are terminals and this process is in the terminal's foreground (a background job reading its
  terminal would be stopped by SIGTTIN). Otherwise it returns ``None``: nothing ever asks, and the
  report is queued. Call it at crash time, so the answer reflects the terminal then.
* :func:`terminal_prompt` writes the consent dialog's strings to stderr (``UI[3]``, the header,
  and ``UI[4]``, the body, when the report sets them; WER's wording otherwise) and reads one
  answer from stdin: ``s`` send, ``d`` don't send, ``a`` always (writes
  ``Consent.DefaultConsent = 4`` to the user's settings), ``n`` never (writes the per-event
  ``Consent.<event> = 0``). An unknown answer asks again, up to three times.

Failure contract: it never raises and never blocks longer than its timeout (30 s by default,
``select`` on stdin): end of input (Ctrl-D), Ctrl-C, the timeout, an unusable terminal or any
other failure answer ``DONT_SEND``; a choice that cannot be saved is logged on the ``openwer``
logger and still answered. It reads the file descriptor directly, so text already buffered in
``sys.stdin`` is not seen.

Thread safety: each call is independent; two threads prompting at once would share the terminal,
so the crash path asks from one thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import Mapping

from openwer.errors import OpenwerError
from openwer.report.context import ConsentAnswer, ConsentPrompt
from openwer.settings import Level, OpenwerPaths, Settings, resolve_paths, set_value
from openwer.types import ConsentLevel, UIOption

__all__ = ["DEFAULT_PROMPT_TIMEOUT_S", "make_terminal_prompt", "terminal_prompt"]

log = logging.getLogger("openwer")

DEFAULT_PROMPT_TIMEOUT_S = 30.0

_DEFAULT_HEADER = "Do you want to send information about the problem?"
_DEFAULT_BODY = "Additional details about what went wrong can help create a solution."
_QUESTION = "[s]end / [d]on't send / [a]lways send / [n]ever send this kind of report"
_ATTEMPTS = 3
_MAX_LINE = 1024
_ANSWERS = {
    "s": ConsentAnswer.SEND,
    "send": ConsentAnswer.SEND,
    "d": ConsentAnswer.DONT_SEND,
    "don't send": ConsentAnswer.DONT_SEND,
    "dont send": ConsentAnswer.DONT_SEND,
    "don't": ConsentAnswer.DONT_SEND,
    "dont": ConsentAnswer.DONT_SEND,
    "a": ConsentAnswer.ALWAYS,
    "always": ConsentAnswer.ALWAYS,
    "n": ConsentAnswer.NEVER,
    "never": ConsentAnswer.NEVER,
}


def make_terminal_prompt(
    settings: Settings,
    *,
    paths: OpenwerPaths | None = None,
    timeout_s: float = DEFAULT_PROMPT_TIMEOUT_S,
    stdin_fd: int = 0,
    stderr_fd: int = 2,
) -> ConsentPrompt | None:
    """Return a terminal prompt, or ``None`` when this process must not ask (see module doc).

    ``paths`` says where "always"/"never" are saved (default: resolved when answered).
    """
    if settings.dont_show_ui or not _can_ask(stdin_fd, stderr_fd):
        return None

    def prompt(event_name: str, ui: Mapping[int, str]) -> ConsentAnswer:
        return terminal_prompt(
            event_name,
            ui,
            paths=paths,
            timeout_s=timeout_s,
            stdin_fd=stdin_fd,
            stderr_fd=stderr_fd,
        )

    return prompt


def terminal_prompt(
    event_name: str,
    ui: Mapping[int, str],
    *,
    paths: OpenwerPaths | None = None,
    timeout_s: float = DEFAULT_PROMPT_TIMEOUT_S,
    stdin_fd: int = 0,
    stderr_fd: int = 2,
) -> ConsentAnswer:
    """Ask on the terminal whether to send a report about ``event_name``; never raises.

    Returns ``DONT_SEND`` at once when stdin is not a terminal in the foreground.
    """
    try:
        if not _can_ask(stdin_fd, stderr_fd):
            return ConsentAnswer.DONT_SEND
        answer = _ask(event_name, ui, timeout_s, stdin_fd, stderr_fd)
    except KeyboardInterrupt:
        _write_quietly(stderr_fd, "\n")
        return ConsentAnswer.DONT_SEND
    except Exception:
        log.exception("openwer: the consent prompt failed; nothing is sent")
        return ConsentAnswer.DONT_SEND
    if answer in (ConsentAnswer.ALWAYS, ConsentAnswer.NEVER):
        _remember(answer, event_name, paths, stderr_fd)
    return answer


def _can_ask(stdin_fd: int, stderr_fd: int) -> bool:
    try:
        if not (os.isatty(stdin_fd) and os.isatty(stderr_fd)):
            return False
    except OSError:
        return False
    try:
        return os.tcgetpgrp(stdin_fd) == os.getpgrp()
    except OSError:
        return True  # not our controlling terminal: reading it cannot stop us (no SIGTTIN)


def _ask(
    event_name: str, ui: Mapping[int, str], timeout_s: float, stdin_fd: int, stderr_fd: int
) -> ConsentAnswer:
    deadline = time.monotonic() + max(0.0, timeout_s)
    header = _printable(ui.get(UIOption.CONSENT_DLG_HEADER) or _DEFAULT_HEADER, lines=True)
    body = _printable(ui.get(UIOption.CONSENT_DLG_BODY) or _DEFAULT_BODY, lines=True)
    _write(stderr_fd, f"\nopenwer: {_printable(event_name)}\n{header}\n{body}\n")
    for _ in range(_ATTEMPTS):
        seconds = max(0, round(deadline - time.monotonic()))
        _write(stderr_fd, f"{_QUESTION} ({seconds} s)? ")
        line = _read_line(stdin_fd, deadline)
        if line is None:  # end of input or no answer in time
            _write(stderr_fd, "\n")
            return ConsentAnswer.DONT_SEND
        answer = _ANSWERS.get(line.strip().casefold())
        if answer is not None:
            return answer
    return ConsentAnswer.DONT_SEND


def _read_line(fd: int, deadline: float) -> str | None:
    """One line from ``fd`` before ``deadline``; None on timeout or at end of input."""
    buffer = bytearray()
    while b"\n" not in buffer and len(buffer) < _MAX_LINE:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, _MAX_LINE)
        if not chunk:
            if not buffer:
                return None
            break
        buffer += chunk
    return bytes(buffer).split(b"\n", 1)[0].decode("utf-8", "replace")


def _remember(
    answer: ConsentAnswer, event_name: str, paths: OpenwerPaths | None, stderr_fd: int
) -> None:
    if answer is ConsentAnswer.ALWAYS:
        key, level = "Consent.DefaultConsent", ConsentLevel.ALL_DATA
    else:
        key, level = f"Consent.{event_name}", ConsentLevel.NONE
    try:
        set_value(paths or resolve_paths(), Level.USER, key, str(int(level)))
    except (OpenwerError, OSError, KeyboardInterrupt) as exc:
        log.warning("openwer: could not save the consent choice %s = %d: %s", key, level, exc)
        _write_quietly(stderr_fd, f"openwer: your choice could not be saved: {exc}\n")


def _printable(text: str, *, lines: bool = False) -> str:
    """Blank out control characters (terminal escapes); keep line breaks when ``lines``."""
    return "".join(ch if ch.isprintable() or (lines and ch == "\n") else " " for ch in text)


def _write(fd: int, text: str) -> None:
    view = memoryview(text.encode("utf-8", "replace"))
    while view:
        view = view[os.write(fd, view) :]


def _write_quietly(fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        _write(fd, text)
