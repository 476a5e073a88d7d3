"""``openwer reports …`` and ``openwer store stats``: the local report stores."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from openwer.cli.json_output import json_option
from openwer.cli.report_view import report_json, report_summary
from openwer.cli.table import render_table
from openwer.errors import InvalidArgumentError, OpenwerError, ReportNotFoundError
from openwer.formats.report_manifest import ReportManifest
from openwer.formats.report_wer import parse_report_wer
from openwer.formats.wait_chain import wait_chain_from_json
from openwer.settings import load_settings, resolve_paths
from openwer.store import (
    ReportStore,
    RetentionPolicy,
    StoreArea,
    StoredReport,
    StoreScope,
    open_store,
)

__all__ = ["reports", "store"]

_SCOPES = {"user": StoreScope.USER, "machine": StoreScope.MACHINE}
_AREA_NAMES = {StoreArea.QUEUE: "queue", StoreArea.ARCHIVE: "archive"}

store_option = click.option(
    "--store",
    "store_name",
    type=click.Choice(["user", "machine"]),
    default=None,
    help="Which store (default: user; show/delete/export search both).",
)


def _open(scope: StoreScope) -> ReportStore:
    return open_store(scope, resolve_paths())


def _scopes(store_name: str | None, *, default_both: bool) -> list[StoreScope]:
    if store_name is not None:
        return [_SCOPES[store_name]]
    return [StoreScope.USER, StoreScope.MACHINE] if default_both else [StoreScope.USER]


def _find(key: str, store_name: str | None) -> tuple[ReportStore, StoredReport]:
    """Find a report by store key in the user store, then the machine store."""
    for scope in _scopes(store_name, default_both=True):
        opened = _open(scope)
        try:
            return opened, opened.get(key)
        except ReportNotFoundError:
            continue
        except OpenwerError:
            if store_name is not None:
                raise
            continue  # an unreadable machine store must not hide the user store's reports
    raise ReportNotFoundError(f"no report with key {key!r} (see 'openwer reports list')")


def _stored_json(item: StoredReport) -> dict[str, Any]:
    return report_json(
        item.manifest,
        key=item.key,
        folder=item.folder,
        store=item.scope.name.lower(),
        area=_AREA_NAMES[item.area],
        size_bytes=item.size_bytes,
    )


@click.group()
def reports() -> None:
    """List, show, delete, purge and export the reports in the local stores."""


@reports.command("list")
@store_option
@click.option("--queue", "only_queue", is_flag=True, help="Only reports waiting to be sent.")
@click.option("--archive", "only_archive", is_flag=True, help="Only reports already handled.")
@json_option
def list_reports(
    store_name: str | None, only_queue: bool, only_archive: bool, as_json: bool
) -> None:
    """List the reports of a store (the user store unless --store machine), oldest first."""
    areas = [StoreArea.QUEUE, StoreArea.ARCHIVE]
    if only_queue and not only_archive:
        areas = [StoreArea.QUEUE]
    elif only_archive and not only_queue:
        areas = [StoreArea.ARCHIVE]
    opened = _open(_scopes(store_name, default_both=False)[0])
    items = list(_each(opened, areas))
    if as_json:
        click.echo(json.dumps([_list_json(item) for item in items], indent=2))
        return
    if not items:
        click.echo("No reports.")
        return
    rows = [
        [
            _AREA_NAMES[item.area],
            item.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            item.manifest.event_type or "?",
            report_summary(item.manifest),
            item.key,
        ]
        for item in items
    ]
    click.echo(render_table(["STATUS", "EVENT TIME (UTC)", "EVENT TYPE", "SIGNATURE", "KEY"], rows))


def _each(opened: ReportStore, areas: list[StoreArea]) -> Iterator[StoredReport]:
    for area in areas:
        for key in opened.keys(area):
            try:
                yield opened.get(key)
            except ReportNotFoundError:
                continue  # removed by another process since the listing


def _list_json(item: StoredReport) -> dict[str, Any]:
    full = _stored_json(item)
    keys = (
        "key", "status", "store", "event_type", "event_time", "report_type", "app_name",
        "signature", "bucket_id", "legacy_bucket_id", "report_id", "size_bytes", "folder",
    )  # fmt: skip
    summary = {name: full[name] for name in keys}
    summary["server_bucket_id"] = full["response"]["bucket_id"] if full["response"] else None
    return summary


@reports.command("show")
@click.argument("key_or_path")
@store_option
@json_option
def show_report(key_or_path: str, store_name: str | None, as_json: bool) -> None:
    """Show one report: a store key, a report folder or a bare Report.wer file."""
    data = _load(key_or_path, store_name)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(_render_report(data))


def _load(key_or_path: str, store_name: str | None) -> dict[str, Any]:
    path = Path(key_or_path)
    if "/" in key_or_path or path.exists():
        folder = path if path.is_dir() else path.parent
        wer = path / "Report.wer" if path.is_dir() else path
        if not wer.is_file():
            raise ReportNotFoundError(f"{wer} does not exist")
        manifest = ReportManifest.from_document(parse_report_wer(wer.read_bytes()))
        return report_json(manifest, key=str(path), folder=folder, store=None, area=None)
    _, item = _find(key_or_path, store_name)
    return _stored_json(item)


def _render_report(data: dict[str, Any]) -> str:
    lines = [
        f"Report      {data['key']}",
        f"Event       {data['event_type']} ({data['report_type_name'] or data['report_type']})",
        f"Time        {data['event_time'] or data['event_time_raw']}",
        f"Status      {data['status']}"
        + (f" in the {data['store']} store" if data["store"] else ""),
        f"Application {data['app_name']}  {data['app_path'] or ''}".rstrip(),
        f"Consent     {data['consent']}",
        f"Report id   {data['report_id']}",
        f"Bucket      {data['bucket_id']}  (legacy {data['legacy_bucket_id']}, computed locally)",
    ]
    response = data["response"]
    if response:
        lines.append(
            f"Server      bucket {response['bucket_id']} (table {response['bucket_table']})"
        )
        if response["solution"]:
            url = f"  {response['solution_url']}" if response["solution_url"] else ""
            lines.append(f"Solution    {response['solution']}{url}")
    lines.append("")
    lines.append("Signature")
    for index, parameter in enumerate(data["signature"]):
        lines.append(f"  P{index}  {parameter['name'] or '':<28} {parameter['value']}")
    if data["dynamic_signature"]:
        lines.append("Dynamic signature")
        for parameter in data["dynamic_signature"]:
            lines.append(f"      {parameter['name'] or '':<28} {parameter['value']}")
    if data["files"]:
        lines.append("Files")
        for item in data["files"]:
            state = "" if item["present"] else "  (not kept)"
            lines.append(f"  {item['name']}  type {item['type_name'] or item['type']}{state}")
    if data["wait_chains"]:
        from openwer.waitchain.chain_text import format_wait_chain

        lines.append("Wait chain of the hung thread")
        hung = wait_chain_from_json(data["wait_chains"][0])
        lines.extend(f"  {line}" for line in format_wait_chain(hung))
        others = len(data["wait_chains"]) - 1
        if others:
            lines.append(f"  ({others} more wait chains: --json)")
    if data["folder"]:
        lines.append(f"Folder      {data['folder']}")
    return "\n".join(lines)


@reports.command("delete")
@click.argument("key")
@store_option
def delete_report(key: str, store_name: str | None) -> None:
    """Delete one report from its store."""
    opened, item = _find(key, store_name)
    opened.delete(item.key)
    click.echo(f"Deleted {item.key}")


@reports.command("purge")
@store_option
@click.option("--queue", "only_queue", is_flag=True, help="Only the queue.")
@click.option("--archive", "only_archive", is_flag=True, help="Only the archive.")
def purge_reports(store_name: str | None, only_queue: bool, only_archive: bool) -> None:
    """Delete every report of a store (WerStorePurge); the user store unless --store machine."""
    area: StoreArea | None = None
    if only_queue != only_archive:
        area = StoreArea.QUEUE if only_queue else StoreArea.ARCHIVE
    opened = _open(_scopes(store_name, default_both=False)[0])
    removed = opened.purge(area)
    click.echo(f"Purged {removed} report{'s' if removed != 1 else ''}.")


@reports.command("export")
@click.argument("key")
@click.option("--to", "destination", required=True, type=click.Path(path_type=Path))
@store_option
def export_report(key: str, destination: Path, store_name: str | None) -> None:
    """Copy a report's folder (Report.wer and files) into DIR/<key>/."""
    _, item = _find(key, store_name)
    target = destination / item.key
    if target.exists():
        raise InvalidArgumentError(f"{target} exists already")
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copytree(item.folder, target, symlinks=True)
    click.echo(str(target))


