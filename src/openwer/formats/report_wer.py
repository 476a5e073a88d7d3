"""The Report.wer codec: bytes ⇄ an ordered, lossless document of ``Key=Value`` entries.

Report.wer is WER's report manifest (wer-spec.md §5.3): one ``Key=Value`` per line, UTF-16LE with a
BOM and CRLF line ends when Windows writes it, keys in a fixed group order (header, ``Sig[n]``,
``DynamicSig[n]``, ``UI[n]``, ``LoadedModule[n]``, ``State[n]``, ``OsInfo[n]``, ``File[n]``,
trailer).

* :func:`parse_report_wer` accepts every variant seen in the wild: UTF-16LE or UTF-16BE with or
  without a BOM, UTF-8 (with or without a BOM), ANSI (cp1252) as a last resort, CRLF, LF or CR,
  keys without ``=``, any key it does not know. It keeps every entry verbatim and in order, so
  parse → serialize → parse loses nothing.
* :func:`serialize_report_wer` writes Windows' form: UTF-16LE, BOM, CRLF, no final line break
  (unless the document came from a file that had one).
* :class:`WerDocument` is immutable; :meth:`WerDocument.with_values` places new keys where WER puts
  them, so documents built key by key come out in WER's order.

Pure: no files, no clock, no globals.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from openwer.errors import FormatError

__all__ = [
    "MAX_REPORT_WER_BYTES",
    "SourceEncoding",
    "WerDocument",
    "WerEntry",
    "canonical_rank",
    "parse_report_wer",
    "serialize_report_wer",
]

# Real manifests are tens of KiB; a bound keeps a hostile file from exhausting memory.
MAX_REPORT_WER_BYTES = 8 * 1024 * 1024

# WER's own order of the scalar keys before the indexed groups (observed in every real sample).
_HEADER_KEYS = (
    "Version",
    "EventType",
    "EventTime",
    "ReportType",
    "Consent",
    "UploadTime",
    "ReportStatus",
    "ReportIdentifier",
    "IntegratorReportIdentifier",
    "Wow64Host",
    "Wow64Guest",
    "NsAppName",
    "OriginalFilename",
    "AppSessionGuid",
    "TargetAppId",
    "TargetAppVer",
    "BootId",
    "ServiceSplit",
    "HeapdumpAttached",
    "TargetAsId",
    "UserImpactVector",
    "IsFatal",
    "EtwNonCollectReason",
    "Response.BucketId",
    "Response.BucketTable",
    "Response.LegacyBucketId",
    "Response.type",
    "Response.CabId",
    "Response.CabGuid",
)
_GROUPS = ("Sig", "DynamicSig", "UI", "LoadedModule", "State", "OsInfo", "File")
_GROUP_SUBKEYS: Mapping[str, tuple[str, ...]] = {
    "sig": ("Name", "Value"),
    "dynamicsig": ("Name", "Value"),
    "state": ("Key", "Value"),
    "osinfo": ("Key", "Value"),
    "file": ("CabName", "Path", "Flags", "Type", "Original.Path"),
}
_TRAILER_KEYS = (
    "FriendlyEventName",
    "ConsentKey",
    "AppName",
    "AppPath",
    "ReportDescription",
    "NsPartner",
    "NsGroup",
    "ApplicationIdentity",
    "MetadataHash",
)
_HEADER_RANK = {key.lower(): i for i, key in enumerate(_HEADER_KEYS)}
_GROUP_RANK = {key.lower(): i for i, key in enumerate(_GROUPS)}
_TRAILER_RANK = {key.lower(): i for i, key in enumerate(_TRAILER_KEYS)}
_INDEXED = re.compile(r"^([A-Za-z]+)\[([0-9]{1,9})\](?:\.(.+))?$")

Rank = tuple[int, int, int, int]


class SourceEncoding(Enum):
    """How the bytes a document was parsed from were encoded (kept for diagnostics)."""

    UTF16LE_BOM = "utf-16-le+bom"
    UTF16LE = "utf-16-le"
    UTF16BE_BOM = "utf-16-be+bom"
    UTF16BE = "utf-16-be"
    UTF8_BOM = "utf-8+bom"
    UTF8 = "utf-8"
    CP1252 = "cp1252"


@dataclass(frozen=True, slots=True)
class WerEntry:
    """One line of a Report.wer: ``key`` and ``value`` exactly as written.

    ``value`` is None for a line that has no ``=`` at all (kept so nothing is lost).
    """

    key: str
    value: str | None

    @property
    def normalized_key(self) -> str:
        """The key compared case-insensitively and without surrounding blanks."""
        return self.key.strip().lower()


def canonical_rank(key: str) -> Rank | None:
    """Return where WER places ``key`` (a sortable tuple), or None for a key WER does not order.

    Header scalars come first, then the indexed groups by group, index and sub-key, then the
    trailer scalars. Any other ``Response.*`` key sorts with the header's response keys.
    """
    lowered = key.strip().lower()
    header = _HEADER_RANK.get(lowered)
    if header is not None:
        return (0, header, 0, 0)
    trailer = _TRAILER_RANK.get(lowered)
    if trailer is not None:
        return (2, trailer, 0, 0)
    if lowered.startswith("response."):
        return (0, _HEADER_RANK["response.cabguid"], 1, 0)
    match = _INDEXED.match(key.strip())
    if match is None:
        return None
    group = match.group(1).lower()
    group_rank = _GROUP_RANK.get(group)
    if group_rank is None:
        return None
    sub = match.group(3)
    sub_rank = 0
    if sub is not None:
        names = [name.lower() for name in _GROUP_SUBKEYS.get(group, ())]
        lowered_sub = sub.lower()
        sub_rank = names.index(lowered_sub) + 1 if lowered_sub in names else len(names) + 1
    return (1, group_rank, int(match.group(2)), sub_rank)


@dataclass(frozen=True, slots=True)
class WerDocument:
    """An immutable, ordered Report.wer.

    Lookups are case-insensitive (real files contain ``ui[1]``). When a key appears twice the
    first occurrence wins for :meth:`get`, and both are kept. Thread-safe (immutable).
    """

    entries: tuple[WerEntry, ...] = ()
    source_encoding: SourceEncoding = SourceEncoding.UTF16LE_BOM
    newline: str = "\r\n"
    trailing_newline: bool = False
    _index: Mapping[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for position, entry in enumerate(self.entries):
            index.setdefault(entry.normalized_key, position)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> WerDocument:
        """Build a document from key/value pairs, sorted into WER's order (stable for ties).

        Keys WER does not order keep their relative order and go after the header scalars.
        Later duplicates of a key replace earlier ones.
        """
        values: dict[str, WerEntry] = {}
        for key, value in pairs:
            values[key.strip().lower()] = WerEntry(key, value)
        unknown_rank: Rank = (0, len(_HEADER_KEYS), 2, 0)
        ordered = sorted(
            values.values(), key=lambda entry: canonical_rank(entry.key) or unknown_rank
        )
        return cls(tuple(ordered))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.strip().lower() in self._index

    def __iter__(self) -> Iterator[WerEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the value of ``key`` (case-insensitive), or ``default`` when absent."""
        position = self._index.get(key.strip().lower())
        if position is None:
            return default
        value = self.entries[position].value
        return default if value is None else value

    def with_values(self, updates: Mapping[str, str | None]) -> WerDocument:
        """Return a copy with ``updates`` applied; None removes a key.

        An existing key keeps its place and spelling; a new key is inserted after the last entry
        that WER orders before it, so documents keep WER's order.
        """
        entries = list(self.entries)
        for key, value in updates.items():
            lowered = key.strip().lower()
            positions = [i for i, e in enumerate(entries) if e.normalized_key == lowered]
            if value is None:
                for position in reversed(positions):
                    del entries[position]
                continue
            if positions:
                first = positions[0]
                entries[first] = WerEntry(entries[first].key, value)
                continue
            entries.insert(_insertion_point(entries, key), WerEntry(key, value))
        return WerDocument(
            tuple(entries), self.source_encoding, self.newline, self.trailing_newline
        )

    def without_prefix(self, prefix: str) -> WerDocument:
        """Return a copy without every key that starts with ``prefix`` (case-insensitive)."""
        lowered = prefix.lower()
        kept = tuple(e for e in self.entries if not e.normalized_key.startswith(lowered))
        return WerDocument(kept, self.source_encoding, self.newline, self.trailing_newline)

    def items(self) -> Iterator[tuple[str, str | None]]:
        """Yield ``(key, value)`` for every entry, in order."""
        for entry in self.entries:
            yield entry.key, entry.value


