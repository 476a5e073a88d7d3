"""The Report.wer codec on hand-made variants: encodings, line ends, odd lines, editing, order."""

from __future__ import annotations

import codecs

import pytest

from openwer.errors import FormatError
from openwer.formats.report_wer import (
    SourceEncoding,
    WerDocument,
    WerEntry,
    canonical_rank,
    parse_report_wer,
    serialize_report_wer,
)

LINES = (
    "Version=1",
    "EventType=APPCRASH",
    "Sig[0].Name=Application Name",
    "Sig[0].Value=café.exe",
    "AppName=Café € Ünïcødé",
)
ENTRIES = (
    WerEntry("Version", "1"),
    WerEntry("EventType", "APPCRASH"),
    WerEntry("Sig[0].Name", "Application Name"),
    WerEntry("Sig[0].Value", "café.exe"),
    WerEntry("AppName", "Café € Ünïcødé"),
)

# A small document in WER's order with one or two members of every group.
ORDERED = WerDocument(
    (
        WerEntry("Version", "1"),
        WerEntry("EventType", "APPCRASH"),
        WerEntry("EventTime", "133211708571634483"),
        WerEntry("ReportType", "2"),
        WerEntry("Response.type", "4"),
        WerEntry("Sig[0].Name", "Application Name"),
        WerEntry("Sig[0].Value", "app.exe"),
        WerEntry("Sig[1].Name", "Application Version"),
        WerEntry("Sig[1].Value", "1.0.0.0"),
        WerEntry("Sig[2].Name", "Application Timestamp"),
        WerEntry("Sig[2].Value", "00000000"),
        WerEntry("DynamicSig[1].Name", "OS Version"),
        WerEntry("DynamicSig[1].Value", "10.0.19044.2.0.0.256.48"),
        WerEntry("DynamicSig[22].Name", "Additional Information 1"),
        WerEntry("DynamicSig[22].Value", "0000"),
        WerEntry("UI[2]", r"C:\app.exe"),
        WerEntry("LoadedModule[0]", r"C:\app.exe"),
        WerEntry("LoadedModule[1]", r"C:\Windows\SYSTEM32\ntdll.dll"),
        WerEntry("State[0].Key", "Transport.DoneStage1"),
        WerEntry("State[0].Value", "1"),
        WerEntry("OsInfo[0].Key", "vermaj"),
        WerEntry("OsInfo[0].Value", "10"),
        WerEntry("File[0].CabName", "minidump.mdmp"),
        WerEntry("File[0].Path", "WERE035.tmp.mdmp"),
        WerEntry("File[0].Type", "2"),
        WerEntry("FriendlyEventName", "Stopped working"),
        WerEntry("AppName", "app.exe"),
    )
)


def _keys(document: WerDocument) -> list[str]:
    return [entry.key for entry in document]


# --- encodings and line ends -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bom", "expected"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, SourceEncoding.UTF16LE_BOM),
        ("utf-16-le", b"", SourceEncoding.UTF16LE),
        ("utf-16-be", codecs.BOM_UTF16_BE, SourceEncoding.UTF16BE_BOM),
        ("utf-16-be", b"", SourceEncoding.UTF16BE),
        ("utf-8", codecs.BOM_UTF8, SourceEncoding.UTF8_BOM),
        ("utf-8", b"", SourceEncoding.UTF8),
        ("cp1252", b"", SourceEncoding.CP1252),
    ],
    ids=lambda value: value.name if isinstance(value, SourceEncoding) else None,
)
def test_every_encoding_reads_the_same_entries(
    codec: str, bom: bytes, expected: SourceEncoding
) -> None:
    """UTF-16LE/BE with or without a BOM, UTF-8 with or without one and cp1252 all read alike."""
    data = bom + "\r\n".join(LINES).encode(codec)
    document = parse_report_wer(data)
    assert document.entries == ENTRIES
    assert document.source_encoding is expected


