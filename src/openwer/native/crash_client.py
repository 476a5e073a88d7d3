"""Native crash protection of a Python process, Crashpad-style: a handler waits beside it.

:func:`protect` (called by ``openwer.install(native=True)``) starts a crash handler process
(:mod:`openwer.native.handler_process`) and points faulthandler at it; nothing traces the
program while it runs, so debuggers, py-spy and strace keep working. On a fatal signal
(SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT through ``faulthandler.enable``; SIGSYS and SIGTRAP
through ``faulthandler.register(..., chain=True)`` when the program has no handler for them) the
crashing thread does only what faulthandler does — signal-safe writes of every thread's Python
traceback to a socket. That socket's send buffer is as small as the kernel allows and nobody
reads it before the handler has attached, so the crashing thread blocks in its first writes: the
process cannot die before the handler has stopped it (``PR_SET_PTRACER`` allows the attach under
Yama), recovered the fault's context and written the report. The handler then reads the
traceback, lets faulthandler re-raise the signal and detaches: the process dies of it as it
would have, with its real exit status.

faulthandler stays usable by the program: :func:`protect` wraps ``faulthandler.enable``,
``disable`` and ``is_enabled`` so that the program's own choice of output file is honoured (the
handler copies the crash text there); a faulthandler enabled before :func:`protect` (``-X
faulthandler``, ``PYTHONFAULTHANDLER``) is taken to write to stderr, its default. Code that kept
a reference to the original ``faulthandler.enable`` can still take faulthandler back, which ends
the native protection (documented in docs/native.md).

Not done when the process is already traced (``openwer run`` captures it then, and only one
tracer may attach) — :attr:`ProtectionOutcome.TRACED`. Forked children stay protected by the
same handler. Safety nets: if the handler is gone the writes fail at once (``EPIPE``); if it hangs,
each blocked write gives up after :data:`SEND_TIMEOUT_S`.

Failure contract: never raises into the program; failures are logged and answered with
:attr:`ProtectionOutcome.FAILED`. Thread-safe.
"""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import logging
import os
import signal
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from openwer.native.handler_protocol import (
    HandlerArguments,
    decode_message,
    encode_arguments,
    encode_message,
    encode_registered,
)
from openwer.platform.procfs import tracer_pid
from openwer.platform.ptrace_access import ptrace_scope, set_ptracer
from openwer.report.registry import RegisteredData, process_registry

__all__ = [
    "SEND_TIMEOUT_S",
    "ProtectionOutcome",
    "handler_pid",
    "protect",
    "unprotect",
    "wait_until_ready",
]

log = logging.getLogger("openwer")

SEND_TIMEOUT_S = 5.0
_HELLO_TIMEOUT_S = 30.0
_REGISTERED = (signal.SIGSYS, signal.SIGTRAP)
_HIGH_FD = 10


class ProtectionOutcome(Enum):
    """What :func:`protect` did."""

    STARTED = "started"
    ALREADY_PROTECTED = "already-protected"
    TRACED = "traced"  # a tracer (openwer run, a debugger) holds the process
    FAILED = "failed"


@dataclass
class _Protection:
    pid: int
    crash: socket.socket
    control: socket.socket
    spawned: int
    registered: list[int]
    user_enabled: bool
    user_file: Any = None
    handler: int | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def send_registered(self, data: RegisteredData) -> None:
        """Tell the handler the process's registered data (a registry listener)."""
        try:
            self.control.send(encode_registered(data), socket.MSG_DONTWAIT)
        except OSError as exc:
            log.warning("openwer: could not tell the crash handler about registered data: %s", exc)


_lock = threading.Lock()
_state: _Protection | None = None
_original_enable = faulthandler.enable
_original_disable = faulthandler.disable
_original_is_enabled = faulthandler.is_enabled


def protect(app_name: str, app_version: str, app_path: str) -> ProtectionOutcome:
    """Start the crash handler and route faulthandler to it (see the module docstring)."""
    global _state
    with _lock:
        if _state is not None:
            return ProtectionOutcome.ALREADY_PROTECTED
        if tracer_pid() != 0:
            return ProtectionOutcome.TRACED
        try:
            _state = _start(app_name, app_version, app_path)
        except Exception:
            log.exception("openwer: could not start the native crash handler")
            return ProtectionOutcome.FAILED
    return ProtectionOutcome.STARTED


def _socket_pairs() -> tuple[socket.socket, socket.socket, socket.socket, socket.socket]:
    crash, crash_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    control, control_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # The smallest send buffer: faulthandler's writes block within a few hundred bytes, until
    # the handler has attached and starts reading.
    crash.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
    timeout = struct.pack("ll", int(SEND_TIMEOUT_S), 0)
    crash.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeout)
    crash.shutdown(socket.SHUT_RD)  # the process never reads it
    crash_theirs.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return crash, crash_theirs, control, control_theirs


def _high(descriptor: int) -> int:
    # Out of the way of 3, 4 and 5, where the handler expects its channels.
    return fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)


