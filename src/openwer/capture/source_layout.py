"""Where a source file sits: which ``sys.path`` folder holds it, and whether that is the stdlib.

Signatures and anonymous attachments name files relative to the ``sys.path`` folder they were
imported from (``importer/parser.py``, ``json/decoder.py``), never by absolute path, so that the
same program installed in two places yields the same text. :class:`SourceLayout` is a snapshot of
``sys.path`` and of the standard library's folders; :func:`current_layout` returns the snapshot of
the current ``sys.path``, rebuilt only when ``sys.path`` changes.

The standard library is the folder of the ``os`` module (what ``sysconfig.get_path("stdlib")``
names on CPython, found without loading ``sysconfig``'s configuration on a crash path) and the
interpreter's ``pythonXY.zip``; a file under a ``site-packages`` or ``dist-packages`` folder is
never standard library, even inside the stdlib folder (a Python installed without a venv keeps
its ``site-packages`` there).

Thread safety: a layout is immutable apart from a memo of answers (a dict written under the GIL,
where a race only computes an answer twice); :func:`current_layout` may be called from any thread.
Never raises.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

__all__ = ["SITE_FOLDERS", "FileLocation", "SourceLayout", "current_layout"]

SITE_FOLDERS = frozenset({"site-packages", "dist-packages"})
_MEMO_LIMIT = 10_000  # distinct file names remembered per layout (bounded memory)


@dataclass(frozen=True, slots=True)
class FileLocation:
    """Where one file sits.

    ``root`` is the absolute ``sys.path`` folder it was found under (None: under none of them),
    ``relative`` the path below it with ``/`` separators (or the base name when there is no root,
    or the pseudo file name itself, such as ``<frozen runpy>`` or ``<string>``).
    """

    root: str | None
    relative: str
    in_site_packages: bool
    in_stdlib: bool
    pseudo: bool = False


def _absolute(entry: str) -> str:
    try:
        return os.path.normpath(os.path.abspath(entry))
    except (OSError, ValueError):  # a deleted working directory, a NUL byte
        return os.path.normpath(entry) if entry else ""


def _stdlib_roots() -> tuple[str, ...]:
    roots: list[str] = []
    os_file = getattr(os, "__file__", None)
    if isinstance(os_file, str):
        roots.append(os.path.dirname(_absolute(os_file)))
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    for prefix in {sys.base_prefix, sys.base_exec_prefix}:
        roots.append(_absolute(os.path.join(prefix, sys.platlibdir, f"python{version}.zip")))
    return tuple(dict.fromkeys(r for r in roots if r))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class SourceLayout:
    """A snapshot of the folders Python imports from.

    ``search_path`` is ``sys.path`` made absolute, in order (distributions are looked up in that
    order); ``stdlib_roots`` the standard library's folders.
    """

    search_path: tuple[str, ...]
    stdlib_roots: tuple[str, ...]
    _by_length: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _memo: dict[str, FileLocation] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # The longest folder first: site-packages inside the stdlib folder must win over it.
        ordered = sorted({p for p in self.search_path if p}, key=len, reverse=True)
        object.__setattr__(self, "_by_length", tuple(ordered))

    @classmethod
    def from_sys_path(cls, entries: tuple[object, ...]) -> SourceLayout:
        """Build the layout of a ``sys.path`` value (entries that are not strings are skipped)."""
        folders = tuple(dict.fromkeys(_absolute(e) for e in entries if isinstance(e, str)))
        return cls(folders, _stdlib_roots())

    def locate(self, filename: str) -> FileLocation:
        """Return where ``filename`` (a code object's ``co_filename``) sits."""
        known = self._memo.get(filename)
        if known is not None:
            return known
        location = self._locate(filename)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[filename] = location
        return location

    def _locate(self, filename: str) -> FileLocation:
        if not filename or filename.startswith("<"):
            # <frozen runpy>, <string>, <stdin>: not files; frozen ones are stdlib by name.
            return FileLocation(None, filename or "<unknown>", False, False, pseudo=True)
        path = _absolute(filename)
        parts = path.split(os.sep)
        in_site = any(part in SITE_FOLDERS for part in parts)
        in_stdlib = not in_site and any(_under(path, root) for root in self.stdlib_roots)
        for root in self._by_length:
            if _under(path, root) and path != root:
                relative = path[len(root.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
                return FileLocation(root, relative, in_site, in_stdlib)
        return FileLocation(None, os.path.basename(path), in_site, in_stdlib)


# (sys.path as a tuple, its layout): one object, so a reader never pairs a key with another
# key's layout.
_current: tuple[tuple[object, ...], SourceLayout] | None = None


def current_layout() -> SourceLayout:
    """Return the layout of the current ``sys.path`` (cached until ``sys.path`` changes)."""
    global _current
    key = tuple(sys.path)
    cached = _current
    if cached is not None and cached[0] == key:
        return cached[1]
    layout = SourceLayout.from_sys_path(key)
    _current = (key, layout)
    return layout
