"""The documented JSON shape of one report (``openwer reports show --json``) and its table rows.

The shape is a stable contract (docs/cli.md): fields are only ever added, never renamed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openwer.errors import FormatError
from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.report_manifest import IndexedPair, ReportManifest, parse_int
from openwer.formats.wait_chain import wait_chain_to_json
from openwer.formats.wait_chain_document import WAIT_CHAINS_FILE, parse_wait_chains
from openwer.types import FileType, ReportType

__all__ = ["report_json", "report_summary"]

_STATUS = {"queue": "queued", "archive": "archived"}


def _pairs(pairs: tuple[IndexedPair, ...], key: str = "name") -> list[dict[str, Any]]:
    return [{"index": p.index, key: p.name, "value": p.value} for p in pairs]


def _report_type_name(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return ReportType(value).name.lower()
    except ValueError:
        return None


def _file_type_name(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return FileType(value).name.lower()
    except ValueError:
        return None


def _wait_chains(manifest: ReportManifest, folder: Path | None) -> list[dict[str, Any]]:
    """The report's ``waitchains.json`` (hang reports), or [] when absent or unreadable."""
    listed = any(entry.cab_name == WAIT_CHAINS_FILE for entry in manifest.files)
    if folder is None or not listed:
        return []
    try:
        chains = parse_wait_chains((folder / WAIT_CHAINS_FILE).read_bytes())
    except (OSError, FormatError):
        return []
    return [wait_chain_to_json(chain) for chain in chains]


def report_json(
    manifest: ReportManifest,
    *,
    key: str,
    folder: Path | None,
    store: str | None,
    area: str | None,
    size_bytes: int | None = None,
) -> dict[str, Any]:
    """Return the JSON object of one report (see docs/cli.md for every field)."""
    ids = compute_bucket_ids(manifest.event_type or "", manifest.signature_values)
    event_time = manifest.event_time
    upload_time = manifest.upload_time
    files = []
    for entry in manifest.files:
        on_disk = folder / entry.path if folder is not None and entry.path else None
        present = on_disk is not None and on_disk.is_file()
        files.append(
            {
                "index": entry.index,
                "name": entry.cab_name,
                "path": entry.path,
                "type": entry.file_type,
                "type_name": _file_type_name(entry.file_type),
                "flags": entry.flags,
                "original_path": entry.original_path,
                "present": present,
                "size": on_disk.stat().st_size if on_disk is not None and present else None,
            }
        )
    response = manifest.response
    solution = next((v for k, v in response.other if k.lower() == "solution"), None)
    solution_url = next((v for k, v in response.other if k.lower() == "solutionurl"), None)
    return {
        "key": key,
        "report_id": manifest.report_id,
        "event_type": manifest.event_type,
        "event_time": event_time.isoformat() if event_time else None,
        "event_time_raw": manifest.event_time_raw,
        "report_type": manifest.report_type,
        "report_type_name": _report_type_name(manifest.report_type),
        "signature": [{"name": p.name, "value": p.value} for p in manifest.signature],
        "dynamic_signature": [
            {"name": p.name, "value": p.value} for p in manifest.dynamic_signature
        ],
        "bucket_id": ids.bucket_id_string,
        "legacy_bucket_id": ids.legacy_bucket_id,
        "consent": manifest.consent,
        "consent_key": manifest.consent_key,
        "friendly_event_name": manifest.friendly_event_name,
        "app_name": manifest.app_name,
        "app_path": manifest.app_path,
        "description": manifest.report_description,
        "status": _STATUS.get(area or "", "file"),
        "store": store,
        "folder": str(folder) if folder is not None else None,
        "size_bytes": size_bytes,
        "upload_time": upload_time.isoformat() if upload_time else None,
        "report_status": manifest.report_status,
        "ui": [{"index": index, "value": value} for index, value in manifest.ui],
        "loaded_modules": list(manifest.loaded_modules),
        "state": _pairs(manifest.state, "key"),
        "os_info": _pairs(manifest.os_info, "key"),
        "files": files,
        "response": None
        if response.is_empty
        else {
            "bucket_id": response.bucket_id,
            "bucket_table": parse_int(response.bucket_table),
            "legacy_bucket_id": parse_int(response.legacy_bucket_id),
            "type": response.type,
            "cab_id": response.cab_id,
            "solution": solution,
            "solution_url": solution_url,
        },
        "unknown": [{"key": e.key, "value": e.value} for e in manifest.unknown],
        "wait_chains": _wait_chains(manifest, folder),
    }


_UNINFORMATIVE = frozenset({"", "00000000", "0.0.0.0", "0000000000000000"})
_SUMMARY_WIDTH = 72


def report_summary(manifest: ReportManifest) -> str:
    """One line naming the report's signature: its informative values, shortened to fit."""
    values = [v for v in manifest.signature_values if v not in _UNINFORMATIVE]
    text = " | ".join(values) if values else "(no signature)"
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 1] + "…"