def test_cp1252_undefined_bytes_read_as_replacement_characters() -> None:
    """cp1252's five undefined bytes do not fail the read; they become U+FFFD."""
    document = parse_report_wer(b"Version=1\r\nAppName=a\x81b\x8d\x8f\x90\x9dc\xe9")
    assert document.source_encoding is SourceEncoding.CP1252
    assert document.get("AppName") == "a\ufffdb\ufffd\ufffd\ufffd\ufffdcé"


def test_only_the_first_bom_is_stripped() -> None:
    """A second U+FEFF after the BOM is text and stays in the first key."""
    data = codecs.BOM_UTF16_LE + "\ufeffVersion=1".encode("utf-16-le")
    document = parse_report_wer(data)
    assert document.entries == (WerEntry("\ufeffVersion", "1"),)
    assert parse_report_wer(serialize_report_wer(document)).entries == document.entries


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
@pytest.mark.parametrize("trailing", [False, True], ids=["no-final-break", "final-break"])
def test_line_ends_are_recognised_and_remembered(newline: str, trailing: bool) -> None:
    """CRLF, LF and CR all end lines; the document records which, and any final line break."""
    text = newline.join(LINES) + (newline if trailing else "")
    document = parse_report_wer(text.encode("utf-8"))
    assert document.entries == ENTRIES
    assert document.newline == newline
    assert document.trailing_newline is trailing


def test_mixed_line_ends_each_end_a_line() -> None:
    """A file mixing CRLF, LF and CR splits at every one; CRLF wins as the recorded style."""
    document = parse_report_wer(b"A=1\r\nB=2\nC=3\rD=4\n\rE=5")
    assert _keys(document) == ["A", "B", "C", "D", "E"]
    assert document.newline == "\r\n"


def test_single_line_without_line_break() -> None:
    """A one-line file with no line break at all is a document of one entry."""
    document = parse_report_wer(b"Version=1")
    assert document.entries == (WerEntry("Version", "1"),)
    assert document.trailing_newline is False


def test_unicode_line_separators_stay_inside_values() -> None:
    """Only CR and LF end a line: U+2028, U+2029 and U+0085 are part of the value."""
    value = "a\u2028b\u2029c\u0085d"
    data = codecs.BOM_UTF16_LE + f"Version=1\r\nReportDescription={value}".encode("utf-16-le")
    document = parse_report_wer(data)
    assert document.get("ReportDescription") == value


# --- odd lines ---------------------------------------------------------------------------------


def test_key_without_equals_is_kept_with_no_value() -> None:
    """A line with no ``=`` is an entry whose value is None; get() falls back to the default."""
    document = parse_report_wer(b"Version=1\r\nHeapdumpAttached\r\nAppName=x")
    assert document.entries[1] == WerEntry("HeapdumpAttached", None)
    assert "HeapdumpAttached" in document
    assert document.get("HeapdumpAttached") is None
    assert document.get("HeapdumpAttached", "fallback") == "fallback"
    written = serialize_report_wer(document)
    assert written == codecs.BOM_UTF16_LE + "Version=1\r\nHeapdumpAttached\r\nAppName=x".encode(
        "utf-16-le"
    )


def test_empty_value_is_an_empty_string_not_missing() -> None:
    """``Key=`` has the value ``""``, which get() returns rather than the default."""
    document = parse_report_wer(b"Version=1\r\nOsInfo[30].Key=\r\nAppName=")
    assert document.get("AppName", "fallback") == ""
    assert document.get("OsInfo[30].Key") == ""
    assert document.entries[2] == WerEntry("AppName", "")


def test_value_containing_equals_is_split_at_the_first_only() -> None:
    """A value may contain ``=``; the line splits at its first ``=``."""
    document = parse_report_wer(b"State[1].Value=3.abc.meta={ibucket,1};x=y==\r\n=lead")
    assert document.get("State[1].Value") == "3.abc.meta={ibucket,1};x=y=="
    assert document.entries[1] == WerEntry("", "lead")


def test_blank_and_whitespace_lines_are_dropped_but_spacing_in_lines_is_kept() -> None:
    """Blank lines carry nothing; blanks around keys and values are kept verbatim."""
    document = parse_report_wer(b"\r\n  \r\nVersion=1\r\n\t\r\n  AppName  =  x y  \r\n\r\n")
    assert document.entries == (WerEntry("Version", "1"), WerEntry("  AppName  ", "  x y  "))
    assert document.get("appname") == "  x y  "
    assert document.entries[1].normalized_key == "appname"
    assert document.trailing_newline is True


