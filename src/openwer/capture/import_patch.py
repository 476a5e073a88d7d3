"""Patch a module the moment it is imported, without importing it ahead of time.

openwer adjusts a few standard-library classes (``asyncio``'s event loop, ``concurrent.futures``'
``Future``) but must not import them itself: ``import asyncio`` alone costs tens of milliseconds
of a program's start-up. :func:`patch_on_import` runs a patch at once when the module is already
loaded, else from a one-shot import hook right after the module's code has run, before the
importer gets it.

A plain finder and loader wrapper on purpose: ``importlib.abc`` costs milliseconds to import, and
the import system only needs these methods. The finder leaves ``sys.meta_path`` once every module
it waits for has been imported. A patch that raises is logged on the ``openwer`` logger; the
import itself always succeeds. Thread-safe.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["patch_on_import"]

log = logging.getLogger("openwer")

ModulePatch = Callable[[ModuleType], None]

_lock = threading.Lock()
_pending: dict[str, list[ModulePatch]] = {}


def _run(patches: Sequence[ModulePatch], module: ModuleType) -> None:
    for patch in patches:
        try:
            patch(module)
        except Exception:
            log.exception("openwer: could not patch %s", module.__name__)


class _PatchingLoader:
    """Runs the real loader, then the patches waiting for the module it made."""

    def __init__(self, inner: object, patches: list[ModulePatch]) -> None:
        self._inner = inner
        self._patches = patches

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._inner.create_module(spec)  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)  # type: ignore[attr-defined]
        _run(self._patches, module)


class _PatchingFinder:
    """Finds nothing itself; wraps the loader of the modules that have patches waiting."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _pending:
            return None
        with _lock:
            patches = _pending.pop(fullname, None)
            if not _pending:
                _remove_finder()
        if patches is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, patches)  # type: ignore[assignment]
        return spec


_finder = _PatchingFinder()


def _remove_finder() -> None:
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_finder)


def patch_on_import(module_name: str, patch: ModulePatch) -> None:
    """Run ``patch(module)`` now if ``module_name`` is loaded, else right after its import.

    A patch should be idempotent (mark what it patched): it may run again after a later call.
    """
    with _lock:
        module = sys.modules.get(module_name)
        if module is None:
            waiting = _pending.setdefault(module_name, [])
            if patch not in waiting:
                waiting.append(patch)
            if _finder not in sys.meta_path:
                sys.meta_path.insert(0, _finder)
            return
    _run((patch,), module)
