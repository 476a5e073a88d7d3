"""Turning a report's content into its Report.wer document, in WER's keys and order."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openwer.formats.filetime import datetime_to_filetime
from openwer.formats.report_wer import WerDocument
from openwer.platform.system_info import OsFacts
from openwer.report.report import ReportContent, ReportFile
from openwer.types import ReportType

__all__ = ["ProcessFacts", "build_document", "default_application_path"]

_FATAL_TYPES = frozenset(
    {ReportType.CRITICAL, ReportType.APPLICATION_CRASH, ReportType.APPLICATION_HANG}
)


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    """Facts about the reporting process written into the report."""

    application_path: str
    process_id: int
    os: OsFacts


def default_application_path() -> str:
    """The program being run: the script for ``python script.py``, else the interpreter."""
    main = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    return os.path.abspath(main) if main else sys.executable


def build_document(
    content: ReportContent,
    *,
    event_time: datetime,
    consent: int,
    facts: ProcessFacts,
    files: Sequence[ReportFile],
) -> WerDocument:
    """Return the Report.wer of ``content`` with WER's keys, defaults and order.

    Defaults follow ``WER_REPORT_INFORMATION``: consent key and friendly name fall back to the
    event type; the application name to the base name of the application path.
    """
    info = content.information
    app_path = info.application_path or facts.application_path
    app_name = info.application_name or Path(app_path).name or content.event_type
    pairs: list[tuple[str, str]] = [
        ("Version", "1"),
        ("EventType", content.event_type),
        ("EventTime", str(datetime_to_filetime(event_time))),
        ("ReportType", str(content.report_type)),
        ("Consent", str(consent)),
        ("ReportIdentifier", str(content.report_id)),
        ("NsAppName", app_name),
        ("TargetProcessId", str(info.process_id or facts.process_id)),
    ]
    if content.report_type in _FATAL_TYPES:
        pairs.append(("IsFatal", "1"))
    for parameter in content.parameters:
        pairs.append((f"Sig[{parameter.index}].Name", parameter.name))
        pairs.append((f"Sig[{parameter.index}].Value", parameter.value))
    dynamic = {index: (name, value) for index, name, value in content.dynamic_signature}
    dynamic.setdefault(1, ("OS Version", facts.os.os_version))
    locale_value = str(facts.os.lcid) if facts.os.lcid is not None else facts.os.locale_name
    dynamic.setdefault(2, ("Locale ID", locale_value))
    for index in sorted(dynamic):
        name, value = dynamic[index]
        pairs.append((f"DynamicSig[{index}].Name", name))
        pairs.append((f"DynamicSig[{index}].Value", value))
    ui = dict(content.ui)
    ui.setdefault(2, app_path)  # WER stores the icon path: the application path
    for index in sorted(ui):
        pairs.append((f"UI[{index}]", ui[index]))
    for index, (key, value) in enumerate(_os_info(facts.os)):
        pairs.append((f"OsInfo[{index}].Key", key))
        pairs.append((f"OsInfo[{index}].Value", value))
    for index, attached in enumerate(files):
        pairs.append((f"File[{index}].CabName", attached.name))
        pairs.append((f"File[{index}].Path", attached.name))
        pairs.append((f"File[{index}].Flags", str(int(attached.flags))))
        pairs.append((f"File[{index}].Type", str(int(attached.file_type))))
        if attached.source is not None:
            pairs.append((f"File[{index}].Original.Path", str(attached.source)))
    pairs.extend(
        [
            ("FriendlyEventName", info.friendly_event_name or content.event_type),
            ("ConsentKey", info.consent_key or content.event_type),
            ("AppName", app_name),
            ("AppPath", app_path),
        ]
    )
    if info.description:
        pairs.append(("ReportDescription", info.description))
    if info.namespace_partner:
        pairs.append(("NsPartner", info.namespace_partner))
    if info.namespace_group:
        pairs.append(("NsGroup", info.namespace_group))
    if info.application_identity is not None:
        pairs.append(("ApplicationIdentity", info.application_identity.hex().upper()))
    pairs.extend(content.extra)
    return WerDocument.from_pairs(pairs)


def _os_info(os_facts: OsFacts) -> list[tuple[str, str]]:
    release = os_facts.release.split("-", 1)[0].split(".")
    numbers = [part if part.isdigit() else "0" for part in ([*release, "0", "0", "0"])[:3]]
    info = [
        ("vermaj", numbers[0]),
        ("vermin", numbers[1]),
        ("verbld", numbers[2]),
        ("osver", f"{os_facts.system} {os_facts.release} {os_facts.version}".strip()),
    ]
    if os_facts.arch_id is not None:
        info.append(("arch", str(os_facts.arch_id)))
    if os_facts.lcid is not None:
        info.append(("lcid", str(os_facts.lcid)))
    if os_facts.distribution:
        info.append(("edition", os_facts.distribution))
    return info
