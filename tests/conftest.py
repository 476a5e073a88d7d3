"""Shared fixtures: the read-only crash-report corpus and a private OPENWER_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus beside the repository (``../shared/corpus``), read in place."""
    if not _CORPUS.is_dir():
        pytest.skip("../shared/corpus not found")
    return _CORPUS


@pytest.fixture
def openwer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point OPENWER_HOME at a fresh folder and clear openwer's other variables."""
    import os

    for name in list(os.environ):
        if name.startswith("OPENWER"):
            monkeypatch.delenv(name)
    home = tmp_path / "openwer-home"
    home.mkdir()
    monkeypatch.setenv("OPENWER_HOME", str(home))
    return home
