"""Helpers of the server CLI tests: run ``openwer`` in-process, seed a server data folder."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.formats.protocol import SignatureParameter, Stage1Request, Stage1Response
from openwer.server.storage import Stage1Item, Stage1Status, open_repository
from openwer.types import ConsentLevel


def run(*args: str) -> tuple[int, str, str]:
    """``openwer ARGS``: exit status, stdout and stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report(
    function: str, event_type: str = "PythonUnhandledException", app_version: str = "1.0"
) -> Stage1Request:
    """A stage 1 whose bucket is picked by ``function`` (P2) and ``event_type``."""
    return Stage1Request(
        report_id=str(uuid.uuid4()),
        event_type=event_type,
        report_type=2,
        signature=(
            SignatureParameter("Application Name", "app"),
            SignatureParameter("Application Version", "1.0"),
            SignatureParameter("Function", function),
        ),
        consent=ConsentLevel.ALL_DATA,
        app_version=app_version,
    )


def ingest(data_dir: Path, product: str, *requests: Stage1Request) -> list[Stage1Response]:
    """Ingest ``requests`` for ``product`` straight into the data folder's storage."""
    repository = open_repository(None, data_dir)
    try:
        product_id = repository.get_product(product).id
        outcomes = repository.ingest_stage1([Stage1Item(product_id, r) for r in requests])
    finally:
        repository.close()
    answers = []
    for outcome in outcomes:
        assert outcome.status is Stage1Status.NEW
        assert outcome.response is not None
        answers.append(outcome.response)
    return answers


@dataclass(frozen=True)
class Seeded:
    """A data folder with products "app" and "other" and their buckets' GUIDs."""

    data_dir: Path
    parse: str  # 3 hits in "app", 1 in "other" (same signature, same GUID)
    lookup: str  # 1 hit in "app"
    elsewhere: str  # 1 hit in "other" only

    def args(self) -> list[str]:
        """The ``--data-dir`` option for this folder."""
        return ["--data-dir", str(self.data_dir)]

    def run_json(self, *args: str) -> object:
        """``openwer ARGS --data-dir … --json`` on this folder: its output, parsed (it must
        succeed and print nothing on stderr)."""
        code, out, err = run(*args, *self.args(), "--json")
        assert (code, err) == (0, ""), err
        return json.loads(out)


def seed(data_dir: Path) -> Seeded:
    """Create products "app" and "other" (default policy) and a few reports."""
    repository = open_repository(None, data_dir)
    try:
        repository.create_product("app")
        repository.create_product("other")
    finally:
        repository.close()
    parse = ingest(data_dir, "app", report("parse"), report("parse"), report("parse"))[0]
    lookup = ingest(data_dir, "app", report("lookup"))[0]
    ingest(data_dir, "other", report("parse"))
    elsewhere = ingest(data_dir, "other", report("elsewhere"))[0]
    return Seeded(data_dir, parse.bucket_id, lookup.bucket_id, elsewhere.bucket_id)
