"""``openwer solutions list|add|update|remove``: the answers stage 1 gives for known buckets.

Works on the server's storage like ``openwer products`` (``--data-dir``, ``--config``,
``--database``; an empty data folder is fine). A solution is for one bucket (``--bucket``) or
for every bucket of the product whose signature text ``"<event type>|P0|P1|…"`` matches a
regex (``--pattern``, optionally limited to one ``--event-type``). The rules are those of the
admin API (:mod:`openwer.server.solution_admin`); ``--json`` prints the API's solution shape
(docs/cli.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from openwer.cli.json_output import echo_json, json_option
from openwer.cli.server_storage import ServerStorage, open_server_repository, server_options
from openwer.cli.table import render_table

if TYPE_CHECKING:
    from openwer.server.storage import SolutionRow

__all__ = ["solutions"]


def _echo(row: SolutionRow, names: dict[int, str], as_json: bool, done: str) -> None:
    from openwer.server.row_json import solution_json

    if as_json:
        echo_json(solution_json(row, names))
    else:
        click.echo(f"solution {row.id} {done}")


def _target(body: dict[str, Any]) -> str:
    if body["bucket_id"] is not None:
        return str(body["bucket_id"])
    event = f" [{body['event_type']}]" if body["event_type"] else ""
    return f"/{body['pattern']}/{event}"


@click.group("solutions")
def solutions() -> None:
    """Solutions: messages and links stage 1 answers for matching buckets."""


@solutions.command("list")
@click.option("--product", help="Only this product's solutions.")
@json_option
@server_options
def list_solutions(
    product: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """List the solutions, oldest first."""
    from openwer.server import solution_admin
    from openwer.server.bucket_admin import product_names
    from openwer.server.row_json import solution_json

    with open_server_repository(server) as repository:
        rows = solution_admin.list_solutions(repository, product)
        names = product_names(repository)
    bodies = [solution_json(row, names) for row in rows]
    if as_json:
        echo_json(bodies)
        return
    if not bodies:
        click.echo("No solutions.")
        return
    table = [
        [str(b["id"]), str(b["product"]), _target(b), b["url"] or "-", b["message"]] for b in bodies
    ]
    click.echo(render_table(["ID", "PRODUCT", "FOR", "URL", "MESSAGE"], table))


@solutions.command("add")
@click.option("--product", required=True, help="The product the solution belongs to.")
@click.option("--bucket", "bucket_id", help="For this bucket (GUID).")
@click.option("--pattern", help='For buckets whose "<event type>|P0|P1|…" matches this regex.')
@click.option("--event-type", help="With --pattern: only buckets of this event type.")
@click.option("--message", required=True, help="What the user is told (1-2048 characters).")
@click.option("--url", help="Where to read more (http:// or https://).")
@json_option
@server_options
def add_solution(
    product: str,
    bucket_id: str | None,
    pattern: str | None,
    event_type: str | None,
    message: str,
    url: str | None,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Add a solution for one bucket (--bucket) or for a pattern (--pattern)."""
    from openwer.server import solution_admin
    from openwer.server.bucket_admin import product_names

    if (bucket_id is None) == (pattern is None):
        raise click.UsageError("give --bucket ID or --pattern REGEX (one of them)")
    with open_server_repository(server) as repository:
        row = solution_admin.add_solution(
            repository,
            product,
            message,
            url=url,
            bucket_id=bucket_id,
            pattern=pattern,
            event_type=event_type,
        )
        names = product_names(repository)
    _echo(row, names, as_json, "added")


@solutions.command("update")
@click.argument("solution_id", type=click.IntRange(min=1))
@click.option("--message", help="The new message.")
@click.option("--url", help="The new URL.")
@click.option("--no-url", is_flag=True, help="Remove the URL.")
@json_option
@server_options
def update_solution(
    solution_id: int,
    message: str | None,
    url: str | None,
    no_url: bool,
    as_json: bool,
    server: ServerStorage,
) -> None:
    """Change a solution's message and/or URL (its bucket or pattern cannot change)."""
    from openwer.server import solution_admin
    from openwer.server.bucket_admin import product_names

    if url is not None and no_url:
        raise click.UsageError("--url and --no-url exclude each other")
    if message is None and url is None and not no_url:
        raise click.UsageError("give --message, --url or --no-url")
    with open_server_repository(server) as repository:
        row = solution_admin.update_solution(
            repository, solution_id, message, url, change_url=url is not None or no_url
        )
        names = product_names(repository)
    _echo(row, names, as_json, "updated")


@solutions.command("remove")
@click.argument("solution_id", type=click.IntRange(min=1))
@server_options
def remove_solution(solution_id: int, server: ServerStorage) -> None:
    """Remove a solution."""
    from openwer.server import solution_admin

    with open_server_repository(server) as repository:
        solution_admin.delete_solution(repository, solution_id)
    click.echo(f"solution {solution_id} removed")
