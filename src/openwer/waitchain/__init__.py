"""Linux wait chains: what a thread waits on, who holds it, across threads and processes.

Built from ``/proc`` for any process this user may inspect (the same user, or
``CAP_SYS_PTRACE``): futexes resolved to their owner where the kernel or glibc records one,
pipes and FIFOs to the processes holding the other end, Unix sockets to their peer's process,
``wait4``/``waitid`` and pidfds to the awaited process, file locks to their holder. Chains use
the shared model of :mod:`openwer.formats.wait_chain` (WCT's node types and statuses, cycle
detection, the JSON form) and WCT's 16-node budget. docs/waitchain.md maps each Linux
primitive to its WCT type and says what is inferred.

* :func:`walk_wait_chain` — the chain of one thread (optionally continuing a chain started
  elsewhere); :func:`blocked_thread_chains` — one chain per blocked thread of a process.
* :func:`describe_thread_wait` — the single step: one thread, the object it waits on, the owners.
* :func:`format_wait_chain` — the text ``openwer waitchain`` prints.
"""

from __future__ import annotations

from openwer.waitchain.chain_text import format_wait_chain
from openwer.waitchain.system_tables import SystemTables
from openwer.waitchain.thread_wait import ThreadWait, describe_thread_wait
from openwer.waitchain.wait_resolution import WaitTarget
from openwer.waitchain.walk_options import WalkOptions
from openwer.waitchain.walker import blocked_thread_chains, process_of_thread, walk_wait_chain

__all__ = [
    "SystemTables",
    "ThreadWait",
    "WaitTarget",
    "WalkOptions",
    "blocked_thread_chains",
    "describe_thread_wait",
    "format_wait_chain",
    "process_of_thread",
    "walk_wait_chain",
]
