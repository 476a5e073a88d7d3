"""A wait chain as text for people: one header line, then one indented line per node.

::

    thread 15031 of process 15029: DEADLOCK (the wait chain has a cycle)
      WctThreadType WctStatusBlocked: thread 15031 of process 15029 (abba), S (sleeping), in futex
        WctCriticalSectionType WctStatusOwned: futex 0x55d…c0: owned by thread 15032 (…)
          WctThreadType WctStatusBlocked: thread 15032 of process 15029 (abba), …
            …
              WctThreadType WctStatusBlocked: thread 15031 of process 15029 … ← cycle

Types and statuses are printed with WCT's names; each node is indented one step further than the
one it waits on. The JSON form (:func:`openwer.formats.wait_chain.wait_chain_to_json`) carries
the same facts for programs. Pure functions; thread-safe.
"""

from __future__ import annotations

from openwer.formats.wait_chain import WaitChain, WaitChainNode, find_cycle, wait_chain_to_json

__all__ = ["format_wait_chain"]


def format_wait_chain(chain: WaitChain) -> list[str]:
    """The chain as lines of text (no trailing newlines)."""
    if not chain.nodes:
        return ["(empty wait chain)"]
    first = chain.nodes[0]
    header = f"thread {first.thread_id} of process {first.process_id}: "
    if chain.is_cycle:
        header += "DEADLOCK (the wait chain has a cycle)"
    elif first.status.name == "RUNNING":
        header += "running, not waiting"
    else:
        header += "no cycle"
    if chain.cross_process:
        header += ", crosses processes"
    if chain.truncated:
        header += f", cut at {len(chain.nodes)} nodes"
    lines = [header]
    cycle = find_cycle(chain.nodes)
    # The JSON form spells types and statuses as WCT does; the text uses the same spelling.
    spelled = wait_chain_to_json(chain)["nodes"]
    for index, node in enumerate(chain.nodes):
        names = spelled[index]
        text = f"{'  ' * (index + 1)}{names['type']} {names['status']}: "
        text += _describe(node)
        if cycle is not None and index == cycle[1]:
            text += "  <-- cycle: seen above"
        lines.append(text)
    return lines


def _describe(node: WaitChainNode) -> str:
    details = node.details
    if node.is_thread:
        parts = [f"thread {node.thread_id} of process {node.process_id}"]
        if details.get("comm"):
            parts[0] += f" ({details['comm']})"
        if details.get("state"):
            parts.append(details["state"])
        if details.get("syscall"):
            parts.append(f"in {details['syscall']}")
        if details.get("fd"):
            parts.append(f"fd {details['fd']}")
        if details.get("error"):
            parts.append(details["error"])
        return ", ".join(parts)
    text = node.name or "(unnamed object)"
    if details.get("note"):
        text += f": {details['note']}"
    if details.get("followed"):
        text += f"; following {details['followed']}"
    return text
