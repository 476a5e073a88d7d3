"""Whether this machine runs on battery (WER throttles uploads on battery power)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["on_battery"]

_POWER_SUPPLY = Path("/sys/class/power_supply")


def on_battery(root: Path = _POWER_SUPPLY) -> bool:
    """True when a battery reports ``Discharging`` and no mains adapter is online.

    Machines without batteries (servers, containers) are never on battery. Never raises.
    """
    try:
        supplies = list(root.iterdir())
    except OSError:
        return False
    discharging = False
    for supply in supplies:
        try:
            kind = (supply / "type").read_text().strip()
            if kind == "Mains" and (supply / "online").read_text().strip() == "1":
                return False
            if kind == "Battery" and (supply / "status").read_text().strip() == "Discharging":
                discharging = True
        except OSError:
            continue
    return discharging
