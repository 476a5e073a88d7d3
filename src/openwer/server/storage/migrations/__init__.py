"""Alembic migrations of the server storage, run by ``database.migrate``."""
