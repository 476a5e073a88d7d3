"""Breakpad .sym parsing and lookups, and the symbol store layout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))

from minidump_synth import SynthDump, SynthModule, synthetic_dump

from openwer.analysis.breakpad_symbols import parse_cfi_rules, parse_symbol_file
from openwer.analysis.symbol_directory import BreakpadSymbolDirectory, symbol_file_name
from openwer.errors import FormatError
from openwer.formats.minidump import parse_minidump

SAMPLE = b"""MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 app
INFO CODE_ID 89ABCDEF01234567 app
FILE 0 /src/main.c
FILE 1 /src/util.h
INLINE_ORIGIN 0 helper
FUNC 1000 30 0 main
1000 10 10 0
1010 20 12 1
FUNC m 1100 10 8 duplicate_folded
1100 10 99 0
FUNC 1200 100 0 outer
1240 10 5 0
PUBLIC 2000 0 exported_start
PUBLIC m 3000 4 exported_other
STACK CFI INIT 1000 30 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^
STACK CFI 1004 .cfa: $rbp 16 +
STACK WIN 4 1000 30 4 0 8 4 10 0 1 $T0 $ebp = $eip $T0 4 + ^ =
STACK WIN 0 1100 10 0 0 c 0 0 0 0 1
this line is garbage
FUNC zz
"""


def test_module_line_and_warnings() -> None:
    """MODULE and INFO CODE_ID are read; malformed lines are skipped and counted."""
    symbols = parse_symbol_file(SAMPLE.splitlines(keepends=True))
    assert symbols.module is not None
    assert (symbols.module.os, symbols.module.cpu, symbols.module.debug_file) == (
        "Linux",
        "x86_64",
        "app",
    )
    assert symbols.code_id == "89ABCDEF01234567"
    assert symbols.function_count == 3
    assert symbols.skipped_lines == 2
    assert symbols.warnings[0] == "line 20: not a record Breakpad symbol files have"


def test_functions_lines_and_publics() -> None:
    """FUNC with its line, FUNC without a line there, PUBLIC below, nothing before the first."""
    symbols = parse_symbol_file(SAMPLE.splitlines(keepends=True))
    main = symbols.function_at(0x1015)
    assert main is not None
    assert (main.name, main.base, main.source_file, main.source_line, main.source_line_base) == (
        "main",
        0x1000,
        "/src/util.h",
        12,
        0x1010,
    )
    folded = symbols.function_at(0x1100)
    assert folded is not None
    assert (folded.name, folded.parameter_size) == ("duplicate_folded", 8)
    outer = symbols.function_at(0x1200)
    assert outer is not None
    assert (outer.name, outer.source_line) == ("outer", None)
    public = symbols.function_at(0x2FFF)
    assert public is not None
    assert (public.name, public.base, public.is_public) == ("exported_start", 0x2000, True)
    assert symbols.function_at(0x1050) is None  # between functions, before any PUBLIC
    assert symbols.function_at(0x10) is None


def test_cfi_rows_apply_in_order() -> None:
    """INIT rules, then each later row up to the address, override register by register."""
    symbols = parse_symbol_file(SAMPLE.splitlines(keepends=True))
    assert symbols.cfi_rules(0x1000) == {".cfa": "$rsp 8 +", ".ra": ".cfa -8 + ^"}
    assert symbols.cfi_rules(0x1002) == {
        ".cfa": "$rsp 16 +",
        ".ra": ".cfa -8 + ^",
        "$rbp": ".cfa -16 + ^",
    }
    rules = symbols.cfi_rules(0x102F)
    assert rules is not None
    assert rules[".cfa"] == "$rbp 16 +"
    assert symbols.cfi_rules(0x1030) is None


def test_stack_win_records() -> None:
    """FRAME_DATA and FPO records; a FUNC's parameter size where there is no record."""
    symbols = parse_symbol_file(SAMPLE.splitlines(keepends=True))
    frame_data = symbols.windows_frame_info(0x1010)
    assert frame_data is not None
    assert (frame_data.type, frame_data.parameter_size, frame_data.saved_register_size) == (4, 8, 4)
    assert frame_data.local_size == 0x10
    assert frame_data.program_string == "$T0 $ebp = $eip $T0 4 + ^ ="
    fpo = symbols.windows_frame_info(0x1105)
    assert fpo is not None
    assert (fpo.type, fpo.parameter_size, fpo.allocates_base_pointer) == (0, 0xC, True)
    assert fpo.program_string is None
    only_size = symbols.windows_frame_info(0x1250)
    assert only_size is not None
    assert not only_size.complete
    public_size = symbols.windows_frame_info(0x3004)
    assert public_size is not None
    assert public_size.parameter_size == 4


