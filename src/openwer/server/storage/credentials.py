"""Ingest keys and admin tokens: random secrets of which storage keeps only a SHA-256.

The secrets carry 256 bits of entropy, so a fast hash is enough (a slow password hash protects
guessable secrets, which these are not) and lookups go straight to a unique index. The prefix
tells the two kinds apart in logs and configuration files. Pure apart from the OS's random
source; thread-safe.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["ADMIN_TOKEN_PREFIX", "INGEST_KEY_PREFIX", "hash_secret", "new_secret"]

INGEST_KEY_PREFIX = "owi_"
ADMIN_TOKEN_PREFIX = "owa_"


def new_secret(prefix: str) -> str:
    """A new secret: ``prefix`` and 43 URL-safe characters (32 random bytes)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The hex SHA-256 storage keeps of ``secret``."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
