"""Password hashing for dashboard users: argon2id, as a PHC string (``$argon2id$v=19$…``).

The parameters are OWASP's recommended minimum for argon2id (19 MiB, two passes, one lane):
about 35 ms per hash here, slow enough to make guessing expensive, small enough that a burst
of sign-ins does not swell the server's memory. The PHC string records them, so they can be
raised later: :func:`needs_rehash` tells when a stored hash is weaker than today's.

:func:`verify_password` never raises for a wrong password or a damaged hash (both are "no");
:func:`check_unknown_user` spends the same time as a real check, so the sign-in answer takes as
long for a name that does not exist. Stateless apart from the hasher; thread-safe (argon2-cffi
releases the GIL while hashing, so call these from worker threads).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openwer.errors import InvalidArgumentError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "check_unknown_user",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MAX_PASSWORD_LENGTH = 1024  # bounds the hashing work one request can ask for
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("openwer: no such user")


def hash_password(password: str) -> str:
    """The PHC string of ``password``; ``InvalidArgumentError`` when it is empty or longer
    than 1,024 characters."""
    if not 1 <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidArgumentError(f"a password has 1 to {MAX_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; false for anything else."""
    if not 1 <= len(password) <= MAX_PASSWORD_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_unknown_user(password: str) -> bool:
    """Spend the time of a real check for a user that does not exist; always false."""
    verify_password(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH] or "x")
    return False


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False
