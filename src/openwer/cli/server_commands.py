"""``openwer serve``, ``openwer products add|list|rotate-key`` and ``openwer tokens create``.

Each command takes ``--data-dir``, ``--config`` and ``--database`` (the server configuration,
see :mod:`openwer.server.config`) and opens, creating and migrating when needed, the server's
database, so they work on an empty data folder before ``serve`` ever ran. ``--json`` output:
``products add``/``rotate-key`` print ``{"product", "product_id", "key_id", "key"}``;
``products list`` an array of ``{"name", "id", "created_at"}``; ``tokens create``
``{"token_id", "label", "token"}``. Secrets are shown once; the server stores only their hash.
"""

from __future__ import annotations

import json
from typing import Any

import click

from openwer.cli.json_output import echo_json
from openwer.cli.server_storage import ServerStorage, open_server_repository, server_options

__all__ = ["products", "serve", "tokens"]


@click.command("serve")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default 8080).")
@click.option(
    "--blobs",
    help="Where bundles go: a folder, file:// or s3://BUCKET?endpoint=URL (default: DATA/blobs).",
)
@server_options
def serve(
    host: str | None,
    port: int | None,
    blobs: str | None,
    server: ServerStorage,
) -> None:
    """Run the collection server until Ctrl-C (migrates the database first)."""
    from openwer.server.config import load_server_config
    from openwer.server.serve import serve as run_server

    config = load_server_config(
        server.config_file,
        host=host,
        port=port,
        blobs=blobs,
        data_dir=server.data_dir,
        database=server.database,
    )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    click.echo(f"openwer server: data in {config.data_dir}", err=True)
    run_server(
        config, on_ready=lambda url: click.echo(f"openwer server listening on {url}", err=True)
    )


@click.group("products")
def products() -> None:
    """Products of the collection server and their ingest keys."""


def _echo_key(product: Any, issued: Any, as_json: bool) -> None:
    if as_json:
        body = {
            "product": product.name,
            "product_id": product.id,
            "key_id": issued.id,
            "key": issued.secret,
        }
        echo_json(body)
    else:
        click.echo(f"product {product.name}: ingest key {issued.secret}")


@products.command("add")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print JSON (the key under "key").')
@server_options
def add_product(name: str, as_json: bool, server: ServerStorage) -> None:
    """Create product NAME and print its first ingest key."""
    with open_server_repository(server) as repository:
        product = repository.create_product(name)
        _echo_key(product, repository.create_ingest_key(product.id), as_json)


@products.command("rotate-key")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print JSON (the key under "key").')
@server_options
def rotate_key(name: str, as_json: bool, server: ServerStorage) -> None:
    """Issue a new ingest key for NAME and revoke its older keys."""
    with open_server_repository(server) as repository:
        product = repository.get_product(name)
        _echo_key(product, repository.rotate_ingest_key(product.id), as_json)


@products.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@server_options
def list_products(as_json: bool, server: ServerStorage) -> None:
    """List the products."""
    from openwer.server.storage import Scope

    with open_server_repository(server) as repository:
        rows = repository.list_products(Scope.everything())
    if as_json:
        body = [{"name": p.name, "id": p.id, "created_at": p.created_at.isoformat()} for p in rows]
        echo_json(body)
        return
    for product in rows:
        click.echo(f"{product.id:5d}  {product.name}")


@click.group("tokens")
def tokens() -> None:
    """Admin tokens for the query API."""


@tokens.command("create")
@click.option("--label", default="admin", show_default=True, help="What the token is for.")
@click.option("--json", "as_json", is_flag=True, help='Print JSON (the token under "token").')
@server_options
def create_token(label: str, as_json: bool, server: ServerStorage) -> None:
    """Create an admin token and print it (shown once)."""
    with open_server_repository(server) as repository:
        issued = repository.create_admin_token(label)
    if as_json:
        click.echo(json.dumps({"token_id": issued.id, "label": label, "token": issued.secret}))
    else:
        click.echo(f"admin token: {issued.secret}")
