"""A typed, read-only view of a Report.wer document.

:class:`ReportManifest` groups the keys of a :class:`~openwer.formats.report_wer.WerDocument` as WER
groups them (event, signature, dynamic signature, UI strings, loaded modules, state, OS info, files,
the server's response, application facts). Every value stays the raw string that was written; the
typed properties (``event_time``, ``report_type``…) return None when the text does not parse as
that type, so a damaged or unusual file still reads. Keys the view does not know are listed in
``unknown`` and remain in the document.

Pure and immutable; thread-safe.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from openwer.formats.filetime import filetime_to_datetime
from openwer.formats.report_wer import WerDocument, WerEntry

__all__ = [
    "FileEntry",
    "IndexedPair",
    "ReportManifest",
    "ResponseInfo",
    "parse_int",
    "parse_uuid",
]

_INDEXED = re.compile(r"^([A-Za-z]+)\[([0-9]{1,9})\](?:\.(.+))?$")
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_HEX = re.compile(r"-?0[xX][0-9a-fA-F]+")
_GUID_CHARACTERS = re.compile(r"[0-9a-fA-F-]+")
_FILE_FIELDS = frozenset({"cabname", "path", "flags", "type", "original.path"})

# Scalars the view maps to named fields (lower-case key → attribute).
_SCALARS = {
    "version": "version",
    "eventtype": "event_type",
    "eventtime": "event_time_raw",
    "reporttype": "report_type_raw",
    "consent": "consent_raw",
    "uploadtime": "upload_time_raw",
    "reportstatus": "report_status_raw",
    "reportidentifier": "report_id",
    "integratorreportidentifier": "integrator_report_id",
    "nsappname": "ns_app_name",
    "originalfilename": "original_filename",
    "appsessionguid": "app_session_guid",
    "targetappid": "target_app_id",
    "targetappver": "target_app_ver",
    "isfatal": "is_fatal_raw",
    "friendlyeventname": "friendly_event_name",
    "consentkey": "consent_key",
    "appname": "app_name",
    "apppath": "app_path",
    "reportdescription": "report_description",
    "nspartner": "ns_partner",
    "nsgroup": "ns_group",
    "applicationidentity": "application_identity",
    "metadatahash": "metadata_hash",
}
_OTHER_KNOWN_SCALARS = frozenset(
    {
        "wow64host",
        "wow64guest",
        "bootid",
        "servicesplit",
        "heapdumpattached",
        "targetasid",
        "userimpactvector",
        "etwnoncollectreason",
    }
)


def parse_int(raw: str | None) -> int | None:
    """Return the integer in ``raw`` (decimal, or hex with ``0x``), or None if it is not one."""
    if raw is None:
        return None
    text = raw.strip()
    # Plain ASCII digits only: int() alone would also take "1_000" and non-ASCII digits.
    if _DECIMAL.fullmatch(text):
        return int(text, 10)
    if _HEX.fullmatch(text):
        return int(text, 16)
    return None


def parse_uuid(raw: str | None) -> uuid.UUID | None:
    """Return the GUID in ``raw`` (with or without braces), or None if it is not one."""
    if raw is None:
        return None
    text = raw.strip().strip("{}")
    # uuid.UUID alone would also take a sign, underscores or a "urn:uuid:" prefix.
    if not _GUID_CHARACTERS.fullmatch(text):
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class IndexedPair:
    """One ``Group[index].Name/Value`` (or ``.Key/.Value``) pair; either half may be missing."""

    index: int
    name: str | None
    value: str | None


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One ``File[index].*`` record: the file's name in the cab, in the folder, flags and type."""

    index: int
    cab_name: str | None = None
    path: str | None = None
    flags_raw: str | None = None
    type_raw: str | None = None
    original_path: str | None = None

    @property
    def flags(self) -> int | None:
        """``WER_FILE_*`` flags: the low 16 bits of ``Flags`` (WER keeps internal bits above)."""
        value = parse_int(self.flags_raw)
        return None if value is None else value & 0xFFFF

    @property
    def file_type(self) -> int | None:
        """The ``WER_FILE_TYPE`` number, or None."""
        return parse_int(self.type_raw)


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """The server's answer recorded in ``Response.*`` keys."""

    bucket_id: str | None = None
    bucket_table: str | None = None
    legacy_bucket_id: str | None = None
    type: str | None = None
    cab_id: str | None = None
    cab_guid: str | None = None
    other: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the report carries no server answer."""
        return not (
            self.bucket_id
            or self.bucket_table
            or self.legacy_bucket_id
            or self.type
            or self.cab_id
            or self.cab_guid
            or self.other
        )


@dataclass(frozen=True, slots=True)
class ReportManifest:
    """What a Report.wer says, grouped as WER groups it. Build it with :meth:`from_document`."""

    document: WerDocument
    version: str | None = None
    event_type: str | None = None
    event_time_raw: str | None = None
    report_type_raw: str | None = None
    consent_raw: str | None = None
    upload_time_raw: str | None = None
    report_status_raw: str | None = None
    report_id: str | None = None
    integrator_report_id: str | None = None
    ns_app_name: str | None = None
    original_filename: str | None = None
    app_session_guid: str | None = None
    target_app_id: str | None = None
    target_app_ver: str | None = None
    is_fatal_raw: str | None = None
    friendly_event_name: str | None = None
    consent_key: str | None = None
    app_name: str | None = None
    app_path: str | None = None
    report_description: str | None = None
    ns_partner: str | None = None
    ns_group: str | None = None
    application_identity: str | None = None
    metadata_hash: str | None = None
    signature: tuple[IndexedPair, ...] = ()
    dynamic_signature: tuple[IndexedPair, ...] = ()
    ui: tuple[tuple[int, str], ...] = ()
    loaded_modules: tuple[str, ...] = ()
    state: tuple[IndexedPair, ...] = ()
    os_info: tuple[IndexedPair, ...] = ()
    files: tuple[FileEntry, ...] = ()
    response: ResponseInfo = ResponseInfo()
    unknown: tuple[WerEntry, ...] = ()

    @classmethod
    def from_document(cls, document: WerDocument) -> ReportManifest:
        """Group the entries of ``document``; never raises on odd values."""
        scalars: dict[str, str] = {}
        pairs: dict[str, dict[int, dict[str, str | None]]] = {}
        ui: dict[int, str] = {}
        modules: dict[int, str] = {}
        files: dict[int, dict[str, str]] = {}
        response: dict[str, str] = {}
        unknown: list[WerEntry] = []
        for entry in document.entries:
            key = entry.normalized_key
            value = entry.value
            attribute = _SCALARS.get(key)
            if attribute is not None:
                if value is not None:
                    scalars.setdefault(attribute, value)
                continue
            if key.startswith("response.") and value is not None:
                response.setdefault(entry.key.strip()[len("response.") :], value)
                continue
            match = _INDEXED.match(entry.key.strip())
            if match is None:
                if key not in _OTHER_KNOWN_SCALARS:
                    unknown.append(entry)
                continue
            group, index, sub = match.group(1).lower(), int(match.group(2)), match.group(3)
            sub_lower = None if sub is None else sub.lower()
            if group == "ui" and sub is None and value is not None:
                ui.setdefault(index, value)
            elif group == "loadedmodule" and sub is None and value is not None:
                modules.setdefault(index, value)
            elif group == "file" and sub_lower in _FILE_FIELDS and value is not None:
                files.setdefault(index, {}).setdefault(sub_lower, value)
            elif group in ("sig", "dynamicsig", "state", "osinfo") and sub_lower is not None:
                slot = pairs.setdefault(group, {}).setdefault(index, {})
                half = "value" if sub_lower == "value" else "name"
                if sub_lower in ("name", "key", "value"):
                    slot.setdefault(half, value)
                else:
                    unknown.append(entry)
            else:
                unknown.append(entry)
        return cls(
            document=document,
            signature=_pairs(pairs.get("sig")),
            dynamic_signature=_pairs(pairs.get("dynamicsig")),
            state=_pairs(pairs.get("state")),
            os_info=_pairs(pairs.get("osinfo")),
            ui=tuple(sorted(ui.items())),
            loaded_modules=tuple(modules[i] for i in sorted(modules)),
            files=tuple(_file_entry(i, files[i]) for i in sorted(files)),
            response=_response(response),
            unknown=tuple(unknown),
            **scalars,
        )

    @property
    def event_time(self) -> datetime | None:
        """``EventTime`` as an aware UTC datetime, or None if absent or not a FILETIME."""
        return _filetime(self.event_time_raw)

    @property
    def upload_time(self) -> datetime | None:
        """``UploadTime`` as an aware UTC datetime, or None."""
        return _filetime(self.upload_time_raw)

    @property
    def report_type(self) -> int | None:
        """``ReportType`` (a ``WER_REPORT_TYPE`` number), or None."""
        return parse_int(self.report_type_raw)

    @property
    def consent(self) -> int | None:
        """``Consent`` as written, or None."""
        return parse_int(self.consent_raw)

    @property
    def report_status(self) -> int | None:
        """``ReportStatus`` bit field, or None."""
        return parse_int(self.report_status_raw)

    @property
    def is_fatal(self) -> bool | None:
        """``IsFatal``, or None."""
        value = parse_int(self.is_fatal_raw)
        return None if value is None else value != 0

    @property
    def report_uuid(self) -> uuid.UUID | None:
        """``ReportIdentifier`` as a GUID, or None when it is not one."""
        return parse_uuid(self.report_id)

    @property
    def signature_values(self) -> tuple[str, ...]:
        """The signature values in slot order (missing values as empty strings)."""
        return tuple(p.value or "" for p in self.signature)

    def state_value(self, key: str) -> str | None:
        """Return the value of the ``State[n]`` entry whose ``.Key`` is ``key``, or None."""
        for pair in self.state:
            if pair.name is not None and pair.name.lower() == key.lower():
                return pair.value
        return None


def _pairs(slots: dict[int, dict[str, str | None]] | None) -> tuple[IndexedPair, ...]:
    if not slots:
        return ()
    return tuple(
        IndexedPair(index, slots[index].get("name"), slots[index].get("value"))
        for index in sorted(slots)
    )


def _file_entry(index: int, fields: dict[str, str]) -> FileEntry:
    return FileEntry(
        index=index,
        cab_name=fields.get("cabname"),
        path=fields.get("path"),
        flags_raw=fields.get("flags"),
        type_raw=fields.get("type"),
        original_path=fields.get("original.path"),
    )


def _response(values: dict[str, str]) -> ResponseInfo:
    known = {
        "bucketid": "bucket_id",
        "buckettable": "bucket_table",
        "legacybucketid": "legacy_bucket_id",
        "type": "type",
        "cabid": "cab_id",
        "cabguid": "cab_guid",
    }
    named: dict[str, str] = {}
    other: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key, value in values.items():
        # The first copy of a key wins in any case, as it does for WerDocument.get().
        if key.lower() in seen:
            continue
        seen.add(key.lower())
        attribute = known.get(key.lower())
        if attribute is None:
            other.append((key, value))
        else:
            named[attribute] = value
    return ResponseInfo(other=tuple(other), **named)


def _filetime(raw: str | None) -> datetime | None:
    value = parse_int(raw)
    if value is None:
        return None
    try:
        return filetime_to_datetime(value)
    except ValueError:
        return None
