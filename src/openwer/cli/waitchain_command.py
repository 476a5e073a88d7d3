"""``openwer waitchain PID [TID] [--json]``: print Linux wait chains with WCT's names.

Thin: parse, call :mod:`openwer.waitchain`, render. Without TID, every blocked thread of the
process gets its chain; ``--json`` prints one chain object (with TID) or an array of
them, in the documented form of docs/waitchain.md. A process that does not exist or may not be
inspected is one line on stderr and exit status 1 (the group's error contract).
"""

from __future__ import annotations

import json

import click

__all__ = ["waitchain"]


@click.command("waitchain")
@click.argument("pid", type=click.IntRange(min=1))
@click.argument("tid", type=click.IntRange(min=1), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/waitchain.md).")
def waitchain(pid: int, tid: int | None, as_json: bool) -> None:
    """Show what the threads of process PID wait on, across threads and processes.

    Each chain alternates threads and what they wait on (locks, pipes, sockets, child processes,
    file locks), typed and statused with Wait Chain Traversal's names; a cycle is a deadlock.
    With TID, only that thread's chain; without it, every blocked thread's.
    """
    # Imported here so that other commands do not pay for the /proc walker.
    from openwer.formats.wait_chain import wait_chain_to_json
    from openwer.waitchain import blocked_thread_chains, format_wait_chain, walk_wait_chain

    if tid is not None:
        chain = walk_wait_chain(pid, tid)
        if as_json:
            click.echo(json.dumps(wait_chain_to_json(chain), indent=2))
        else:
            click.echo("\n".join(format_wait_chain(chain)))
        return
    chains = blocked_thread_chains(pid)
    if as_json:
        click.echo(json.dumps([wait_chain_to_json(chain) for chain in chains], indent=2))
        return
    if not chains:
        click.echo(f"process {pid}: no blocked thread")
        return
    click.echo("\n\n".join("\n".join(format_wait_chain(chain)) for chain in chains))
