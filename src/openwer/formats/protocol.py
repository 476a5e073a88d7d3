"""Messages of openwer's two-stage upload protocol (v1), shared by the client and the server.

Stage 1 sends only the signature and a few non-identifying facts; the server answers with the
bucket, whether it wants the report bundle (stage 2) and what it must hold, and any solution for
the user. These frozen dataclasses are the protocol's vocabulary; the JSON wire form and its
validation are :mod:`openwer.formats.protocol_json` (documented in ``docs/protocol.md``).

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openwer.types import ConsentLevel, DumpType

__all__ = ["DataRequest", "SignatureParameter", "Solution", "Stage1Request", "Stage1Response"]


@dataclass(frozen=True, slots=True)
class SignatureParameter:
    """One signature parameter: its name (may be localized) and value."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Stage1Request:
    """What stage 1 sends: the report's identity and signature, nothing that identifies a user.

    ``consent`` is the data level the user allows (the settings scale), so the server asks only
    for what it may get. ``machine_id`` is set only when ``WER_SUBMIT_REPORT_MACHINE_ID`` asks.
    ``product`` names the product the report belongs to (the server checks it against the
    ingest key's product) and ``app_version`` is the application's version, for "fixed in
    version" decisions; both are optional (P1 usually holds the version too).
    """

    report_id: str
    event_type: str
    report_type: int
    signature: tuple[SignatureParameter, ...]
    dynamic_signature: tuple[SignatureParameter, ...] = ()
    consent: ConsentLevel = ConsentLevel.PARAMETERS_ONLY
    client: tuple[tuple[str, str], ...] = ()
    machine_id: str | None = None
    product: str | None = None
    app_version: str | None = None


@dataclass(frozen=True, slots=True)
class DataRequest:
    """What the server wants in the bundle: a dump type and extra files.

    ``explicit`` marks a request a developer made for this bucket; it overrides the client's
    one-bundle-per-bucket data throttle, as WER's server-side requests do.
    """

    dump_type: DumpType = DumpType.MINI_DUMP
    files: tuple[str, ...] = ()
    explicit: bool = False


@dataclass(frozen=True, slots=True)
class Solution:
    """A known answer for a bucket, shown to the user."""

    message: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Stage1Response:
    """The server's answer to stage 1."""

    bucket_id: str
    legacy_bucket_id: int
    bucket_table: int = 1
    data_request: DataRequest | None = None
    upload_url: str | None = None
    solution: Solution | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def wants_bundle(self) -> bool:
        """True when the server asks for stage 2."""
        return self.data_request is not None
