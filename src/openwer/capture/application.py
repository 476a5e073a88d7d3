"""Who the application is when ``install()`` is not told: its name and the name of ``__main__``.

docs/events.md defines both. The application name (P0) is the script's file name without a
``.py``/``.pyw``/``.pyz`` suffix (``python importer.py`` and a console script ``importer`` both
give ``importer``), else the module run with ``-m`` (``python -m pkg`` gives ``pkg``), else
``python`` (``-c``, the interactive prompt, an embedded interpreter). The module ``__main__`` is
named by its spec (``python -m pkg.cli`` gives ``pkg.cli``) or its file's stem, so that a frame
of ``__main__`` and an exception class defined there are named the same whether the program is
run as a script or with ``-m``.

Pure functions of their arguments (and, where documented, of ``sys.argv`` and ``sys.modules``);
they never raise and are safe from any thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

__all__ = [
    "INTERPRETER_APP_NAME",
    "MAIN_MODULE_NAMES",
    "application_path",
    "clean_text",
    "default_app_name",
    "main_module_name",
    "main_namespace",
    "run_module_name",
]

# The application name of code run with -c, from the prompt or by an embedding program: a fixed
# word, because the interpreter's file name (python3, python3.11) differs between machines.
INTERPRETER_APP_NAME = "python"

# The names a program's main module runs under: __mp_main__ is __main__ re-imported by a
# multiprocessing child started with "spawn" or "forkserver".
MAIN_MODULE_NAMES = frozenset({"__main__", "__mp_main__"})

_SCRIPT_SUFFIXES = (".py", ".pyw", ".pyz")
_NOT_A_SCRIPT = frozenset({"", "-c", "-m", "-"})


def clean_text(text: str) -> str:
    """Return ``text`` with control characters replaced by ``?`` (Report.wer refuses them)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in text)


def _stem(path: str) -> str:
    name = os.path.basename(path.rstrip("/\\")) if path else ""
    for suffix in _SCRIPT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def run_module_name(namespace: Mapping[str, object]) -> str:
    """Return the module a ``__main__`` was run as with ``-m`` (its spec's name), else ``""``."""
    spec = namespace.get("__spec__")
    try:
        name = getattr(spec, "name", None)
    except Exception:  # a hostile spec object: name it by its file instead
        return ""
    if not isinstance(name, str) or name in MAIN_MODULE_NAMES:
        return ""
    return name


def main_module_name(namespace: Mapping[str, object]) -> str:
    """Return the name docs/events.md gives a ``__main__`` module from its globals.

    Its spec's name when it was run with ``-m`` (``pkg.cli``, ``pkg.__main__``), else the stem of
    its file (``importer``; ``app`` for ``app.pyz/__main__.py`` or ``app/__main__.py``), else
    ``__main__`` (code run with ``-c`` or typed at the prompt).
    """
    spec_name = run_module_name(namespace)
    if spec_name:
        return clean_text(spec_name)
    file = namespace.get("__file__")
    if isinstance(file, str) and file:
        stem = _stem(file)
        if stem == "__main__":  # a zipapp or a folder run as a program: name it by its folder
            stem = _stem(os.path.dirname(file))
        if stem:
            return clean_text(stem)
    return "__main__"


def main_namespace() -> Mapping[str, object]:
    """Return the globals of this process's ``__main__`` module (empty when there is none)."""
    module = sys.modules.get("__main__")
    try:
        namespace = vars(module) if module is not None else {}
    except TypeError:  # something without a __dict__ put into sys.modules
        return {}
    return namespace


def application_path(argv: Sequence[str]) -> str:
    """Return ``AppPath``: the script's absolute path, else the interpreter's.

    The rule of ``openwer.report.document.default_application_path``, restated here so that
    resolving the configuration does not import the report layer (tens of milliseconds).
    """
    script = argv[0] if argv else ""
    try:
        return os.path.abspath(script) if script not in _NOT_A_SCRIPT else sys.executable
    except (OSError, ValueError):  # a deleted working directory
        return sys.executable


def default_app_name(argv: Sequence[str], namespace: Mapping[str, object]) -> str:
    """Return the default application name (P0) for a program started with ``argv``.

    ``namespace`` is the globals of ``__main__`` (:func:`main_namespace`).
    """
    spec_name = run_module_name(namespace)
    if spec_name:
        return clean_text(spec_name.removesuffix(".__main__"))
    script = argv[0] if argv else ""
    if script not in _NOT_A_SCRIPT:
        stem = _stem(script)
        if stem == "__main__":
            stem = _stem(os.path.dirname(script))
        if stem:
            return clean_text(stem)
    return INTERPRETER_APP_NAME
