"""Where a submission gets its settings, stores, transport and prompt from.

A :class:`ReportContext` is the composition root's answer to "which store, which server, which
settings": :meth:`ReportContext.from_environment` reads this machine's (honouring ``OPENWER_HOME``);
tests build one with a memory transport and temporary folders. Immutable and thread-safe; the
stores it opens are process-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from openwer.report.registry import Registry, process_registry
from openwer.settings import OpenwerPaths, Settings, load_settings, resolve_paths
from openwer.store import ReportStore, StoreScope, open_store
from openwer.transport.base import Transport

__all__ = ["ConsentAnswer", "ConsentPrompt", "ReportContext"]


class ConsentAnswer(Enum):
    """What the user answered when asked for consent (the terminal prompt comes with capture)."""

    SEND = "send"
    DONT_SEND = "dont-send"
    ALWAYS = "always"
    NEVER = "never"


ConsentPrompt = Callable[[str, Mapping[int, str]], ConsentAnswer]
"""Asks the user about one report: given the friendly event name and the UI strings."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReportContext:
    """Settings, stores, transport, registry and clock used to submit reports."""

    paths: OpenwerPaths
    settings: Settings
    transport: Transport | None = None
    registry: Registry = field(default_factory=process_registry)
    prompt: ConsentPrompt | None = None
    clock: Callable[[], datetime] = _utc_now

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        transport: Transport | None = None,
        prompt: ConsentPrompt | None = None,
    ) -> ReportContext:
        """Read this machine's paths and settings (``OPENWER_HOME`` moves them all).

        Raises:
            SettingsError: a settings file is invalid.
        """
        paths = resolve_paths(environ)
        return cls(
            paths=paths,
            settings=load_settings(paths, environ),
            transport=transport,
            prompt=prompt,
        )

    def store(self, scope: StoreScope) -> ReportStore:
        """Open (creating if needed) the user or machine store.

        Raises:
            StoreError, AccessDeniedError: the store's folder cannot be used.
        """
        return open_store(scope, self.paths)
