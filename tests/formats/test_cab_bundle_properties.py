"""Property tests of the bundle codec: total on any bytes, lossless on every valid bundle."""

from __future__ import annotations

import codecs
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.errors import FormatError
from openwer.formats.cab_bundle import (
    BundleFile,
    BundleLimits,
    build_bundle,
    check_member_name,
    read_bundle,
    read_cab,
)

# No example database: failing examples are not replayed from .hypothesis/ between runs.
PROPERTY = settings(max_examples=200, database=None, deadline=None)
SMALL = BundleLimits(max_total_bytes=1 << 20, ratio_floor=4096, max_members=50)

REPORT_WER = codecs.BOM_UTF16_LE + "Version=1\r\nEventType=APPCRASH".encode("utf-16-le")
_names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters='/\\:*?"<>|'),
    min_size=1,
    max_size=40,
).filter(lambda name: name.strip(" .") == name and name.casefold() != "report.wer")
_data = st.binary(max_size=3000) | st.builds(bytes, st.integers(0, 70_000))


def _valid_name(name: str) -> bool:
    try:
        check_member_name(name)
    except FormatError:
        return False
    return True


_members = st.lists(
    st.tuples(_names.filter(_valid_name), _data),
    max_size=6,
    unique_by=lambda member: member[0].casefold(),
)
SEED = build_bundle(REPORT_WER, [("a.txt", b"hello " * 40), ("b.bin", bytes(range(256)))])
SEED_STORED = build_bundle(REPORT_WER, [("a.txt", b"hello " * 40)], compress=False)


@PROPERTY
@given(_members, st.booleans())
def test_round_trip(members: list[tuple[str, bytes]], compress: bool) -> None:
    """Any safe set of members survives build → read unchanged and in order."""
    bundle = read_bundle(build_bundle(REPORT_WER, members, compress=compress))
    assert bundle.files == tuple(BundleFile(name, data) for name, data in members)
    assert bundle.report_wer_bytes == REPORT_WER


@PROPERTY
@given(st.binary(max_size=4096))
def test_any_bytes_give_a_cabinet_or_a_format_error(data: bytes) -> None:
    """Arbitrary bytes never raise anything but FormatError."""
    with contextlib.suppress(FormatError):
        read_cab(data, limits=SMALL)


@PROPERTY
@given(st.binary(min_size=1, max_size=400))
def test_any_tail_after_a_cabinet_header(tail: bytes) -> None:
    """A real header followed by arbitrary bytes gives a cabinet or FormatError."""
    with contextlib.suppress(FormatError):
        read_bundle(SEED[:36] + tail, limits=SMALL)


@PROPERTY
@given(
    st.sampled_from([SEED, SEED_STORED]),
    st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=8),
)
def test_corrupted_bundles_give_a_bundle_or_a_format_error(
    seed: bytes, changes: list[tuple[int, int]]
) -> None:
    """Overwriting bytes anywhere in a real bundle never raises anything but FormatError."""
    data = bytearray(seed)
    for position, value in changes:
        data[position % len(data)] = value
    with contextlib.suppress(FormatError):
        read_bundle(bytes(data), limits=SMALL)


@PROPERTY
@given(st.text(max_size=300))
def test_member_names_are_either_refused_or_plain(name: str) -> None:
    """A name check passes only for one plain path component that round-trips through UTF-8."""
    try:
        check_member_name(name)
    except FormatError:
        return
    assert not set(name) & set('/\\:*?"<>|\x00')
    assert name not in (".", "..")
    assert 0 < len(name.encode()) <= 254