@click.group()
def store() -> None:
    """The local report stores."""


@store.command("stats")
@json_option
def store_stats(as_json: bool) -> None:
    """Count and size of the queue and archive of the user and machine stores."""
    rows: list[dict[str, Any]] = []
    for scope in (StoreScope.USER, StoreScope.MACHINE):
        try:
            stats = _open(scope).stats()
        except OpenwerError as exc:
            click.echo(f"openwer: warning: the {scope.name.lower()} store: {exc}", err=True)
            continue
        for area in (StoreArea.QUEUE, StoreArea.ARCHIVE):
            area_stats = stats.area(area)
            rows.append(
                {
                    "store": scope.name.lower(),
                    "area": _AREA_NAMES[area],
                    "count": area_stats.count,
                    "size_bytes": area_stats.size_bytes,
                    "oldest": area_stats.oldest.isoformat() if area_stats.oldest else None,
                    "newest": area_stats.newest.isoformat() if area_stats.newest else None,
                    "damaged": area_stats.damaged,
                    "root": str(stats.root),
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = [
        [
            r["store"],
            r["area"],
            str(r["count"]),
            _size(r["size_bytes"]),
            r["oldest"] or "-",
            r["root"],
        ]
        for r in rows
    ]
    click.echo(render_table(["STORE", "AREA", "REPORTS", "SIZE", "OLDEST", "ROOT"], table))


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


@store.command("prune")
@store_option
@json_option
def store_prune(store_name: str | None, as_json: bool) -> None:
    """Delete the oldest reports beyond MaxQueueCount, MaxArchiveCount, age and disk share."""
    opened = _open(_scopes(store_name, default_both=False)[0])
    result = opened.prune(RetentionPolicy.from_settings(load_settings()))
    if as_json:
        rows = [
            {
                "key": item.key,
                "area": _AREA_NAMES[item.area],
                "reason": item.reason.name.lower(),
                "size_bytes": item.size_bytes,
            }
            for item in result.removed
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for item in result.removed:
        click.echo(f"removed ({item.reason.name.lower()}) {item.key}")
    click.echo(f"Pruned {result.removed_count} report(s), {_size(result.removed_bytes)}.")


@store.command("recover")
@store_option
def store_recover(store_name: str | None) -> None:
    """Finish or clean up what writers that died left in Temp/ (safe while others write)."""
    opened = _open(_scopes(store_name, default_both=False)[0])
    result = opened.recover()
    for action in result.actions:
        click.echo(f"{action.outcome.name.lower()}: {action.name}")
    click.echo(f"Recovered {len(result.actions)} leftover(s).")
