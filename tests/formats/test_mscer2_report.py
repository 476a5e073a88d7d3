"""MS-CER2 level-1 reports: the WERREPORT XML of [MS-CER2] §4's examples, and its mapping to v1.

APPLICATION_FAULT is the level-1 message of [MS-CER2] §4.1 as published. KERNEL_FAULT and
GENERIC_EVENT follow §4.3 and §4.4 as ``wer-spec.md`` §6.3 and §7 describe them (a BlueScreen
with secondary parameters and three files; a generic event "MikeTest" with parameters 1000, 2000
and 3000); attribute values the description does not give are filled in.
"""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from openwer.errors import FormatError
from openwer.formats.mscer2_report import (
    CerFile,
    CerParameter,
    CerReport,
    cer_report_to_stage1,
    parse_level1_report,
    serialize_level1_report,
)
from openwer.formats.protocol import SignatureParameter
from openwer.types import ConsentLevel

APPLICATION_FAULT = (
    '<?xml version="1.0" encoding="UTF-16"?> <WERREPORT xmlns:xsi="http://www.w3.org/2001/'
    'XMLSchema-instance"> <MACHINEINFO machinename="client-machine.corp.cliendomain.com" '
    'os="6.1.6561.2.0.0.256.1" lcid="1033"/> <USERINFO username="Username"/> <APPLICATIONINFO '
    'appname="WER GPF Test Utility" apppath="E:\\tools\\GPFMe.exe" appcompany="Test Corporation"/>'
    ' <EVENTINFO reporttype="2" eventtime="128496925196486378" eventtype="APPCRASH" '
    'friendlyeventname="Stopped working"/> <SIGNATURE> <PARAMETER id="0" name="Application Name" '
    'value="GPFMe.exe"/> <PARAMETER id="1" name="Application Version" value="6.0.4082.0"/> '
    '<PARAMETER id="2" name="Application Timestamp" value="40ce670d"/> <PARAMETER id="3" '
    'name="Fault Module Name" value="GPFMe.exe"/> <PARAMETER id="4" name="Fault Module Version" '
    'value="6.0.4082.0"/> <PARAMETER id="5" name="Fault Module Timestamp" value="40ce670d"/> '
    '<PARAMETER id="6" name="Exception Code" value="c0000005"/> <PARAMETER id="7" '
    'name="Exception Offset" value="000031de"/> </SIGNATURE> <FILES> <FILE filetype="5" '
    'filename="Version.txt"/> </FILES> </WERREPORT>'
)

KERNEL_FAULT = """<?xml version="1.0" encoding="UTF-16"?>
<WERREPORT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <MACHINEINFO machinename="client-machine.corp.clientdomain.com" os="6.1.6561.2.0.0.256.1"
    lcid="1033"/>
  <USERINFO username="Username"/>
  <EVENTINFO reporttype="4" eventtime="128496925196486378" eventtype="BlueScreen"
    friendlyeventname="Shut down unexpectedly"/>
  <SIGNATURE>
    <SECONDARYPARAMETER name="BCCode" value="d1"/>
    <SECONDARYPARAMETER name="BCP1" value="00000000"/>
    <SECONDARYPARAMETER name="BCP2" value="00000002"/>
    <SECONDARYPARAMETER name="BCP3" value="00000000"/>
    <SECONDARYPARAMETER name="BCP4" value="8A4C1D5E"/>
    <SECONDARYPARAMETER name="OS Version" value="6_1_6561"/>
    <SECONDARYPARAMETER name="Service Pack" value="0_0"/>
    <SECONDARYPARAMETER name="Product" value="256_1"/>
  </SIGNATURE>
  <FILES>
    <FILE filetype="2" filename="Mini031108-01.dmp"/>
    <FILE filetype="5" filename="sysdata.xml"/>
    <FILE filetype="5" filename="Version.txt"/>
  </FILES>
</WERREPORT>"""

GENERIC_EVENT = """<?xml version="1.0" encoding="UTF-16"?>
<WERREPORT>
  <MACHINEINFO machinename="client-machine" os="6.1.6561.2.0.0.256.1" lcid="1033"/>
  <USERINFO username="Username"/>
  <APPLICATIONINFO appname="MikeTest.exe" apppath="C:\\test\\MikeTest.exe" appcompany=""/>
  <EVENTINFO reporttype="1" eventtime="128496925196486378" eventtype="MikeTest"
    friendlyeventname="MikeTest"/>
  <SIGNATURE>
    <PARAMETER id="0" name="Problem Signature 01" value="1000"/>
    <PARAMETER id="1" name="Problem Signature 02" value="2000"/>
    <PARAMETER id="2" name="Problem Signature 03" value="3000"/>
  </SIGNATURE>
  <FILES/>
</WERREPORT>"""


