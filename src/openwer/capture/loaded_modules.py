"""The slow path: every imported module, its file and the distribution that installed it.

Python's counterpart of WER's ``LoadedModule[n]`` list: :func:`loaded_modules_details` walks
``sys.modules`` after the report is durable and before the process exits, and returns a frozen
:class:`LoadedModules` that the hooks write into the stored report: ``LoadedModule[n]`` values
(absolute file paths, the program first, as WER lists the executable first) and ``modules.json``
(module → file, origin, distribution, version). Both hold absolute paths: not anonymous.

Cost: reading every installed distribution's ``RECORD`` (a few to some tens of milliseconds,
once per process: the result is remembered) plus a pass over ``sys.modules``; a time budget
(default 150 ms, inside the 200 ms the exit may take) stops the pass and marks the result
incomplete rather than delaying the exit further.

Never raises; safe from any thread (it copies ``sys.modules`` first).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from openwer.capture.application import clean_text
from openwer.capture.config import CaptureConfig
from openwer.capture.distributions import FileOwners, distribution_of_module
from openwer.capture.frames import FrameOrigin, origin_of
from openwer.capture.source_layout import SourceLayout, current_layout

__all__ = [
    "MAX_LOADED_MODULE_VALUES",
    "MODULES_FORMAT_VERSION",
    "LoadedModule",
    "LoadedModules",
    "loaded_modules_details",
]

MODULES_FORMAT_VERSION = 1
MAX_LOADED_MODULE_VALUES = 4096
BUILTIN = "builtin"  # an origin beyond FrameOrigin's: compiled into the interpreter, no file
_NO_FILE = "none"  # a namespace package or a module object without a __file__

# (sys.path, FileOwners): the scan is done once per sys.path.
_owners: tuple[tuple[str, ...], FileOwners] | None = None


@dataclass(frozen=True, slots=True)
class LoadedModule:
    """One imported module.

    ``origin`` is a :class:`~openwer.capture.frames.FrameOrigin` value, ``builtin`` or
    ``none``; ``file`` is absolute (None without one); ``distribution``/``version`` are None
    when unknown (the stdlib has the Python version and no distribution).
    """

    name: str
    file: str | None
    origin: str
    distribution: str | None
    version: str | None

    def to_json(self) -> dict[str, str | None]:
        """The module's entry in ``modules.json`` (its name is the key)."""
        return {
            "file": self.file,
            "origin": self.origin,
            "distribution": self.distribution,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class LoadedModules:
    """The modules of a process and what collecting them cost (see the module docstring)."""

    modules: tuple[LoadedModule, ...]
    app_path: str = ""
    complete: bool = True
    problems: tuple[str, ...] = ()
    elapsed_seconds: float = 0.0

    def report_wer_values(self) -> dict[str, str]:
        """``LoadedModule[n]`` → absolute file path: the program first, then by import order."""
        files = [self.app_path] if self.app_path else []
        files.extend(m.file for m in self.modules if m.file)
        unique = list(dict.fromkeys(clean_text(f) for f in files))[:MAX_LOADED_MODULE_VALUES]
        return {f"LoadedModule[{index}]": path for index, path in enumerate(unique)}

    def json_bytes(self) -> bytes:
        """``modules.json``: ``{"format", "python", "complete", "modules": {name: {...}}}``."""
        document = {
            "format": MODULES_FORMAT_VERSION,
            "python": {
                "version": platform.python_version(),
                "implementation": platform.python_implementation(),
            },
            "complete": self.complete,
            "modules": {m.name: m.to_json() for m in self.modules},
        }
        return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8", "replace")


def _file_owners(layout: SourceLayout) -> FileOwners:
    global _owners
    known = _owners
    if known is not None and known[0] == layout.search_path:
        return known[1]
    owners = FileOwners.scan(layout)
    _owners = (layout.search_path, owners)
    return owners


def _describe(
    name: str, module: object, config: CaptureConfig, layout: SourceLayout, owners: FileOwners
) -> LoadedModule:
    try:
        namespace = vars(module)
    except TypeError:  # not a module: something a library put into sys.modules
        namespace = {}
    file = namespace.get("__file__")
    if not isinstance(file, str) or not file:
        if name in sys.builtin_module_names:
            return LoadedModule(name, None, BUILTIN, None, platform.python_version())
        return LoadedModule(name, None, _NO_FILE, None, None)
    location = layout.locate(file)
    origin = origin_of(name, location, config)
    if origin is FrameOrigin.STDLIB:
        return LoadedModule(name, file, origin.value, None, platform.python_version())
    found = owners.owner(file, name) or distribution_of_module(name, location.root)
    if found is not None:
        return LoadedModule(name, file, origin.value, found.name, found.version)
    version = config.app_version if origin is FrameOrigin.APPLICATION else None
    return LoadedModule(name, file, origin.value, None, version)


def loaded_modules_details(
    config: CaptureConfig,
    *,
    modules: Mapping[str, object] | None = None,
    layout: SourceLayout | None = None,
    budget: float = 0.15,
) -> LoadedModules:
    """Describe every module of ``modules`` (default: a copy of ``sys.modules``).

    Stops after ``budget`` seconds (``complete`` is then false).
    """
    started = time.perf_counter()
    deadline = started + budget
    problems: list[str] = []
    described: list[LoadedModule] = []
    complete = True
    try:
        # Typed loosely on purpose: sys.modules is a plain dict, anything can be put in it.
        snapshot = cast(
            "dict[object, object]", dict(modules if modules is not None else sys.modules)
        )
        layout = layout or current_layout()
        owners = _file_owners(layout)
        for name, module in snapshot.items():
            if time.perf_counter() > deadline:
                complete = False
                problems.append(f"the {budget * 1000:.0f} ms budget ran out")
                break
            if not isinstance(name, str):
                continue
            try:
                described.append(_describe(name, module, config, layout, owners))
            except Exception as failure:
                problems.append(f"module {name}: {type(failure).__name__}")
    except Exception as failure:
        complete = False
        problems.append(f"loaded modules: {type(failure).__name__}")
    return LoadedModules(
        modules=tuple(described),
        app_path=config.app_path,
        complete=complete,
        problems=tuple(problems),
        elapsed_seconds=time.perf_counter() - started,
    )