def test_parse_cfi_rules() -> None:
    """Rule text splits at the names that end with a colon."""
    assert parse_cfi_rules(".cfa: sp 16 + .ra: lr x29: .cfa -16 + ^") == {
        ".cfa": "sp 16 +",
        ".ra": "lr",
        "x29": ".cfa -16 + ^",
    }
    assert parse_cfi_rules("") == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "has no MODULE line"),
        (b"FUNC 1000 10 0 f\n", "does not start with MODULE"),
        (b"\x7fELF\x02\x01\x01", "does not start with MODULE"),
    ],
)
def test_not_a_symbol_file(data: bytes, message: str) -> None:
    """Input without a MODULE line is refused."""
    with pytest.raises(FormatError, match=message):
        parse_symbol_file(data.splitlines(keepends=True))


def test_size_limit() -> None:
    """A file larger than the limit is refused while it is read."""
    with pytest.raises(FormatError, match="larger than 100 bytes"):
        parse_symbol_file(SAMPLE.splitlines(keepends=True), max_bytes=100)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet="FUNCPUBLISTACKWIN0123456789abcdef .:$^+-m\t", max_size=60), max_size=30
    )
)
def test_any_lines_after_module(lines: list[str]) -> None:
    """Whatever follows a MODULE line, parsing and lookups answer or skip, never raise."""
    data = [b"MODULE Linux x86_64 ID app\n", *(line.encode() + b"\n" for line in lines)]
    symbols = parse_symbol_file(data)
    for address in (0, 0x10, 0x1000, 0xFFFF_FFFF):
        symbols.function_at(address)
        symbols.cfi_rules(address)
        symbols.windows_frame_info(address)


def test_symbol_file_names() -> None:
    """The store's file name drops .pdb and keeps other names; unsafe names are refused."""
    assert symbol_file_name(r"c:\build\test_app.pdb") == "test_app.sym"
    assert symbol_file_name("/lib/x86_64-linux-gnu/libc.so.6") == "libc.so.6.sym"
    assert symbol_file_name("crash.PDB") == "crash.sym"
    assert symbol_file_name("..") is None
    assert symbol_file_name("a/b/") is None


def _module_dump(debug_name: str) -> bytes:
    guid = bytes.fromhex("00112233445566778899aabbccddeeff")
    module = SynthModule(0x400000, 0x1000, r"c:\app.exe", pdb=(guid, 1, debug_name))
    return synthetic_dump(SynthDump(os="windows", cpu="x86", modules=[module]))


def test_store_layout_and_checks(tmp_path: Path) -> None:
    """DIR/<pdb>/<id>/<name>.sym is found; a file naming another id is refused and reported."""
    dump = parse_minidump(_module_dump(r"c:\build\app.pdb"))
    module = dump.modules[0]
    assert module.debug_id == "33221100554477668899AABBCCDDEEFF1"
    path = tmp_path / "app.pdb" / "33221100554477668899AABBCCDDEEFF1" / "app.sym"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"MODULE windows x86 33221100554477668899AABBCCDDEEFF1 app.pdb\nPUBLIC 10 0 f\n"
    )
    store = BreakpadSymbolDirectory([tmp_path])
    symbols = store.symbols_for(module)
    assert symbols is not None
    assert store.symbols_for(module) is symbols  # parsed once
    path.write_bytes(b"MODULE windows x86 FFFF app.pdb\n")
    other = BreakpadSymbolDirectory([tmp_path])
    assert other.symbols_for(module) is None
    assert "names debug id FFFF" in other.problems[0]


def test_named_symbol_files_and_traversal(tmp_path: Path) -> None:
    """A .sym file given directly serves the module its MODULE line names; a dump's debug file
    named ``..`` cannot reach outside the store."""
    sym = tmp_path / "whatever.sym"
    sym.write_bytes(b"MODULE windows x86 33221100554477668899AABBCCDDEEFF1 app.pdb\n")
    module = parse_minidump(_module_dump(r"c:\build\app.pdb")).modules[0]
    assert BreakpadSymbolDirectory([sym]).symbols_for(module) is not None
    hostile = parse_minidump(_module_dump("..")).modules[0]
    assert BreakpadSymbolDirectory([tmp_path / "store"]).symbols_for(hostile) is None
