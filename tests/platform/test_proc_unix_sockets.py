"""Tests of /proc/net/unix parsing and of the sock_diag peer query."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from openwer.platform.proc_unix_sockets import (
    parse_proc_net_unix,
    read_unix_sockets,
    unix_socket_peer,
)

pytestmark = pytest.mark.timeout(30)

SAMPLE = """\
Num       RefCount Protocol Flags    Type St Inode Path
000000004c53cea3: 00000002 00000000 00010000 0001 01  3867 /var/run/postgresql/.s.PGSQL.5432
0000000095149a97: 00000003 00000000 00000000 0001 03 108044
00000000deadbeef: 00000002 00000000 00000000 0002 01 108050 @abstract
broken line
"""


def test_parse_sample() -> None:
    """Listening, connected and datagram sockets with their paths; bad lines skipped."""
    sockets = parse_proc_net_unix(SAMPLE)
    assert set(sockets) == {3867, 108044, 108050}
    listening = sockets[3867]
    assert listening.listening
    assert listening.kind == "stream"
    assert listening.path == "/var/run/postgresql/.s.PGSQL.5432"
    connected = sockets[108044]
    assert connected.state == "connected"
    assert connected.path == ""
    assert not connected.listening
    assert sockets[108050].kind == "dgram"
    assert sockets[108050].path == "@abstract"


def test_socketpair_peer_through_sock_diag() -> None:
    """Each end of a socketpair is the other's peer."""
    first, second = socket.socketpair()
    with first, second:
        inode_a, inode_b = os.fstat(first.fileno()).st_ino, os.fstat(second.fileno()).st_ino
        peer = unix_socket_peer(inode_a)
        if peer is None:
            pytest.skip("sock_diag (unix_diag) is not available here")
        assert peer == inode_b
        assert unix_socket_peer(inode_b) == inode_a
        mine = read_unix_sockets(os.getpid())
        assert mine[inode_a].state == "connected"


def test_listening_socket_has_no_peer(tmp_path: Path) -> None:
    """A listening socket, and an inode that is no socket, have no peer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "sock"))
        server.listen()
        inode = os.fstat(server.fileno()).st_ino
        assert unix_socket_peer(inode) is None
        entry = read_unix_sockets(os.getpid()).get(inode)
        assert entry is not None
        assert entry.listening
        assert entry.path == str(tmp_path / "sock")
    assert unix_socket_peer(0) is None
    assert unix_socket_peer(2**40) is None