def test_tab_in_a_value_is_allowed() -> None:
    """A tab is text, not binary: it reads and writes back."""
    document = WerDocument((WerEntry("ReportDescription", "a\tb"),))
    assert parse_report_wer(serialize_report_wer(document)).entries == document.entries


def test_sparse_indices_are_kept_in_place() -> None:
    """Gaps in Sig[n] and DynamicSig[n] indices are kept as written."""
    text = "\n".join(
        (
            "Version=1",
            "Sig[0].Value=a",
            "Sig[2].Value=c",
            "DynamicSig[1].Value=x",
            "DynamicSig[22].Value=y",
            "DynamicSig[28].Value=z",
        )
    )
    document = parse_report_wer(text.encode())
    assert document.get("Sig[1].Value") is None
    assert document.get("Sig[2].Value") == "c"
    assert document.get("DynamicSig[28].Value") == "z"
    assert WerDocument.from_pairs(
        (e.key, e.value or "") for e in reversed(document.entries)
    ).entries == (document.entries)


def test_duplicate_keys_first_wins_and_both_are_kept() -> None:
    """A key written twice (in any case) keeps both lines; get() returns the first."""
    document = parse_report_wer(b"Version=1\r\nAppName=first\r\nappname=second\r\nAPPNAME")
    assert len(document) == 4
    assert document.get("AppName") == "first"
    assert document.get("APPNAME") == "first"
    assert [value for _, value in document.items()] == ["1", "first", "second", None]
    assert parse_report_wer(serialize_report_wer(document)).entries == document.entries


def test_duplicate_key_whose_first_copy_has_no_value_reads_as_missing() -> None:
    """The first occurrence wins even when it has no ``=``."""
    document = parse_report_wer(b"Version=1\r\nAppName\r\nAppName=second")
    assert document.get("AppName", "default") == "default"


@pytest.mark.parametrize("key", ["eventtype", "EVENTTYPE", "EventType", "  eVeNtTyPe  "])
def test_get_is_case_insensitive_and_ignores_surrounding_blanks(key: str) -> None:
    """Lookups fold case and ignore blanks around the key."""
    document = parse_report_wer(b"Version=1\r\nEventType=APPCRASH")
    assert document.get(key) == "APPCRASH"
    assert key in document


def test_missing_key_and_non_string_membership() -> None:
    """An absent key gives the default; membership of a non-string is False."""
    assert ORDERED.get("NoSuchKey") is None
    assert ORDERED.get("NoSuchKey", "d") == "d"
    assert "NoSuchKey" not in ORDERED
    assert 1 not in ORDERED
    assert None not in ORDERED


def test_iteration_items_and_length_follow_file_order() -> None:
    """Iterating yields the entries in order; items() yields their key/value pairs."""
    assert list(ORDERED) == list(ORDERED.entries)
    assert list(ORDERED.items()) == [(e.key, e.value) for e in ORDERED.entries]
    assert len(ORDERED) == len(ORDERED.entries)


def test_document_is_immutable_and_compares_by_content() -> None:
    """Documents are frozen; equal entries and form make equal documents."""
    copy = WerDocument(ORDERED.entries)
    assert copy == ORDERED
    assert copy != WerDocument(ORDERED.entries, trailing_newline=True)
    with pytest.raises(AttributeError):
        ORDERED.entries = ()  # type: ignore[misc]


def test_default_document_is_windows_form() -> None:
    """A new document is UTF-16LE with a BOM, CRLF and no final line break."""
    document = WerDocument()
    assert document.source_encoding is SourceEncoding.UTF16LE_BOM
    assert document.newline == "\r\n"
    assert document.trailing_newline is False
    assert len(document) == 0


# --- serialize ---------------------------------------------------------------------------------


