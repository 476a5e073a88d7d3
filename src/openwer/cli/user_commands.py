"""``openwer users add|passwd|scope|list``: the people who sign in to the dashboard.

Like the other server commands they take ``--data-dir``, ``--config`` and ``--database`` and
work on an empty data folder (the database is created and migrated). The password is asked
twice on the terminal, or read from standard input with ``--password-stdin`` (one line; its
line break is not part of the password), so scripts never put it on a command line. A new user
sees every product until ``--product`` (on ``add`` or ``scope``) limits it. ``users list
--json`` prints an array of ``{"name", "id", "created_at", "products"}`` (``products`` is
``null`` for every product, else a list of product names).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from openwer.cli.json_output import echo_json
from openwer.cli.server_storage import ServerStorage, open_server_repository, server_options

__all__ = ["users"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise click.UsageError("--password-stdin: standard input holds no password line")
        return password
    typed: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


def _warn_if_weak(password: str) -> None:
    from openwer.server.dashboard.user_accounts import WEAK_PASSWORD_LENGTH

    if len(password) < WEAK_PASSWORD_LENGTH:
        click.echo(
            f"openwer: warning: a password of fewer than {WEAK_PASSWORD_LENGTH} characters "
            "is easy to guess",
            err=True,
        )


def _scope_text(user: Any, names: dict[int, str]) -> str:
    if user.product_ids is None:
        return "every product"
    shown = sorted(names.get(pid, f"#{pid}") for pid in user.product_ids)
    return ", ".join(shown) if shown else "no product"


@click.group("users")
def users() -> None:
    """Dashboard users (sign-in names and passwords)."""


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--product",
    "products",
    multiple=True,
    help="Limit the user to this product (repeat for several; default: every product).",
)
@server_options
def add_user(
    name: str,
    password_stdin: bool,
    products: tuple[str, ...],
    server: ServerStorage,
) -> None:
    """Create dashboard user NAME."""
    from openwer.server.bucket_admin import product_names
    from openwer.server.dashboard.user_accounts import add_user as add

    password = _password(password_stdin)
    with open_server_repository(server) as repository:
        user = add(repository, name, password, products)
        scope = _scope_text(user, product_names(repository))
    click.echo(f"user {user.name} added; sees {scope}")
    _warn_if_weak(password)


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@server_options
def change_password(
    name: str,
    password_stdin: bool,
    server: ServerStorage,
) -> None:
    """Set a new password for NAME (its open sessions end)."""
    from openwer.server.dashboard.user_accounts import change_password as change

    password = _password(password_stdin)
    with open_server_repository(server) as repository:
        user = change(repository, name, password)
    click.echo(f"password of {user.name} changed; its sessions are signed out")
    _warn_if_weak(password)


@users.command("scope")
@click.argument("name")
@click.option("--product", "products", multiple=True, help="A product NAME may see (repeat).")
@click.option("--all-products", is_flag=True, help="Let NAME see every product again.")
@server_options
def scope(
    name: str,
    products: tuple[str, ...],
    all_products: bool,
    server: ServerStorage,
) -> None:
    """Limit what NAME sees to some products (--all-products: every product again)."""
    from openwer.server.bucket_admin import product_names
    from openwer.server.dashboard.user_accounts import scope_user

    if all_products == bool(products):
        raise click.UsageError("give --product (one or more) or --all-products")
    with open_server_repository(server) as repository:
        user = scope_user(repository, name, None if all_products else products)
        shown = _scope_text(user, product_names(repository))
    click.echo(f"user {user.name} sees {shown}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@server_options
def list_users(as_json: bool, server: ServerStorage) -> None:
    """List the dashboard users."""
    from openwer.server.bucket_admin import product_names
    from openwer.server.dashboard.user_accounts import list_users as listed

    with open_server_repository(server) as repository:
        rows = listed(repository)
        names = product_names(repository)
    if as_json:
        body = [
            {
                "name": u.name,
                "id": u.id,
                "created_at": u.created_at.isoformat(),
                "products": None
                if u.product_ids is None
                else sorted(names.get(pid, str(pid)) for pid in u.product_ids),
            }
            for u in rows
        ]
        echo_json(body)
        return
    for user in rows:
        click.echo(f"{user.name}  ({_scope_text(user, names)})")
