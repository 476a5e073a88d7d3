"""Application names as WER compares them: the executable's file name, case-insensitively.

WER keys exclusions and per-application ``LocalDumps`` by the image's file name (``myapp.exe``),
and ``WerAddExcludedApplication`` keeps only the last component of a path it is given. openwer does
the same with either separator, so ``/usr/bin/myapp.py`` and ``C:\\tools\\myapp.py`` both name
``myapp.py``.

Pure functions: safe from any thread.
"""

from __future__ import annotations

from openwer.errors import InvalidArgumentError

__all__ = ["application_name", "same_application", "validate_application_name"]


def application_name(app: str) -> str:
    """Return the last component of ``app`` (``/`` and ``\\`` both separate)."""
    return app.replace("\\", "/").rpartition("/")[2]


def same_application(first: str, second: str) -> bool:
    """Whether two names or paths name the same executable (file names, case-insensitively)."""
    return application_name(first).casefold() == application_name(second).casefold()


def validate_application_name(exe: str) -> str:
    """Check an executable name the way ``WerAddExcludedApplication`` does and return its file name.

    Raises:
        InvalidArgumentError: The name is empty (``E_INVALIDARG``), a path that ends in a
            separator, or holds control characters (which no settings file could store).
    """
    if not exe:
        raise InvalidArgumentError("the application name must not be empty")
    if exe.endswith(("/", "\\")):
        raise InvalidArgumentError(f"{exe!r}: ends in a separator instead of an executable name")
    if not exe.isprintable():
        raise InvalidArgumentError(f"{exe!r}: holds control characters")
    return application_name(exe)
