"""The server-storage options of ``openwer serve|products|tokens|buckets|solutions|users``, and
the opening of that storage.

:func:`server_options` adds ``--database``, ``--data-dir`` and ``--config`` (the server
configuration, see :mod:`openwer.server.config`) and hands them to the command as one
:class:`ServerStorage`; :func:`open_server_repository` opens the database they name, creating
the data folder and migrating when needed, so every command works on an empty data folder
before ``serve`` ever ran, and closes it on exit. Server code is imported on use, so
``openwer --help`` does not load it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from openwer.server.storage import Repository

__all__ = ["ServerStorage", "open_server_repository", "server_options"]


@dataclass(frozen=True)
class ServerStorage:
    """Where the server's storage is, as the command line named it (``None``: the default)."""

    config_file: Path | None
    data_dir: Path | None
    database: str | None


def server_options(function: Callable[..., None]) -> Callable[..., None]:
    """Add ``--database``, ``--data-dir`` and ``--config`` to a command, which receives them as
    one keyword argument ``server`` (a :class:`ServerStorage`)."""

    # functools.wraps copies the options click has already attached (``__click_params__``), so
    # the order of the options in ``--help`` is that of the decorators, as without the wrapper.
    @functools.wraps(function)
    def with_server(
        *args: Any,
        config_file: Path | None,
        data_dir: Path | None,
        database: str | None,
        **kwargs: Any,
    ) -> None:
        function(*args, server=ServerStorage(config_file, data_dir, database), **kwargs)

    command: Callable[..., None] = with_server
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
        command = option(command)
    return command


@contextmanager
def open_server_repository(server: ServerStorage) -> Iterator[Repository]:
    """The server's storage, migrated, closed when the block ends.

    Raises:
        SettingsError: the configuration file or a value in it is not valid.
        StoreError, InvalidArgumentError: the database cannot be opened or migrated.
    """
    from openwer.server.config import load_server_config
    from openwer.server.storage import open_repository

    config = load_server_config(
        server.config_file, data_dir=server.data_dir, database=server.database
    )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    repository = open_repository(config.database, config.data_dir)
    try:
        yield repository
    finally:
        repository.close()
