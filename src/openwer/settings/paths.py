"""The folders and files openwer uses, resolved from an environment.

Without ``OPENWER_HOME`` openwer follows the XDG base directory spec for the user's files and the
usual Linux places for the machine's::

    user store          $XDG_STATE_HOME/openwer            (~/.local/state/openwer)
    machine store       /var/lib/openwer
    machine settings    /etc/openwer/settings.toml
    policy settings     /etc/openwer/policy.toml
    user settings       $XDG_CONFIG_HOME/openwer/settings.toml   (~/.config/openwer/settings.toml)
    server data         $XDG_DATA_HOME/openwer/server      (~/.local/share/openwer/server)
    local dumps         <user store>/CrashDumps            (WER's %LOCALAPPDATA%\\CrashDumps)

``OPENWER_HOME=H`` moves every one of them under ``H`` (``H/user``, ``H/machine``,
``H/etc/openwer/…``, ``H/config/openwer/settings.toml``, ``H/server``) so tests and sandboxes never
touch the real machine. Relative or empty XDG values are ignored, as the XDG spec requires.

Resolving paths reads only the mapping it is given (plus the password database when ``HOME`` is
unset): it creates and opens nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openwer.settings.levels import Level

__all__ = ["OpenwerPaths", "resolve_paths"]

_MACHINE_STORE = Path("/var/lib/openwer")
_ETC = Path("/etc/openwer")


@dataclass(frozen=True)
class OpenwerPaths:
    """Every path openwer uses; immutable, so it may be shared between threads.

    Attributes:
        home: ``OPENWER_HOME`` when set (absolute), else ``None``.
        user_store_root: Root of the user's report store (queue, archive, temp).
        machine_store_root: Root of the machine-wide report store.
        machine_settings_file: The machine settings (WER's ``HKLM`` key).
        policy_settings_file: The policy settings, which override the other two files.
        user_settings_file: The user's settings (WER's ``HKCU`` key).
        server_data_dir: The collection server's default data folder.
        default_dump_folder: Default ``LocalDumps.DumpFolder``.
    """

    home: Path | None
    user_store_root: Path
    machine_store_root: Path
    machine_settings_file: Path
    policy_settings_file: Path
    user_settings_file: Path
    server_data_dir: Path
    default_dump_folder: Path

    @classmethod
    def under(cls, home: Path) -> OpenwerPaths:
        """Return the paths ``OPENWER_HOME=home`` gives (``home`` is made absolute)."""
        home = Path(os.path.abspath(home))
        user_store = home / "user"
        return cls(
            home=home,
            user_store_root=user_store,
            machine_store_root=home / "machine",
            machine_settings_file=home / "etc" / "openwer" / "settings.toml",
            policy_settings_file=home / "etc" / "openwer" / "policy.toml",
            user_settings_file=home / "config" / "openwer" / "settings.toml",
            server_data_dir=home / "server",
            default_dump_folder=user_store / "CrashDumps",
        )

    def settings_file(self, level: Level) -> Path:
        """Return the settings file of ``level``."""
        if level is Level.MACHINE:
            return self.machine_settings_file
        if level is Level.USER:
            return self.user_settings_file
        return self.policy_settings_file


def resolve_paths(environ: Mapping[str, str] | None = None) -> OpenwerPaths:
    """Resolve openwer's paths from ``environ`` (``os.environ`` when ``None``).

    Args:
        environ: The environment to read ``OPENWER_HOME``, ``HOME`` and ``XDG_*_HOME`` from.

    Returns:
        The paths; never fails (a missing ``HOME`` falls back to the password database). Reads
        only ``environ``: safe from any thread.
    """
    env = os.environ if environ is None else environ
    home = env.get("OPENWER_HOME", "")
    if home:
        return OpenwerPaths.under(Path(home))
    user_home = _user_home(env)
    user_store = _xdg(env, "XDG_STATE_HOME", user_home / ".local" / "state") / "openwer"
    return OpenwerPaths(
        home=None,
        user_store_root=user_store,
        machine_store_root=_MACHINE_STORE,
        machine_settings_file=_ETC / "settings.toml",
        policy_settings_file=_ETC / "policy.toml",
        user_settings_file=_xdg(env, "XDG_CONFIG_HOME", user_home / ".config")
        / "openwer"
        / "settings.toml",
        server_data_dir=_xdg(env, "XDG_DATA_HOME", user_home / ".local" / "share")
        / "openwer"
        / "server",
        default_dump_folder=user_store / "CrashDumps",
    )


def _xdg(env: Mapping[str, str], name: str, default: Path) -> Path:
    # The XDG spec: "If an implementation encounters a relative path in any of these variables it
    # should consider the path invalid and ignore it."
    value = env.get(name, "")
    return Path(value) if os.path.isabs(value) else default


def _user_home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", "")
    if os.path.isabs(home):
        return Path(home)
    import pwd  # only when HOME is unusable, as os.path.expanduser does

    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:  # pragma: no cover - a uid without a passwd entry (bare containers)
        return Path("/")
