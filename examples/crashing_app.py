"""A small program that crashes, with openwer catching the crash.

Run it and look at the report::

    OPENWER_HOME=/tmp/openwer .venv/bin/python examples/crashing_app.py
    OPENWER_HOME=/tmp/openwer .venv/bin/openwer reports list
"""

from __future__ import annotations

import json

import openwer

openwer.install(app_name="crashing-app", app_version="1.0.0")


def read_settings(text: str) -> dict[str, object]:
    """Parse the settings; the sample below is not valid JSON, so this raises."""
    parsed: dict[str, object] = json.loads(text)
    return parsed


if __name__ == "__main__":
    read_settings("{'retries': 3}")
