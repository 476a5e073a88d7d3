"""Temp-area names, the store root layout, and open_store's choice of root."""

from __future__ import annotations

from pathlib import Path

import pytest

from openwer.platform.process_identity import current_process_identity
from openwer.settings.paths import OpenwerPaths
from openwer.store import DirectoryReportStore, StoreArea, StoreScope, open_store
from openwer.store.layout import StoreLayout, TempKind, parse_temp_name


def test_temp_names_round_trip(tmp_path: Path) -> None:
    """Every Temp name the layout makes parses back to what it says."""
    layout = StoreLayout(tmp_path)
    writer = current_process_identity()
    new = parse_temp_name(layout.new_report_path(writer).name)
    assert new is not None
    assert (new.kind, new.writer) == (TempKind.NEW_REPORT, writer)
    doc = parse_temp_name(layout.document_path(writer).name)
    assert doc is not None
    assert (doc.kind, doc.writer) == (TempKind.DOCUMENT, writer)
    key = "AppCrash_a~b_" + "0" * 40 + "_00000000_x"
    moving = parse_temp_name(layout.archive_path(key, parameters_only=True).name)
    assert moving is not None
    assert (moving.kind, moving.key, moving.parameters_only) == (TempKind.ARCHIVE, key, True)
    kept = parse_temp_name(layout.archive_path(key, parameters_only=False).name)
    assert kept is not None
    assert kept.parameters_only is False
    deleting = parse_temp_name(layout.delete_path().name)
    assert deleting is not None
    assert deleting.kind is TempKind.DELETE
    assert layout.new_report_path(writer) != layout.new_report_path(writer)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "junk",
        "new~",
        "new~x",
        "new~bad~r",
        "doc~1.2~r",
        "archive~X~key",
        "archive~P",
        "delete",
        "delete~",
        "archive~~key",
        "WER1234.tmp",
    ],
)
def test_foreign_temp_names_are_not_parsed(name: str) -> None:
    """Names the store did not make are recognized as foreign."""
    assert parse_temp_name(name) is None


def test_layout_paths(tmp_path: Path) -> None:
    """The layout names WER's folders and openwer's own state files."""
    layout = StoreLayout(tmp_path)
    assert layout.area(StoreArea.QUEUE) == tmp_path / "ReportQueue"
    assert layout.area(StoreArea.ARCHIVE) == tmp_path / "ReportArchive"
    assert layout.temp == tmp_path / "Temp"
    assert layout.throttle == tmp_path / "ERC" / "Throttle"
    assert layout.lock == tmp_path / "store.lock"


def test_open_store_uses_the_settings_roots(tmp_path: Path) -> None:
    """open_store picks the user or machine root of the resolved paths and does no I/O."""
    paths = OpenwerPaths.under(tmp_path / "home")
    user = open_store(StoreScope.USER, paths)
    machine = open_store(StoreScope.MACHINE, paths)
    assert isinstance(user, DirectoryReportStore)
    assert user.root == paths.user_store_root
    assert user.scope is StoreScope.USER
    assert machine.root == paths.machine_store_root
    assert machine.scope is StoreScope.MACHINE
    assert not (tmp_path / "home").exists()


def test_open_store_resolves_paths_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without paths, OPENWER_HOME decides where the store is."""
    monkeypatch.setenv("OPENWER_HOME", str(tmp_path / "home"))
    assert open_store(StoreScope.USER).root == tmp_path / "home" / "user"
