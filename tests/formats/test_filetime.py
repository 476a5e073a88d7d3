"""FILETIME: 100-nanosecond ticks since 1601-01-01 UTC, to and from aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openwer.formats.filetime import FILETIME_EPOCH, datetime_to_filetime, filetime_to_datetime

LAST_DATETIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
LAST_FILETIME = 2650467743999999999  # the last tick that still falls in year 9999
UNIX_EPOCH_FILETIME = 116444736000000000

EXAMPLES = [
    # wer-spec.md §5.3: "133211708571634483 = 2023-02-18 05:14:17 UTC".
    (133211708571634483, datetime(2023, 2, 18, 5, 14, 17, 163448, tzinfo=UTC)),
    # corpus/MANIFEST.md: the EventTime of each real Report.wer.
    (133496477153022430, datetime(2024, 1, 13, 19, 28, 35, 302243, tzinfo=UTC)),
    (133915908992113755, datetime(2025, 5, 13, 6, 21, 39, 211375, tzinfo=UTC)),
    (133507243830375858, datetime(2024, 1, 26, 6, 33, 3, 37585, tzinfo=UTC)),
    (132820691890207334, datetime(2021, 11, 22, 15, 39, 49, 20733, tzinfo=UTC)),
    (133093548000000000, datetime(2022, 10, 4, 11, 0, 0, tzinfo=UTC)),
    (UNIX_EPOCH_FILETIME, datetime(1970, 1, 1, tzinfo=UTC)),
    (0, datetime(1601, 1, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize(("filetime", "moment"), EXAMPLES)
def test_known_filetimes(filetime: int, moment: datetime) -> None:
    """The spec's and the corpus' FILETIMEs give the UTC moments they document."""
    converted = filetime_to_datetime(filetime)
    assert converted == moment
    assert converted.tzinfo is UTC


@pytest.mark.parametrize(("filetime", "moment"), EXAMPLES)
def test_known_datetimes_back_to_filetime(filetime: int, moment: datetime) -> None:
    """Going back gives the FILETIME less its sub-microsecond ticks."""
    assert datetime_to_filetime(moment) == filetime - filetime % 10


def test_epoch_constant() -> None:
    """FILETIME_EPOCH is 1601-01-01 00:00 UTC."""
    assert datetime(1601, 1, 1, tzinfo=UTC) == FILETIME_EPOCH
    assert datetime_to_filetime(FILETIME_EPOCH) == 0


def test_sub_microsecond_ticks_are_truncated() -> None:
    """Ticks below a microsecond are dropped, never rounded up."""
    base = filetime_to_datetime(UNIX_EPOCH_FILETIME)
    assert filetime_to_datetime(UNIX_EPOCH_FILETIME + 9) == base
    assert filetime_to_datetime(UNIX_EPOCH_FILETIME + 10) == base + timedelta(microseconds=1)


def test_naive_datetime_is_taken_as_utc() -> None:
    """A naive datetime converts as if it were UTC."""
    assert datetime_to_filetime(datetime(1970, 1, 1)) == UNIX_EPOCH_FILETIME


def test_aware_datetime_in_another_zone_converts_by_its_instant() -> None:
    """An aware datetime in another zone gives the FILETIME of the same instant."""
    tokyo = timezone(timedelta(hours=9))
    assert datetime_to_filetime(datetime(1970, 1, 1, 9, tzinfo=tokyo)) == UNIX_EPOCH_FILETIME


def test_upper_bound_is_the_end_of_year_9999() -> None:
    """The last FILETIME datetime can hold converts; one microsecond more does not."""
    assert filetime_to_datetime(LAST_FILETIME) == LAST_DATETIME
    assert datetime_to_filetime(LAST_DATETIME) == LAST_FILETIME - 9
    with pytest.raises(ValueError, match="FILETIME out of range: 2650467744000000000"):
        filetime_to_datetime(LAST_FILETIME + 1)


@pytest.mark.parametrize("value", [-1, -(2**63), 2**63 - 1, 2**63, 2**64, 10**30])
def test_out_of_range_filetimes_raise_value_error(value: int) -> None:
    """Negative values and values beyond year 9999 (or 63 bits) raise ValueError, naming them."""
    with pytest.raises(ValueError, match=f"FILETIME out of range: {value}"):
        filetime_to_datetime(value)


@settings(database=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_datetime_round_trip(moment: datetime) -> None:
    """Any aware datetime survives datetime → FILETIME → datetime exactly."""
    filetime = datetime_to_filetime(moment)
    assert filetime >= 0 or moment.year < 1601
    if filetime >= 0:
        assert filetime_to_datetime(filetime) == moment


@settings(database=None)
@given(st.integers(min_value=0, max_value=LAST_FILETIME))
def test_filetime_round_trip(filetime: int) -> None:
    """Any FILETIME in range survives FILETIME → datetime → FILETIME up to its last digit."""
    assert datetime_to_filetime(filetime_to_datetime(filetime)) == filetime - filetime % 10
