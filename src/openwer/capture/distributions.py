"""Which installed distribution holds a module, and its version: fast enough for a crash.

``importlib.metadata`` costs tens of milliseconds to import and ``packages_distributions()``
reads every installed distribution's file list, so neither runs on the crash path. Instead:

* :func:`distribution_of_module` (fast path, used by the signature) lists the metadata folders
  (``*.dist-info``, ``*.egg-info``) of the one ``sys.path`` folder the module was imported from,
  once per folder, and takes the distribution named like the module's package (``zope.interface``
  then ``zope``, names compared as PEP 503 normalizes them), else the only distribution whose
  ``top_level.txt`` lists its top-level package. The version comes from the metadata folder's
  name (``requests-2.31.0.dist-info``) or, when that has none, from its ``METADATA``/``PKG-INFO``.
  The answer depends only on the files installed, never on what ran before in the process, so
  one bug keeps one signature.
* :func:`distribution_named` finds a distribution by name along ``sys.path`` (the application's
  version).
* :class:`FileOwners` (slow path) reads every distribution's ``RECORD`` (or
  ``installed-files.txt``) to map each installed file to its distribution, and knows editable
  installs by their ``direct_url.json``.

Thread safety: caches are dicts written under the GIL; a race only reads a folder twice. Never
raises: unreadable metadata counts as absent.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from openwer.capture.source_layout import SourceLayout

__all__ = [
    "Distribution",
    "FileOwners",
    "distribution_named",
    "distribution_of_module",
    "normalize_name",
]

_NORMALIZE = re.compile(r"[-_.]+")
_METADATA_SUFFIXES = (".dist-info", ".egg-info")
_MAX_METADATA_BYTES = 64 * 1024  # the headers we read sit at the top of METADATA


def normalize_name(name: str) -> str:
    """Return a distribution name as PEP 503 compares it (``Foo.Bar_baz`` → ``foo-bar-baz``)."""
    return _NORMALIZE.sub("-", name).lower()


@dataclass(frozen=True, slots=True)
class Distribution:
    """An installed distribution: its name, version and where its metadata lies.

    ``folder`` is the ``sys.path`` folder holding ``metadata_path`` (the ``.dist-info`` or
    ``.egg-info`` folder or file). Paths are absolute: never put them in a signature.
    """

    name: str
    version: str
    folder: str
    metadata_path: str

    @property
    def normalized_name(self) -> str:
        """The name as PEP 503 compares it."""
        return normalize_name(self.name)


def _read_head(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_METADATA_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _header(text: str, name: str) -> str:
    prefix = name.lower() + ":"
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _metadata_text(metadata_path: str) -> str:
    if os.path.isfile(metadata_path):  # a distutils .egg-info file is PKG-INFO itself
        return _read_head(metadata_path)
    for member in ("METADATA", "PKG-INFO"):
        text = _read_head(os.path.join(metadata_path, member))
        if text:
            return text
    return ""


def _parse_metadata_entry(folder: str, entry: str) -> Distribution | None:
    suffix = next((s for s in _METADATA_SUFFIXES if entry.endswith(s)), None)
    if suffix is None:
        return None
    stem = entry[: -len(suffix)]
    # dist-info: "<name>-<version>"; egg-info: "<name>-<version>[-py3.11]" or a bare "<name>".
    name, _, rest = stem.partition("-")
    version = rest.split("-", 1)[0] if suffix == ".egg-info" else rest
    path = os.path.join(folder, entry)
    if not name:
        return None
    if not version:
        version = _header(_metadata_text(path), "Version")
    return Distribution(name, version or "0.0.0.0", folder, path)


class _FolderIndex:
    """The distributions whose metadata lies in one ``sys.path`` folder."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.by_name: dict[str, Distribution] = {}
        try:
            entries = sorted(os.listdir(folder))  # sorted: the same answer on every machine
        except (OSError, ValueError):
            entries = []
        for entry in entries:
            found = _parse_metadata_entry(folder, entry)
            if found is not None:
                self.by_name.setdefault(found.normalized_name, found)
        self._top_level: dict[str, tuple[Distribution, ...]] | None = None

    def top_level(self) -> dict[str, tuple[Distribution, ...]]:
        """Top-level import names → the distributions whose ``top_level.txt`` lists them."""
        if self._top_level is None:
            owners: dict[str, list[Distribution]] = {}
            for found in self.by_name.values():
                listing = _read_head(os.path.join(found.metadata_path, "top_level.txt"))
                for line in listing.splitlines():
                    name = line.strip().replace("/", ".")
                    if name:
                        owners.setdefault(name, []).append(found)
            self._top_level = {name: tuple(dists) for name, dists in owners.items()}
        return self._top_level


