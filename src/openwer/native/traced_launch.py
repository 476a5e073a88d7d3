"""Start a program already traced: fork, seize the child before it execs, then let it exec.

A program started with ``posix_spawn`` and seized afterwards runs unobserved for a moment (it
could crash, or start threads, before the seize); so :func:`spawn_traced` forks a child that
waits on a pipe, seizes it with :data:`~openwer.platform.ptrace.OPTIONS_FOLLOW_ALL` (threads,
forks, vforks and exec followed), then releases it to ``execvpe``. The child restores the signal
mask it is given and the default action of SIGPIPE and SIGXFSZ first, as ``posix_spawn`` did in
:mod:`openwer.supervisor.launch`; an exec failure comes back on a close-on-exec pipe as an
errno and the child exits 127.

``PTRACE_O_EXITKILL`` is deliberately not used: if the supervisor is killed, the kernel detaches
the program and it carries on untraced, as under a debugger that died, instead of being killed.

Failure contract: :class:`ExecFailure` (with the errno) when the program cannot be executed,
:class:`~openwer.errors.TraceError` when it cannot be traced (the child is killed and reaped
first). Call from the thread that will trace the program (ptrace ties tracees to a thread).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable, Mapping, Sequence

from openwer.errors import OpenwerError, TraceError
from openwer.platform import ptrace

__all__ = ["ExecFailure", "spawn_traced"]

_RESTORED_TO_DEFAULT = (signal.SIGPIPE, signal.SIGXFSZ)


class ExecFailure(OpenwerError):
    """``execvpe`` failed in the child; ``errno`` says why (ENOENT, EACCES…)."""

    def __init__(self, program: str, errno: int) -> None:
        super().__init__(f"{program}: {os.strerror(errno)}")
        self.errno = errno


def _child(
    argv: Sequence[str],
    env: Mapping[str, str],
    sigmask: Iterable[int],
    go: int,
    report: int,
) -> None:
    # Only async-signal-safe-ish work here: the parent may have other threads.
    code = 127
    try:
        os.read(go, 1)  # wait until the parent has seized us
        for number in _RESTORED_TO_DEFAULT:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, list(sigmask))
        os.execvpe(argv[0], list(argv), dict(env))
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.write(report, str(exc.errno or 0).encode())
    except BaseException:
        code = 126
    finally:
        os._exit(code)


def spawn_traced(
    argv: Sequence[str], env: Mapping[str, str], *, sigmask: Iterable[int] = ()
) -> int:
    """Start ``argv`` traced and return its pid (see the module docstring).

    The program runs when this returns; its exec is reported to the tracer as a
    ``PTRACE_EVENT_EXEC`` stop that the tracer resumes.
    """
    go_read, go_write = os.pipe2(os.O_CLOEXEC)
    report_read, report_write = os.pipe2(os.O_CLOEXEC)
    mask = list(sigmask)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which execs or exits
        os.close(go_write)
        os.close(report_read)
        _child(argv, env, mask, go_read, report_write)
    os.close(go_read)
    os.close(report_write)
    try:
        try:
            ptrace.seize(pid, ptrace.OPTIONS_FOLLOW_ALL)
        except TraceError:
            _kill_and_reap(pid)
            raise
        os.write(go_write, b"x")
        os.close(go_write)
        go_write = -1
        failure = _read_all(report_read)
    finally:
        if go_write >= 0:
            os.close(go_write)
        os.close(report_read)
    if failure:
        _reap_failed_child(pid)
        raise ExecFailure(argv[0], int(failure or b"0"))
    return pid


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 64):
        chunks.append(chunk)
    return b"".join(chunks)


def _reap_failed_child(pid: int) -> None:
    # The child is traced: resume whatever stop it reports until it has exited.
    while True:
        try:
            _, status = os.waitpid(pid, ptrace.WALL)
        except ChildProcessError:
            return
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return
        with contextlib.suppress(TraceError):
            ptrace.cont(pid, 0)


def _kill_and_reap(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
