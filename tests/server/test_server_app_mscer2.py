"""MS-CER2 through the app: level 1 (WERREPORT XML) and level 2 (the cabinet)."""

from __future__ import annotations

import codecs
from pathlib import Path

from server_app_support import running_server, stored_cab

from openwer.formats.mscer2_response import parse_level1_response
from openwer.server.storage import Scope

LEVEL1 = codecs.BOM_UTF16_LE + (
    '<?xml version="1.0" encoding="UTF-16"?><WERREPORT>'
    '<MACHINEINFO machinename="pc" os="10.0.19045" lcid="1033"/>'
    '<EVENTINFO reporttype="2" eventtype="APPCRASH"/>'
    '<SIGNATURE><PARAMETER id="0" name="Application Name" value="notepad.exe"/>'
    '<PARAMETER id="1" name="Application Version" value="10.0"/></SIGNATURE>'
    "<FILES/></WERREPORT>"
).encode("utf-16-le")


def test_level1_then_level2_with_the_default_product(tmp_path: Path) -> None:
    """Without a key, level 1 buckets into the default product and level 2 stores the cab."""
    with running_server(tmp_path, cer_default_product="app") as server:
        reply = server.client.post("/stage2.htm", content=LEVEL1)
        assert reply.status_code == 200
        answer = parse_level1_response(reply.content)
        assert answer.additional_data
        assert answer.dump_file is not None
        assert answer.dump_file.startswith("/dumpfiles/")
        cab = stored_cab((b"memory.hdmp", b"MDMP" + b"\0" * 64))
        assert server.client.put(answer.dump_file, content=cab).status_code == 200
        report_id = answer.dump_file.removeprefix("/dumpfiles/").removesuffix(".cab")
        row = server.repository.get_report(Scope.everything(), report_id)
        assert [f.name for f in row.files] == ["memory.hdmp"]


def test_level1_needs_a_key_when_configured(tmp_path: Path) -> None:
    """With cer_require_key (or no default product) a keyless report is 401."""
    with running_server(tmp_path, cer_default_product="app", cer_require_key=True) as server:
        assert server.client.post("/stage2.htm", content=LEVEL1).status_code == 401
        keyed = server.client.post("/stage2.htm", content=LEVEL1, headers=server.headers())
        assert keyed.status_code == 200
    with running_server(tmp_path / "b") as server:
        assert server.client.post("/stage2.htm", content=LEVEL1).status_code == 401


def test_hostile_level1_and_level2(tmp_path: Path) -> None:
    """An XML entity trick is 400; a traversal cab is 400 and nothing is stored."""
    with running_server(tmp_path, cer_default_product="app") as server:
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><WERREPORT/>'
        reply = server.client.post("/stage2.htm", content=bomb)
        assert reply.status_code == 400
        answer = parse_level1_response(server.client.post("/stage2.htm", content=LEVEL1).content)
        assert answer.dump_file is not None
        evil = stored_cab((b"../../x", b"1"))
        assert server.client.put(answer.dump_file, content=evil).status_code == 400
        assert server.blobs() == []
