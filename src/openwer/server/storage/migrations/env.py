"""Alembic environment of the server storage: see :mod:`openwer.server.storage.migration_env`."""

from openwer.server.storage.migration_env import run_environment

run_environment()
