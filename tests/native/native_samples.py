"""Helpers of the native-capture tests: crashing programs, ptrace checks and independent readers.

* :func:`crasher` builds (once per source text) a small C program with gcc whose first argument
  picks the crash: ``segv`` (NULL+0x10 in ``deref`` ← ``level2`` ← ``main``, beside a sleeping
  thread), ``abort``, ``fpe`` (integer division by zero), ``thread`` (the crash in a second
  thread), ``fork`` (a forked child crashes; the parent exits 3), ``handled`` (a SIGSEGV the
  program recovers from; exits 5), ``usr1`` (three SIGUSR1 it handles; exits 13), ``exit`` (7).
  Every program turns core files off and kills itself after 20 s (``alarm``; the Python ones
  after 60 s), so a test can never leave a wedged child behind.
* :func:`require_ptrace` skips with a one-line reason where ptrace is not permitted.
* :func:`lldb_view` runs lldb (with a timeout) on a dump; :func:`analyze_view` runs openwer's own
  reader; :func:`minidump_package_view` the ``minidump`` package.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openwer.platform import ptrace
from openwer.platform.ptrace_access import has_cap_sys_ptrace, ptrace_scope

CRASHERS_C = r"""
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int zero = 0;
static sigjmp_buf recover_point;
static volatile int usr1_count = 0;

__attribute__((noinline)) int deref(int *p) { return *p; }
__attribute__((noinline)) int level2(int *p) { return deref(p) + 1; }
__attribute__((noinline)) int divide(int a) { return a / zero; }
static void *sleeper(void *arg) { (void)arg; for (;;) pause(); return NULL; }
__attribute__((noinline)) static void *crasher_thread(void *arg) {
  (void)arg;
  level2((int *)0x10);
  return NULL;
}
static void recover(int sig) { (void)sig; siglongjmp(recover_point, 1); }
static void on_usr1(int sig) { (void)sig; usr1_count++; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "segv";
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  alarm(20);
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  if (!strcmp(mode, "segv")) return level2((int *)0x10);
  if (!strcmp(mode, "abort")) abort();
  if (!strcmp(mode, "fpe")) return divide(7);
  if (!strcmp(mode, "thread")) {
    pthread_t c;
    pthread_create(&c, NULL, crasher_thread, NULL);
    pthread_join(c, NULL);
    return 0;
  }
  if (!strcmp(mode, "fork")) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) { level2((int *)0x10); _exit(0); }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return 3;
  }
  if (!strcmp(mode, "handled")) {
    signal(SIGSEGV, recover);
    if (sigsetjmp(recover_point, 1) == 0) level2((int *)0x10);
    return 5;
  }
  if (!strcmp(mode, "usr1")) {
    signal(SIGUSR1, on_usr1);
    for (int i = 0; i < 3; i++) raise(SIGUSR1);
    return 10 + usr1_count;
  }
  if (!strcmp(mode, "exit")) return 7;
  return 99;
}
"""

NO_CORE = "import resource, signal; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
SELF_DESTRUCT = "signal.alarm(60)\n"


def _cache_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"openwer-native-tests-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@functools.cache
def crasher() -> Path:
    """The crashing C program (see the module docstring); skips without gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (scripts/install-system-deps.sh installs it)")
    digest = hashlib.sha256(CRASHERS_C.encode()).hexdigest()[:16]
    target = _cache_dir() / f"crashers-{digest}"
    if not target.exists():
        source = target.with_suffix(".c")
        source.write_text(CRASHERS_C)
        partial = target.with_suffix(".partial")
        subprocess.run(
            [
                gcc,
                "-g",
                "-O0",
                "-fno-omit-frame-pointer",
                "-pthread",
                "-o",
                str(partial),
                str(source),
            ],
            check=True,
            timeout=60,
        )
        partial.rename(target)
    return target


@functools.cache
def _ptrace_problem() -> str | None:
    scope = ptrace_scope()
    if scope == 3:
        return "ptrace is disabled here (Yama ptrace_scope 3)"
    if scope == 2 and not has_cap_sys_ptrace():
        return "ptrace needs CAP_SYS_PTRACE here (Yama ptrace_scope 2)"
    child = subprocess.Popen(["sleep", "5"])
    try:
        ptrace.seize(child.pid)
    except Exception as exc:
        return f"ptrace is not permitted here: {exc}"
    finally:
        child.kill()
        child.wait(timeout=10)
    return None


def require_ptrace() -> None:
    """Skip the test with a one-line reason when this machine does not allow ptrace."""
    problem = _ptrace_problem()
    if problem is not None:
        pytest.skip(problem)


# -- readers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadView:
    """One thread as a reader showed it: its position, whether it crashed, its functions."""

    index: int
    crashed: bool
    functions: tuple[str, ...]
    stop_reason: str = ""


_LLDB_THREAD = re.compile(r"^\s*\*?\s*thread #(\d+)(?:, .*?stop reason = (.*))?$")
_LLDB_FRAME = re.compile(r"^\s*\*?\s*frame #\d+: 0x[0-9a-fA-F]+ ([^`\s]+)`([^\s(]+)")


