"""The server-storage options of ``openwer serve|products|tokens|buckets|solutions``, and the
opening of that storage.

:func:`server_options` adds ``--database``, ``--data-dir`` and ``--config`` (the server
configuration, see :mod:`openwer.server.config`); :func:`open_server_repository` opens the
database they name, creating the data folder and migrating when needed, so every command works
on an empty data folder before ``serve`` ever ran, and closes it on exit. Server code is
imported on use, so ``openwer --help`` does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from openwer.server.storage import Repository

__all__ = ["open_server_repository", "server_options"]

F = TypeVar("F", bound=Callable[..., Any])


def server_options(function: F) -> F:
    """Add ``--database``, ``--data-dir`` and ``--config`` (as ``config_file``) to a command."""
    for option in (
        click.option("--database", help="Storage URL (sqlite:///… or postgresql://…)."),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Server data folder (default: $OPENWER_HOME/server).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path, exists=True),
            help="TOML server configuration ([server] table).",
        ),
    ):
        function = option(function)
    return function


@contextmanager
def open_server_repository(
    config_file: Path | None, data_dir: Path | None, database: str | None
) -> Iterator[Repository]:
    """The server's storage, migrated, closed when the block ends.

    Raises:
        SettingsError: the configuration file or a value in it is not valid.
        StoreError, InvalidArgumentError: the database cannot be opened or migrated.
    """
    from openwer.server.config import load_server_config
    from openwer.server.storage import open_repository

    config = load_server_config(config_file, data_dir=data_dir, database=database)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    repository = open_repository(config.database, config.data_dir)
    try:
        yield repository
    finally:
        repository.close()
