"""Read Breakpad's ``minidump_dump`` text output (corpus/expected/*.dump.out) into blocks.

Each block is a title line (``MDRawModule``, ``MDRawContextX86``…) followed by
``  key = value`` lines; values are kept as text, with helpers to read integers and quoted
strings. Used as the byte-level oracle for the minidump reader.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DumpOutBlock", "parse_dump_out"]


@dataclass(frozen=True)
class DumpOutBlock:
    """One block: its title and its fields."""

    title: str
    fields: dict[str, str]

    def integer(self, key: str) -> int:
        """A field as an integer (hex with 0x, else decimal; a trailing comment is ignored)."""
        word = self.fields[key].split()[0]
        return int(word, 16) if word.startswith("0x") else int(word)

    def text(self, key: str) -> str:
        """A quoted field without its quotes."""
        value = self.fields[key]
        return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def parse_dump_out(text: str) -> list[DumpOutBlock]:
    """The blocks of a dump.out, in order."""
    blocks: list[DumpOutBlock] = []
    current: DumpOutBlock | None = None
    for line in text.splitlines():
        if not line.strip():
            current = None
            continue
        if line.startswith("  ") and current is not None and " = " in line:
            key, _, value = line.strip().partition(" = ")
            current.fields[key.strip()] = value.strip()
        elif not line.startswith(" "):
            current = DumpOutBlock(line.strip(), {})
            blocks.append(current)
    return blocks