def _package_root() -> str:
    # src/openwer/native/crash_client.py → the folder that holds the openwer package.
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start(app_name: str, app_version: str, app_path: str) -> _Protection:
    crash, crash_theirs, control, control_theirs = _socket_pairs()
    user_enabled = _original_is_enabled()
    theirs = [_high(crash_theirs.fileno()), _high(control_theirs.fileno())]
    crash_theirs.close()
    control_theirs.close()
    arguments = HandlerArguments(
        pid=os.getpid(),
        crash_fd=3,
        control_fd=4,
        target_fd=crash.fileno(),
        app_name=app_name,
        app_version=app_version,
        app_path=app_path,
        forward_fd=5 if user_enabled else None,
    )
    actions: list[tuple[Any, ...]] = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_DUP2, theirs[0], 3),
        (os.POSIX_SPAWN_DUP2, theirs[1], 4),
    ]
    if user_enabled:
        actions.append((os.POSIX_SPAWN_DUP2, 2, 5))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_package_root(), env.get("PYTHONPATH")]))
    try:
        spawned = os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "openwer.native.handler_process", encode_arguments(arguments)],
            env,
            file_actions=actions,
            setsigmask=(),
            setsid=True,
        )
    finally:
        for descriptor in theirs:
            os.close(descriptor)
    state = _Protection(os.getpid(), crash, control, spawned, [], user_enabled)
    _original_enable(crash, all_threads=True)
    for number in _REGISTERED:
        if signal.getsignal(number) == signal.SIG_DFL:
            faulthandler.register(number, crash, all_threads=True, chain=True)
            state.registered.append(number)
    faulthandler.enable = _enable
    faulthandler.disable = _disable
    faulthandler.is_enabled = _is_enabled
    registry = process_registry()
    state.send_registered(registry.snapshot())
    registry.add_listener(state.send_registered)
    threading.Thread(
        target=_finish_start, args=(state,), name="openwer-native-start", daemon=True
    ).start()
    return state


def _finish_start(state: _Protection) -> None:
    """Reap the handler's first process, learn the handler's pid, allow it to attach."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(state.spawned, 0)
    try:
        state.control.settimeout(_HELLO_TIMEOUT_S)
        message = decode_message(state.control.recv(65536))
        if message is not None and message.get("type") == "hello":
            state.handler = int(message.get("pid", 0)) or None
        if state.handler is not None and ptrace_scope() is not None:
            set_ptracer(state.handler)
    except (OSError, ValueError):
        log.warning("openwer: the native crash handler did not start")
    finally:
        state.ready.set()


def _after_fork_in_child() -> None:
    # Yama's exception is per process: a forked child names the handler again.
    state = _state
    if state is not None and state.handler is not None and ptrace_scope() is not None:
        set_ptracer(state.handler)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _send_forward(state: _Protection, descriptor: int | None) -> None:
    try:
        if descriptor is None:
            state.control.send(encode_message("forward"))
        else:
            socket.send_fds(state.control, [encode_message("forward")], [descriptor])
    except OSError as exc:
        log.warning("openwer: could not tell the crash handler about faulthandler: %s", exc)


def _enable(file: Any = None, all_threads: bool = True) -> None:
    """``faulthandler.enable`` while openwer protects the process: the program's file is kept."""
    state = _state
    target = sys.stderr if file is None else file
    _original_enable(target, all_threads=all_threads)  # the same checks and errors as before
    if state is None:
        return
    descriptor = target if isinstance(target, int) else target.fileno()
    state.user_enabled, state.user_file = True, target
    _send_forward(state, descriptor)
    _original_enable(state.crash, all_threads=True)


def _disable() -> None:
    """``faulthandler.disable``: stop copying to the program's file; the protection stays."""
    state = _state
    if state is None:
        _original_disable()
        return
    state.user_enabled, state.user_file = False, None
    _send_forward(state, None)


def _is_enabled() -> bool:
    """``faulthandler.is_enabled`` as the program sees it."""
    state = _state
    return _original_is_enabled() if state is None else state.user_enabled


def handler_pid() -> int | None:
    """The handler's pid once it said hello, else None."""
    state = _state
    return None if state is None else state.handler


def wait_until_ready(timeout_s: float | None = None) -> bool:
    """Wait until the handler has said hello (tests and benchmarks); False on timeout."""
    state = _state
    return state is not None and state.ready.wait(timeout_s) and state.handler is not None


def unprotect() -> None:
    """Stop the protection: faulthandler back as the program left it, channels closed."""
    global _state
    with _lock:
        state, _state = _state, None
        if state is None:
            return
        faulthandler.enable = _original_enable
        faulthandler.disable = _original_disable
        faulthandler.is_enabled = _original_is_enabled
        process_registry().remove_listener(state.send_registered)
        for number in state.registered:
            with contextlib.suppress(RuntimeError, ValueError):
                faulthandler.unregister(number)
        _original_disable()
        if state.user_enabled:
            with contextlib.suppress(Exception):
                _original_enable(state.user_file or sys.stderr)
        state.crash.close()
        state.control.close()
