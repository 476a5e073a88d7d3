"""What the ingest endpoints do, between the HTTP layer and storage: one async method each.

* :meth:`IngestService.stage1`: parse the stage-1 JSON, check the product, group-commit it
  through the :class:`~openwer.server.storage.IngestBatcher`, answer the stored response;
* :meth:`IngestService.bundle`: read the CAB (``read_bundle``) in a worker thread, write it to
  the bundle store, record it; a bundle the storage refuses is deleted again (one whose
  recording failed is kept: another upload may reference it, and a retry reuses it);
* :meth:`IngestService.cer_level1` / :meth:`IngestService.cer_level2`: the same for MS-CER2.

Hostile input is refused before anything is written: the CAB is fully read and checked under
:class:`~openwer.formats.cab_bundle.BundleLimits` before its blob is stored.

Bundles go to a :class:`~openwer.server.blobs.BlobStore` under
``bundles/<product id>/<report id>-<sha256 prefix>.cab``: the key names the content, so the blob
store's first-writer-wins rule never keeps a different bundle under a key.

Failure contract: format errors raise ``FormatError`` (400), a key for another product raises
``AccessDeniedError`` (403), unknown reports ``NotFoundError`` (404), conflicts :class:`HttpError`
409, storage failures ``StoreError`` (503): see :mod:`openwer.server.http_errors`.

Thread safety: one instance serves every request of an app; the methods may run concurrently.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

from openwer.errors import AccessDeniedError, FormatError, NotFoundError
from openwer.formats.cab_bundle import BundleFile, BundleLimits, read_bundle, read_cab
from openwer.formats.modules_manifest import MODULES_FILE_NAME, PackageVersion, package_versions
from openwer.formats.mscer2_report import cer_report_to_stage1, parse_level1_report
from openwer.formats.mscer2_response import level1_response_for, serialize_level1_response
from openwer.formats.protocol_json import stage1_request_from_json, stage1_response_to_json
from openwer.server.blobs import BlobStore
from openwer.server.http_errors import HttpError
from openwer.server.storage import (
    BundleOutcome,
    BundleUpload,
    IngestBatcher,
    ProductRow,
    ReportFile,
    Stage1Item,
    Stage1Status,
)
from openwer.server.storage.model import canonical_report_id

__all__ = ["IngestService", "Stage1Answer", "cer_dump_path"]


@dataclass(frozen=True, slots=True)
class Stage1Answer:
    """The HTTP answer to a stage 1: 201 for a new report id, 200 for a repeat."""

    status: int
    body: bytes


_CAB = "application/vnd.ms-cab-compressed"


def cer_dump_path(report_id: str) -> str:
    """The MS-CER2 ``DumpFile`` path of a report: ``/dumpfiles/<report id>.cab``."""
    return f"/dumpfiles/{report_id}.cab"


class IngestService:
    """Stage 1, stage 2 and MS-CER2 ingest for one server (see the module docstring)."""

    def __init__(
        self,
        batcher: IngestBatcher,
        bundles: BlobStore,
        *,
        max_bundle_bytes: int,
    ) -> None:
        # every write goes through the batcher (group commit), none to the repository directly
        self._batcher = batcher
        self._bundles = bundles
        self._limits = BundleLimits(max_input_bytes=max_bundle_bytes)

    async def stage1(self, product: ProductRow, body: bytes) -> Stage1Answer:
        """Ingest one protocol-v1 stage 1 for the key's ``product``; idempotent by report id."""
        request = stage1_request_from_json(body)
        if request.product is not None and request.product != product.name:
            raise AccessDeniedError(
                f"the ingest key is for product {product.name!r}, not {request.product!r}"
            )
        outcome = await self._batcher.submit_stage1(Stage1Item(product.id, request))
        if outcome.status is Stage1Status.ID_CONFLICT:
            raise HttpError(409, f"report id {outcome.report_id} belongs to another report")
        if outcome.status is Stage1Status.WRONG_PRODUCT or outcome.response is None:
            raise AccessDeniedError(f"the report is not for product {product.name!r}")
        status = 201 if outcome.status is Stage1Status.NEW else 200
        return Stage1Answer(status, stage1_response_to_json(outcome.response))

    async def bundle(self, product: ProductRow, report_id: str, body: bytes) -> int:
        """Store a report bundle (a CAB holding Report.wer); 201 new, 200 already stored."""
        report_id = _report_id(report_id)
        bundle = await asyncio.to_thread(read_bundle, body, limits=self._limits)
        members = (BundleFile("Report.wer", bundle.report_wer_bytes), *bundle.files)
        return await self._store(product, report_id, body, members)

    async def cer_level1(self, product: ProductRow, body: bytes) -> bytes:
        """Bucket an MS-CER2 level-1 report; the ``Key=Value`` answer (cp1252, CRLF)."""
        report = parse_level1_report(body)
        report_id = str(uuid.uuid4())
        request = cer_report_to_stage1(report, report_id=report_id, product=product.name)
        outcome = await self._batcher.submit_stage1(Stage1Item(product.id, request))
        if outcome.response is None:
            raise AccessDeniedError(f"the report is not for product {product.name!r}")
        return serialize_level1_response(
            level1_response_for(outcome.response, dump_file=cer_dump_path(report_id))
        )

    async def cer_level2(self, product: ProductRow, report_id: str, body: bytes) -> int:
        """Store Windows' own cabinet for an MS-CER2 report (any safe CAB)."""
        report_id = _report_id(report_id)
        members = await asyncio.to_thread(read_cab, body, limits=self._limits)
        return await self._store(product, report_id, body, members)

    async def _store(
        self, product: ProductRow, report_id: str, body: bytes, members: tuple[BundleFile, ...]
    ) -> int:
        digest = hashlib.sha256(body).hexdigest()[:16]
        key = f"bundles/{product.id}/{report_id}-{digest}.cab"
        await asyncio.to_thread(self._bundles.put, key, body, content_type=_CAB)
        upload = BundleUpload(
            product_id=product.id,
            report_id=report_id,
            blob_key=key,
            size=len(body),
            files=tuple(ReportFile(m.name, len(m.data)) for m in members),
            packages=_packages(members),
        )
        # If recording fails, the blob stays: a concurrent upload of the same bytes for this
        # report may have recorded this very key, and the client's retry reuses it anyway.
        result = await self._batcher.submit_bundle(upload)  # group-committed like stage 1
        if result.outcome is not BundleOutcome.STORED and result.blob_key != key:
            await asyncio.to_thread(self._bundles.delete, key)
        if result.outcome is BundleOutcome.UNKNOWN_REPORT:
            raise NotFoundError(f"no report {report_id} for product {product.name!r}")
        if result.outcome is BundleOutcome.NOT_REQUESTED:
            raise HttpError(409, f"the server did not ask for the bundle of report {report_id}")
        return 201 if result.outcome is BundleOutcome.STORED else 200


def _packages(members: tuple[BundleFile, ...]) -> tuple[PackageVersion, ...]:
    """The Python packages of the bundle's ``modules.json`` (none when absent or damaged)."""
    found = next((m for m in members if m.name.casefold() == MODULES_FILE_NAME), None)
    return () if found is None else package_versions(found.data)


def _report_id(text: str) -> str:
    try:
        return canonical_report_id(text)
    except ValueError as exc:
        raise FormatError(f"report id is not a GUID: {text!r}") from exc
