"""How the HTTP benchmarks (``bench_stage1``, ``bench_bundle``) run: their common command line
(``--seconds``, default ``$OPENWER_BENCH_SECONDS`` or 30) and their entry point, which turns
SIGTERM into ``KeyboardInterrupt`` so the servers they started are stopped and their temporary
data removed by the ``finally`` blocks on the way out, as on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

__all__ = ["benchmark_parser", "run_benchmark"]


def benchmark_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by ``doc``'s first line, with ``--seconds`` (the length of a phase)."""
    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    parser.add_argument(
        "--seconds", type=int, default=int(os.environ.get("OPENWER_BENCH_SECONDS", "30"))
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_benchmark(main: Callable[[], int]) -> NoReturn:
    """Exit with ``main()``'s status; on SIGTERM or Ctrl-C, say what was cleaned up, exit 130."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary data removed", file=sys.stderr)
        raise SystemExit(130) from None
