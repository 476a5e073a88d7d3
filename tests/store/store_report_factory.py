"""Sample Report.wer documents and reports for the store tests (built in code, deterministic)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from openwer.formats.filetime import datetime_to_filetime
from openwer.formats.report_wer import WerDocument
from openwer.store import NewReport, StagedFile

__all__ = ["BASE_TIME", "content_for", "make_document", "make_report"]

BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def content_for(seed: str, size: int) -> bytes:
    """Return ``size`` bytes derived from ``seed`` (so a reader can check what it got)."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def make_document(
    *,
    event_type: str = "APPCRASH",
    report_type: int | None = 2,
    app: str | None = "demo.py",
    values: tuple[str, ...] = ("python3.11", "3.11.7", "0", "libc.so.6", "2.36", "0", "c0000005"),
    report_id: uuid.UUID | str | None = None,
    event_time: datetime | None = BASE_TIME,
    files: tuple[str, ...] = (),
    extra: tuple[tuple[str, str], ...] = (),
) -> WerDocument:
    """Return a realistic APPCRASH-like document (about 1–2 KB as UTF-16)."""
    pairs: list[tuple[str, str]] = [("Version", "1"), ("EventType", event_type)]
    if event_time is not None:
        pairs.append(("EventTime", str(datetime_to_filetime(event_time))))
    if report_type is not None:
        pairs.append(("ReportType", str(report_type)))
    pairs.append(("Consent", "1"))
    if report_id is not None:
        pairs.append(("ReportIdentifier", str(report_id)))
    names = ("Application Name", "Application Version", "Application Timestamp", "Fault Module")
    for index, value in enumerate(values):
        name = names[index] if index < len(names) else f"Parameter {index}"
        pairs += [(f"Sig[{index}].Name", name), (f"Sig[{index}].Value", value)]
    pairs += [
        ("DynamicSig[1].Name", "OS Version"),
        ("DynamicSig[1].Value", "6.1.0-18-amd64"),
        ("DynamicSig[2].Name", "Locale ID"),
        ("DynamicSig[2].Value", "1033"),
        ("UI[2]", "/usr/bin/python3.11"),
        ("LoadedModule[0]", "/usr/bin/python3.11"),
        ("LoadedModule[1]", "/lib/x86_64-linux-gnu/libc.so.6"),
    ]
    for index, name in enumerate(files):
        pairs += [
            (f"File[{index}].CabName", name),
            (f"File[{index}].Path", name),
            (f"File[{index}].Flags", "0"),
            (f"File[{index}].Type", "2"),
        ]
    pairs.append(("FriendlyEventName", "Stopped working"))
    pairs.append(("ConsentKey", event_type))
    if app is not None:
        pairs.append(("AppName", app))
    pairs.append(("AppPath", "/usr/bin/python3.11"))
    pairs.extend(extra)
    return WerDocument.from_pairs(pairs)


def make_report(
    index: int = 0,
    *,
    files: dict[str, bytes] | None = None,
    age: timedelta = timedelta(0),
    app: str | None = "demo.py",
    event_time: datetime | None = None,
) -> NewReport:
    """Return a report whose EventTime is ``BASE_TIME + index minutes - age`` and its files."""
    staged = files or {}
    moment = event_time or (BASE_TIME + timedelta(minutes=index) - age)
    document = make_document(
        app=app,
        report_id=uuid.UUID(int=index + 1),
        event_time=moment,
        files=tuple(staged),
        values=("python3.11", "3.11.7", str(index)),
    )
    return NewReport(document, tuple(StagedFile(name, data) for name, data in staged.items()))
