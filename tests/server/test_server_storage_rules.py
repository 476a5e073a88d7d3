"""The pure rules every backend shares: versions, consent, patterns, answers, ids, scopes."""

from __future__ import annotations

import pytest

from openwer.errors import InvalidArgumentError, StoreError
from openwer.formats.protocol import (
    DataRequest,
    SignatureParameter,
    Solution,
    Stage1Request,
    Stage1Response,
)
from openwer.server.storage import Scope
from openwer.server.storage.answer_codec import answer_from_json, answer_to_json
from openwer.server.storage.decisions import (
    app_version_of,
    consent_allows,
    os_of,
    signature_text,
    version_at_least,
)
from openwer.server.storage.model import canonical_report_id
from openwer.server.storage.solution_match import PatternCache, compile_pattern, first_match
from openwer.types import ConsentLevel, DumpType


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("2.10", "2.9", True),
        ("2.0", "2.0", True),
        ("1.9.9", "2.0", False),
        ("2.0rc1", "2.0", False),
        ("2024-05 build 10", "2024-05 build 7", True),
        ("build 3", "4.0", False),
        ("release", "1.0", False),
    ],
)
def test_versions_compare_sensibly(version: str, minimum: str, expected: bool) -> None:
    """PEP 440 when both parse, else the tuple of their numbers."""
    assert version_at_least(version, minimum) is expected


def test_consent_decides_what_may_be_asked() -> None:
    """Parameters-only never; safe data for small dumps; all data or ask for anything."""
    assert not consent_allows(ConsentLevel.NONE, DumpType.MINI_DUMP)
    assert not consent_allows(ConsentLevel.PARAMETERS_ONLY, DumpType.MICRO_DUMP)
    assert consent_allows(ConsentLevel.PARAMETERS_AND_SAFE_DATA, DumpType.MINI_DUMP)
    assert not consent_allows(ConsentLevel.PARAMETERS_AND_SAFE_DATA, DumpType.HEAP_DUMP)
    assert consent_allows(ConsentLevel.ALL_DATA, DumpType.HEAP_DUMP)
    assert consent_allows(ConsentLevel.ALWAYS_ASK, DumpType.HEAP_DUMP)


def _request(*parameters: tuple[str, str], **kwargs: object) -> Stage1Request:
    signature = tuple(SignatureParameter(n, v) for n, v in parameters)
    return Stage1Request("x", "APPCRASH", 2, signature, **kwargs)  # type: ignore[arg-type]


def test_version_and_os_are_found() -> None:
    """app_version wins, else a P1 named like a version; OS from client, else dynamic sig."""
    assert app_version_of(_request(("App", "a"), ("Application Version", "3.1"))) == "3.1"
    assert app_version_of(_request(("App", "a"), ("Module", "m.py"))) is None
    assert app_version_of(_request(("App", "a"), ("Version", "1"), app_version="9")) == "9"
    dynamic = (SignatureParameter("OS Version", "6.1.0"),)
    assert os_of(_request(dynamic_signature=dynamic)) == "6.1.0"
    assert os_of(_request(dynamic_signature=dynamic, client=(("OS", "Debian 12"),))) == "Debian 12"
    assert os_of(_request()) is None
    assert signature_text("APPCRASH", ["a", "b"]) == "APPCRASH|a|b"


def test_patterns_are_bounded_and_cached_per_version() -> None:
    """Nested repeats, bad syntax and long patterns are refused; the cache keys on version."""
    for bad in ("", "(a+)+", r"(\w*x)*", "(x", "a" * 501):
        with pytest.raises(InvalidArgumentError):
            compile_pattern(bad)
    assert compile_pattern(r"(ab)+|c{2}").search("xcc")
    cache = PatternCache()
    assert cache.get(1, 0) is None
    stored = cache.put(1, 3, [(1, "(broken", Solution("no")), (2, r"\|m\.py", Solution("yes"))])
    assert [entry.id for entry in stored] == [2]
    assert cache.get(1, 3) == stored
    assert cache.get(1, 4) is None
    assert first_match(stored, "APPCRASH|m.py") == Solution("yes")
    assert first_match(stored, "APPCRASH|n.py") is None


def test_answers_round_trip_and_damage_is_a_store_error() -> None:
    """The stored answer reads back equal; anything else is a StoreError."""
    full = Stage1Response(
        "b",
        7,
        bucket_table=5,
        data_request=DataRequest(DumpType.HEAP_DUMP, ("a.txt",), explicit=True),
        upload_url="/u",
        solution=Solution("m", "https://s"),
        extra=(("k", "v"),),
    )
    for response in (full, Stage1Response("b", 1)):
        assert answer_from_json(answer_to_json(response)) == response
    for damaged in (None, {}, {"b": "x", "l": "nope"}, {"b": "x", "l": 1, "d": [99, [], 0]}):
        with pytest.raises(StoreError):
            answer_from_json(damaged)


def test_report_ids_and_scopes() -> None:
    """Report ids become canonical UUIDs; scopes allow their products only."""
    assert canonical_report_id("{0000000000000000000000000000000A}") == (
        "00000000-0000-0000-0000-00000000000a"
    )
    with pytest.raises(InvalidArgumentError):
        canonical_report_id("nope")
    assert Scope.everything().allows(42)
    assert Scope.products([1, 2]).allows(2)
    assert not Scope.products([]).allows(1)
