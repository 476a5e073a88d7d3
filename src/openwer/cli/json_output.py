"""The ``--json`` option of the commands whose JSON shapes docs/cli.md describes, and the one
way they print JSON (indented by two, so a person can read it too)."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["echo_json", "json_option"]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/cli.md).")


def echo_json(body: Any) -> None:
    """Print ``body`` as JSON, indented by two spaces, on standard output."""
    click.echo(json.dumps(body, indent=2))