_indexes: dict[str, _FolderIndex] = {}
_module_memo: dict[tuple[str, str], Distribution | None] = {}


def _index(folder: str) -> _FolderIndex:
    index = _indexes.get(folder)
    if index is None:
        index = _indexes[folder] = _FolderIndex(folder)
    return index


def distribution_named(name: str, layout: SourceLayout) -> Distribution | None:
    """Return the first distribution called ``name`` (PEP 503 comparison) along ``sys.path``."""
    wanted = normalize_name(name)
    for folder in layout.search_path:
        found = _index(folder).by_name.get(wanted)
        if found is not None:
            return found
    return None


def distribution_of_module(module: str, folder: str | None) -> Distribution | None:
    """Return the distribution holding ``module``, imported from the ``sys.path`` ``folder``.

    Looks only at ``folder`` (so an application module named like an unrelated installed
    distribution is not taken for it): the distribution named like the module or one of its
    parent packages, longest first, else the only one whose ``top_level.txt`` lists the module's
    top-level package. None when there is no such distribution (or ``folder`` is None).
    """
    if folder is None or not module:
        return None
    key = (folder, module)
    if key in _module_memo:
        return _module_memo[key]
    index = _index(folder)
    parts = module.split(".")
    found: Distribution | None = None
    for count in range(len(parts), 0, -1):
        found = index.by_name.get(normalize_name(".".join(parts[:count])))
        if found is not None:
            break
    if found is None and index.by_name:
        owners = index.top_level().get(parts[0], ())
        found = owners[0] if len(owners) == 1 else None
    _module_memo[key] = found
    return found


def _record_paths(found: Distribution) -> Iterable[str]:
    if found.metadata_path.endswith(".dist-info"):
        text = _read_whole(os.path.join(found.metadata_path, "RECORD"))
        base = found.folder
        rows: Iterable[list[str]] = csv.reader(text.splitlines())
        return (os.path.normpath(os.path.join(base, row[0])) for row in rows if row and row[0])
    text = _read_whole(os.path.join(found.metadata_path, "installed-files.txt"))
    return (
        os.path.normpath(os.path.join(found.metadata_path, line.strip()))
        for line in text.splitlines()
        if line.strip()
    )


def _read_whole(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _editable_root(found: Distribution) -> str | None:
    text = _read_whole(os.path.join(found.metadata_path, "direct_url.json"))
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("dir_info"), dict):
        return None
    url = data.get("url")
    if not data["dir_info"].get("editable") or not isinstance(url, str):
        return None
    if not url.startswith("file://"):
        return None
    from urllib.parse import unquote  # slow path only

    return os.path.normpath(unquote(url[len("file://") :]))


class FileOwners:
    """Installed file → distribution, from every distribution's file list (the slow path).

    Built once by :meth:`scan` (reads each ``RECORD``: a few to some tens of milliseconds).
    Immutable afterwards; share it between threads.
    """

    def __init__(self, owners: dict[str, Distribution], editable: list[tuple[str, Distribution]]):
        self._owners = owners
        self._editable = editable

    @classmethod
    def scan(cls, layout: SourceLayout) -> FileOwners:
        """Read the file lists of the distributions installed along ``layout``'s ``sys.path``."""
        owners: dict[str, Distribution] = {}
        editable: list[tuple[str, Distribution]] = []
        for folder in layout.search_path:
            for found in _index(folder).by_name.values():
                for path in _record_paths(found):
                    owners.setdefault(path, found)
                root = _editable_root(found)
                if root is not None:
                    editable.append((root, found))
        editable.sort(key=lambda pair: len(pair[0]), reverse=True)
        return cls(owners, editable)

    def owner(self, filename: str, module: str) -> Distribution | None:
        """Return the distribution that installed ``filename`` (an absolute path), if any.

        A file of an editable install is in no file list; it belongs to the editable
        distribution whose source folder holds it when ``module``'s top-level package is that
        distribution's (by name or ``top_level.txt``), so tests and scripts beside the source
        are not taken for it.
        """
        path = os.path.normpath(filename)
        found = self._owners.get(path)
        if found is not None:
            return found
        top = module.split(".", 1)[0]
        for root, candidate in self._editable:
            if not path.startswith(root.rstrip(os.sep) + os.sep):
                continue
            if normalize_name(top) == candidate.normalized_name:
                return candidate
            if candidate in _index(candidate.folder).top_level().get(top, ()):
                return candidate
        return None