def test_serialize_writes_utf16le_bom_crlf_without_final_break() -> None:
    """Serialization is Windows' form: BOM, UTF-16LE, CRLF between lines, none at the end."""
    document = WerDocument((WerEntry("Version", "1"), WerEntry("AppName", "任务管理器")))
    expected = codecs.BOM_UTF16_LE + "Version=1\r\nAppName=任务管理器".encode("utf-16-le")
    assert serialize_report_wer(document) == expected


def test_serialize_keeps_a_final_line_break_the_source_had() -> None:
    """A document from a file that ended in a line break is written with a final CRLF."""
    document = parse_report_wer(b"Version=1\nAppName=x\n")
    expected = codecs.BOM_UTF16_LE + "Version=1\r\nAppName=x\r\n".encode("utf-16-le")
    assert serialize_report_wer(document) == expected


def test_serialize_empty_document_is_just_the_bom() -> None:
    """An empty document writes only the BOM, even when it asks for a final line break."""
    assert serialize_report_wer(WerDocument()) == codecs.BOM_UTF16_LE
    assert serialize_report_wer(WerDocument(trailing_newline=True)) == codecs.BOM_UTF16_LE


def test_serialize_writes_characters_outside_the_bmp_as_surrogate_pairs() -> None:
    """Astral characters are written as UTF-16 surrogate pairs and read back whole."""
    document = WerDocument((WerEntry("AppName", "crash 💥 𝔘"),))
    written = serialize_report_wer(document)
    assert written == codecs.BOM_UTF16_LE + "AppName=crash 💥 𝔘".encode("utf-16-le")
    assert parse_report_wer(written).entries == document.entries


@pytest.mark.parametrize(
    "value",
    ["two\nlines", "two\rlines", "two\r\nlines", "nul\x00", "bell\x07", "esc\x1b[0m", "\x1f"],
    ids=["lf", "cr", "crlf", "nul", "bell", "escape", "unit-separator"],
)
def test_serialize_rejects_values_that_would_break_the_file(value: str) -> None:
    """A value with a line break or control character cannot be written: FormatError."""
    document = WerDocument((WerEntry("Version", "1"), WerEntry("AppName", value)))
    with pytest.raises(FormatError, match="AppName contains a line break or control character"):
        serialize_report_wer(document)


@pytest.mark.parametrize(
    "entry",
    [
        WerEntry("App=Name", "x"),
        WerEntry("App=Name", None),
        WerEntry("App\nName", "x"),
        WerEntry("App\rName", None),
        WerEntry("App\x00Name", "x"),
    ],
    ids=["equals", "equals-no-value", "lf", "cr-no-value", "nul"],
)
def test_serialize_rejects_keys_that_would_not_read_back(entry: WerEntry) -> None:
    """A key with ``=``, a line break or a control character cannot be written: FormatError."""
    with pytest.raises(FormatError, match="invalid key"):
        serialize_report_wer(WerDocument((entry,)))


# --- canonical order ---------------------------------------------------------------------------


def test_canonical_rank_orders_header_groups_and_trailer() -> None:
    """Header scalars, then Sig…File by group and index, then the trailer scalars."""
    keys = [
        "Version",
        "EventType",
        "EtwNonCollectReason",
        "Response.BucketId",
        "Response.type",
        "Response.CabGuid",
        "Response.SomethingNew",
        "Sig[0]",
        "Sig[0].Name",
        "Sig[0].Value",
        "Sig[0].Extra",
        "Sig[2].Name",
        "Sig[10].Name",
        "DynamicSig[1].Name",
        "DynamicSig[28].Value",
        "UI[1]",
        "UI[1].Anything",
        "UI[6]",
        "LoadedModule[0]",
        "LoadedModule[127]",
        "State[0].Key",
        "State[0].Value",
        "OsInfo[0].Key",
        "OsInfo[38].Value",
        "File[0].CabName",
        "File[0].Path",
        "File[0].Flags",
        "File[0].Type",
        "File[0].Original.Path",
        "File[0].Unknown",
        "File[1].CabName",
        "FriendlyEventName",
        "ConsentKey",
        "AppName",
        "AppPath",
        "ReportDescription",
        "NsPartner",
        "NsGroup",
        "ApplicationIdentity",
        "MetadataHash",
    ]
    ranks = [canonical_rank(key) for key in keys]
    assert None not in ranks
    assert ranks == sorted(ranks, key=lambda rank: rank or (9, 0, 0, 0))
    assert len(set(ranks)) == len(ranks)


