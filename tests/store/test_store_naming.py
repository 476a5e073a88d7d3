"""Report folder names (store keys), key and file-name validation, and store locations."""

from __future__ import annotations

import hashlib
import uuid
import zlib

import pytest
from store_report_factory import make_document

from openwer.errors import InvalidArgumentError
from openwer.store import StoreArea, StoreScope, store_location, store_type
from openwer.store.naming import (
    MAX_NAME_BYTES,
    name_report_folder,
    report_id_from_key,
    validate_file_name,
    validate_key,
)
from openwer.types import StoreType


@pytest.mark.parametrize(
    ("report_type", "kind"),
    [
        (0, "NonCritical"),
        (1, "Critical"),
        (2, "AppCrash"),
        (3, "AppHang"),
        (4, "Kernel"),
        (5, "NonCritical"),
        (None, "NonCritical"),
        (99, "NonCritical"),
    ],
)
def test_kind_comes_from_report_type(report_type: int | None, kind: str) -> None:
    """ReportType 0–4 name the kind; anything else is NonCritical."""
    key, _ = name_report_folder(make_document(report_type=report_type), has_files=False)
    assert key.split("_")[0] == kind


def test_hashes_cover_event_type_and_signature_values() -> None:
    """The 40-hex is SHA-1 and the 8-hex CRC32 of the event type and values."""
    values = ("a", "b", "c")
    key, _ = name_report_folder(
        make_document(values=values, report_id=uuid.UUID(int=5)), has_files=True
    )
    joined = "\x1f".join(("APPCRASH", *values)).encode()
    assert key == (
        f"AppCrash_demo.py_{hashlib.sha1(joined).hexdigest()}_{zlib.crc32(joined):08x}"
        f"_cab_{uuid.UUID(int=5)}"
    )


@pytest.mark.parametrize(
    ("app", "values", "label"),
    [
        ("GigPerformer5.exe", ("x",), "GigPerformer5.ex"),
        (None, ("python3.11",), "python3.11"),
        (None, (), "APPCRASH"),
        ("   ", ("  ",), "APPCRASH"),
        ("../../etc/passwd/x", (), ".._.._etc_passwd"),
        ('a\\b:c*d?e"f<g>h|', (), "a_b_c_d_e_f_g_h_"),
        ("tab\there\x00\x7f", (), "tab_here__"),
        ("Physical Disk", (), "Physical Disk"),
    ],
)
def test_app_label_is_truncated_and_safe(
    app: str | None, values: tuple[str, ...], label: str
) -> None:
    """App is AppName, else Sig[0], else the event type, cut to 16 and made file-name safe."""
    key, _ = name_report_folder(make_document(app=app, values=values), has_files=False)
    assert key.split("_", 1)[1].startswith(label + "_")
    validate_key(key)
    assert "/" not in key


def test_app_label_of_an_empty_document() -> None:
    """Without any name at all the label is Unknown."""
    key, _ = name_report_folder(make_document(event_type="", app=None, values=()), has_files=False)
    assert key.startswith("AppCrash_Unknown_")


def test_lone_surrogates_cannot_reach_a_file_name() -> None:
    """A lone surrogate (undecodable text) in the app name is replaced."""
    key, _ = name_report_folder(make_document(app="bad\udcffname"), has_files=False)
    key.encode("utf-8")
    assert "bad_name" in key


def test_report_id_is_kept_or_created() -> None:
    """A GUID ReportIdentifier is used (braces and case normalized); others are replaced."""
    braced = "{0E1A6C5B-1D43-4F58-9E5B-2A1D3C4B5A69}"
    key, document = name_report_folder(make_document(report_id=braced), has_files=False)
    assert key.endswith("_0e1a6c5b-1d43-4f58-9e5b-2a1d3c4b5a69")
    assert document.get("ReportIdentifier") == braced
    fixed = uuid.UUID(int=42)
    key, document = name_report_folder(
        make_document(report_id="WER-123"), has_files=False, new_id=lambda: fixed
    )
    assert key.endswith(str(fixed))
    assert document.get("ReportIdentifier") == str(fixed)
    assert report_id_from_key(key) == fixed
    assert report_id_from_key("Critical_Physical Disk_abc_00000000_02d10a3f") is None


def test_generated_keys_fit_every_file_system() -> None:
    """Even the longest label keeps a key well under NAME_MAX with room for Temp prefixes."""
    key, _ = name_report_folder(make_document(app="字" * 40, report_type=0), has_files=True)
    assert len(key.encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize(
    "bad", ["", ".", "..", "a/b", "a\\b", "a\0b", "x\n", "\x7f", "é" * 101, "bad\udcff"]
)
def test_invalid_keys_and_file_names(bad: str) -> None:
    """Names that could escape a folder, or are too long, are invalid arguments."""
    with pytest.raises(InvalidArgumentError):
        validate_key(bad)
    with pytest.raises(InvalidArgumentError):
        validate_file_name(bad)


def test_non_string_key_is_invalid() -> None:
    """A key that is not a string at all is an invalid argument, not a crash."""
    with pytest.raises(InvalidArgumentError):
        validate_key(None)  # type: ignore[arg-type]


def test_report_wer_is_reserved() -> None:
    """No report file may be called Report.wer, in any case."""
    assert validate_file_name("WERA1B2.tmp.mdmp") == "WERA1B2.tmp.mdmp"
    for name in ("Report.wer", "REPORT.WER"):
        with pytest.raises(InvalidArgumentError, match="written by the store"):
            validate_file_name(name)


def test_store_types_map_both_ways() -> None:
    """REPORT_STORE_TYPES values map to scope and area and back; INVALID is refused."""
    for kind in (
        StoreType.USER_ARCHIVE,
        StoreType.USER_QUEUE,
        StoreType.MACHINE_ARCHIVE,
        StoreType.MACHINE_QUEUE,
    ):
        assert store_type(*store_location(kind)) is kind
    assert store_location(StoreType.USER_QUEUE) == (StoreScope.USER, StoreArea.QUEUE)
    assert StoreArea.QUEUE.folder_name == "ReportQueue"
    assert StoreArea.ARCHIVE.folder_name == "ReportArchive"
    with pytest.raises(InvalidArgumentError):
        store_location(StoreType.INVALID)
