"""``openwer prune-bundles``: one retention pass on a server's data folder, text and JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.errors import StoreError
from openwer.formats.protocol import SignatureParameter, Stage1Request
from openwer.server.blobs import LocalBlobStore, MemoryBlobStore
from openwer.server.storage import (
    BundleState,
    BundleUpload,
    DataPolicy,
    Scope,
    SqlRepository,
    Stage1Item,
    open_repository,
)
from openwer.types import ConsentLevel

ADMIN = Scope.everything()
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "server"


@pytest.fixture
def seeded(data_dir: Path) -> Iterator[tuple[SqlRepository, LocalBlobStore, list[str]]]:
    """A server data folder with bundles received 200, 100, 30 and 0 days ago (100 bytes
    each); yields the storage, the blob folder and the report ids, oldest first."""
    data_dir.mkdir()
    repository = open_repository(None, data_dir)
    blobs = LocalBlobStore(data_dir / "blobs")
    product = repository.create_product("app", DataPolicy(first_n=100, max_bundles_per_day=100))
    ids: list[str] = []
    for days in (200, 100, 30, 0):
        report_id = str(uuid.uuid4())
        received = NOW - timedelta(days=days, minutes=1)
        request = Stage1Request(
            report_id=report_id,
            event_type="APPCRASH",
            report_type=2,
            signature=(SignatureParameter("Application Name", "demo"),),
            consent=ConsentLevel.ALL_DATA,
        )
        repository.ingest_stage1([Stage1Item(product.id, request, received_at=received)])
        key = f"bundles/{product.id}/{report_id}-0123456789abcdef.cab"
        blobs.put(key, b"x" * 100)
        repository.record_bundle(
            BundleUpload(product.id, report_id, key, 100, received_at=received)
        )
        ids.append(report_id)
    try:
        yield repository, blobs, ids
    finally:
        repository.close()
        blobs.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def states(repository: SqlRepository, ids: list[str]) -> list[BundleState]:
    return [repository.get_report(ADMIN, rid).bundle_state for rid in ids]


def test_json_pass_with_the_default_age(
    data_dir: Path, seeded: tuple[SqlRepository, LocalBlobStore, list[str]]
) -> None:
    """The default keeps 90 days: the two older bundles go, their reports stay; a second run
    finds nothing."""
    repository, blobs, ids = seeded
    code, out, err = run("prune-bundles", "--data-dir", str(data_dir), "--json")
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert [item["report_id"] for item in body["pruned"]] == ids[:2]
    assert {item["blob"] for item in body["pruned"]} == {"deleted"}
    assert body["bytes_pruned"] == 200
    assert body["pending"] == []
    assert body["policy"] == {"max_age_days": 90, "quota_bytes": 0}
    assert states(repository, ids) == [BundleState.PRUNED] * 2 + [BundleState.STORED] * 2
    assert len(list(blobs.list())) == 2
    assert (
        json.loads(run("prune-bundles", "--data-dir", str(data_dir), "--json")[1])["pruned"] == []
    )


def test_text_output_with_a_quota(
    data_dir: Path, seeded: tuple[SqlRepository, LocalBlobStore, list[str]]
) -> None:
    """--quota-bytes prunes the oldest beyond it; --max-age-days 0 turns the age rule off."""
    repository, _, ids = seeded
    code, out, _ = run(
        "prune-bundles", "--data-dir", str(data_dir), "--max-age-days", "0", "--quota-bytes", "150"
    )
    assert code == 0
    assert "pruned 3 bundles (300 bytes)" in out
    for rid in ids[:3]:
        assert rid in out
    assert states(repository, ids) == [BundleState.PRUNED] * 3 + [BundleState.STORED]


def test_configuration_file(
    tmp_path: Path, data_dir: Path, seeded: tuple[SqlRepository, LocalBlobStore, list[str]]
) -> None:
    """The [server] table's bundle_max_age_days applies (relative data_dir as serve reads it)."""
    repository, _, ids = seeded
    config = tmp_path / "server.toml"
    config.write_text('[server]\ndata_dir = "server"\nbundle_max_age_days = 10\n')
    code, out, _ = run("prune-bundles", "--config", str(config), "--json")
    assert code == 0
    assert json.loads(out)["policy"]["max_age_days"] == 10
    assert states(repository, ids) == [BundleState.PRUNED] * 3 + [BundleState.STORED]


def test_retention_off(
    data_dir: Path, seeded: tuple[SqlRepository, LocalBlobStore, list[str]]
) -> None:
    """No age and no quota: nothing is pruned and the command says why."""
    repository, _, ids = seeded
    code, out, _ = run("prune-bundles", "--data-dir", str(data_dir), "--max-age-days", "0")
    assert code == 0
    assert "retention is off" in out
    assert states(repository, ids) == [BundleState.STORED] * 4


class UnreachableStore(MemoryBlobStore):
    """A blob store whose deletions fail."""

    def delete(self, key: str) -> None:
        raise StoreError(f"endpoint unreachable deleting {key}")


def test_failed_deletions_are_named_and_exit_1(
    data_dir: Path,
    seeded: tuple[SqlRepository, LocalBlobStore, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A blob that cannot be deleted is listed (JSON and stderr) and the exit status is 1; the
    reports are pruned all the same."""
    repository, blobs, ids = seeded
    monkeypatch.setattr(
        "openwer.server.blobs.open_blob_store", lambda url, data_dir: UnreachableStore()
    )
    code, out, err = run("prune-bundles", "--data-dir", str(data_dir), "--json")
    assert code == 1
    body = json.loads(out)
    assert [item["blob"] for item in body["pruned"]] == ["pending", "pending"]
    assert len(body["pending"]) == 2
    assert "could not be deleted" in err
    for key in body["pending"]:
        assert key in err
        assert blobs.exists(key)  # the real folder was never reached
    assert states(repository, ids)[:2] == [BundleState.PRUNED] * 2


def test_invalid_options(data_dir: Path) -> None:
    """Negative values are usage errors (exit 2)."""
    code, _, err = run("prune-bundles", "--data-dir", str(data_dir), "--quota-bytes", "-1")
    assert code == 2
    assert "--quota-bytes" in err