@pytest.mark.parametrize(
    ("key", "same_as"),
    [
        ("appname", "AppName"),
        ("  EVENTTIME ", "EventTime"),
        ("sig[3].value", "Sig[3].Value"),
        ("FILE[0].original.path", "File[0].Original.Path"),
        ("ui[1]", "UI[1]"),
        ("RESPONSE.BUCKETID", "Response.BucketId"),
    ],
)
def test_canonical_rank_ignores_case_and_blanks(key: str, same_as: str) -> None:
    """Ranks fold case and ignore surrounding blanks, as lookups do."""
    assert canonical_rank(key) == canonical_rank(same_as)


@pytest.mark.parametrize(
    "key",
    ["SpécialCharactér", "Custom", "Foo[1].Name", "Sig", "Sig[]", "Sig[x].Name", "Sig[1234567890]"],
)
def test_canonical_rank_is_none_for_keys_wer_does_not_order(key: str) -> None:
    """Unknown scalars, unknown groups and malformed indices have no rank."""
    assert canonical_rank(key) is None


def test_from_pairs_sorts_into_wer_order_and_is_stable_for_unknown_keys() -> None:
    """from_pairs sorts known keys; unknown ones keep their order right after the header."""
    pairs = [(e.key, e.value or "") for e in reversed(ORDERED.entries)]
    pairs[3:3] = [("Zeta", "1"), ("Alpha", "2")]
    document = WerDocument.from_pairs(pairs)
    keys = _keys(document)
    assert keys[: keys.index("Response.type") + 1] == _keys(ORDERED)[:5]
    assert keys[5:7] == ["Zeta", "Alpha"]
    assert [e for e in document if e.key not in ("Zeta", "Alpha")] == list(ORDERED.entries)


def test_from_pairs_later_duplicate_replaces_earlier() -> None:
    """With a key given twice (in any case), the later pair wins and only one entry remains."""
    document = WerDocument.from_pairs([("AppName", "a"), ("Version", "1"), ("appname", "b")])
    assert document.entries == (WerEntry("Version", "1"), WerEntry("appname", "b"))


# --- editing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "after"),
    [
        ("Consent", "ReportType"),
        ("ReportIdentifier", "ReportType"),
        ("Response.BucketId", "ReportType"),
        ("Response.CabId", "Response.type"),
        ("Response.Unheard", "Response.type"),
        ("CustomKey", "Response.type"),
        ("Sig[0].Extra", "Sig[0].Value"),
        ("Sig[3].Value", "Sig[2].Value"),
        ("Sig[3].Name", "Sig[2].Value"),
        ("DynamicSig[2].Name", "DynamicSig[1].Value"),
        ("DynamicSig[29].Value", "DynamicSig[22].Value"),
        ("UI[1]", "DynamicSig[22].Value"),
        ("UI[3]", "UI[2]"),
        ("LoadedModule[2]", "LoadedModule[1]"),
        ("State[1].Key", "State[0].Value"),
        ("OsInfo[1].Key", "OsInfo[0].Value"),
        ("File[0].Flags", "File[0].Path"),
        ("File[0].Original.Path", "File[0].Type"),
        ("File[1].CabName", "File[0].Type"),
        ("ConsentKey", "FriendlyEventName"),
        ("MetadataHash", "AppName"),
    ],
)
def test_with_values_inserts_a_new_key_where_wer_writes_it(key: str, after: str) -> None:
    """A new key lands right after the last entry WER orders before it, in every group."""
    document = ORDERED.with_values({key: "new"})
    keys = _keys(document)
    assert len(document) == len(ORDERED) + 1
    assert keys.index(key) == keys.index(after) + 1
    assert [k for k in keys if k != key] == _keys(ORDERED)


def test_with_values_puts_a_key_that_sorts_first_at_the_top() -> None:
    """A new key ranked before every entry (``Version``) is inserted at position 0."""
    document = ORDERED.with_values({"Version": None})
    assert document.entries[0].key == "EventType"
    assert document.with_values({"Version": "1"}) == ORDERED


