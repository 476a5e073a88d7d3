"""Unix-domain sockets: what ``/proc/<pid>/net/unix`` says of one, and which socket is its peer.

``/proc/<pid>/net/unix`` (the network namespace of ``pid``) lists every Unix socket by inode with
its type, state, listening flag and bound path, but not its peer. The peer comes from the kernel's
``sock_diag`` netlink interface (``NETLINK_SOCK_DIAG``, ``SOCK_DIAG_BY_FAMILY`` for ``AF_UNIX``
with ``UDIAG_SHOW_PEER``), spoken here with the standard ``socket`` module: one request for one
inode, answered with the peer's inode. That needs the ``unix_diag`` kernel module (built in or
loadable, as on common distributions), and sees only sockets of this process's network
namespace; where it fails the peer is unknown (``None``) rather than guessed from neighbouring
inode numbers, which the kernel does not promise anything about.

Nothing here raises; every reader returns ``None`` or an empty result when it cannot answer.
Safe from any thread (each query opens its own netlink socket).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["UnixSocket", "parse_proc_net_unix", "read_unix_sockets", "unix_socket_peer"]

_NETLINK_SOCK_DIAG: Final = 4
_SOCK_DIAG_BY_FAMILY: Final = 20
_NLM_F_REQUEST: Final = 0x1
_NLMSG_ERROR: Final = 2
_NLMSG_DONE: Final = 3
_UDIAG_SHOW_PEER: Final = 0x4
_UNIX_DIAG_PEER: Final = 2
_NO_COOKIE: Final = 0xFFFFFFFF
_ALL_STATES: Final = 0xFFFFFFFF
_ACCEPT_CONNECTIONS: Final = 0x10000  # __SO_ACCEPTCON: a listening socket
_TYPES: Final = {1: "stream", 2: "dgram", 5: "seqpacket"}
_STATES: Final = {1: "unconnected", 2: "connecting", 3: "connected", 4: "disconnecting"}
_NLMSG_HEADER = struct.Struct("=IHHII")
_UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")
_UNIX_DIAG_MSG = struct.Struct("=BBBBIII")
_RTATTR = struct.Struct("=HH")


@dataclass(frozen=True, slots=True)
class UnixSocket:
    """One line of ``/proc/net/unix``: ``kind`` ``stream``/``dgram``/``seqpacket``, ``state``
    ``unconnected``/``connecting``/``connected``/``disconnecting``, ``path`` the bound name
    (``@name`` for an abstract one, ``""`` when unbound)."""

    inode: int
    kind: str
    state: str
    listening: bool
    path: str


def parse_proc_net_unix(text: str) -> Mapping[int, UnixSocket]:
    """Parse ``/proc/net/unix`` into sockets by inode; malformed lines are skipped."""
    found: dict[int, UnixSocket] = {}
    for line in text.splitlines()[1:]:
        words = line.split(None, 7)
        if len(words) < 7:
            continue
        try:
            flags = int(words[3], 16)
            kind = _TYPES.get(int(words[4], 16), "unknown")
            state = _STATES.get(int(words[5], 16), "unknown")
            inode = int(words[6])
        except ValueError:
            continue
        path = words[7].strip() if len(words) > 7 else ""
        found[inode] = UnixSocket(inode, kind, state, bool(flags & _ACCEPT_CONNECTIONS), path)
    return found


def read_unix_sockets(pid: int) -> Mapping[int, UnixSocket]:
    """The Unix sockets of ``pid``'s network namespace by inode; empty when unreadable."""
    try:
        with open(f"/proc/{pid}/net/unix", "rb") as handle:
            text = handle.read(64 << 20).decode("utf-8", "replace")
    except OSError:
        return {}
    return parse_proc_net_unix(text)


def unix_socket_peer(inode: int, timeout: float = 1.0) -> int | None:
    """The inode of the socket connected to Unix socket ``inode``, or ``None``.

    ``None`` when the socket has no peer (unconnected, listening, or the peer closed), when it
    lives in another network namespace, or when ``sock_diag`` is unavailable.
    """
    if not 0 < inode <= 0xFFFFFFFF:
        return None
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as channel:
            channel.settimeout(timeout)
            request = _UNIX_DIAG_REQ.pack(
                socket.AF_UNIX, 0, 0, _ALL_STATES, inode, _UDIAG_SHOW_PEER, _NO_COOKIE, _NO_COOKIE
            )
            header = _NLMSG_HEADER.pack(
                _NLMSG_HEADER.size + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0
            )
            channel.sendto(header + request, (0, 0))
            answer = channel.recv(1 << 16)
    except OSError:
        return None
    return _peer_from_answer(answer, inode)


def _peer_from_answer(answer: bytes, inode: int) -> int | None:
    # One netlink message: a unix_diag_msg for our inode followed by attributes, or an error.
    if len(answer) < _NLMSG_HEADER.size + _UNIX_DIAG_MSG.size:
        return None
    length, kind, _, _, _ = _NLMSG_HEADER.unpack_from(answer)
    if kind in (_NLMSG_ERROR, _NLMSG_DONE) or kind != _SOCK_DIAG_BY_FAMILY:
        return None
    end = min(length, len(answer))
    offset = _NLMSG_HEADER.size
    family, _, _, _, found_inode, _, _ = _UNIX_DIAG_MSG.unpack_from(answer, offset)
    if family != socket.AF_UNIX or found_inode != inode:
        return None
    offset += _UNIX_DIAG_MSG.size
    while offset + _RTATTR.size <= end:
        size, attribute = _RTATTR.unpack_from(answer, offset)
        if size < _RTATTR.size:
            break
        if attribute == _UNIX_DIAG_PEER and size >= _RTATTR.size + 4:
            (peer,) = struct.unpack_from("=I", answer, offset + _RTATTR.size)
            return int(peer) or None
        offset += (size + 3) & ~3
    return None