def utf16(text: str) -> bytes:
    """Encode as Windows sends level-1 data: UTF-16LE with a byte-order mark."""
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def test_application_fault_example() -> None:
    """The §4.1 message parses into every documented field."""
    report = parse_level1_report(utf16(APPLICATION_FAULT))
    assert report.event_type == "APPCRASH"
    assert report.report_type == 2
    assert report.event_time == 128496925196486378
    assert report.friendly_event_name == "Stopped working"
    assert report.machine_name == "client-machine.corp.cliendomain.com"
    assert report.os_version == "6.1.6561.2.0.0.256.1"
    assert report.lcid == 1033
    assert report.user_name == "Username"
    assert report.app_name == "WER GPF Test Utility"
    assert report.app_path == "E:\\tools\\GPFMe.exe"
    assert report.app_company == "Test Corporation"
    assert [p.value for p in report.parameters] == [
        "GPFMe.exe",
        "6.0.4082.0",
        "40ce670d",
        "GPFMe.exe",
        "6.0.4082.0",
        "40ce670d",
        "c0000005",
        "000031de",
    ]
    assert report.parameters[6] == CerParameter(6, "Exception Code", "c0000005")
    assert report.secondary_parameters == ()
    assert report.files == (CerFile(5, "Version.txt"),)


def test_event_time_is_a_filetime() -> None:
    """eventtime is a FILETIME: the §4.1 report happened on 2008-03-11."""
    report = parse_level1_report(utf16(APPLICATION_FAULT))
    assert report.event_datetime == datetime(2008, 3, 11, 7, 1, 59, 648637, tzinfo=UTC)
    assert CerReport("x").event_datetime is None
    assert CerReport("x", event_time=2**63 - 1).event_datetime is None


def test_kernel_fault_example() -> None:
    """A BlueScreen carries secondary parameters instead of PARAMETERs, and its files."""
    report = parse_level1_report(utf16(KERNEL_FAULT))
    assert report.event_type == "BlueScreen"
    assert report.report_type == 4
    assert report.parameters == ()
    assert [(p.name, p.value) for p in report.secondary_parameters][:2] == [
        ("BCCode", "d1"),
        ("BCP1", "00000000"),
    ]
    assert all(p.id is None for p in report.secondary_parameters)
    assert len(report.secondary_parameters) == 8
    assert report.app_name is None
    assert [f.file_name for f in report.files] == [
        "Mini031108-01.dmp",
        "sysdata.xml",
        "Version.txt",
    ]
    assert report.files[0].file_type == 2


def test_generic_event_example() -> None:
    """A generic event has caller-named parameters and may have no files."""
    report = parse_level1_report(utf16(GENERIC_EVENT))
    assert report.event_type == "MikeTest"
    assert [p.value for p in report.parameters] == ["1000", "2000", "3000"]
    assert report.parameters[0].name == "Problem Signature 01"
    assert report.app_company == ""
    assert report.files == ()


@pytest.mark.parametrize(
    "encode",
    [
        utf16,
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.replace('encoding="UTF-16"', 'encoding="UTF-8"').encode(),
        lambda text: codecs.BOM_UTF8 + text.replace('encoding="UTF-16"', "").encode(),
        lambda text: text.replace('<?xml version="1.0" encoding="UTF-16"?>', "").encode(),
    ],
    ids=["utf16le-bom", "utf16be-bom", "utf8-declared", "utf8-bom", "utf8-no-declaration"],
)
def test_encodings(encode: object) -> None:
    """UTF-16 with a BOM (either order) and UTF-8 (declared, with a BOM, or plain) all read."""
    assert callable(encode)
    report = parse_level1_report(encode(APPLICATION_FAULT))
    assert report == parse_level1_report(utf16(APPLICATION_FAULT))


def test_names_match_regardless_of_case_and_namespace() -> None:
    """Element and attribute names are matched case-insensitively, namespaces ignored."""
    text = (
        '<w:werreport xmlns:w="urn:x"><w:EventInfo EventType="APPCRASH" ReportType="2"/>'
        '<Signature><Parameter ID="0" Name="n" Value="v"/></Signature></w:werreport>'
    )
    report = parse_level1_report(text.encode())
    assert report.event_type == "APPCRASH"
    assert report.parameters == (CerParameter(0, "n", "v"),)


