"""Client-side bucket ids: a stable hash of an event type and its signature parameters.

WER labels every report with the hash of its signature before the server ever sees it
(``WER_REPORT_METADATA_V1.BucketId``, "a hash of the signature"). openwer does the same, with one
definition shared by the client and the server so both name a bucket alike:

* the key is the event type (case-folded, as WER's event names are case-insensitive registry
  names) and the parameter values P0..Pn in slot order, each written as ``<length>:<text>`` (so
  no value can imitate a separator), joined by ``0x1F`` and UTF-8 encoded; parameter *names* are
  not part of it, so localized names do not split buckets;
* ``bucket_id`` is a GUID made of the first 16 bytes of the SHA-256 of the key, marked as an
  RFC 9562 version-8 (custom) UUID;
* ``legacy_bucket_id`` is the next 8 bytes as a non-negative signed 64-bit integer, the shape of
  WER's ``Response.LegacyBucketId``.

Pure and deterministic across runs, machines and Python versions.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BucketIds", "compute_bucket_ids"]


@dataclass(frozen=True, slots=True)
class BucketIds:
    """The two ids of one bucket."""

    bucket_id: uuid.UUID
    legacy_bucket_id: int

    @property
    def bucket_id_string(self) -> str:
        """The GUID form, lower-case with dashes."""
        return str(self.bucket_id)


def compute_bucket_ids(event_type: str, parameter_values: Sequence[str]) -> BucketIds:
    """Return the bucket ids of an event type and its signature values (P0 first)."""
    parts = [event_type.casefold(), *parameter_values]
    key = "\x1f".join(f"{len(part)}:{part}" for part in parts)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    # Set the version-8 and RFC variant bits by hand: uuid.UUID(version=8) needs Python 3.14.
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    bucket = uuid.UUID(bytes=bytes(raw))
    legacy = int.from_bytes(digest[16:24], "big") & 0x7FFF_FFFF_FFFF_FFFF
    return BucketIds(bucket, legacy)
