"""Helpers for the settings tests: every path lives under the test's own tmp_path.

Plain functions rather than conftest fixtures: a second ``conftest`` module would clash with
``tests/conftest.py`` for mypy, since the test folders are not packages.
"""

from __future__ import annotations

from pathlib import Path

from openwer.settings import Level, OpenwerPaths


def home_paths(tmp_path: Path) -> OpenwerPaths:
    """Paths as OPENWER_HOME=<tmp_path>/home gives them: nothing on the real machine."""
    return OpenwerPaths.under(tmp_path / "home")


def write_settings(paths: OpenwerPaths, level: Level, text: str) -> Path:
    """Write one level's settings file (creating its folder) and return its path."""
    path = paths.settings_file(level)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
