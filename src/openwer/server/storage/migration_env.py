"""What the alembic environment (``migrations/env.py``) does, as an importable module.

:func:`openwer.server.storage.database.migrate` passes an open connection, inside a
transaction, as ``config.attributes["connection"]``. Developers writing a new revision may run
the alembic command line with ``-x url=sqlite:///path`` (or ``sqlalchemy.url`` in their own ini
file) and ``script_location`` pointing at ``migrations/``. Runs once per alembic command, in
the calling thread.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from openwer.server.storage.schema import metadata

__all__ = ["run_environment"]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_environment() -> None:
    """Run the migrations alembic's current command asks for."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///path …")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()
