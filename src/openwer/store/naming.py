"""Report folder names (the store keys) and the names allowed for keys and report files.

A report folder is named as WER names them (wer-spec.md §5.2)::

    <Kind>_<App>_<40-hex>_<8-hex>[_cab]_<report GUID>

* Kind comes from ``ReportType``: 0 NonCritical, 1 Critical, 2 AppCrash, 3 AppHang, 4 Kernel;
  anything else NonCritical.
* App is ``AppName``, else ``Sig[0].Value``, else the event type, cut to 16 characters as WER cuts
  long names, with characters that are unsafe in a file name (separators, NUL, controls, the
  characters Windows forbids) replaced by ``_`` so keys survive a copy to any file system.
* The 40-hex is the SHA-1 and the 8-hex the CRC32 of the event type and signature values, UTF-8
  and joined by ``0x1F`` (a control character no Report.wer value can hold, so the join is
  unambiguous).
* ``_cab`` marks a report that carries files.
* The report GUID is ``ReportIdentifier`` when it is a GUID, else a new uuid4.

Pure; thread-safe.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib
from collections.abc import Callable

from openwer.errors import InvalidArgumentError
from openwer.formats.report_manifest import ReportManifest, parse_int
from openwer.formats.report_wer import WerDocument

__all__ = [
    "APP_LABEL_LENGTH",
    "MAX_NAME_BYTES",
    "REPORT_WER_NAME",
    "name_report_folder",
    "report_id_from_key",
    "validate_file_name",
    "validate_key",
]

REPORT_WER_NAME = "Report.wer"
APP_LABEL_LENGTH = 16
# NAME_MAX is 255 bytes; the store prefixes keys in its Temp area, so leave room for that.
MAX_NAME_BYTES = 200

_KINDS = {0: "NonCritical", 1: "Critical", 2: "AppCrash", 3: "AppHang", 4: "Kernel"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\ud800-\udfff]')
_KEY_ID = re.compile(r"_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def name_report_folder(
    document: WerDocument,
    *,
    has_files: bool,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> tuple[str, WerDocument]:
    """Return the folder name (store key) of a report and its document.

    The document comes back unchanged when its ``ReportIdentifier`` is a GUID; otherwise with
    ``ReportIdentifier`` set to the new GUID that the name carries, so key and document agree.
    """
    manifest = ReportManifest.from_document(document)
    report_id = manifest.report_uuid
    if report_id is None:
        report_id = new_id()
        document = document.with_values({"ReportIdentifier": str(report_id)})
    event_type = manifest.event_type or ""
    kind = _KINDS.get(parse_int(manifest.report_type_raw) or 0, "NonCritical")
    signature = "\x1f".join((event_type, *manifest.signature_values)).encode(
        "utf-8", "surrogatepass"
    )
    sha1 = hashlib.sha1(signature, usedforsecurity=False).hexdigest()
    crc = zlib.crc32(signature)
    app = _app_label(manifest, event_type)
    cab = "_cab" if has_files else ""
    return f"{kind}_{app}_{sha1}_{crc:08x}{cab}_{report_id}", document


def _app_label(manifest: ReportManifest, event_type: str) -> str:
    first_value = manifest.signature[0].value if manifest.signature else None
    for candidate in (manifest.app_name, first_value, event_type):
        if candidate and candidate.strip():
            return _UNSAFE.sub("_", candidate.strip()[:APP_LABEL_LENGTH])
    return "Unknown"


def report_id_from_key(key: str) -> uuid.UUID | None:
    """Return the report GUID at the end of a key, or None for a folder not named by a store."""
    match = _KEY_ID.search(key)
    return None if match is None else uuid.UUID(match.group(1))


def validate_key(key: str) -> str:
    """Return ``key`` if it can name a report folder; raise otherwise.

    Raises:
        InvalidArgumentError: empty, ``.`` or ``..``, containing ``/``, ``\\``, NUL or another
            control character, or longer than :data:`MAX_NAME_BYTES` bytes.
    """
    _check_name(key, "report key")
    return key


def validate_file_name(name: str) -> str:
    """Return ``name`` if it can name a file inside a report folder; raise otherwise.

    Raises:
        InvalidArgumentError: as :func:`validate_key`, or ``name`` is ``Report.wer`` (any case),
            which the store writes itself.
    """
    _check_name(name, "report file name")
    if name.casefold() == REPORT_WER_NAME.casefold():
        raise InvalidArgumentError(f"{REPORT_WER_NAME} is written by the store, not a report file")
    return name


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"{what} must be a non-empty string")
    if name in (".", "..") or re.search(r"[\x00-\x1f\x7f/\\]", name):
        raise InvalidArgumentError(f"{what} {name!r} is not a plain file name")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"{what} {name!r} is not valid Unicode") from None
    if size > MAX_NAME_BYTES:
        raise InvalidArgumentError(f"{what} is {size} bytes long; at most {MAX_NAME_BYTES}")
