"""Entry point of the crash handler process: ``python -m openwer.native.handler_process ARGS``.

Started by :func:`openwer.native.crash_client.protect` with one JSON argument
(:mod:`~openwer.native.handler_protocol`). It forks at once and the first process exits, so the
handler is not a child of the program it protects (the program reaps the short-lived first
process; the handler cannot be reaped by, or confuse, the program's own ``wait`` calls). The
rest runs in :mod:`openwer.native.crash_handler`, imported only after the fork so the program's
reaping is quick.

Exit status: 0 when the protected processes have all gone, 2 for bad arguments.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Detach, then serve crashes until every protected process has ended."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m openwer.native.handler_process ARGUMENTS-JSON", file=sys.stderr)
        return 2
    from openwer.native.handler_protocol import decode_arguments

    try:
        parsed = decode_arguments(arguments[0])
    except (ValueError, KeyError, TypeError) as exc:
        print(f"openwer: crash handler: bad arguments: {exc}", file=sys.stderr)
        return 2
    # Hold nothing of the program's but the channels (3, 4 and the forward file 5): an
    # inherited pipe kept open here would keep the program's reader waiting for its end.
    os.closerange(6, os.sysconf("SC_OPEN_MAX"))
    if os.fork() != 0:
        os._exit(0)  # the protected program reaps this one at once
    from openwer.native.crash_handler import run_handler

    return run_handler(parsed)


if __name__ == "__main__":
    sys.exit(main())
