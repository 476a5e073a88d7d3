"""What a lenient read could not take from a damaged minidump.

A minidump is read stream by stream; a stream that is truncated, points outside the file or holds
impossible counts becomes a :class:`Damage` entry while the other streams are still read (the
house rule "partial beats nothing"). Only a file that is not a minidump at all (no ``MDMP``
signature, no readable directory) is refused with :class:`~openwer.errors.FormatError`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Damage"]


@dataclass(frozen=True, slots=True)
class Damage:
    """One part of the dump that could not be read, or could only be read in part.

    Attributes:
        where: the part, e.g. ``"stream 3 (ThreadList)"`` or ``"thread 1304 context"``.
        message: what is wrong with it, in one line.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
