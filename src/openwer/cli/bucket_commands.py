"""``openwer buckets list|show|resolve|ignore|reopen|merge|request-data``: bucket lifecycle on
the server's storage.

Like ``openwer products``, every command takes ``--data-dir``, ``--config`` and ``--database``
and opens the server's database directly (creating and migrating it when needed, so they work
on an empty data folder). A bucket is named by its GUID; ``--product`` picks the product when
the GUID exists in several. The rules are those of the admin API
(:mod:`openwer.server.bucket_admin`); ``--json`` prints the API's shapes (docs/cli.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from openwer.cli.json_output import echo_json, json_option
from openwer.cli.server_storage import ServerStorage, open_server_repository, server_options
from openwer.cli.table import render_table

if TYPE_CHECKING:
    from openwer.server.storage import BucketDetail, BucketRow
    from openwer.types import DumpType

__all__ = ["buckets"]

_SIGNATURE_WIDTH = 70
product_option = click.option("--product", help="The bucket's product (when a GUID is in several).")


def _summary(bucket: BucketRow) -> str:
    text = " | ".join([bucket.event_type, *(p.value for p in bucket.signature)])
    return text if len(text) <= _SIGNATURE_WIDTH else text[: _SIGNATURE_WIDTH - 1] + "…"


def _status(bucket: BucketRow) -> str:
    if bucket.merged_into is not None:
        return f"merged into {bucket.merged_into}"
    if bucket.fixed_in_version is not None:
        return f"{bucket.status.value} (fixed in {bucket.fixed_in_version})"
    return bucket.status.value


def _echo_bucket(bucket: BucketRow, as_json: bool, names: dict[int, str]) -> None:
    from openwer.server.row_json import bucket_json

    if as_json:
        echo_json(bucket_json(bucket, names))
    else:
        product = names.get(bucket.product_id, "?")
        click.echo(f"bucket {bucket.bucket_id} ({product}): {_status(bucket)}")


@click.group("buckets")
def buckets() -> None:
    """Buckets of the collection server: list, show, resolve, merge, ask for data."""


@buckets.command("list")
@product_option
@click.option(
    "--status",
    type=click.Choice(["new", "resolved", "regressed", "ignored"]),
    help="Only buckets in this state.",
)
@click.option(
    "--sort",
    type=click.Choice(["hits", "last_seen", "first_seen"]),
    default="hits",
    show_default=True,
    help="Order (descending).",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@json_option
@server_options
def list_buckets(
    product: str | None,
    status: str | None,
    sort: str,
    limit: int,
    offset: int,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """List buckets, most hits first (merged buckets count on their target)."""
    from openwer.server.bucket_admin import product_names, product_scope
    from openwer.server.row_json import bucket_json
    from openwer.server.storage import BucketQuery, BucketSort, BucketStatus

    query = BucketQuery(
        status=None if status is None else BucketStatus(status),
        sort=BucketSort(sort),
        limit=limit,
        offset=offset,
    )
    with open_server_repository(server) as repository:
        page = repository.list_buckets(product_scope(repository, product), query)
        names = product_names(repository)
    if as_json:
        rows = [{**bucket_json(s.bucket, names), "range_hits": s.range_hits} for s in page.rows]
        echo_json({"buckets": rows, "total": page.total, "limit": limit, "offset": offset})
        return
    if not page.rows:
        click.echo("No buckets.")
        return
    table = [
        [
            s.bucket.bucket_id,
            names.get(s.bucket.product_id, "?"),
            str(s.bucket.hits),
            _status(s.bucket),
            s.bucket.last_seen.strftime("%Y-%m-%d %H:%M"),
            _summary(s.bucket),
        ]
        for s in page.rows
    ]
    headers = ["BUCKET", "PRODUCT", "HITS", "STATUS", "LAST SEEN (UTC)", "SIGNATURE"]
    click.echo(render_table(headers, table))
    if page.total > offset + len(page.rows):
        click.echo(f"({page.total} buckets; --offset {offset + len(page.rows)} for more)")


@buckets.command("show")
@click.argument("bucket_id")
@product_option
@json_option
@server_options
def show_bucket(
    bucket_id: str,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Show a bucket: signature, hits, versions, OS, data request, solution."""
    from openwer.server.bucket_admin import find_bucket, product_names
    from openwer.server.row_json import detail_json
    from openwer.server.storage import BucketRef, Scope

    with open_server_repository(server) as repository:
        found = find_bucket(repository, bucket_id, product)
        detail = repository.get_bucket(
            Scope.everything(), BucketRef(found.product_id, found.bucket_id)
        )
        names = product_names(repository)
    if as_json:
        echo_json(detail_json(detail, names))
    else:
        click.echo(_detail_text(detail, names))


