"""The public names of openwer.settings, and that importing it for reading stays cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import openwer.settings

MODULES = [
    "appname",
    "editing",
    "exclusions",
    "keys",
    "layers",
    "levels",
    "loader",
    "localdumps",
    "model",
    "paths",
    "reference",
    "reading",
    "schema",
    "spec",
]


def test_all_is_sorted_and_complete() -> None:
    """__all__ lists exactly the package's public names, sorted, each importable."""
    names = openwer.settings.__all__
    assert sorted(names) == sorted(set(names))
    public = {name for name in vars(openwer.settings) if not name.startswith("_")}
    assert set(names) == public - set(MODULES) - {"annotations"}


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_all(module: str) -> None:
    """Each module declares __all__, and every name in it exists."""
    loaded = importlib.import_module(f"openwer.settings.{module}")
    assert all(hasattr(loaded, name) for name in loaded.__all__)


_PROBE = """
import sys, types
from pathlib import Path

# Load the subpackage alone: the point is what *it* imports, not the rest of openwer.
package = types.ModuleType("openwer")
package.__path__ = [sys.argv[1]]
sys.modules["openwer"] = package

# A coverage-measured child has loaded some modules already: count only what settings loads.
before = set(sys.modules)
import openwer.settings as s

def loaded(name):
    return name in sys.modules and name not in before

paths = s.OpenwerPaths.under(Path(sys.argv[2]))
s.load_settings(paths, {})
seen = [loaded("tomllib")]
paths.user_settings_file.parent.mkdir(parents=True)
paths.user_settings_file.write_text("DontShowUI = 1\\n")
assert s.load_settings(paths, {}).dont_show_ui
print(seen + [loaded("tomllib") or "tomllib" in before]
      + [loaded(name) for name in ("tomlkit", "tempfile", "difflib")])
"""


def test_reading_settings_imports_no_third_party_code(tmp_path: Path) -> None:
    """Loading settings (crash time) never imports tomlkit, and tomllib only when a file exists."""
    package = Path(openwer.settings.__file__).parents[1]
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(package), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["[False,", "True,", "False,", "False,", "False]"]
