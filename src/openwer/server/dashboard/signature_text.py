"""A bucket's signature said in a line a person can scan: what failed, where, in what.

The parameters are found by name, not by slot, so the headline works for every event type
docs/events.md documents and degrades to the informative values for the others:

* Python exceptions: ``json.decoder.JSONDecodeError`` — ``in Parser.read_row (importer.parser)``
* APPCRASH: ``c0000005 in libfoo.so`` — ``at +0x1a2b`` (a Linux signal number is named:
  ``SIGSEGV in libc.so.6``)
* hangs: ``Hang in <signature>``
* anything else: the values that say something, joined with `` · ``.

Pure; thread-safe.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from openwer.formats.protocol import SignatureParameter

__all__ = ["Headline", "headline"]

_UNINFORMATIVE = frozenset({"", "00000000", "0.0.0.0", "0000000000000000", "0000", "unknown"})
_MAX_TITLE = 140


@dataclass(frozen=True, slots=True)
class Headline:
    """``title`` (what failed), ``detail`` (where) and ``application`` (name and version)."""

    title: str
    detail: str
    application: str


def _clip(text: str, limit: int = _MAX_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _signal_name(code: str) -> str | None:
    """``SIGSEGV`` for a Linux APPCRASH's exception code ``0000000b`` (a signal number: far
    below any NTSTATUS, which have the severity bits set), else None."""
    try:
        number = int(code, 16)
    except ValueError:
        return None
    if not 0 < number < 65:
        return None
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


def headline(event_type: str, signature: tuple[SignatureParameter, ...]) -> Headline:
    """The headline of a signature (see the module docstring)."""
    named = {p.name.casefold(): p.value for p in signature}
    values = [p.value for p in signature]
    application = " ".join(v for v in values[:2] if v not in _UNINFORMATIVE)
    exception = named.get("exception type")
    if exception:
        function = named.get("function", "")
        module = named.get("faulting module", "")
        where = f"in {function}" if function not in _UNINFORMATIVE else ""
        if module not in _UNINFORMATIVE:
            where = f"{where} ({module})" if where else f"in {module}"
        return Headline(_clip(exception), _clip(where), application)
    code = named.get("exception code")
    fault_module = named.get("fault module name")
    if code and fault_module:
        code = _signal_name(code) or code
        offset = named.get("exception offset", "")
        detail = f"at +0x{offset}" if offset not in _UNINFORMATIVE else ""
        return Headline(_clip(f"{code} in {fault_module}"), detail, application)
    hang = named.get("hang signature")
    if hang:
        return Headline(_clip(f"Hang in {hang}"), named.get("hang type", ""), application)
    rest = [v for v in values[2:] if v not in _UNINFORMATIVE] or [
        v for v in values if v not in _UNINFORMATIVE
    ]
    title = " · ".join(rest[:4]) if rest else f"{event_type} (no informative parameters)"
    return Headline(_clip(title), "", application)
