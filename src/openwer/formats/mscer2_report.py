"""[MS-CER2] Corporate Error Reporting V.2, level 1: the ``WERREPORT`` XML a Windows client posts.

A Windows client pointed at a corporate error-reporting server (``CorporateWERServer``) first
sends its level-1 data by ``POST`` to ``/stage2.htm``: a ``WERREPORT`` document in UTF-16 that
describes the machine, user, application, event, signature and files (``wer-spec.md`` §6.3). The
server answers with :mod:`openwer.formats.mscer2_response`; when it asks for more, the client
sends one cabinet by ``PUT`` to the answer's ``DumpFile`` path, read by
:func:`openwer.formats.cab_bundle.read_cab`.

* :func:`parse_level1_report` reads the XML with ``defusedxml``: no DTD is accepted (so there is
  no entity expansion and no external entity), the size is bounded, and WER's limits on
  signatures hold. Element and attribute names match regardless of case and namespace; elements
  the parser does not know are ignored; when a section appears twice the first one counts.
* :func:`serialize_level1_report` writes the document as Windows does (for clients and tests).
* :func:`cer_report_to_stage1` expresses a report as a protocol-v1 stage-1 request, so the server
  buckets both protocols alike.

Pure: bytes in, frozen values out; thread-safe.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import defusedxml  # type: ignore[import-untyped]
import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped]

from openwer.errors import FormatError
from openwer.formats.filetime import filetime_to_datetime
from openwer.formats.protocol import SignatureParameter, Stage1Request
from openwer.types import (
    MAX_PATH,
    WER_MAX_EVENT_NAME_LENGTH,
    WER_MAX_PARAM_COUNT,
    WER_MAX_SIGNATURE_NAME_LENGTH,
    ConsentLevel,
)

__all__ = [
    "MAX_LEVEL1_REPORT_BYTES",
    "CerFile",
    "CerParameter",
    "CerReport",
    "cer_report_to_stage1",
    "parse_level1_report",
    "serialize_level1_report",
]

MAX_LEVEL1_REPORT_BYTES = 256 * 1024
_MAX_VALUE = MAX_PATH - 1
_MAX_TEXT = 1024  # every other attribute (names of machines, applications, paths, files)
_MAX_SECONDARY = 32
_MAX_FILES = 256
_MAX_PARAMETER_ID = 63
_MAX_INT32 = 0x7FFF_FFFF
_MAX_UINT32 = 0xFFFF_FFFF
_MAX_INT63 = 0x7FFF_FFFF_FFFF_FFFF
_REPORT = "MS-CER2 level 1 report"
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True, slots=True)
class CerParameter:
    """One ``PARAMETER`` of the signature (``id`` is its slot, P0 first) or, with ``id`` None,
    one ``SECONDARYPARAMETER`` of a kernel report."""

    id: int | None
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class CerFile:
    """One ``FILE`` the client has for level 2: its ``WER_FILE_TYPE`` and name."""

    file_type: int | None
    file_name: str


@dataclass(frozen=True, slots=True)
class CerReport:
    """An MS-CER2 level-1 report. ``parameters`` are sorted by id; ``event_time`` is a FILETIME.

    ``machine_name`` and ``user_name`` identify people: they stay out of stage 1.
    """

    event_type: str
    report_type: int | None = None
    event_time: int | None = None
    friendly_event_name: str | None = None
    machine_name: str | None = None
    os_version: str | None = None
    lcid: int | None = None
    user_name: str | None = None
    app_name: str | None = None
    app_path: str | None = None
    app_company: str | None = None
    parameters: tuple[CerParameter, ...] = ()
    secondary_parameters: tuple[CerParameter, ...] = ()
    files: tuple[CerFile, ...] = ()

    @property
    def event_datetime(self) -> datetime | None:
        """``eventtime`` as an aware UTC datetime, or None when absent or out of range."""
        if self.event_time is None:
            return None
        try:
            return filetime_to_datetime(self.event_time)
        except ValueError:
            return None


def parse_level1_report(data: bytes) -> CerReport:
    """Parse a ``WERREPORT`` document (UTF-16 with a BOM, or UTF-8).

    Raises:
        FormatError: empty or over :data:`MAX_LEVEL1_REPORT_BYTES`; a DTD, entity declaration or
            external reference; not well-formed XML; the root is not ``WERREPORT``; no
            ``EVENTINFO`` with an ``eventtype`` of 1 to 64 characters; a number that is not
            decimal; more than 10 parameters, a repeated or out-of-range parameter id; a value of
            260 characters or more, a name over 128, any other attribute over 1,024 characters;
            a control character in an attribute; more than 32 secondary parameters or 256 files.
    """
    if not data:
        raise FormatError(f"{_REPORT}: the body is empty")
    if len(data) > MAX_LEVEL1_REPORT_BYTES:
        raise FormatError(
            f"{_REPORT}: {len(data)} bytes is over the {MAX_LEVEL1_REPORT_BYTES}-byte limit"
        )
    try:
        root = DefusedET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise FormatError(f"{_REPORT}: DTDs, entities and external references are refused") from exc
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise FormatError(f"{_REPORT}: not well-formed XML ({exc})") from exc
    if _tag(root) != "WERREPORT":
        raise FormatError(f"{_REPORT}: the root element is {_tag(root)!r}, not WERREPORT")
    sections: dict[str, ET.Element] = {}
    for child in root:
        sections.setdefault(_tag(child), child)
    event = _attributes(sections.get("EVENTINFO"))
    machine = _attributes(sections.get("MACHINEINFO"))
    application = _attributes(sections.get("APPLICATIONINFO"))
    parameters, secondary = _signature(sections.get("SIGNATURE"))
    event_type = event.get("eventtype")
    if event_type is None:
        raise FormatError(f"{_REPORT}: no EVENTINFO eventtype")
    return CerReport(
        event_type=_text(event_type, "eventtype", WER_MAX_EVENT_NAME_LENGTH, 1),
        report_type=_number(event.get("reporttype"), "reporttype", _MAX_INT32),
        event_time=_number(event.get("eventtime"), "eventtime", _MAX_INT63),
        friendly_event_name=_optional(event.get("friendlyeventname"), "friendlyeventname"),
        machine_name=_optional(machine.get("machinename"), "machinename"),
        os_version=_optional(machine.get("os"), "os", _MAX_VALUE),
        lcid=_number(machine.get("lcid"), "lcid", _MAX_UINT32),
        user_name=_optional(_attributes(sections.get("USERINFO")).get("username"), "username"),
        app_name=_optional(application.get("appname"), "appname"),
        app_path=_optional(application.get("apppath"), "apppath"),
        app_company=_optional(application.get("appcompany"), "appcompany"),
        parameters=parameters,
        secondary_parameters=secondary,
        files=_files(sections.get("FILES")),
    )


def serialize_level1_report(report: CerReport) -> bytes:
    """Write ``report`` as Windows sends it: UTF-16LE with a BOM and an XML declaration.

    Raises:
        FormatError: the report breaks a rule :func:`parse_level1_report` enforces.
    """
    root = ET.Element("WERREPORT")
    machine = {"machinename": report.machine_name, "os": report.os_version, "lcid": report.lcid}
    _element(root, "MACHINEINFO", machine)
    _element(root, "USERINFO", {"username": report.user_name})
    application = {
        "appname": report.app_name,
        "apppath": report.app_path,
        "appcompany": report.app_company,
    }
    _element(root, "APPLICATIONINFO", application)
    event = {
        "reporttype": report.report_type,
        "eventtime": report.event_time,
        "eventtype": report.event_type,
        "friendlyeventname": report.friendly_event_name,
    }
    _element(root, "EVENTINFO", event)
    signature = ET.SubElement(root, "SIGNATURE")
    for p in report.parameters:
        _element(signature, "PARAMETER", {"id": p.id, "name": p.name, "value": p.value})
    for p in report.secondary_parameters:
        _element(signature, "SECONDARYPARAMETER", {"name": p.name, "value": p.value})
    files = ET.SubElement(root, "FILES")
    for f in report.files:
        _element(files, "FILE", {"filetype": f.file_type, "filename": f.file_name})
    text = '<?xml version="1.0" encoding="UTF-16"?>' + ET.tostring(root, encoding="unicode")
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le", errors="surrogatepass")
    if parse_level1_report(data) != report:
        raise FormatError(f"{_REPORT}: the report does not survive a round trip (ids sorted?)")
    return data


def cer_report_to_stage1(
    report: CerReport,
    *,
    report_id: str,
    consent: ConsentLevel = ConsentLevel.ALL_DATA,
    product: str | None = None,
) -> Stage1Request:
    """Express an MS-CER2 report as a protocol-v1 stage-1 request, for bucketing.

    The signature is the ``PARAMETER`` values in id order, and the secondary parameters are the
    dynamic signature; a kernel report, which has only secondary parameters, takes its first 10
    as the signature and any others as the dynamic signature. The OS version and locale go in
    ``client``; the machine and user names are left out. ``app_version`` is the
    parameter named "Application Version", if any. ``consent`` defaults to all data because
    Windows asks the user itself before it sends level 2.
    """
    signature = report.parameters
    dynamic = report.secondary_parameters
    if not signature:
        signature, dynamic = dynamic[:WER_MAX_PARAM_COUNT], dynamic[WER_MAX_PARAM_COUNT:]
    client = [("os", report.os_version)] if report.os_version else []
    if report.lcid is not None:
        client.append(("lcid", str(report.lcid)))
    version = next(
        (p.value for p in report.parameters if p.name.casefold() == "application version"), None
    )
    return Stage1Request(
        report_id=report_id,
        event_type=report.event_type,
        report_type=report.report_type or 0,
        signature=tuple(SignatureParameter(p.name, p.value) for p in signature),
        dynamic_signature=tuple(SignatureParameter(p.name, p.value) for p in dynamic),
        consent=consent,
        client=tuple(client),
        product=product,
        app_version=version,
    )


def _tag(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2].upper()


def _attributes(element: ET.Element | None) -> dict[str, str]:
    if element is None:
        return {}
    result: dict[str, str] = {}
    for key, value in element.attrib.items():
        result.setdefault(key.rpartition("}")[2].lower(), value)
    return result


def _text(value: str, field: str, max_length: int = _MAX_TEXT, min_length: int = 0) -> str:
    if not min_length <= len(value) <= max_length:
        raise FormatError(
            f"{_REPORT}: {field} is {len(value)} characters; it must be {min_length} to "
            f"{max_length}"
        )
    if _BAD_CHARACTERS.search(value) is not None:
        raise FormatError(f"{_REPORT}: {field} contains a control character")
    return value


def _optional(value: str | None, field: str, max_length: int = _MAX_TEXT) -> str | None:
    return None if value is None else _text(value, field, max_length)


def _number(value: str | None, field: str, maximum: int) -> int | None:
    if value is None:
        return None
    if _DIGITS.fullmatch(value.strip()) is None or int(value) > maximum:
        raise FormatError(
            f"{_REPORT}: {field}={value[:40]!r} is not a decimal number from 0 to {maximum}"
        )
    return int(value)


def _signature(
    element: ET.Element | None,
) -> tuple[tuple[CerParameter, ...], tuple[CerParameter, ...]]:
    parameters: dict[int, CerParameter] = {}
    secondary: list[CerParameter] = []
    for child in () if element is None else element:
        tag = _tag(child)
        if tag not in ("PARAMETER", "SECONDARYPARAMETER"):
            continue
        values = _attributes(child)
        name = _text(values.get("name", ""), f"{tag} name", WER_MAX_SIGNATURE_NAME_LENGTH)
        value = _text(values.get("value", ""), f"{tag} value", _MAX_VALUE)
        if tag == "SECONDARYPARAMETER":
            secondary.append(CerParameter(None, name, value))
            if len(secondary) > _MAX_SECONDARY:
                raise FormatError(f"{_REPORT}: more than {_MAX_SECONDARY} secondary parameters")
            continue
        number = _number(values.get("id"), "PARAMETER id", _MAX_PARAMETER_ID)
        if number is None or number in parameters:
            raise FormatError(f"{_REPORT}: a PARAMETER id is missing or repeated ({number})")
        parameters[number] = CerParameter(number, name, value)
        if len(parameters) > WER_MAX_PARAM_COUNT:
            raise FormatError(f"{_REPORT}: more than {WER_MAX_PARAM_COUNT} parameters")
    return tuple(parameters[i] for i in sorted(parameters)), tuple(secondary)


def _files(element: ET.Element | None) -> tuple[CerFile, ...]:
    files = []
    for child in () if element is None else element:
        if _tag(child) != "FILE":
            continue
        values = _attributes(child)
        name = _text(values.get("filename", ""), "FILE filename", _MAX_TEXT, 1)
        files.append(CerFile(_number(values.get("filetype"), "FILE filetype", _MAX_UINT32), name))
        if len(files) > _MAX_FILES:
            raise FormatError(f"{_REPORT}: more than {_MAX_FILES} files")
    return tuple(files)


def _element(parent: ET.Element, tag: str, attributes: Mapping[str, str | int | None]) -> None:
    ET.SubElement(
        parent, tag, {key: str(value) for key, value in attributes.items() if value is not None}
    )
