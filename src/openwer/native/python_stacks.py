"""The Python stacks of a crashed process: from faulthandler's text or py-spy, to openwer's JSON.

Two sources:

* faulthandler's own output (what :func:`openwer.install` with ``native=True`` routes to the
  crash handler): ``Fatal Python error: …``, then ``Thread 0x… (most recent call first):`` /
  ``Current thread 0x…`` blocks of ``  File "…", line N in name`` lines —
  :func:`parse_faulthandler`;
* ``py-spy dump --nonblocking --json`` run while the process is held in its signal-delivery-stop
  (``openwer run``; py-spy's blocking mode cannot attach while we trace, toolchain-notes §3) —
  :func:`py_spy_stacks`.

:func:`stacks_payload` is the JSON of openwer's minidump stream 0x4F570001 (docs/native.md)::

    {"format": "openwer-python-stacks", "version": 1,
     "source": "faulthandler" | "py-spy",
     "fatal_error": "Segmentation fault" | null,
     "threads": [{"ident": 140…, "thread_id": 4242 | null, "name": "MainThread" | null,
                  "current": true,
                  "frames": [{"file": "app.py", "line": 12 | null, "function": "crash"}]}],
     "text": "<faulthandler's text, or null>"}

Frames are innermost first, as both tools print them. Parsing is pure and tolerant (unknown
lines are kept in ``text`` only); :func:`py_spy_stacks` never raises (None on any failure).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = [
    "PYTHON_STACKS_FORMAT",
    "PythonFrame",
    "PythonStacks",
    "PythonThread",
    "find_py_spy",
    "parse_faulthandler",
    "py_spy_stacks",
    "stacks_payload",
    "with_thread_ids",
]

PYTHON_STACKS_FORMAT = "openwer-python-stacks"
_HEADER = re.compile(
    r"^(Current thread|Thread) (0x[0-9a-fA-F]+)(?: \[([^\]]*)\])? \(most recent call first\):$"
)
_FRAME = re.compile(r'^  File "(.*)", line (\d+|\?\?\?) in (.*)$')
_FATAL = re.compile(r"^Fatal Python error: (.*)$")
_MAX_TEXT = 1 << 20


@dataclass(frozen=True, slots=True)
class PythonFrame:
    """One Python frame: file, line (None when unknown) and function."""

    file: str
    line: int | None
    function: str


@dataclass(frozen=True, slots=True)
class PythonThread:
    """One thread's Python stack; ``ident`` is ``threading.get_ident()`` (``pthread_self``)."""

    ident: int
    current: bool
    frames: tuple[PythonFrame, ...]
    thread_id: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class PythonStacks:
    """Every thread's Python stack and where they came from."""

    source: str
    threads: tuple[PythonThread, ...]
    fatal_error: str | None = None
    text: str | None = None

    @property
    def current(self) -> PythonThread | None:
        """The thread that crashed (faulthandler's "Current thread"), if known."""
        return next((thread for thread in self.threads if thread.current), None)


def parse_faulthandler(text: str) -> PythonStacks:
    """Parse faulthandler's output (see the module docstring)."""
    threads: list[PythonThread] = []
    fatal: str | None = None
    header: tuple[int, bool, str | None] | None = None
    frames: list[PythonFrame] = []

    def close() -> None:
        if header is not None:
            threads.append(PythonThread(header[0], header[1], tuple(frames), name=header[2]))

    for line in text.splitlines():
        if fatal is None and (match := _FATAL.match(line)):
            fatal = match.group(1)
        elif match := _HEADER.match(line):
            close()
            header = (int(match.group(2), 16), match.group(1) == "Current thread", match.group(3))
            frames = []
        elif header is not None and (match := _FRAME.match(line)):
            number = match.group(2)
            frames.append(
                PythonFrame(
                    match.group(1), int(number) if number.isdigit() else None, match.group(3)
                )
            )
        elif header is not None and not line.startswith("  "):
            close()
            header = None
    close()
    return PythonStacks("faulthandler", tuple(threads), fatal, text[:_MAX_TEXT])


def with_thread_ids(stacks: PythonStacks, ident_to_tid: Mapping[int, int]) -> PythonStacks:
    """Fill each thread's OS thread id from a ``pthread_self`` → tid map."""
    return replace(
        stacks,
        threads=tuple(
            replace(thread, thread_id=ident_to_tid.get(thread.ident, thread.thread_id))
            for thread in stacks.threads
        ),
    )


def stacks_payload(stacks: PythonStacks) -> bytes:
    """The UTF-8 JSON of openwer's minidump stream (see the module docstring)."""
    document = {
        "format": PYTHON_STACKS_FORMAT,
        "version": 1,
        "source": stacks.source,
        "fatal_error": stacks.fatal_error,
        "threads": [
            {
                "ident": thread.ident,
                "thread_id": thread.thread_id,
                "name": thread.name,
                "current": thread.current,
                "frames": [
                    {"file": frame.file, "line": frame.line, "function": frame.function}
                    for frame in thread.frames
                ],
            }
            for thread in stacks.threads
        ],
        "text": stacks.text,
    }
    return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8", "surrogateescape")


def find_py_spy() -> str | None:
    """py-spy beside this interpreter, else on ``PATH``, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), "py-spy")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("py-spy")


def py_spy_stacks(
    py_spy: str, pid: int, crashed_tid: int | None, timeout_s: float = 2.0
) -> PythonStacks | None:
    """``py-spy dump --nonblocking --json`` of ``pid``; None when it fails or times out."""
    try:
        done = subprocess.run(
            [py_spy, "dump", "--pid", str(pid), "--nonblocking", "--json"],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        listing = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(listing, list):
        return None
    threads: list[PythonThread] = []
    for entry in listing:
        if not isinstance(entry, dict):
            continue
        frames = tuple(
            PythonFrame(
                str(frame.get("filename", "")),
                frame.get("line") if isinstance(frame.get("line"), int) else None,
                str(frame.get("name", "")),
            )
            for frame in entry.get("frames", [])
            if isinstance(frame, dict)
        )
        tid = entry.get("os_thread_id")
        ident = entry.get("thread_id")
        name = entry.get("thread_name")
        threads.append(
            PythonThread(
                ident if isinstance(ident, int) else 0,
                isinstance(tid, int) and tid == crashed_tid,
                frames,
                tid if isinstance(tid, int) else None,
                name if isinstance(name, str) else None,
            )
        )
    return PythonStacks("py-spy", tuple(threads))
