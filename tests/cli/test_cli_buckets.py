"""Tests of ``openwer buckets``: listing, details, lifecycle, merges and data requests, on a
real SQLite data folder."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from server_cli_support import Seeded, ingest, report, run, seed


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """A server data folder with a few buckets."""
    return seed(tmp_path / "server")


def test_empty_data_folder(tmp_path: Path, openwer_home: Path) -> None:
    """On a folder that does not exist yet (and on the default one) the listing is empty."""
    empty = tmp_path / "nothing-yet"
    assert run("buckets", "list", "--data-dir", str(empty)) == (0, "No buckets.\n", "")
    code, out, _ = run("buckets", "list", "--data-dir", str(empty), "--json")
    assert (code, json.loads(out)) == (0, {"buckets": [], "total": 0, "limit": 50, "offset": 0})
    assert run("buckets", "list")[0] == 0
    assert (openwer_home / "server").is_dir()
    code, _, err = run("buckets", "show", str(uuid.uuid4()), "--data-dir", str(empty))
    assert code == 1
    assert err.startswith("openwer: error: no bucket")
    assert err.count("\n") == 1


def test_list_as_table_and_json(seeded: Seeded) -> None:
    """The table shows every bucket, most hits first; --json the query API's page."""
    code, out, _ = run("buckets", "list", *seeded.args())
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["BUCKET", "PRODUCT", "HITS", "STATUS"]
    assert lines[1].split()[:4] == [seeded.parse, "app", "3", "new"]
    assert "PythonUnhandledException | app | 1.0 | parse" in lines[1]
    assert len(lines) == 5
    page = seeded.run_json("buckets", "list", "--product", "app")
    assert isinstance(page, dict)
    assert page["total"] == 2
    first = page["buckets"][0]
    assert (first["id"], first["product"], first["hits"], first["range_hits"]) == (
        seeded.parse,
        "app",
        3,
        3,
    )
    assert {"signature", "status", "fixed_in_version", "merged_into", "last_seen"} <= set(first)
    limited = seeded.run_json("buckets", "list", "--limit", "1")
    assert isinstance(limited, dict)
    assert (limited["total"], len(limited["buckets"])) == (4, 1)
    code, out, _ = run("buckets", "list", "--limit", "1", *seeded.args())
    assert "--offset 1 for more" in out


def test_show(seeded: Seeded) -> None:
    """show prints the bucket's facts; --json the query API's bucket page; --product picks."""
    code, out, _ = run("buckets", "show", seeded.parse.upper(), *seeded.args())
    assert code == 0
    assert seeded.parse in out
    assert "P2  Function" in out
    assert "data request    none" in out
    assert "VERSION  REPORTS" in out
    detail = seeded.run_json("buckets", "show", seeded.parse, "--product", "other")
    assert isinstance(detail, dict)
    assert (detail["product"], detail["hits"]) == ("other", 1)
    assert {"hits_per_day", "versions", "os", "sample_reports", "solution", "merged_from"} <= set(
        detail
    )
    code, _, err = run("buckets", "show", seeded.lookup, "--product", "other", *seeded.args())
    assert code == 1
    assert "no bucket" in err
    code, _, err = run("buckets", "show", "not-a-guid", *seeded.args())
    assert (code, err.count("\n")) == (1, 1)


def test_resolve_regress_ignore_reopen(seeded: Seeded) -> None:
    """resolve --fixed-in, then a hit from a newer version regresses the bucket; ignore and
    reopen change the status."""
    resolved = seeded.run_json("buckets", "resolve", seeded.parse, "--fixed-in", "2.0")
    assert isinstance(resolved, dict)
    assert (resolved["status"], resolved["fixed_in_version"]) == ("resolved", "2.0")
    ingest(seeded.data_dir, "app", report("parse", app_version="1.9"))
    shown = seeded.run_json("buckets", "show", seeded.parse)
    assert isinstance(shown, dict)
    assert shown["status"] == "resolved"
    ingest(seeded.data_dir, "app", report("parse", app_version="2.0.1"))
    shown = seeded.run_json("buckets", "show", seeded.parse)
    assert isinstance(shown, dict)
    assert shown["status"] == "regressed"
    code, out, _ = run("buckets", "ignore", seeded.parse, *seeded.args())
    assert (code, out) == (0, f"bucket {seeded.parse} (app): ignored\n")
    code, out, _ = run("buckets", "reopen", seeded.parse, *seeded.args())
    assert (code, out) == (0, f"bucket {seeded.parse} (app): new\n")
    other = seeded.run_json("buckets", "show", seeded.parse, "--product", "other")
    assert isinstance(other, dict)
    assert other["status"] == "new"


