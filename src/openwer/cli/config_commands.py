"""``openwer config …`` and ``openwer exclude …``: the settings files and the exclusion list."""

from __future__ import annotations

import json
from typing import Any

import click

from openwer.cli.table import render_table
from openwer.errors import NotFoundError
from openwer.settings import (
    Level,
    SettingEntry,
    add_excluded_application,
    get_value,
    list_excluded_applications,
    list_values,
    remove_excluded_application,
    resolve_paths,
    set_value,
    unset_value,
)

__all__ = ["config", "exclude"]


def _level_options(function: Any) -> Any:
    """Add --machine, --user and --policy, which all set ``level``."""
    for level in (Level.POLICY, Level.USER, Level.MACHINE):
        function = click.option(
            f"--{level.value}",
            "level",
            flag_value=level.value,
            default=None,
            help=f"The {level.value} settings file.",
        )(function)
    return function


def _entry_json(entry: SettingEntry) -> dict[str, Any]:
    return {
        "key": entry.name,
        "value": entry.value,
        "text": entry.text,
        "source": entry.source.layer.name.lower(),
        "location": entry.source.location or None,
    }


@click.group()
def config() -> None:
    """Read and change settings (WER's registry values, as TOML files).

    Keys are named as in WER, with dots for subkeys: Consent.DefaultConsent,
    LocalDumps.DumpCount, LocalDumps.<app>.DumpFolder, Server.Url. Without --machine, --user or
    --policy, get and list show the effective value and where it came from.
    """


@config.command("get")
@click.argument("key")
@_level_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def config_get(key: str, level: str | None, as_json: bool) -> None:
    """Print the value of KEY."""
    entry = get_value(resolve_paths(), Level(level) if level else None, key)
    if entry is None:
        where = f"the {level} settings file" if level else "any layer"
        raise NotFoundError(f"{key} is not set in {where}")
    if as_json:
        click.echo(json.dumps(_entry_json(entry), indent=2))
    else:
        click.echo(entry.text)


@config.command("set")
@click.argument("key")
@click.argument("value")
@_level_options
def config_set(key: str, value: str, level: str | None) -> None:
    """Set KEY to VALUE in a settings file (the user file unless told otherwise)."""
    target = Level(level or Level.USER.value)
    entry = set_value(resolve_paths(), target, key, value)
    click.echo(f"{entry.name} = {entry.text}  ({entry.source})")


@config.command("unset")
@click.argument("key")
@_level_options
def config_unset(key: str, level: str | None) -> None:
    """Remove KEY from a settings file (the user file unless told otherwise)."""
    target = Level(level or Level.USER.value)
    if not unset_value(resolve_paths(), target, key):
        raise NotFoundError(f"{key} is not set in the {target.value} settings file")
    click.echo(f"Removed {key} from the {target.value} settings file")


@config.command("list")
@_level_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def config_list(level: str | None, as_json: bool) -> None:
    """List settings: every effective value with its source, or what one file sets."""
    entries = list_values(resolve_paths(), Level(level) if level else None)
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], indent=2))
        return
    rows = [[e.name, e.text, str(e.source)] for e in entries]
    click.echo(render_table(["KEY", "VALUE", "SOURCE"], rows) if rows else "Nothing set.")


@click.group()
def exclude() -> None:
    """Applications whose problems are never reported (WER's ExcludedApplications)."""


_all_users = click.option(
    "--all-users", is_flag=True, help="The machine-wide list (needs write access to it)."
)


@exclude.command("add")
@click.argument("application")
@_all_users
def exclude_add(application: str, all_users: bool) -> None:
    """Exclude APPLICATION (only the last path component counts)."""
    name = add_excluded_application(resolve_paths(), application, all_users)
    click.echo(f"Excluded {name}")


@exclude.command("remove")
@click.argument("application")
@_all_users
def exclude_remove(application: str, all_users: bool) -> None:
    """Stop excluding APPLICATION."""
    name = remove_excluded_application(resolve_paths(), application, all_users)
    click.echo(f"No longer excluded: {name}")


@exclude.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def exclude_list(as_json: bool) -> None:
    """List excluded applications of both scopes."""
    items = list_excluded_applications(resolve_paths())
    if as_json:
        click.echo(json.dumps([{"name": i.name, "level": i.level.value} for i in items], indent=2))
        return
    rows = [[i.level.value, i.name] for i in items]
    click.echo(
        render_table(["SCOPE", "APPLICATION"], rows) if rows else "No excluded applications."
    )
