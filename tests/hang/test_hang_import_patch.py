"""Patching a module when it is first imported, without importing it ahead of time."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from openwer.capture.import_patch import patch_on_import


def test_patch_runs_after_the_first_import_then_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patch for a module not loaded waits for its import (the module is not imported for
    it); for a loaded module it runs at once; a failing patch never breaks the import."""
    (tmp_path / "hang_patch_target.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []

    def patch(module: ModuleType) -> None:
        seen.append(getattr(module, "VALUE"))  # noqa: B009 - a module made by the test
        module.VALUE = 2  # type: ignore[attr-defined]

    def broken(module: ModuleType) -> None:
        raise RuntimeError("a bug in a patch")

    patch_on_import("hang_patch_target", patch)
    patch_on_import("hang_patch_target", broken)
    assert "hang_patch_target" not in sys.modules
    assert seen == []
    try:
        module = importlib.import_module("hang_patch_target")
        assert (module.VALUE, seen) == (2, [1])
        patch_on_import("hang_patch_target", patch)
        assert seen == [1, 2]
    finally:
        sys.modules.pop("hang_patch_target", None)
