"""The messages between a protected Python process and its crash handler.

Two socket pairs join them (created by :mod:`openwer.native.crash_client`):

* the **crash channel**, ``AF_UNIX``/``SOCK_STREAM``: the protected process's end is the file
  faulthandler writes to; the handler's end has ``SO_PASSCRED``, so the first bytes also say
  *which* process is crashing (a forked child inherits the channel). Nothing else is ever
  written on it: the first byte means "a fatal signal is being handled".
* the **control channel**, ``AF_UNIX``/``SOCK_SEQPACKET``: one JSON object per message,
  UTF-8, at most 64 KiB::

      handler → process  {"type": "hello", "version": 1, "pid": <handler pid>}
      process → handler  {"type": "forward"} + one descriptor (SCM_RIGHTS): the file the
                         program asked faulthandler to write to (faulthandler.enable(file=…));
                         the handler copies the crash text there.
      process → handler  {"type": "forward"} without a descriptor: stop copying
                         (faulthandler.disable()).
      process → handler  {"type": "registered", "files": [{"path", "type", "flags"}],
                          "metadata": {"key": "value"},
                          "memory_blocks": [{"address", "size", "excluded"}],
                          "processes": [{"process_id", "thread_id"}]}
                         the process's registered data (WerRegister*), sent at start and after
                         every change, so that a crash report carries it.

The handler's arguments (``python -m openwer.native.handler_process <JSON>``) are one JSON
object: ``{"version": 1, "pid": <protected pid>, "crash_fd": 3, "control_fd": 4,
"target_fd": <the crash channel's descriptor number in the protected process>,
"application": {"name", "version", "path"}, "forward_fd": 5 | null}``.

Pure encoders and tolerant decoders: :func:`decode_message` answers None for anything that is
not a known message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openwer.report.registry import (
    RegisteredData,
    RegisteredFile,
    RegisteredMemoryBlock,
    RegisteredProcess,
)
from openwer.types import FileFlags, RegisterFileType

__all__ = [
    "PROTOCOL_VERSION",
    "HandlerArguments",
    "decode_arguments",
    "decode_message",
    "decode_registered",
    "encode_arguments",
    "encode_message",
    "encode_registered",
]

PROTOCOL_VERSION = 1
_MAX_MESSAGE = 64 * 1024
_KNOWN = frozenset({"hello", "forward", "registered"})


@dataclass(frozen=True, slots=True)
class HandlerArguments:
    """What the handler process is told at start."""

    pid: int
    crash_fd: int
    control_fd: int
    target_fd: int
    app_name: str
    app_version: str
    app_path: str
    forward_fd: int | None = None


def encode_arguments(arguments: HandlerArguments) -> str:
    """The handler's single command-line argument."""
    return json.dumps(
        {
            "version": PROTOCOL_VERSION,
            "pid": arguments.pid,
            "crash_fd": arguments.crash_fd,
            "control_fd": arguments.control_fd,
            "target_fd": arguments.target_fd,
            "application": {
                "name": arguments.app_name,
                "version": arguments.app_version,
                "path": arguments.app_path,
            },
            "forward_fd": arguments.forward_fd,
        }
    )


def decode_arguments(text: str) -> HandlerArguments:
    """Parse :func:`encode_arguments`' output.

    Raises:
        ValueError: not a version-1 argument object.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != PROTOCOL_VERSION:
        raise ValueError("not openwer crash handler arguments")
    application = data.get("application") or {}
    forward = data.get("forward_fd")
    return HandlerArguments(
        pid=int(data["pid"]),
        crash_fd=int(data["crash_fd"]),
        control_fd=int(data["control_fd"]),
        target_fd=int(data["target_fd"]),
        app_name=str(application.get("name") or "python"),
        app_version=str(application.get("version") or "0.0.0.0"),
        app_path=str(application.get("path") or ""),
        forward_fd=int(forward) if isinstance(forward, int) else None,
    )


def encode_message(kind: str, **fields: Any) -> bytes:
    """One control message."""
    return json.dumps({"type": kind, **fields}).encode()


def decode_message(data: bytes) -> dict[str, Any] | None:
    """A control message as a dict, or None when ``data`` is not one."""
    if len(data) > _MAX_MESSAGE:
        return None
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") not in _KNOWN:
        return None
    return message


def encode_registered(data: RegisteredData) -> bytes:
    """The ``registered`` message for a registry snapshot."""
    return encode_message(
        "registered",
        files=[
            {"path": str(f.path), "type": int(f.file_type), "flags": int(f.flags)}
            for f in data.files
        ],
        metadata=dict(data.metadata),
        memory_blocks=[
            {"address": b.address, "size": b.size, "excluded": b.excluded}
            for b in data.memory_blocks
        ],
        processes=[{"process_id": p.process_id, "thread_id": p.thread_id} for p in data.processes],
    )


def decode_registered(message: dict[str, Any]) -> RegisteredData:
    """A ``registered`` message back as a snapshot; malformed entries are skipped."""
    files = []
    for entry in message.get("files") or []:
        try:
            files.append(
                RegisteredFile(
                    Path(str(entry["path"])),
                    RegisterFileType(int(entry["type"])),
                    FileFlags(int(entry["flags"]) & 0xFFFF),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    blocks = []
    for entry in message.get("memory_blocks") or []:
        try:
            blocks.append(
                RegisteredMemoryBlock(
                    int(entry["address"]), int(entry["size"]), bool(entry["excluded"])
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    processes = []
    for entry in message.get("processes") or []:
        try:
            processes.append(RegisteredProcess(int(entry["process_id"]), int(entry["thread_id"])))
        except (KeyError, TypeError, ValueError):
            continue
    return RegisteredData(
        files=tuple(files),
        metadata=tuple((str(k), str(v)) for k, v in (metadata or {}).items()),
        memory_blocks=tuple(blocks),
        processes=tuple(processes),
    )