def _insertion_point(entries: list[WerEntry], key: str) -> int:
    rank = canonical_rank(key)
    if rank is None:
        # Unknown keys go after the header block, where WER writes its newer scalars.
        rank = (0, len(_HEADER_KEYS), 2, 0)
    point = 0
    for position, entry in enumerate(entries):
        other = canonical_rank(entry.key)
        if other is not None and other <= rank:
            point = position + 1
    return point


def _decode(data: bytes) -> tuple[str, SourceEncoding]:
    """Decode with the BOM if there is one, else by sniffing the NUL pattern of UTF-16."""
    boms = (
        (codecs.BOM_UTF8, "utf-8", SourceEncoding.UTF8_BOM),
        (codecs.BOM_UTF16_LE, "utf-16-le", SourceEncoding.UTF16LE_BOM),
        (codecs.BOM_UTF16_BE, "utf-16-be", SourceEncoding.UTF16BE_BOM),
    )
    for bom, codec, kind in boms:
        if data.startswith(bom):
            return _decode_as(data[len(bom) :], codec), kind
    sample = data[:512]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    if odd_nuls > half * 0.3 and odd_nuls > even_nuls * 4:
        return _decode_as(data, "utf-16-le"), SourceEncoding.UTF16LE
    if even_nuls > half * 0.3 and even_nuls > odd_nuls * 4:
        return _decode_as(data, "utf-16-be"), SourceEncoding.UTF16BE
    try:
        return data.decode("utf-8"), SourceEncoding.UTF8
    except UnicodeDecodeError:
        # ANSI Report.wer files exist (older tools); cp1252 maps all but five bytes.
        return data.decode("cp1252", errors="replace"), SourceEncoding.CP1252


