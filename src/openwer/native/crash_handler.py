"""The crash handler's loop: wait beside the protected process, capture it when it crashes.

Lifecycle (one handler per :func:`openwer.install` with ``native=True``, shared with the
process's forked children)::

    hello on the control channel ─► warm up (imports, settings, build ids of loaded libraries)
      └► poll both channels ─► control: forward target changes
                            ─► crash channel readable: whose bytes? (SCM_CREDENTIALS, peeked)
                                 └► attach, capture, let faulthandler finish, file the
                                    APPCRASH report, copy faulthandler's text to the program's
                                    own faulthandler file, release the process (it dies)
      ◄─ crash channel at end of file (every protected process has gone) ─► exit 0

It never traces anything before a crash: debuggers, py-spy and strace keep working on the
protected program. A process it cannot attach to (a debugger holds it, ptrace forbidden) still
gets its faulthandler text read and forwarded, so it is never left blocked.

Failure contract: nothing escapes :func:`run_handler`; failures are logged on the ``openwer``
logger (the program's stderr). Single-threaded.
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import select
import socket
import struct
import time
from dataclasses import replace

from openwer.errors import TraceError
from openwer.native.appcrash import (
    CrashedApplication,
    NativeCrashReport,
    capture_plan,
    environment_allowed,
    file_native_report,
)
from openwer.native.crash_attach import AttachedCrash, attach_crashed
from openwer.native.dump_plan import DumpPlan
from openwer.native.elf_identity import IdentityCache
from openwer.native.handler_protocol import (
    PROTOCOL_VERSION,
    HandlerArguments,
    decode_message,
    decode_registered,
    encode_message,
)
from openwer.native.modules import modules_from_maps
from openwer.native.python_stacks import parse_faulthandler, with_thread_ids
from openwer.platform.procfs import process_times, read_maps, read_proc_file
from openwer.report import ReportContext
from openwer.report.registry import RegisteredData, Registry

__all__ = ["CrashHandler", "MirroredRegistry", "run_handler"]

log = logging.getLogger("openwer")

_CREDENTIALS = struct.Struct("3i")
_FD = array.array("i")
_MAX_TEXT = 4 << 20


class MirroredRegistry(Registry):
    """The protected process's registrations, as its last ``registered`` message gave them."""

    def __init__(self) -> None:
        super().__init__()
        self.data = RegisteredData()

    def snapshot(self) -> RegisteredData:
        """What the protected process registered (its files, metadata, blocks, processes)."""
        return self.data


