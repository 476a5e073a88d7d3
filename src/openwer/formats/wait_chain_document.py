"""``waitchains.json``: the wait chains a hang report carries.

Shape (docs/hangs.md)::

    {"format": 1, "chains": [<wait chain>, …]}

each chain in :func:`~openwer.formats.wait_chain.wait_chain_to_json`'s form (with its boolean
``is_cycle``), the hung thread's chain first. ``openwer reports show --json`` prints them as the
report's ``wait_chains``.

Pure functions; :func:`parse_wait_chains` raises :class:`~openwer.errors.FormatError` for
anything but this shape, never another exception.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from openwer.errors import FormatError
from openwer.formats.wait_chain import WaitChain, wait_chain_from_json, wait_chain_to_json

__all__ = [
    "MAX_WAIT_CHAINS_BYTES",
    "WAIT_CHAINS_FILE",
    "WAIT_CHAINS_FORMAT",
    "parse_wait_chains",
    "serialize_wait_chains",
]

WAIT_CHAINS_FILE = "waitchains.json"
WAIT_CHAINS_FORMAT = 1
MAX_WAIT_CHAINS_BYTES = 8 * 1024 * 1024


def serialize_wait_chains(chains: Sequence[WaitChain]) -> bytes:
    """The file's bytes (ASCII JSON)."""
    document = {
        "format": WAIT_CHAINS_FORMAT,
        "chains": [wait_chain_to_json(chain) for chain in chains],
    }
    return json.dumps(document, indent=1).encode("ascii")


def parse_wait_chains(data: bytes) -> tuple[WaitChain, ...]:
    """Read the file back.

    Raises:
        FormatError: not UTF-8 JSON of the documented shape, or larger than 8 MiB.
    """
    if len(data) > MAX_WAIT_CHAINS_BYTES:
        raise FormatError("waitchains.json is larger than 8 MiB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"waitchains.json is not JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("chains"), list):
        raise FormatError("waitchains.json is an object with a list of chains")
    return tuple(wait_chain_from_json(item) for item in document["chains"])
