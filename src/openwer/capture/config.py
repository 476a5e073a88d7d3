"""The capture configuration: who the application is, resolved once at ``install()``.

:meth:`CaptureConfig.resolve` applies the defaults of docs/events.md to what ``install()`` was
given: the application's name (P0), version (P1) and build time (P2), and which modules count as
application code when the faulting frame is chosen.

Lifecycle: resolve it once, when capture is installed (it reads ``sys.argv``, ``__main__`` and
the metadata folder names along ``sys.path``: well under a millisecond once the OS has the
folders cached); it never changes afterwards. Thread safety: immutable. Failure contract:
:meth:`CaptureConfig.resolve` raises :class:`~openwer.errors.InvalidArgumentError` for values
``install()`` was given that WER could not store; defaults it works out never make it fail.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from openwer.capture.application import (
    INTERPRETER_APP_NAME,
    application_path,
    clean_text,
    default_app_name,
    main_namespace,
    run_module_name,
)
from openwer.capture.distributions import distribution_named
from openwer.capture.source_layout import current_layout
from openwer.errors import InvalidArgumentError
from openwer.types import MAX_PATH, WER_MAX_APPLICATION_NAME_LENGTH, WER_MAX_PARAM_LENGTH

__all__ = ["UNKNOWN_VERSION", "CaptureConfig"]

UNKNOWN_VERSION = "0.0.0.0"
_MAX_TIMESTAMP = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class CaptureConfig:
    """Who the application is, for signatures and reports.

    ``app_timestamp`` is a build time in Unix seconds (None: unknown, P2 ``00000000``).
    ``app_packages`` are module prefixes that count as application code wherever they are
    installed. ``app_distribution`` is the normalized name of the installed distribution named
    like the application (None when there is none): its modules are application code too.
    ``app_path`` is the program's absolute path (``AppPath``): the script, else the interpreter.
    """

    app_name: str
    app_version: str
    app_timestamp: int | None
    app_packages: tuple[str, ...]
    app_distribution: str | None = None
    app_path: str = ""

    @property
    def app_timestamp_hex(self) -> str:
        """P2: the build time as 8 hex digits, ``00000000`` when unknown."""
        return f"{self.app_timestamp:08x}" if self.app_timestamp is not None else "00000000"

    def is_application_module(self, module: str) -> bool:
        """True when ``module`` is one of ``app_packages`` or inside one."""
        return any(module == p or module.startswith(p + ".") for p in self.app_packages)

    @classmethod
    def resolve(
        cls,
        app_name: str | None = None,
        app_version: str | None = None,
        app_timestamp: int | None = None,
        app_packages: Iterable[str] = (),
    ) -> CaptureConfig:
        """Return the configuration with docs/events.md's defaults for what is not given.

        Defaults: the name is the script's file name without ``.py`` (else the ``-m`` module,
        else ``python``); the version is that of the distribution named like the application
        (for ``-m``, also like its top-level package), else ``0.0.0.0``; the timestamp unknown.
        The application's packages are ``app_packages`` plus the package named like the
        application and, for ``-m``, the module's top-level package.

        Raises:
            InvalidArgumentError: an empty, unprintable or too long name (> 128) or version
                (> 259), a timestamp outside 0..0xFFFFFFFF, or a package that is not a dotted
                module name.
        """
        packages = [_checked_package(p) for p in app_packages]
        namespace = main_namespace()
        if app_name is not None:
            name = _checked_text("app_name", app_name, WER_MAX_APPLICATION_NAME_LENGTH)
        else:
            name = default_app_name(sys.argv, namespace)[:WER_MAX_APPLICATION_NAME_LENGTH]
        if app_version is not None:
            app_version = _checked_text("app_version", app_version, WER_MAX_PARAM_LENGTH - 1)
        if app_timestamp is not None and (
            isinstance(app_timestamp, bool)
            or not isinstance(app_timestamp, int)
            or not 0 <= app_timestamp <= _MAX_TIMESTAMP
        ):
            raise InvalidArgumentError("app_timestamp must be Unix seconds in 0..0xFFFFFFFF")

        candidates = [name]
        run_module = run_module_name(namespace)
        if run_module:
            candidates.append(run_module.split(".", 1)[0])
        if name != INTERPRETER_APP_NAME:
            packages.extend(c for c in candidates if _is_module_name(c))
        layout = current_layout()
        distribution = None
        for candidate in candidates:
            distribution = distribution_named(candidate, layout)
            if distribution is not None:
                break
        version = app_version or (distribution.version if distribution else UNKNOWN_VERSION)
        app_path = clean_text(application_path(sys.argv))  # Report.wer refuses control chars
        return cls(
            app_name=name,
            app_version=clean_text(version)[: WER_MAX_PARAM_LENGTH - 1],
            app_timestamp=app_timestamp,
            app_packages=tuple(dict.fromkeys(packages)),
            app_distribution=distribution.normalized_name if distribution else None,
            app_path=app_path if len(app_path) <= MAX_PATH else "",
        )


def _is_module_name(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _checked_package(package: str) -> str:
    if not isinstance(package, str) or not _is_module_name(package):
        raise InvalidArgumentError(f"app_packages: {package!r} is not a dotted module name")
    return package


def _checked_text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{field} must be a non-empty string")
    if len(value) > limit:
        raise InvalidArgumentError(f"{field} is {len(value)} characters; at most {limit}")
    if not value.isprintable():
        raise InvalidArgumentError(f"{field} must not hold control characters")
    return value
