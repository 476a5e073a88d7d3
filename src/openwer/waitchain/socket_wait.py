"""A thread blocked on a socket: for a Unix socket, the process holding its peer.

A connected Unix socket's peer is found through ``sock_diag`` (see
:mod:`openwer.platform.proc_unix_sockets`), and the processes holding the peer through the fd
scan; those are the ones that would have to send (or, for a full socket, receive). A listening
socket waits for any client (``NOT_OWNED``); an unconnected datagram socket for any sender
(``NOT_OWNED``); a Unix socket whose peer cannot be told (another network namespace, no
``unix_diag`` module) is ``UNKNOWN``. Other sockets (TCP, UDP…) are a single
``WctSocketIoType`` node whose remote end is not followed. Never raises; thread-safe given its own
:class:`SystemTables`.
"""

from __future__ import annotations

from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.wait_resolution import WaitResolution, object_node, owner_order

__all__ = ["resolve_socket_wait"]


def resolve_socket_wait(
    pid: int, fd: int, target: str, direction: str, tables: SystemTables
) -> WaitResolution:
    """The peer of socket ``target`` (``socket:[inode]``) behind fd ``fd`` of ``pid``;
    ``direction`` is ``read``, ``write``, ``accept`` or ``connect``."""
    facts = {"fd": f"{fd} → {target}"}
    try:
        inode = int(target.removeprefix("socket:[").removesuffix("]"))
    except ValueError:
        return WaitResolution(facts=facts)
    unix = tables.unix_sockets(pid).get(inode)
    base = {"primitive": "socket", "fd": str(fd), "direction": direction}
    if unix is None:
        base["family"] = "inet or other"
        note = f"network socket ({direction}); the remote end is not followed"
        node = object_node(
            WctObjectType.SOCKET_IO, WctObjectStatus.UNKNOWN, target, pid, note, base
        )
        return WaitResolution(node, (), facts)
    base.update(family="unix", kind=unix.kind, state=unix.state)
    label = f"unix socket {unix.path}" if unix.path else f"unix {target}"
    if unix.listening or direction == "accept":
        node = object_node(
            WctObjectType.SOCKET_IO,
            WctObjectStatus.NOT_OWNED,
            label,
            pid,
            "listening: waits for a client to connect",
            base,
        )
        return WaitResolution(node, (), facts)
    peer = tables.unix_peer(inode)
    if peer is None:
        if unix.kind == "dgram" and unix.state == "unconnected":
            status, note = WctObjectStatus.NOT_OWNED, "unconnected datagram socket: any sender"
        else:
            status, note = WctObjectStatus.UNKNOWN, "peer unknown (sock_diag gave none)"
        return WaitResolution(
            object_node(WctObjectType.SOCKET_IO, status, label, pid, note, base), (), facts
        )
    peer_target = f"socket:[{peer}]"
    holders = tables.fd_table.holders(peer_target)
    base["peer"] = peer_target
    base["peer_holders"] = ", ".join(f"{h.pid}:{h.fd}" for h in holders)
    if not holders:
        note = f"peer {peer_target} is held by no process this user may inspect"
        node = object_node(WctObjectType.SOCKET_IO, WctObjectStatus.UNKNOWN, label, pid, note, base)
        return WaitResolution(node, (), facts)
    pids = sorted({holder.pid for holder in holders})
    note = f"{direction}; peer {peer_target} is held by process {', '.join(map(str, pids))}"
    node = object_node(WctObjectType.SOCKET_IO, WctObjectStatus.OWNED, label, pid, note, base)
    return WaitResolution(node, owner_order(pid, pids), facts)