def _detail_text(detail: BucketDetail, names: dict[int, str]) -> str:
    from openwer.server.dump_type_names import dump_type_name

    bucket = detail.bucket
    request = "none"
    if bucket.explicit_remaining and bucket.explicit_dump_type is not None:
        kind = dump_type_name(bucket.explicit_dump_type)
        request = f"the next {bucket.explicit_remaining} hits, {kind}"
    solution = "none"
    if detail.solution is not None:
        url = f" ({detail.solution.url})" if detail.solution.url else ""
        solution = f"#{detail.solution.id}: {detail.solution.message}{url}"
    facts = [
        ["bucket", bucket.bucket_id],
        ["product", names.get(bucket.product_id, "?")],
        ["event type", bucket.event_type],
        ["status", _status(bucket)],
        ["hits", str(bucket.hits)],
        ["first seen", bucket.first_seen.isoformat()],
        ["last seen", bucket.last_seen.isoformat()],
        ["bundles stored", str(bucket.bundles_collected)],
        ["data request", request],
        ["solution", solution],
    ]
    facts += [["merged from", guid] for guid in detail.merged_from]
    sections = ["\n".join(render_table(["", ""], facts).splitlines()[1:])]
    signature = [[f"P{i}", p.name, p.value] for i, p in enumerate(bucket.signature)]
    sections.append(render_table(["P", "NAME", "VALUE"], signature))
    for title, counts in (("VERSION", detail.versions), ("OS", detail.os)):
        if counts:
            rows = [[v.value or "?", str(v.count)] for v in counts]
            sections.append(render_table([title, "REPORTS"], rows))
    return "\n\n".join(sections)


def _set_status(
    bucket_id: str,
    status: str,
    fixed_in: str | None,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    from openwer.server.bucket_admin import change_status, product_names
    from openwer.server.storage import BucketStatus

    with open_server_repository(server) as repository:
        bucket = change_status(repository, bucket_id, BucketStatus(status), fixed_in, product)
        names = product_names(repository)
    _echo_bucket(bucket, as_json, names)


@buckets.command("resolve")
@click.argument("bucket_id")
@click.option("--fixed-in", help="The version that fixed it: only hits from it or newer regress.")
@product_option
@json_option
@server_options
def resolve(
    bucket_id: str,
    fixed_in: str | None,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Mark a bucket resolved; a later hit (from --fixed-in VERSION or newer) regresses it."""
    _set_status(bucket_id, "resolved", fixed_in, product, as_json, server)


@buckets.command("ignore")
@click.argument("bucket_id")
@product_option
@json_option
@server_options
def ignore(
    bucket_id: str,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Ignore a bucket: its hits still count, the product policy asks no data for it."""
    _set_status(bucket_id, "ignored", None, product, as_json, server)


@buckets.command("reopen")
@click.argument("bucket_id")
@product_option
@json_option
@server_options
def reopen(
    bucket_id: str,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Reopen a resolved, regressed or ignored bucket (status new)."""
    _set_status(bucket_id, "new", None, product, as_json, server)


@buckets.command("merge")
@click.argument("source")
@click.argument("into")
@product_option
@json_option
@server_options
def merge(
    source: str,
    into: str,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Merge bucket SOURCE into bucket INTO (same product): INTO counts both from now on."""
    from openwer.server.bucket_admin import merge_bucket, product_names

    with open_server_repository(server) as repository:
        bucket = merge_bucket(repository, source, into, product)
        names = product_names(repository)
    if as_json:
        _echo_bucket(bucket, True, names)
    else:
        click.echo(f"merged {source.lower()} into {bucket.bucket_id} ({bucket.hits} hits)")


def _dump_type(ctx: click.Context, param: click.Parameter, value: str) -> DumpType:
    from openwer.errors import InvalidArgumentError
    from openwer.server.dump_type_names import parse_dump_type

    try:
        return parse_dump_type(value)
    except InvalidArgumentError as exc:
        raise click.BadParameter(str(exc)) from exc


@buckets.command("request-data")
@click.argument("bucket_id")
@click.option("--count", type=click.IntRange(1, 1000), help="How many of the next hits (1-1000).")
@click.option(
    "--dump-type",
    default="MiniDump",
    show_default=True,
    callback=_dump_type,
    help="MicroDump, MiniDump, HeapDump, TriageDump (or 1-4).",
)
@click.option("--cancel", is_flag=True, help="Withdraw the bucket's open request instead.")
@product_option
@json_option
@server_options
def request_data(
    bucket_id: str,
    count: int | None,
    dump_type: DumpType,
    cancel: bool,
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Ask for the bundles of the bucket's next --count hits (replaces an open request)."""
    from openwer.server import bucket_admin
    from openwer.server.row_json import data_requests_json

    if cancel == (count is not None):
        raise click.UsageError("give --count N, or --cancel")
    with open_server_repository(server) as repository:
        if count is None:
            bucket = bucket_admin.cancel_data_request(repository, bucket_id, product)
        else:
            bucket = bucket_admin.request_data(
                repository, bucket_id, count, dump_type, product=product
            )
        names = bucket_admin.product_names(repository)
    body = data_requests_json(bucket, names)
    if as_json:
        echo_json(body)
    elif not body["requests"]:
        click.echo(f"bucket {bucket.bucket_id}: no data request")
    else:
        wanted = body["requests"][0]
        click.echo(
            f"bucket {bucket.bucket_id}: asking the next {wanted['remaining']} hits"
            f" for a {wanted['dump_type_name']}"
        )
