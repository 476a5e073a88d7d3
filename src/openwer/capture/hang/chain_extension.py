"""Continuing a Python wait chain into other processes.

A Python chain stops at the edge of the process: a thread blocked reading ``pipe:[1234]``, on
``socket:[77]`` or waiting for ``process 4242`` (:mod:`~openwer.capture.hang.python_chains`).
A walker that reads ``/proc`` can go on from that last node: which process holds the pipe's other
end, what that process's threads wait for, possibly a thread of this very process again (a
cross-process deadlock). The two sides agree on nothing but the shared model,
:class:`~openwer.formats.wait_chain.WaitChain`:

    extender(chain: WaitChain) -> WaitChain | None

gets the Python chain and returns it extended (the same nodes first, then more), or None to leave
it. A chain that reaches a thread of another process makes the hang ``AppHangXProcB1``.

The extender is :func:`set_chain_extender`'s, else the Linux walker
(``openwer.waitchain.walk_wait_chain``, docs/waitchain.md) when it is installed: the Python
chain, less its last thread (and that thread's kernel wait), is the walker's ``prefix``, and the
walker continues from that thread's Linux thread id, so a chain that comes back to a Python
thread is a cycle. The module is looked up once, by the watchdog, never while another thread
holds the import lock. An extender that raises or returns something else is logged and ignored;
its result's ``is_cycle`` is recomputed from its nodes. Thread-safe.
"""

from __future__ import annotations

import _imp
import dataclasses
import importlib
import logging
from collections.abc import Callable
from functools import partial

from openwer.errors import OpenwerError
from openwer.formats.wait_chain import MAX_CHAIN_NODES, WaitChain

__all__ = [
    "EXTENDER_MODULE",
    "EXTENDER_NAME",
    "ChainExtender",
    "extend_chain",
    "set_chain_extender",
]

log = logging.getLogger("openwer")

ChainExtender = Callable[[WaitChain], "WaitChain | None"]

EXTENDER_MODULE = "openwer.waitchain"
EXTENDER_NAME = "walk_wait_chain"

_explicit: ChainExtender | None = None
_discovered: ChainExtender | None = None
_looked_up = False


def set_chain_extender(extender: ChainExtender | None) -> None:
    """Use ``extender`` to continue chains into other processes (None: back to the default)."""
    global _explicit
    _explicit = extender


def _default_extender() -> ChainExtender | None:
    global _discovered, _looked_up
    if _looked_up:
        return _discovered
    if _imp.lock_held():
        return None  # importing now could wait forever on a hung importer: try next time
    _looked_up = True
    try:
        module = importlib.import_module(EXTENDER_MODULE)
    except ImportError:
        return None
    except Exception:
        log.exception("openwer: could not load %s", EXTENDER_MODULE)
        return None
    walk = getattr(module, EXTENDER_NAME, None)
    if callable(walk):
        _discovered = partial(_continue_with_walker, walk)
    return _discovered


def _continue_with_walker(walk: Callable[..., WaitChain], chain: WaitChain) -> WaitChain | None:
    """Hand the chain over at its last thread: the walker describes that thread again, from
    /proc, and goes on."""
    nodes = list(chain.nodes)
    if chain.is_cycle or chain.truncated:
        return None
    if nodes and not nodes[-1].is_thread and nodes[-1].details.get("kind") == "kernel":
        nodes.pop()
    if not nodes or not nodes[-1].is_thread or not nodes[-1].thread_id:
        return None
    last = nodes.pop()
    try:
        extended = walk(last.process_id, last.thread_id, prefix=tuple(nodes))
    except OpenwerError as exc:  # the thread ended, or /proc refused: keep the Python chain
        log.debug("openwer: the Linux walker could not continue a wait chain: %s", exc)
        return None
    if not isinstance(extended, WaitChain) or len(extended.nodes) <= len(nodes):
        return None
    # The walker's node for the hand-over thread, with the Python facts kept.
    handed = extended.nodes[len(nodes)]
    if handed.is_thread and handed.thread_id == last.thread_id:
        details = {**handed.details, "python_location": last.location}
        merged = dataclasses.replace(handed, name=last.name or handed.name, details=details)
        extended = WaitChain(
            (*extended.nodes[: len(nodes)], merged, *extended.nodes[len(nodes) + 1 :]),
            is_cycle=extended.is_cycle,
            truncated=extended.truncated,
        )
    return extended


def extend_chain(chain: WaitChain) -> WaitChain:
    """``chain`` continued into other processes when an extender can, else ``chain``."""
    extender = _explicit or _default_extender()
    if extender is None or not chain.nodes:
        return chain
    try:
        extended = extender(chain)
    except Exception:
        log.exception("openwer: extending a wait chain into other processes failed")
        return chain
    if not isinstance(extended, WaitChain) or len(extended.nodes) < len(chain.nodes):
        return chain
    nodes = extended.nodes[:MAX_CHAIN_NODES]
    truncated = extended.truncated or len(extended.nodes) > MAX_CHAIN_NODES
    return WaitChain.of(nodes, truncated=truncated)
