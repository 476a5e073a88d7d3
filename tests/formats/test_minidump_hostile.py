"""Hostile input: anything is either a Minidump (with its damage listed) or a FormatError.

Truncation at every offset of a real dump, lying counts and sizes, overlapping and wrapping
memory ranges, random bytes and random mutations: no other exception, no unbounded allocation,
no long run.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minidump_synth import (
    DumpBuilder,
    SynthDump,
    SynthModule,
    SynthThread,
    amd64_context,
    minidump_string,
    synthetic_dump,
)

from openwer.analysis.analysis_document import analysis_document
from openwer.analysis.crash_analysis import analyze_minidump
from openwer.analysis.stackwalk_text import render_text
from openwer.errors import FormatError
from openwer.formats.minidump import Minidump, parse_minidump

MINIDUMP2 = "mdmp-windows/google__breakpad__src__processor__testdata__minidump2.dmp"


def _read_or_refuse(data: bytes) -> Minidump | None:
    """Parse, then walk, render and serialize when it parses: only FormatError may escape."""
    try:
        dump = parse_minidump(data)
    except FormatError as exc:
        if not str(exc):
            raise AssertionError("a FormatError must say what is wrong") from exc
        return None
    analysis = analyze_minidump(dump)
    render_text(analysis)
    json.dumps(analysis_document(analysis))
    return dump


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"^not a minidump: 0 bytes is shorter than a minidump header \(32 bytes\)$"),
        (b"MDMP", "shorter than a minidump header"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), r"^not a minidump: the signature is 0x474e5089"),
        (b"PMDM" + bytes(40), "big-endian"),
        (b"MZ" + bytes(100), "not a minidump"),
    ],
)
def test_not_a_minidump(data: bytes, message: str) -> None:
    """Bytes that are not a minidump are refused with one clear line."""
    with pytest.raises(FormatError, match=message):
        parse_minidump(data)


def test_directory_outside_the_file() -> None:
    """A directory that starts past the end leaves nothing to read: FormatError."""
    header = struct.pack("<IIIIIIQ", 0x504D444D, 0xA793, 3, 0x10000, 0, 0, 0)
    with pytest.raises(FormatError, match="directory at 0x10000 lies outside the file"):
        parse_minidump(header)


def test_truncated_at_every_offset(corpus_dir: Path) -> None:
    """Every prefix of a real dump parses (with damage) or is refused; none crashes."""
    data = (corpus_dir / MINIDUMP2).read_bytes()
    parsed = 0
    for end in range(len(data) + 1):
        dump = _read_or_refuse(data[:end])
        if dump is not None:
            parsed += 1
            if end < len(data) and end > 0x1000:
                assert dump.damage, f"a dump cut at {end} bytes should report damage"
    assert parsed > len(data) - 100
    complete = parse_minidump(data)
    assert complete.damage == ()


def test_huge_counts_cost_nothing() -> None:
    """Counts of four billion are cut to what the file holds and reported as damage."""
    builder = DumpBuilder()
    for stream_type in (3, 4, 5, 14, 16, 17, 24):
        builder.stream(stream_type, struct.pack("<IIII", 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0))
    builder.stream(9, struct.pack("<QQ", 0xFFFF_FFFF_FFFF_FFFF, 0x20))
    data = bytearray(builder.build())
    struct.pack_into("<I", data, 8, 0xFFFF_FFFF)  # NumberOfStreams
    started = time.monotonic()
    dump = parse_minidump(bytes(data))
    assert time.monotonic() - started < 2
    assert dump.threads == ()
    assert dump.modules == ()
    assert any("claims 4294967295 streams" in item.message for item in dump.damage)
    assert len(dump.damage) >= 5


def test_lying_sizes_and_strings() -> None:
    """Streams and strings that reach past the end of the file become damage."""
    builder = DumpBuilder()
    name = builder.blob(struct.pack("<I", 0x7FFF_FFFF) + "x".encode("utf-16-le"))
    module = struct.pack("<QIIII", 0x1000, 0x1000, 0, 0, name) + bytes(52)
    module += struct.pack("<IIII", 0xFFFF, 0x10, 0, 0) + bytes(16)
    builder.stream(4, struct.pack("<I", 1) + module)
    builder.stream(7, bytes(10))  # SystemInfo too short
    builder.stream(6, bytes(168))  # an exception with a context of 0 bytes
    data = bytearray(builder.build())
    data += struct.pack("<III", 15, 0x7FFF_FFFF, 40)  # a directory entry past the end
    struct.pack_into("<I", data, 8, struct.unpack_from("<I", data, 8)[0] + 1)
    dump = parse_minidump(bytes(data))
    assert len(dump.modules) == 1
    assert dump.modules[0].name == ""
    assert dump.modules[0].code_view is None
    wheres = " ".join(item.where for item in dump.damage)
    assert "module 0 name" in wheres
    assert "CodeView" in wheres
    assert "SystemInfo" in wheres
    assert dump.exception is not None
    assert dump.exception.context is None


def test_overlapping_and_wrapping_memory() -> None:
    """Overlapping ranges give one answer per address; a wrapping range is cut, not fatal."""
    builder = DumpBuilder()
    first = builder.blob(b"A" * 64)
    second = builder.blob(b"B" * 64)
    wrapping = builder.blob(b"C" * 16)
    entries = [
        (0x1000, 64, first),
        (0x1020, 64, second),  # overlaps the first's upper half
        (0x1000, 16, second),  # inside the first
        (0xFFFF_FFFF_FFFF_FFF8, 16, wrapping),
    ]
    listing = b"".join(struct.pack("<QII", *entry) for entry in entries)
    builder.stream(5, struct.pack("<I", len(entries)) + listing)
    dump = parse_minidump(builder.build())
    assert dump.memory.read(0x1000, 64) == b"A" * 64  # the lowest-starting, longest range wins
    assert dump.memory.read(0x1040, 32) == b"B" * 32
    assert dump.memory.read(0x103F, 2) is None  # spans two ranges
    assert dump.memory.read(0xFFFF_FFFF_FFFF_FFF8, 8) == b"C" * 8
    assert any("wraps" in item.message for item in dump.damage)


def test_looping_frame_pointers_terminate() -> None:
    """A frame pointer that points at itself cannot make the walk loop."""
    stack_base = 0x7FFF_0000
    stack = bytearray(0x400)
    struct.pack_into("<QQ", stack, 0x100, stack_base + 0x100, 0x401234)  # rbp → itself
    thread = SynthThread(
        1, {"rip": 0x401000, "rsp": stack_base, "rbp": stack_base + 0x100}, stack_base, bytes(stack)
    )
    spec = SynthDump(threads=[thread], modules=[SynthModule(0x400000, 0x10000, "/bin/app")])
    dump = parse_minidump(synthetic_dump(spec))
    analysis = analyze_minidump(dump)
    frames = analysis.threads[0].stack.frames
    assert 1 <= len(frames) <= 3
    sps = [dict(frame.registers).get("rsp", 0) for frame in frames]
    assert sps == sorted(set(sps))


def test_context_irregularities_are_damage() -> None:
    """A short (lldb-style) context is read in part; one naming another CPU is read by size."""
    builder = DumpBuilder()
    system = struct.pack("<HHHBBIIIIIHH", 9, 6, 0, 1, 1, 0, 0, 0, 0x8201, 0, 0, 0) + bytes(24)
    builder.stream(7, system)
    short = builder.blob(amd64_context({"rip": 0x1234, "rsp": 0x5000})[:720])
    wrong = builder.blob(amd64_context({"rip": 0x4321, "rsp": 0x6000}, flags=0x0001_0007))
    tiny = builder.blob(bytes(100))
    threads = [
        struct.pack("<IIIIQQIIII", tid, 0, 0, 0, 0, 0, 0, 0, size, rva)
        for tid, size, rva in ((1, 720, short), (2, 1232, wrong), (3, 100, tiny))
    ]
    builder.stream(3, struct.pack("<I", 3) + b"".join(threads))
    dump = parse_minidump(builder.build())
    contexts = [thread.context for thread in dump.threads]
    assert contexts[0] is not None
    assert contexts[0].instruction_pointer == 0x1234
    assert contexts[1] is not None
    assert contexts[1].instruction_pointer == 0x4321
    assert contexts[2] is None
    messages = [item.message for item in dump.damage]
    assert any("720-byte amd64 context" in m for m in messages)
    assert any("do not name amd64" in m for m in messages)
    assert any("too short for a amd64 context" in m for m in messages)


def test_unknown_streams_are_kept_raw() -> None:
    """A stream openwer does not interpret is readable by type, cut to the file."""
    builder = DumpBuilder()
    builder.stream(0x1234_5678, b"opaque payload")
    builder.stream(11, minidump_string("a comment"))
    dump = parse_minidump(builder.build())
    assert dump.stream(0x1234_5678) == b"opaque payload"
    assert dump.stream(0x7777) is None
    assert [entry.name for entry in dump.directory] == ["0x12345678", "CommentW"]


_SMALL_DUMP = synthetic_dump(
    SynthDump(
        threads=[
            SynthThread(7, {"rip": 0x401000, "rsp": 0x7000, "rbp": 0x7010}, 0x7000, bytes(64))
        ],
        modules=[SynthModule(0x400000, 0x2000, "/bin/app", build_id=bytes(range(20)))],
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes_after_a_header(tail: bytes) -> None:
    """Random bytes behind a valid header and a plausible directory."""
    header = struct.pack("<IIIIIIQ", 0x504D444D, 0xA793, 8, 32, 0, 0, 0)
    _read_or_refuse(header + tail)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_SMALL_DUMP) - 1), st.integers(0, 255)), max_size=24))
def test_random_mutations_of_a_dump(flips: list[tuple[int, int]]) -> None:
    """Random byte changes anywhere in a complete synthetic dump."""
    data = bytearray(_SMALL_DUMP)
    for offset, value in flips:
        data[offset] = value
    _read_or_refuse(bytes(data))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes(data: bytes) -> None:
    """Anything at all."""
    _read_or_refuse(data)


def test_many_threads_sharing_one_stack_are_bounded() -> None:
    """70 000 thread entries sharing one context and one deep stack: the list is capped and
    the walks share a frame budget, so the analysis stays short."""
    builder = DumpBuilder()
    system = struct.pack("<HHHBBIIIIIHH", 9, 6, 0, 1, 1, 0, 0, 0, 0x8201, 0, 0, 0) + bytes(24)
    builder.stream(7, system)
    base = 0x7FFF_0000
    stack = bytearray(0x1000)
    for index in range(60):  # a frame-pointer chain 60 records deep
        struct.pack_into("<QQ", stack, 0x10 + index * 0x20, base + 0x30 + index * 0x20, 0x401000)
    stack_rva = builder.blob(bytes(stack))
    context_rva = builder.blob(amd64_context({"rip": 0x401000, "rsp": base, "rbp": base + 0x10}))
    entry = struct.pack(
        "<IIIIQQIIII", 1, 0, 0, 0, 0, base, len(stack), stack_rva, 1232, context_rva
    )
    builder.stream(3, struct.pack("<I", 70_000) + entry * 70_000)
    name = builder.blob(minidump_string("/bin/app"))
    module = struct.pack("<QIIII", 0x400000, 0x10000, 0, 0, name) + bytes(52 + 16 + 16)
    builder.stream(4, struct.pack("<I", 1) + module)
    started = time.monotonic()
    dump = parse_minidump(builder.build())
    analysis = analyze_minidump(dump)
    assert time.monotonic() - started < 60
    assert len(dump.threads) == 65_536
    assert any("only the first 65536 are read" in item.message for item in dump.damage)
    walked = sum(len(thread.stack.frames) for thread in analysis.threads)
    assert walked <= 100_000 + len(analysis.threads)
    assert analysis.threads[-1].stack.truncated
