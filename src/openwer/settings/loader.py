"""Loading the effective settings: WER defaults, machine file, user file, policy file, environment.

Precedence, lowest first: WER's defaults, the machine file (``/etc/openwer/settings.toml``), the
user file (``~/.config/openwer/settings.toml``), the policy file (``/etc/openwer/policy.toml``,
which overrides both, as Group Policy does in WER) and the environment (``OPENWER__<Key>__<SubKey>``
plus ``OPENWER_SERVER_URL`` and ``OPENWER_SERVER_KEY``; see :mod:`openwer.settings.layers`).

This runs at crash time, so it does little: up to three small reads, the stdlib ``tomllib`` (only
when a file exists) and no third-party import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from openwer.settings.layers import layer_from_environ, read_file_layer
from openwer.settings.levels import Level
from openwer.settings.model import Settings, build_settings
from openwer.settings.paths import OpenwerPaths, resolve_paths

__all__ = ["load_settings"]

_PRECEDENCE = (Level.MACHINE, Level.USER, Level.POLICY)


def load_settings(
    paths: OpenwerPaths | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Load and validate every settings layer and return the effective settings.

    Each call reads the files again; the result is an immutable snapshot. Safe to call from any
    thread (it shares no state); a file edited during the call is read either whole before or whole
    after the edit, because writers replace files atomically.

    Args:
        paths: Where the settings files are; ``None`` resolves them from ``environ``.
        environ: The environment for ``OPENWER__*`` overrides, path resolution and ``DumpFolder``
            expansion; ``None`` means ``os.environ``.

    Returns:
        The effective settings. A missing file is an empty layer.

    Raises:
        SettingsError: A file is unreadable, larger than 1 MiB, not UTF-8 or not TOML, or a file or
            variable sets an unknown name, a wrong type or an out-of-range value. The message is
            one line naming the file (or variable), the dotted key, what is allowed and what was
            found, e.g. ``/etc/openwer/settings.toml: MaxQueueCount: must be an integer from 1 to
            500, got 0``.
    """
    env = os.environ if environ is None else environ
    where = resolve_paths(env) if paths is None else paths
    layers = [read_file_layer(where.settings_file(level), level) for level in _PRECEDENCE]
    layers.append(layer_from_environ(env))
    return build_settings(layers, default_dump_folder=where.default_dump_folder, environ=env)