def lldb_view(dump: Path, timeout_s: float = 90) -> list[ThreadView]:
    """``lldb -b -c DUMP -o "bt all"``, parsed; skips without lldb."""
    lldb = shutil.which("lldb")
    if lldb is None:
        pytest.skip("lldb is not installed (scripts/install-system-deps.sh installs it)")
    done = subprocess.run(
        [lldb, "--no-lldbinit", "-b", "-c", str(dump), "-o", "bt all"],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    threads: list[ThreadView] = []
    current: dict[str, Any] | None = None
    for line in done.stdout.splitlines():
        if match := _LLDB_THREAD.match(line):
            if current is not None:
                threads.append(ThreadView(**current))
            reason = match.group(2) or ""
            current = {
                "index": int(match.group(1)) - 1,
                "crashed": bool(reason),
                "functions": (),
                "stop_reason": reason,
            }
        elif current is not None and (match := _LLDB_FRAME.match(line)):
            current["functions"] = (*current["functions"], match.group(2))
    if current is not None:
        threads.append(ThreadView(**current))
    assert threads, f"lldb showed no threads:\n{done.stdout}\n{done.stderr}"
    return threads


def analyze_view(dump: Path) -> tuple[dict[str, Any], list[ThreadView]]:
    """openwer's own reader (``openwer analyze --json``'s document) and its threads."""
    from openwer.analysis.analysis_document import analysis_document
    from openwer.analysis.dump_file import analyze_dump_file

    document = analysis_document(analyze_dump_file(dump, (), local_binaries=True))
    threads = [
        ThreadView(
            index,
            bool(thread["crashed"]),
            tuple(frame.get("function") or "" for frame in thread["frames"]),
        )
        for index, thread in enumerate(document["threads"])
    ]
    return document, threads


def minidump_package_view(dump: Path) -> Any:
    """The ``minidump`` package's parse (its harmless PEB complaint silenced)."""
    from minidump.minidumpfile import MinidumpFile

    logging.disable(logging.CRITICAL)
    try:
        parsed = MinidumpFile.parse(str(dump))
    finally:
        logging.disable(logging.NOTSET)
    parsed.file_handle.close()  # the package keeps its file open
    return parsed


def same_function(a: str, b: str) -> bool:
    """lldb and openwer analyze may name one function by different aliases (__GI___libc_write)."""

    def core(name: str) -> str:
        name = name.split("[", 1)[0].strip()
        for prefix in ("__GI___", "__GI_", "__libc_", "__"):
            name = name.removeprefix(prefix)
        return name

    return core(a) == core(b) or core(a) in core(b) or core(b) in core(a)


def crashed_thread(threads: list[ThreadView]) -> ThreadView:
    """The one thread a reader marked as crashed."""
    (found,) = [thread for thread in threads if thread.crashed]
    return found


def assert_readers_agree(dump: Path, top: int = 3) -> tuple[dict[str, Any], list[ThreadView]]:
    """lldb and openwer analyze show the same crashing thread and top frames; the ``minidump``
    package parses the dump. Returns analyze's document and lldb's threads."""
    lldb_threads = lldb_view(dump)
    document, ours = analyze_view(dump)
    lldb_crashed, our_crashed = crashed_thread(lldb_threads), crashed_thread(ours)
    assert lldb_crashed.index == our_crashed.index == document["crashing_thread"]
    lldb_top = [f for f in lldb_crashed.functions if f][:top]
    assert lldb_top, lldb_crashed
    assert same_function(lldb_top[0], our_crashed.functions[0]), (lldb_top, our_crashed)
    for name in lldb_top[1:]:
        assert any(same_function(name, other) for other in our_crashed.functions[: top + 3]), (
            lldb_top,
            our_crashed.functions[: top + 3],
        )
    parsed = minidump_package_view(dump)
    assert parsed.exception is not None
    assert len(parsed.threads.threads) == len(lldb_threads)
    return document, lldb_threads


# -- processes -----------------------------------------------------------------------------


def wait_for(predicate: Any, timeout_s: float = 20.0) -> bool:
    """Poll ``predicate`` every 10 ms until it is true or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def no_process_left(*patterns: str) -> bool:
    """True when no process whose command line contains all ``patterns`` runs (zombies aside)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
            if all(pattern.encode() in raw for pattern in patterns) and state != "Z":
                return False
    return True


def handler_of(pid: int) -> tuple[str, str]:
    """The patterns naming the crash handler of process ``pid`` (for :func:`no_process_left`)."""
    return "openwer.native.handler_process", f'"pid": {pid},'


def stream_types(dump: bytes) -> list[int]:
    """The stream types listed in a minidump's directory."""
    import struct

    count, directory = struct.unpack_from("<II", dump, 8)
    return [struct.unpack_from("<I", dump, directory + 12 * i)[0] for i in range(count)]


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11."""
    return signal.Signals(number).name