def test_with_values_into_an_empty_document() -> None:
    """Keys added one by one to an empty document come out in WER's order."""
    document = WerDocument()
    for key in ("AppName", "Sig[1].Value", "Version", "Sig[0].Value", "Unknown", "EventType"):
        document = document.with_values({key: "v"})
    assert _keys(document) == [
        "Version",
        "EventType",
        "Unknown",
        "Sig[0].Value",
        "Sig[1].Value",
        "AppName",
    ]


def test_with_values_existing_key_keeps_place_and_spelling() -> None:
    """Updating a key (in any case) changes its value only, where and as it was written."""
    document = ORDERED.with_values({"appname": "other.exe", "SIG[1].VALUE": "2.0.0.0"})
    assert _keys(document) == _keys(ORDERED)
    assert document.get("AppName") == "other.exe"
    assert document.entries[8] == WerEntry("Sig[1].Value", "2.0.0.0")
    assert ORDERED.get("AppName") == "app.exe"  # the original is untouched


def test_with_values_updates_only_the_first_duplicate() -> None:
    """With a key written twice, an update changes the first copy and leaves the second."""
    document = parse_report_wer(b"Version=1\nAppName=a\nappname=b")
    updated = document.with_values({"APPNAME": "c"})
    assert updated.entries == (
        WerEntry("Version", "1"),
        WerEntry("AppName", "c"),
        WerEntry("appname", "b"),
    )


def test_with_values_none_removes_every_copy_of_a_key() -> None:
    """None removes a key, every duplicate of it; removing an absent key changes nothing."""
    document = parse_report_wer(b"Version=1\nAppName=a\nEventType=X\nappname=b\nAPPNAME")
    removed = document.with_values({"appName": None, "NoSuchKey": None})
    assert removed.entries == (WerEntry("Version", "1"), WerEntry("EventType", "X"))


def test_with_values_applies_updates_in_order_and_keeps_the_form() -> None:
    """Several updates apply in order; the result keeps encoding, newline and final break."""
    document = parse_report_wer(b"Version=1\nAppName=a\n")
    updated = document.with_values({"Sig[0].Value": "x", "sig[0].value": "y", "Version": None})
    assert updated.entries == (WerEntry("Sig[0].Value", "y"), WerEntry("AppName", "a"))
    assert updated.source_encoding is SourceEncoding.UTF8
    assert updated.newline == "\n"
    assert updated.trailing_newline is True


def test_with_values_ignores_unknown_keys_when_placing() -> None:
    """Entries WER does not order do not pull a new known key after them."""
    document = parse_report_wer("Version=1\nSig[0].Value=a\nневидимый=z".encode())
    updated = document.with_values({"EventType": "X", "Sig[1].Value": "b"})
    assert _keys(updated) == ["Version", "EventType", "Sig[0].Value", "Sig[1].Value", "невидимый"]


def test_without_prefix_removes_a_group_case_insensitively() -> None:
    """without_prefix drops every key starting with the prefix, in any case, and nothing else."""
    document = ORDERED.without_prefix("sig[")
    assert all(not key.startswith("Sig[") for key in _keys(document))
    assert "DynamicSig[1].Name" in document
    assert len(document) == len(ORDERED) - 6
    assert _keys(ORDERED.without_prefix("Response.")) == [
        k for k in _keys(ORDERED) if k != "Response.type"
    ]
    assert ORDERED.without_prefix("NoSuchPrefix") == ORDERED
    assert len(ORDERED.without_prefix("")) == 0


def test_without_prefix_keeps_the_form() -> None:
    """without_prefix keeps the source encoding, newline and final line break."""
    document = parse_report_wer(b"Version=1\nFile[0].Path=x\n")
    trimmed = document.without_prefix("File[")
    assert trimmed.entries == (WerEntry("Version", "1"),)
    assert (trimmed.source_encoding, trimmed.newline, trimmed.trailing_newline) == (
        SourceEncoding.UTF8,
        "\n",
        True,
    )