def _decode_as(data: bytes, codec: str) -> str:
    if codec.startswith("utf-16") and len(data) % 2:
        raise FormatError("Report.wer: UTF-16 text with an odd number of bytes (truncated file?)")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FormatError(f"Report.wer: not valid {codec} text at byte {exc.start}") from exc


def parse_report_wer(data: bytes) -> WerDocument:
    """Parse Report.wer bytes into a :class:`WerDocument`, keeping every line.

    Blank lines are dropped (they carry nothing); every other line becomes one entry, split at
    its first ``=``.

    Raises:
        FormatError: the input is empty, larger than :data:`MAX_REPORT_WER_BYTES`, not text
            (NUL or other control characters after decoding), or has no ``Key=Value`` line.
    """
    if not data:
        raise FormatError("Report.wer: the file is empty")
    if len(data) > MAX_REPORT_WER_BYTES:
        raise FormatError(
            f"Report.wer: {len(data)} bytes is larger than the {MAX_REPORT_WER_BYTES}-byte limit"
        )
    text, encoding = _decode(data)
    newline = "\r\n" if "\r\n" in text else ("\n" if "\n" in text else "\r")
    trailing = text.endswith(("\n", "\r"))
    entries: list[WerEntry] = []
    lines = _LINE_BREAK.split(text)
    if trailing:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _has_control_characters(line):
            raise FormatError(f"Report.wer: line {number} contains binary data; not a Report.wer")
        key, sep, value = line.partition("=")
        entries.append(WerEntry(key, value if sep else None))
    if not any(entry.value is not None and entry.key.strip() for entry in entries):
        raise FormatError("Report.wer: no Key=Value line found")
    return WerDocument(tuple(entries), encoding, newline, trailing)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Only CR and LF end a Report.wer line; other Unicode breaks may sit inside a value.
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def _has_control_characters(line: str) -> bool:
    return _CONTROL.search(line) is not None


def serialize_report_wer(document: WerDocument) -> bytes:
    """Serialize as Windows writes Report.wer: UTF-16LE with a BOM and CRLF line ends.

    A document parsed from a file that ended in a line break keeps it, so a parse/serialize
    round trip of a UTF-16LE+BOM+CRLF file gives back the same bytes.

    Raises:
        FormatError: a key or value contains a line break (it would split the entry) or another
            control character (readers would take the file for binary), or a key contains ``=``.
    """
    lines: list[str] = []
    for entry in document.entries:
        if "=" in entry.key or _breaks_line(entry.key) or _has_control_characters(entry.key):
            raise FormatError(f"Report.wer: invalid key {entry.key!r}")
        if entry.value is None:
            lines.append(entry.key)
            continue
        if _breaks_line(entry.value) or _has_control_characters(entry.value):
            raise FormatError(
                f"Report.wer: the value of {entry.key} contains a line break or control character"
            )
        lines.append(f"{entry.key}={entry.value}")
    text = "\r\n".join(lines)
    if document.trailing_newline and lines:
        text += "\r\n"
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le", errors="surrogatepass")


def _breaks_line(text: str) -> bool:
    return "\r" in text or "\n" in text
