"""Every field of a Report.wer, grouped as WER groups them, for the report page.

WER's groups, in the order its files list them (wer-spec.md §5.3): the event (version, type,
times, consent, identifiers), the signature, the dynamic signature, UI strings, loaded modules,
transport state, OS information, files, the application (friendly name, consent key, name,
path), and the server's response. Keys WER does not define (openwer's own values such as
``CommandLine``, or anything a client added) form a last group, so no field is left out.
Values a person cannot read as written (FILETIMEs, report types, consent numbers, file flags)
get a note beside the raw value.

Pure; thread-safe.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from openwer.formats.filetime import filetime_to_datetime
from openwer.formats.report_manifest import IndexedPair, ReportManifest, parse_int
from openwer.formats.report_wer import WerDocument, canonical_rank
from openwer.types import Consent, FileFlags, FileType, ReportType

__all__ = ["FieldGroup", "FieldRow", "report_field_groups"]


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One row: the key (or index), the name for pair groups, the value and a note."""

    key: str
    value: str
    name: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """A titled group of rows; ``paired`` groups show index, name and value."""

    title: str
    rows: tuple[FieldRow, ...]
    paired: bool = False


def _note(key: str, value: str) -> str:
    lowered = key.strip().lower()
    number = parse_int(value)
    if lowered in ("eventtime", "uploadtime") and number is not None:
        with contextlib.suppress(ValueError, OverflowError):
            return filetime_to_datetime(number).strftime("%Y-%m-%d %H:%M:%S UTC")
    if lowered == "reporttype" and number is not None:
        with contextlib.suppress(ValueError):
            return ReportType(number).name.replace("_", " ").lower()
    if lowered == "consent" and number is not None:
        with contextlib.suppress(ValueError):
            return Consent(number).name.replace("_", " ").lower()
    if lowered == "isfatal" and number is not None:
        return "fatal" if number else "not fatal"
    return ""


def _pairs(title: str, pairs: tuple[IndexedPair, ...]) -> FieldGroup:
    rows = tuple(FieldRow(str(p.index), p.value or "", name=p.name or "") for p in pairs)
    return FieldGroup(title, rows, paired=True)


def _file_rows(manifest: ReportManifest) -> tuple[FieldRow, ...]:
    rows = []
    for entry in manifest.files:
        notes = []
        if entry.file_type is not None:
            with contextlib.suppress(ValueError):
                notes.append(FileType(entry.file_type).name.replace("_", " ").lower())
        if entry.flags:
            notes.extend(
                flag.name.replace("_", " ").lower()
                for flag in FileFlags
                if flag.name and flag.value and entry.flags & flag.value
            )
        shown = entry.cab_name or entry.path or ""
        detail = f"path {entry.path}" if entry.path and entry.path != shown else ""
        rows.append(FieldRow(str(entry.index), shown, name=detail, note=", ".join(notes)))
    return tuple(rows)


def report_field_groups(document: WerDocument) -> tuple[FieldGroup, ...]:
    """The groups of ``document`` that have rows, in WER's order."""
    manifest = ReportManifest.from_document(document)
    event: list[FieldRow] = []
    application: list[FieldRow] = []
    response: list[FieldRow] = []
    for entry in document.entries:
        value = entry.value if entry.value is not None else ""
        row = FieldRow(entry.key.strip(), value, note=_note(entry.key, value))
        if entry.normalized_key.startswith("response."):
            response.append(row)
            continue
        rank = canonical_rank(entry.key)
        if rank is not None and rank[0] == 0:
            event.append(row)
        elif rank is not None and rank[0] == 2:
            application.append(row)
    groups = [
        FieldGroup("Event", tuple(event)),
        _pairs("Signature", manifest.signature),
        _pairs("Dynamic signature", manifest.dynamic_signature),
        FieldGroup("UI strings", tuple(FieldRow(str(i), text) for i, text in manifest.ui)),
        FieldGroup(
            "Loaded modules",
            tuple(FieldRow(str(i), path) for i, path in enumerate(manifest.loaded_modules)),
        ),
        _pairs("State", manifest.state),
        _pairs("OS information", manifest.os_info),
        FieldGroup("Files", _file_rows(manifest), paired=True),
        FieldGroup("Application", tuple(application)),
        FieldGroup("Response", tuple(response)),
        FieldGroup(
            "Other values",
            tuple(FieldRow(e.key.strip(), e.value or "") for e in manifest.unknown),
        ),
    ]
    return tuple(group for group in groups if group.rows)