def test_merge(seeded: Seeded) -> None:
    """merge moves the hits; the merged bucket refuses changes; bad merges exit 1."""
    code, out, _ = run("buckets", "merge", seeded.lookup, seeded.parse, *seeded.args())
    assert (code, out) == (0, f"merged {seeded.lookup} into {seeded.parse} (4 hits)\n")
    page = seeded.run_json("buckets", "list", "--product", "app")
    assert isinstance(page, dict)
    assert [(b["id"], b["hits"]) for b in page["buckets"]] == [(seeded.parse, 4)]
    for args in (
        ["resolve", seeded.lookup],
        ["request-data", seeded.lookup, "--count", "1"],
        ["merge", seeded.parse, seeded.parse],
        ["merge", seeded.parse, seeded.elsewhere],
        ["merge", seeded.parse, str(uuid.uuid4())],
    ):
        code, _, err = run("buckets", *args, *seeded.args())
        assert code == 1, args
        assert err.startswith("openwer: error: "), err
        assert err.count("\n") == 1, err
    code, _, err = run("buckets", "resolve", seeded.lookup, *seeded.args())
    assert f"merged into {seeded.parse}" in err


def test_request_data_is_honoured_exactly(seeded: Seeded) -> None:
    """request-data --count 2 --dump-type heap: the next two hits are asked for a heap dump
    (explicitly), the third is not; the other product's bucket is untouched."""
    body = seeded.run_json(
        "buckets", "request-data", seeded.parse, "--count", "2", "--dump-type", "heap"
    )
    assert body == {
        "bucket_id": seeded.parse,
        "product": "app",
        "requests": [{"remaining": 2, "dump_type": 3, "dump_type_name": "HeapDump", "files": []}],
        "bundles_collected": 0,
    }
    answers = ingest(seeded.data_dir, "app", *(report("parse") for _ in range(3)))
    wanted = [a.data_request for a in answers]
    assert [(w.dump_type, w.explicit) for w in wanted[:2] if w is not None] == [
        (3, True),
        (3, True),
    ]
    assert wanted[2] is None  # hit 6: past the policy's first 5, not a 1-in-100
    shown = seeded.run_json("buckets", "show", seeded.parse, "--product", "app")
    assert isinstance(shown, dict)
    assert shown["data_requests"]["explicit_remaining"] == 0
    code, out, _ = run(
        "buckets", "request-data", seeded.parse, "--count", "5", "--product", "other",
        *seeded.args(),
    )  # fmt: skip
    assert (code, out) == (0, f"bucket {seeded.parse}: asking the next 5 hits for a MiniDump\n")
    code, out, _ = run(
        "buckets", "request-data", seeded.parse, "--cancel", "--product", "other", *seeded.args()
    )
    assert (code, out) == (0, f"bucket {seeded.parse}: no data request\n")


@pytest.mark.parametrize(
    "args",
    [
        ["--count", "0"],
        ["--count", "1001"],
        ["--count", "x"],
        ["--count", "1", "--dump-type", "huge"],
        ["--count", "1", "--dump-type", "0"],
        ["--count", "1", "--cancel"],
        [],
    ],
)
def test_request_data_usage_errors_exit_2(seeded: Seeded, args: list[str]) -> None:
    """Counts out of range, unknown dump types, --count with --cancel or neither: exit 2."""
    code, _, err = run("buckets", "request-data", seeded.parse, *args, *seeded.args())
    assert code == 2, err
    shown = seeded.run_json("buckets", "show", seeded.parse)
    assert isinstance(shown, dict)
    assert shown["data_requests"]["explicit_remaining"] == 0


def test_config_file_names_the_data_folder(seeded: Seeded, tmp_path: Path) -> None:
    """--config reads [server] data_dir like openwer serve does."""
    config = tmp_path / "server.toml"
    config.write_text(f'[server]\ndata_dir = "{seeded.data_dir}"\n')
    code, out, _ = run("buckets", "list", "--config", str(config), "--json")
    assert code == 0
    assert json.loads(out)["total"] == 4