class CrashHandler:
    """The handler of one group of protected processes (see the module docstring)."""

    def __init__(self, arguments: HandlerArguments) -> None:
        self.arguments = arguments
        self.crash = socket.socket(fileno=arguments.crash_fd)
        self.control: socket.socket | None = socket.socket(fileno=arguments.control_fd)
        self.forward_fd = arguments.forward_fd
        self.identities = IdentityCache()
        self.pending: dict[int, bytearray] = {}
        self.finished: set[int] = set()
        self.eof = False
        self.context: ReportContext | None = None
        self.registry = MirroredRegistry()
        self.application = CrashedApplication(
            arguments.app_name, arguments.app_path, arguments.app_version
        )

    # -- lifecycle --------------------------------------------------------------------------
    def run(self) -> int:
        """Serve until the crash channel reaches end of file."""
        if self.control is not None:
            with contextlib.suppress(OSError):
                self.control.send(
                    encode_message("hello", version=PROTOCOL_VERSION, pid=os.getpid())
                )
        self.warm_up()
        while not self.eof:
            watched = [self.crash] if self.control is None else [self.crash, self.control]
            try:
                ready, _, _ = select.select(watched, [], [])
            except InterruptedError:
                continue
            if self.control is not None and self.control in ready:
                self._on_control()
            if self.crash in ready:
                self._on_crash_data()
        return 0

    def warm_up(self) -> None:
        """Load what the crash path needs, so a crash costs only the capture itself."""
        try:
            self.context = replace(ReportContext.from_environment(), registry=self.registry)
            import openwer.report.submission  # noqa: F401 - loaded lazily by Report.submit

            _, mappings = read_maps(self.arguments.pid)
            modules_from_maps(mappings, self.identities)
        except Exception:
            log.exception("openwer: crash handler warm-up failed")

    # -- control channel --------------------------------------------------------------------
    def _on_control(self) -> None:
        """Take every control message waiting (so a crash sees the latest registrations)."""
        while self.control is not None and self._control_message():
            pass

    def _control_message(self) -> bool:
        assert self.control is not None
        descriptors: list[int] = []
        try:
            # Not socket.recv_fds: before Python 3.12 it ignores its flags (and would block).
            data, ancillary, _, _ = self.control.recvmsg(
                65536, socket.CMSG_SPACE(4 * _FD.itemsize), socket.MSG_DONTWAIT
            )
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data, ancillary = b"", []
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[: len(payload) - len(payload) % _FD.itemsize])
                descriptors.extend(received)
        if not data:
            # The process side closed its control end: keep serving the crash channel.
            self.control.close()
            self.control = None
            return False
        message = decode_message(data)
        if message is not None and message.get("type") == "registered":
            self.registry.data = decode_registered(message)
        if message is None or message.get("type") != "forward":
            for descriptor in descriptors:
                os.close(descriptor)
            return True
        if self.forward_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.forward_fd)
        self.forward_fd = descriptors[0] if descriptors else None
        for descriptor in descriptors[1:]:
            os.close(descriptor)
        return True

    # -- crash channel ----------------------------------------------------------------------
    def _read_available(self) -> None:
        while True:
            try:
                data, ancillary, _, _ = self.crash.recvmsg(
                    65536, socket.CMSG_SPACE(_CREDENTIALS.size), socket.MSG_DONTWAIT
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.eof = True
                return
            if not data:
                self.eof = True
                return
            sender = _sender(ancillary) or self.arguments.pid
            buffer = self.pending.setdefault(sender, bytearray())
            if len(buffer) < _MAX_TEXT:
                buffer.extend(data)

    def _take(self, pid: int) -> bytes:
        self._read_available()
        return bytes(self.pending.pop(pid, b""))

    def _on_crash_data(self) -> None:
        try:
            data, ancillary, _, _ = self.crash.recvmsg(
                1, socket.CMSG_SPACE(_CREDENTIALS.size), socket.MSG_PEEK | socket.MSG_DONTWAIT
            )
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.eof = True
            return
        if not data:
            self.eof = True
            return
        pid = _sender(ancillary) or self.arguments.pid
        if pid in self.finished:
            self._forward(self._take(pid))  # late bytes of a handled crash
            return
        self.finished.add(pid)
        self._handle(pid)
        for other in [p for p in self.pending if p in self.finished]:
            self._forward(bytes(self.pending.pop(other)))

    def _handle(self, pid: int) -> None:
        woke = time.monotonic()
        self._on_control()  # registrations and faulthandler files sent just before the crash
        context = self.context
        plan = capture_plan(context.settings, self.application.name) if context else None
        try:
            attached = attach_crashed(
                pid,
                self.arguments.target_fd,
                plan=plan or DumpPlan.mini(),
                identities=self.identities,
                include_environ=context is not None and environment_allowed(context.settings),
                drain=lambda: self._take(pid),
                extra=[
                    (block.address, block.size)
                    for block in self.registry.data.memory_blocks
                    if not block.excluded
                ],
            )
        except TraceError as exc:
            log.warning("openwer: cannot capture the crash of pid %d: %s", pid, exc)
            self._forward(self._take(pid))
            return
        captured = time.monotonic()
        try:
            self._report(attached, woke, captured)
            self._forward(attached.faulthandler_text)
        finally:
            attached.release()

    def _report(self, attached: AttachedCrash, woke: float, captured: float) -> None:
        text = attached.faulthandler_text.decode("utf-8", "replace")
        stacks = parse_faulthandler(text) if text else None
        if stacks is not None:
            idents = {pointer: tid for tid, pointer in attached.thread_pointers.items()}
            stacks = with_thread_ids(stacks, idents)
        raw_command = read_proc_file(attached.pid, "cmdline") or b""
        command = tuple(p.decode("utf-8", "replace") for p in raw_command.split(b"\0") if p)
        started = process_times(attached.pid).start_time
        report = NativeCrashReport(
            self.application,
            attached.pid,
            attached.signal,
            attached.capture,
            command=command,
            python_stacks=stacks,
            uptime_s=max(time.time() - started, 0.0) if started else None,
            problems=tuple(attached.problems),
            facts=(
                ("capture_ms", round((captured - woke) * 1000, 3)),
                ("source", "openwer.install(native=True)"),
            ),
        )
        filed = file_native_report(report, context=self.context)
        log.debug(
            "openwer: crash of pid %d reported as %s in %.1f ms",
            attached.pid,
            filed.key,
            (time.monotonic() - woke) * 1000,
        )

    def _forward(self, text: bytes) -> None:
        if not text or self.forward_fd is None:
            return
        view = memoryview(text)
        with contextlib.suppress(OSError):
            while view:
                written = os.write(self.forward_fd, view)
                view = view[written:]


def _sender(ancillary: list[tuple[int, int, bytes]]) -> int:
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, _, _ = _CREDENTIALS.unpack_from(payload)
            return int(pid)
    return 0


def run_handler(arguments: HandlerArguments) -> int:
    """Run the handler (see the module docstring); never raises."""
    try:
        return CrashHandler(arguments).run()
    except Exception:
        log.exception("openwer: the crash handler failed")
        return 1
