"""Property tests of the Report.wer codec: total on bytes, lossless on every writable document."""

from __future__ import annotations

import codecs

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from openwer.errors import FormatError
from openwer.formats.report_wer import (
    WerDocument,
    WerEntry,
    canonical_rank,
    parse_report_wer,
    serialize_report_wer,
)

# No example database: failing examples are not replayed from .hypothesis/ between runs.
PROPERTY = settings(max_examples=400, database=None, deadline=None)

_ENCODINGS = (
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-8", b""),
)

# Printable text: no control characters (Cc: C0, DEL, C1) and no lone surrogates (Cs).
_printable = st.characters(exclude_categories=("Cc", "Cs"))
_key_chars = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="=")
_keys = st.text(_key_chars, min_size=1, max_size=30).filter(lambda key: key.strip() != "")
_values = st.text(_printable, max_size=60)
_wer_keys = st.sampled_from(
    [
        "Version",
        "EventType",
        "Response.BucketId",
        "Sig[0].Name",
        "Sig[3].Value",
        "DynamicSig[22].Value",
        "ui[1]",
        "LoadedModule[7]",
        "File[0].Original.Path",
        "MetadataHash",
    ]
)
_entries = st.lists(
    st.builds(WerEntry, st.one_of(_keys, _wer_keys), st.one_of(st.none(), _values)),
    max_size=25,
)
_documents = st.builds(
    lambda first, rest, trailing: WerDocument((first, *rest), trailing_newline=trailing),
    st.builds(WerEntry, st.one_of(_keys, _wer_keys), _values),
    _entries,
    st.booleans(),
)

# Bytes that are often nearly a Report.wer, so the success path is explored too.
_text_lines = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda k, v: f"{k}={v}", st.one_of(_keys, _wer_keys), st.text(max_size=40)),
    ),
    max_size=12,
)
_near_text = st.builds(
    lambda lines, newline: newline.join(lines),
    _text_lines,
    st.sampled_from(["\r\n", "\n", "\r"]),
)
_arbitrary_bytes = st.one_of(
    st.binary(max_size=600),
    _near_text.map(lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")),
    _near_text.map(lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be", "surrogatepass")),
    _near_text.map(lambda text: text.encode("utf-16-le", "surrogatepass")),
    _near_text.map(lambda text: text.encode("utf-8", "surrogatepass")),
    _near_text.map(lambda text: text.encode("cp1252", "replace")),
)


def _parse_or_error(data: bytes) -> WerDocument | FormatError:
    try:
        return parse_report_wer(data)
    except FormatError as exc:
        return exc


def _round_trips(document: WerDocument) -> None:
    written = serialize_report_wer(document)
    again = parse_report_wer(written)
    assert again.entries == document.entries
    assert again.trailing_newline is document.trailing_newline
    assert serialize_report_wer(again) == written


@PROPERTY
@given(_arbitrary_bytes)
@example(b"\xff\xfe")
@example(b"\xfe\xff\x00")
@example(b"a=")
@example(codecs.BOM_UTF8 + b"\xff")
def test_parse_is_total_and_what_it_reads_round_trips(data: bytes) -> None:
    """Any bytes either read as a document or raise FormatError; a document read round-trips."""
    result = _parse_or_error(data)
    if isinstance(result, FormatError):
        assert str(result).startswith("Report.wer: ")
        return
    assert len(result) >= 1
    _round_trips(result)


@PROPERTY
@given(_documents)
def test_printable_documents_round_trip(document: WerDocument) -> None:
    """Documents of printable keys (no ``=``) and values survive serialize → parse unchanged."""
    _round_trips(document)


@PROPERTY
@given(_documents, st.sampled_from(_ENCODINGS), st.sampled_from(["\r\n", "\n", "\r"]))
def test_printable_documents_read_alike_in_every_encoding(
    document: WerDocument, encoding: tuple[str, bytes], newline: str
) -> None:
    """The same lines read as the same entries in UTF-16LE/BE and UTF-8, whatever the line end."""
    codec, bom = encoding
    first_key = document.entries[0].key
    assume(bom or not first_key.startswith("\ufeff"))  # a leading U+FEFF *is* a BOM
    lines = [key if value is None else f"{key}={value}" for key, value in document.items()]
    text = newline.join(lines) + (newline if document.trailing_newline else "")
    parsed = parse_report_wer(bom + text.encode(codec))
    assert parsed.entries == document.entries
    assert parsed.trailing_newline is document.trailing_newline


@PROPERTY
@given(st.lists(st.tuples(st.one_of(_keys, _wer_keys), _values), min_size=1, max_size=25))
def test_from_pairs_is_sorted_and_keeps_one_entry_per_key(pairs: list[tuple[str, str]]) -> None:
    """from_pairs yields one entry per key (case-insensitive), in non-decreasing WER rank."""
    document = WerDocument.from_pairs(pairs)
    assert len(document) == len({key.strip().lower() for key, _ in pairs})
    unknown = (0, 29, 2, 0)
    ranks = [canonical_rank(entry.key) or unknown for entry in document]
    assert ranks == sorted(ranks)
    for key, _ in pairs:
        last = [value for k, value in pairs if k.strip().lower() == key.strip().lower()][-1]
        assert document.get(key) == last


@PROPERTY
@given(_documents, st.one_of(_keys, _wer_keys), _values)
def test_with_values_sets_then_removes(document: WerDocument, key: str, value: str) -> None:
    """After with_values the key reads back the new value; None then removes every copy."""
    updated = document.with_values({key: value})
    assert updated.get(key) == value
    removed = updated.with_values({key: None})
    assert key not in removed
    assert [e for e in document if e.normalized_key != key.strip().lower()] == list(removed)
