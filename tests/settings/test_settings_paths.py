"""OpenwerPaths: XDG defaults, OPENWER_HOME and the machine-wide locations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openwer.settings import Level, OpenwerPaths, resolve_paths


def test_xdg_defaults_under_home() -> None:
    """Without XDG variables every user path is under $HOME as the XDG spec says."""
    paths = resolve_paths({"HOME": "/home/u"})
    assert paths == OpenwerPaths(
        home=None,
        user_store_root=Path("/home/u/.local/state/openwer"),
        machine_store_root=Path("/var/lib/openwer"),
        machine_settings_file=Path("/etc/openwer/settings.toml"),
        policy_settings_file=Path("/etc/openwer/policy.toml"),
        user_settings_file=Path("/home/u/.config/openwer/settings.toml"),
        server_data_dir=Path("/home/u/.local/share/openwer/server"),
        default_dump_folder=Path("/home/u/.local/state/openwer/CrashDumps"),
    )


def test_absolute_xdg_variables_are_used() -> None:
    """Absolute XDG_STATE_HOME, XDG_CONFIG_HOME and XDG_DATA_HOME move the user paths."""
    paths = resolve_paths(
        {"HOME": "/home/u", "XDG_STATE_HOME": "/s", "XDG_CONFIG_HOME": "/c", "XDG_DATA_HOME": "/d"}
    )
    assert paths.user_store_root == Path("/s/openwer")
    assert paths.default_dump_folder == Path("/s/openwer/CrashDumps")
    assert paths.user_settings_file == Path("/c/openwer/settings.toml")
    assert paths.server_data_dir == Path("/d/openwer/server")


@pytest.mark.parametrize("value", ["relative/state", ""])
def test_relative_or_empty_xdg_variables_are_ignored(value: str) -> None:
    """Relative or empty XDG values are invalid per the spec and fall back to the defaults."""
    env = {"HOME": "/home/u", "XDG_STATE_HOME": value, "XDG_CONFIG_HOME": value}
    paths = resolve_paths(env)
    assert paths.user_store_root == Path("/home/u/.local/state/openwer")
    assert paths.user_settings_file == Path("/home/u/.config/openwer/settings.toml")


def test_openwer_home_moves_every_path() -> None:
    """OPENWER_HOME wins over XDG and moves every path, machine ones included, under it."""
    env = {"OPENWER_HOME": "/h", "HOME": "/home/u", "XDG_STATE_HOME": "/s"}
    paths = resolve_paths(env)
    assert paths == OpenwerPaths(
        home=Path("/h"),
        user_store_root=Path("/h/user"),
        machine_store_root=Path("/h/machine"),
        machine_settings_file=Path("/h/etc/openwer/settings.toml"),
        policy_settings_file=Path("/h/etc/openwer/policy.toml"),
        user_settings_file=Path("/h/config/openwer/settings.toml"),
        server_data_dir=Path("/h/server"),
        default_dump_folder=Path("/h/user/CrashDumps"),
    )
    assert paths == OpenwerPaths.under(Path("/h"))


def test_relative_openwer_home_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative OPENWER_HOME is resolved against the working folder once, at resolution."""
    monkeypatch.chdir(tmp_path)
    paths = resolve_paths({"OPENWER_HOME": "sandbox"})
    assert paths.home == tmp_path / "sandbox"
    assert paths.machine_store_root == tmp_path / "sandbox" / "machine"


def test_missing_home_falls_back_to_the_password_database() -> None:
    """Without a usable HOME the user's home comes from the password database (absolute)."""
    paths = resolve_paths({"HOME": "not/absolute"})
    assert paths.user_store_root.is_absolute()
    assert paths.user_store_root.parts[-3:] == (".local", "state", "openwer")


def test_none_reads_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """resolve_paths(None) reads os.environ."""
    monkeypatch.setenv("OPENWER_HOME", str(tmp_path))
    assert resolve_paths().home == tmp_path
    assert os.environ["OPENWER_HOME"] == str(tmp_path)


def test_settings_file_per_level() -> None:
    """settings_file maps each Level to its file."""
    paths = OpenwerPaths.under(Path("/h"))
    assert paths.settings_file(Level.MACHINE) == paths.machine_settings_file
    assert paths.settings_file(Level.USER) == paths.user_settings_file
    assert paths.settings_file(Level.POLICY) == paths.policy_settings_file
