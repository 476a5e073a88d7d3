"""The settings reference in docs/ is the one the schema renders."""

from __future__ import annotations

from pathlib import Path

from openwer.settings.reference import render_settings_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_docs_match_the_schema() -> None:
    """docs/settings.md is up to date (regenerate: python -m openwer.settings.reference)."""
    assert DOC.read_text(encoding="utf-8") == render_settings_reference()
