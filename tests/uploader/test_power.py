"""Battery detection from /sys/class/power_supply (built in a folder here)."""

from __future__ import annotations

from pathlib import Path

from openwer.platform.power import on_battery


def supply(root: Path, name: str, **files: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for key, value in files.items():
        (folder / key).write_text(value + "\n")


def test_no_power_supplies(tmp_path: Path) -> None:
    """A machine without batteries is never on battery."""
    assert on_battery(tmp_path / "missing") is False
    assert on_battery(tmp_path) is False


def test_discharging_battery(tmp_path: Path) -> None:
    """A discharging battery with no mains online is on battery."""
    supply(tmp_path, "BAT0", type="Battery", status="Discharging")
    supply(tmp_path, "AC", type="Mains", online="0")
    assert on_battery(tmp_path) is True


def test_mains_online(tmp_path: Path) -> None:
    """Mains online wins."""
    supply(tmp_path, "BAT0", type="Battery", status="Discharging")
    supply(tmp_path, "AC", type="Mains", online="1")
    assert on_battery(tmp_path) is False


def test_unreadable_entries_are_skipped(tmp_path: Path) -> None:
    """A supply without its files is ignored."""
    (tmp_path / "weird").mkdir()
    supply(tmp_path, "BAT1", type="Battery", status="Charging")
    assert on_battery(tmp_path) is False