def test_unknown_elements_are_ignored_and_the_first_section_counts() -> None:
    """New elements are skipped; a repeated section does not override the first one."""
    text = (
        '<WERREPORT><FUTURE a="1"><deep/></FUTURE><EVENTINFO eventtype="First"/>'
        '<EVENTINFO eventtype="Second"/><SIGNATURE><NOTE text="x"/>'
        '<PARAMETER id="1" name="b" value="2"/><PARAMETER id="0" name="a" value="1"/>'
        '</SIGNATURE><FILES><OTHER/><FILE filename="x.txt"/></FILES></WERREPORT>'
    )
    report = parse_level1_report(text.encode())
    assert report.event_type == "First"
    assert [p.id for p in report.parameters] == [0, 1]
    assert report.files == (CerFile(None, "x.txt"),)


def test_serialize_round_trips_the_examples() -> None:
    """serialize_level1_report writes UTF-16LE with a BOM that parses back to the same report."""
    for text in (APPLICATION_FAULT, KERNEL_FAULT, GENERIC_EVENT):
        report = parse_level1_report(utf16(text))
        data = serialize_level1_report(report)
        assert data.startswith(codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-16"?>'
                               .encode("utf-16-le"))  # fmt: skip
        assert parse_level1_report(data) == report


def test_serialize_escapes_markup_and_keeps_tabs() -> None:
    """Values with XML markup characters and tabs survive the round trip."""
    report = CerReport(
        "APPCRASH", parameters=(CerParameter(0, 'a<b>&"c"', "tab\there"),), app_path="C:\\&"
    )
    assert parse_level1_report(serialize_level1_report(report)) == report


def test_serialize_refuses_what_parse_would() -> None:
    """A report that would not read back is refused when it is written."""
    with pytest.raises(FormatError, match=r"eventtype is 0 characters"):
        serialize_level1_report(CerReport(""))
    with pytest.raises(FormatError, match=r"does not survive a round trip"):
        serialize_level1_report(
            CerReport("x", parameters=(CerParameter(1, "b", "2"), CerParameter(0, "a", "1")))
        )


def test_application_fault_to_stage1() -> None:
    """A CER report maps to stage 1: event, type, values in id order, nothing personal."""
    report = parse_level1_report(utf16(APPLICATION_FAULT))
    request = cer_report_to_stage1(
        report, report_id="b0e0a37d-af49-4d6d-a411-f0946870c9dd", product="gpfme"
    )
    assert request.event_type == "APPCRASH"
    assert request.report_type == 2
    assert request.signature[0] == SignatureParameter("Application Name", "GPFMe.exe")
    assert [p.value for p in request.signature] == [p.value for p in report.parameters]
    assert request.dynamic_signature == ()
    assert request.client == (("os", "6.1.6561.2.0.0.256.1"), ("lcid", "1033"))
    assert request.consent is ConsentLevel.ALL_DATA
    assert request.product == "gpfme"
    assert request.app_version == "6.0.4082.0"
    assert request.machine_id is None
    assert "Username" not in repr(request)
    assert "client-machine" not in repr(request)


def test_kernel_fault_to_stage1() -> None:
    """A kernel report's secondary parameters become its signature."""
    report = parse_level1_report(utf16(KERNEL_FAULT))
    request = cer_report_to_stage1(report, report_id="r", consent=ConsentLevel.PARAMETERS_ONLY)
    assert [p.name for p in request.signature][:3] == ["BCCode", "BCP1", "BCP2"]
    assert len(request.signature) == 8
    assert request.dynamic_signature == ()
    assert request.app_version is None
    assert request.consent is ConsentLevel.PARAMETERS_ONLY


def test_long_kernel_signature_is_split() -> None:
    """Secondary parameters beyond ten go to the dynamic signature (stage 1 allows ten)."""
    secondary = tuple(CerParameter(None, f"S{i}", str(i)) for i in range(12))
    request = cer_report_to_stage1(
        CerReport("BlueScreen", secondary_parameters=secondary), report_id="r"
    )
    assert [p.name for p in request.signature] == [f"S{i}" for i in range(10)]
    assert [p.name for p in request.dynamic_signature] == ["S10", "S11"]


def test_parameters_and_secondary_parameters_together() -> None:
    """With both kinds present, the secondary parameters are the dynamic signature."""
    report = CerReport(
        "x",
        parameters=(CerParameter(0, "a", "1"),),
        secondary_parameters=(CerParameter(None, "s", "2"),),
    )
    request = cer_report_to_stage1(report, report_id="r")
    assert request.signature == (SignatureParameter("a", "1"),)
    assert request.dynamic_signature == (SignatureParameter("s", "2"),)
    assert request.client == ()
    assert request.report_type == 0
