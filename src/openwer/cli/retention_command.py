"""``openwer prune-bundles``: one bundle retention pass now, as the server runs on its schedule.

Takes the server's ``--data-dir``, ``--config`` and ``--database`` (see
:mod:`openwer.server.config`), ``--blobs`` as ``openwer serve`` does, and ``--max-age-days`` /
``--quota-bytes`` to override ``bundle_max_age_days`` / ``bundle_quota_bytes`` (0 turns a rule
off). Reports and their hit counts stay; only the bundles go.

``--json`` prints ``{"pruned": [{"report_id", "blob_key", "size", "blob"}], "bytes_pruned",
"pending", "policy": {"max_age_days", "quota_bytes"}}``, where ``blob`` is ``deleted``,
``pending`` or ``abandoned``. When a blob cannot be deleted, the command names it on stderr and
exits 1: no report names it any more, so it is not retried; delete it by hand or leave it.
"""

from __future__ import annotations

import click

from openwer.cli.json_output import echo_json
from openwer.cli.server_storage import ServerStorage, open_server_repository, server_options

__all__ = ["prune_bundles"]


@click.command("prune-bundles")
@click.option(
    "--blobs",
    help="Where bundles are: a folder, file:// or s3://BUCKET?endpoint=URL (default: DATA/blobs).",
)
@click.option(
    "--max-age-days",
    type=click.IntRange(min=0),
    help="Prune bundles older than this (0: no age limit; default from the configuration).",
)
@click.option(
    "--quota-bytes",
    type=click.IntRange(min=0),
    help="Then prune the oldest while the total is over this (0: no quota).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@server_options
def prune_bundles(
    blobs: str | None,
    max_age_days: int | None,
    quota_bytes: int | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Prune report bundles by age and quota now; hit counts stay."""
    from openwer.server.blobs import open_blob_store
    from openwer.server.config import load_server_config
    from openwer.server.retention import BlobCleanup, BundlePruner, RetentionPolicy

    config = load_server_config(
        server.config_file,
        data_dir=server.data_dir,
        database=server.database,
        blobs=blobs,
        bundle_max_age_days=max_age_days,
        bundle_quota_bytes=quota_bytes,
    )
    policy = RetentionPolicy.from_config(config)
    with open_server_repository(server) as repository:
        store = open_blob_store(config.blobs, config.data_dir)
        try:
            summary = BundlePruner(repository, store, policy).run_pass()
        finally:
            store.close()
    if as_json:
        body = {
            "pruned": [
                {
                    "report_id": item.report_id,
                    "blob_key": item.blob_key,
                    "size": item.size,
                    "blob": item.cleanup.value,
                }
                for item in summary.pruned
            ],
            "bytes_pruned": summary.bytes_pruned,
            "pending": list(summary.pending),
            "policy": {
                "max_age_days": config.bundle_max_age_days,
                "quota_bytes": config.bundle_quota_bytes,
            },
        }
        echo_json(body)
    elif not policy.enabled:
        click.echo("retention is off (no age limit, no quota): nothing pruned")
    else:
        for item in summary.pruned:
            click.echo(f"{item.report_id}  {item.size:>10d}  {item.blob_key}  {item.cleanup}")
        click.echo(f"pruned {len(summary.pruned)} bundles ({summary.bytes_pruned} bytes)")
    lost = [item.blob_key for item in summary.pruned if item.cleanup is not BlobCleanup.DELETED]
    if lost:
        click.echo(
            f"openwer: error: {len(lost)} blobs could not be deleted and are no longer named by "
            f"any report: {', '.join(lost)}",
            err=True,
        )
        click.get_current_context().exit(1)
