"""Property tests of the MS-CER2 codecs: total on any bytes, lossless on every valid message."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.errors import FormatError
from openwer.formats.mscer2_report import (
    CerFile,
    CerParameter,
    CerReport,
    parse_level1_report,
    serialize_level1_report,
)
from openwer.formats.mscer2_response import (
    CerResponse,
    parse_level1_response,
    serialize_level1_response,
)

# No example database: failing examples are not replayed from .hypothesis/ between runs.
PROPERTY = settings(max_examples=300, database=None, deadline=None)

# Characters XML 1.0 can carry and the codec keeps: printable text and tab.
_xml_chars = st.characters(exclude_categories=("Cc", "Cs", "Co"), exclude_characters="\ufffe\uffff")
_text = st.text(_xml_chars | st.just("\t"), max_size=40)
_numbers = st.none() | st.integers(0, 2**31 - 1)
_parameters = st.lists(
    st.builds(CerParameter, st.integers(0, 63), _text, _text), max_size=10, unique_by=lambda p: p.id
).map(lambda items: tuple(sorted(items, key=lambda p: p.id or 0)))
_reports = st.builds(
    CerReport,
    event_type=st.text(_xml_chars, min_size=1, max_size=64),
    report_type=_numbers,
    event_time=st.none() | st.integers(0, 2**63 - 1),
    friendly_event_name=st.none() | _text,
    machine_name=st.none() | _text,
    os_version=st.none() | _text,
    lcid=_numbers,
    user_name=st.none() | _text,
    app_name=st.none() | _text,
    app_path=st.none() | _text,
    app_company=st.none() | _text,
    parameters=_parameters,
    secondary_parameters=st.lists(st.builds(CerParameter, st.none(), _text, _text), max_size=5).map(
        tuple
    ),
    files=st.lists(st.builds(CerFile, _numbers, _text.filter(bool)), max_size=4).map(tuple),
)

_cp1252 = st.characters(codec="cp1252", exclude_categories=("Cc", "Cs"))
_item = st.text(_cp1252, min_size=1, max_size=20).map(str.strip).filter(bool)
_items = st.lists(_item.filter(lambda item: ";" not in item), max_size=3).map(tuple)
_flags = st.none() | st.booleans()
_responses = st.builds(
    CerResponse,
    response=st.none() | st.just("1") | _item.map(lambda tail: "https://x/" + tail.strip()),
    bucket=_numbers,
    bucket_table=_numbers,
    additional_data=_flags,
    memory_dump=_flags,
    reg_keys=_items,
    user_document=_flags,
    wql=_items,
    get_files=_items,
    get_file_versions=_items,
    dump_file=st.none() | _item.map(lambda tail: "\\cabs\\" + tail),
    reg_trees=_items,
)


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_report_or_a_format_error(data: bytes) -> None:
    """Arbitrary bytes never raise anything but FormatError."""
    with contextlib.suppress(FormatError):
        parse_level1_report(data)


@PROPERTY
@given(st.text(max_size=300), st.sampled_from(["utf-8", "utf-16", "utf-16-be", "cp1252"]))
def test_any_text_inside_a_report_gives_a_report_or_a_format_error(text: str, codec: str) -> None:
    """Arbitrary text placed in attributes and elements never raises anything but FormatError."""
    document = (
        f'<?xml version="1.0"?><WERREPORT><EVENTINFO eventtype="{text}" reporttype="{text}"/>'
        f'<SIGNATURE><PARAMETER id="{text}" name="{text}" value="{text}"/>{text}</SIGNATURE>'
        f"</WERREPORT>"
    )
    try:
        data = document.encode(codec, errors="surrogatepass")
    except UnicodeEncodeError:
        return
    with contextlib.suppress(FormatError):
        parse_level1_report(data)


@PROPERTY
@given(_reports)
def test_report_round_trip(report: CerReport) -> None:
    """Every valid report survives serialize → parse unchanged."""
    assert parse_level1_report(serialize_level1_report(report)) == report


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_response_or_a_format_error(data: bytes) -> None:
    """Arbitrary bytes never raise anything but FormatError from the answer parser."""
    with contextlib.suppress(FormatError):
        parse_level1_response(data)


@PROPERTY
@given(_responses)
def test_response_round_trip(response: CerResponse) -> None:
    """Every valid answer survives serialize → parse unchanged."""
    assert parse_level1_response(serialize_level1_response(response)) == response
