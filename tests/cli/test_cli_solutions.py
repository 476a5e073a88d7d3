"""Tests of ``openwer solutions``: add, list, update and remove on a real SQLite data folder,
and what stage 1 answers afterwards."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from server_cli_support import Seeded, ingest, report, run, seed

PATTERN = r"\|parse$"


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """A server data folder with a few buckets."""
    return seed(tmp_path / "server")


def test_empty_data_folder(tmp_path: Path) -> None:
    """On a folder that does not exist yet there are no solutions."""
    empty = ["--data-dir", str(tmp_path / "nothing-yet")]
    assert run("solutions", "list", *empty) == (0, "No solutions.\n", "")
    assert run("solutions", "list", *empty, "--json") == (0, "[]\n", "")
    code, _, err = run("solutions", "remove", "1", *empty)
    assert (code, err) == (1, "openwer: error: no solution with id 1\n")


def test_pattern_solution_is_answered(seeded: Seeded) -> None:
    """A pattern limited to one event type: stage 1 of a matching report carries it; another
    event type or function does not."""
    added = seeded.run_json("solutions", "add", "--product", "app", "--pattern", PATTERN,
        "--event-type", "PythonUnhandledException", "--message", "Fixed in 1.1",
        "--url", "https://example.invalid/kb/1",
    )  # fmt: skip
    assert isinstance(added, dict)
    expected = {
        "product": "app",
        "bucket_id": None,
        "pattern": PATTERN,
        "event_type": "PythonUnhandledException",
        "message": "Fixed in 1.1",
        "url": "https://example.invalid/kb/1",
    }
    assert {k: added[k] for k in expected} == expected
    answers = ingest(
        seeded.data_dir,
        "app",
        report("parse"),
        report("lookup"),
        report("parse", event_type="APPCRASH"),
    )
    assert [a.solution.message if a.solution else None for a in answers] == [
        "Fixed in 1.1",
        None,
        None,
    ]
    assert ingest(seeded.data_dir, "other", report("parse"))[0].solution is None
    assert seeded.run_json("solutions", "list") == [added]
    assert seeded.run_json("solutions", "list", "--product", "other") == []
    code, out, _ = run("solutions", "list", *seeded.args())
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "PRODUCT", "FOR", "URL", "MESSAGE"]
    assert f"/{PATTERN}/ [PythonUnhandledException]" in row
    assert row.endswith("Fixed in 1.1")


def test_bucket_solution_update_and_remove(seeded: Seeded) -> None:
    """--bucket adds a bucket's solution; update changes message and URL; remove deletes it."""
    code, out, _ = run(
        "solutions", "add", "--product", "app", "--bucket", seeded.lookup,
        "--message", "Rebuild the index", *seeded.args(),
    )  # fmt: skip
    assert code == 0
    assert out.startswith("solution ")
    assert out.endswith(" added\n")
    solution_id = out.split()[1]
    answer = ingest(seeded.data_dir, "app", report("lookup"))[0]
    assert answer.solution is not None
    assert (answer.solution.message, answer.solution.url) == ("Rebuild the index", None)
    updated = seeded.run_json("solutions", "update", solution_id, "--url", "http://e.invalid/1")
    assert isinstance(updated, dict)
    assert (updated["message"], updated["url"], updated["bucket_id"]) == (
        "Rebuild the index",
        "http://e.invalid/1",
        seeded.lookup,
    )
    updated = seeded.run_json(
        "solutions", "update", solution_id, "--message", "Reindex", "--no-url"
    )
    assert isinstance(updated, dict)
    assert (updated["message"], updated["url"]) == ("Reindex", None)
    assert run("solutions", "remove", solution_id, *seeded.args()) == (
        0,
        f"solution {solution_id} removed\n",
        "",
    )
    assert ingest(seeded.data_dir, "app", report("lookup"))[0].solution is None
    code, _, err = run("solutions", "update", solution_id, "--message", "x", *seeded.args())
    assert (code, err) == (1, f"openwer: error: no solution with id {solution_id}\n")


@pytest.mark.parametrize(
    "args",
    [
        ["--pattern", "("],
        ["--pattern", "(a+)+"],
        ["--pattern", "a" * 501],
        ["--pattern", "x", "--url", "javascript:alert(1)"],
        ["--pattern", "x", "--message", " "],
        ["--bucket", "{lookup}", "--event-type", "APPCRASH"],
        ["--bucket", str(uuid.uuid4())],
        ["--bucket", "{elsewhere}"],
        ["--pattern", "x", "--product", "ghost"],
    ],
)
def test_bad_solutions_exit_1(seeded: Seeded, args: list[str]) -> None:
    """Bad regexes, URLs, messages, targets and products: one line, exit 1, nothing stored."""
    args = [a.format(lookup=seeded.lookup, elsewhere=seeded.elsewhere) for a in args]
    options = {"--product": "app", "--message": "m"}
    for name, value in options.items():
        if name not in args:
            args += [name, value]
    code, _, err = run("solutions", "add", *args, *seeded.args())
    assert code == 1, err
    assert err.startswith("openwer: error: "), err
    assert err.count("\n") == 1, err
    assert seeded.run_json("solutions", "list") == []


@pytest.mark.parametrize(
    "args",
    [
        ["add", "--product", "app", "--message", "m"],
        ["add", "--product", "app", "--message", "m", "--pattern", "x", "--bucket", "{lookup}"],
        ["add", "--pattern", "x", "--message", "m"],
        ["update", "1"],
        ["update", "1", "--url", "https://e.invalid", "--no-url"],
        ["update", "abc", "--message", "m"],
        ["remove", "0"],
    ],
)
def test_usage_errors_exit_2(seeded: Seeded, args: list[str]) -> None:
    """Neither or both targets, no product, an empty update, odd ids: exit 2."""
    args = [a.format(lookup=seeded.lookup) for a in args]
    code, _, err = run("solutions", *args, *seeded.args())
    assert code == 2, err
