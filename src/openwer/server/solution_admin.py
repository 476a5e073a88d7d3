"""Solutions by product name: list, add (for a bucket or a pattern), edit, remove.

What the admin API (:mod:`openwer.server.routes.admin_solutions`) and ``openwer solutions``
share. A solution is what stage 1 answers for a bucket: the bucket's own solution, else the
first of the product's patterns (oldest first) found in the bucket's signature text
``"<event type>|P0|P1|…"``; a pattern may be limited to one event type
(:mod:`openwer.server.solution_patterns`).

Texts are checked against what the protocol can carry, so a stored solution can always be
answered on both protocols: the message is 1 to 2,048 characters without control characters;
the URL an ``http(s)://`` URL of printable ASCII without spaces (MS-CER2 writes it in cp1252),
at most 2,048 characters.

Failure contract: ``NotFoundError`` (unknown product, bucket or solution), ``InvalidArgumentError``
(bad text, URL or pattern, both or neither of bucket and pattern), ``InvalidStateError`` (a
solution for a bucket merged into another: it would never be answered). Refused requests
change nothing. Thread safety: as the repository's; the functions block.
"""

from __future__ import annotations

import re

from openwer.errors import InvalidArgumentError, InvalidStateError, NotFoundError
from openwer.formats.json_body import is_clean_text
from openwer.server.bucket_admin import find_bucket
from openwer.server.solution_patterns import scoped_pattern
from openwer.server.storage import Repository, Scope, SolutionRow

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "MAX_URL_LENGTH",
    "add_solution",
    "check_message",
    "check_url",
    "delete_solution",
    "get_solution",
    "list_solutions",
    "update_solution",
]

MAX_MESSAGE_LENGTH = 2048  # the protocol's limit on a stage-1 answer's solution message
MAX_URL_LENGTH = 2048
_ADMIN = Scope.everything()
_URL = re.compile(r"https?://[!-~]+", re.IGNORECASE)


def check_message(message: str) -> str:
    """A solution message, stripped: 1 to 2,048 characters, no control characters."""
    message = message.strip()
    if not 1 <= len(message) <= MAX_MESSAGE_LENGTH:
        raise InvalidArgumentError(
            f"a solution message has 1 to {MAX_MESSAGE_LENGTH} characters, not {len(message)}"
        )
    if not is_clean_text(message):
        raise InvalidArgumentError("a solution message cannot hold control characters")
    return message


def check_url(url: str | None) -> str | None:
    """A solution URL (``None`` for none): ``http(s)://`` and printable ASCII, ≤ 2,048."""
    if url is None:
        return None
    url = url.strip()
    if len(url) > MAX_URL_LENGTH or _URL.fullmatch(url) is None:
        raise InvalidArgumentError(
            f"a solution URL is an http:// or https:// URL of printable ASCII without spaces,"
            f" at most {MAX_URL_LENGTH} characters (percent-encode the rest)"
        )
    return url


def list_solutions(repository: Repository, product: str | None = None) -> list[SolutionRow]:
    """Every solution (of ``product`` when named), oldest first."""
    product_id = None if product is None else repository.get_product(product).id
    return repository.list_solutions(_ADMIN, product_id)


def get_solution(repository: Repository, solution_id: int) -> SolutionRow:
    """The solution with this id."""
    for row in repository.list_solutions(_ADMIN):
        if row.id == solution_id:
            return row
    raise NotFoundError(f"no solution with id {solution_id}")


def add_solution(
    repository: Repository,
    product: str,
    message: str,
    url: str | None = None,
    bucket_id: str | None = None,
    pattern: str | None = None,
    event_type: str | None = None,
) -> SolutionRow:
    """A new solution of ``product`` for one bucket or for a pattern (exactly one of them).

    ``event_type`` limits a pattern to one event type; a bucket has its own.
    """
    message, url = check_message(message), check_url(url)
    if (bucket_id is None) == (pattern is None):
        raise InvalidArgumentError("a solution is for one bucket or for a pattern: give one")
    if bucket_id is not None and event_type is not None:
        raise InvalidArgumentError("event_type limits a pattern; a bucket has its own event type")
    if event_type is not None and not (0 < len(event_type) <= 64 and is_clean_text(event_type)):
        raise InvalidArgumentError("an event type has 1 to 64 characters, no control characters")
    stored = None if pattern is None else scoped_pattern(pattern, event_type)
    product_id = repository.get_product(product).id
    if bucket_id is not None:
        bucket = find_bucket(repository, bucket_id, product)
        if bucket.merged_into is not None:
            raise InvalidStateError(
                f"bucket {bucket.bucket_id} is merged into {bucket.merged_into}:"
                " give that one the solution"
            )
        bucket_id = bucket.bucket_id
    return repository.add_solution(_ADMIN, product_id, message, url, bucket_id, stored)


def update_solution(
    repository: Repository,
    solution_id: int,
    message: str | None = None,
    url: str | None = None,
    *,
    change_url: bool = False,
) -> SolutionRow:
    """Change a solution's message (unless ``None``) and its URL (only with ``change_url``;
    ``url=None`` then removes it). Its bucket or pattern cannot change: add a new one.

    Read, then write: an edit of the other field made in between is overwritten.
    """
    new_message = None if message is None else check_message(message)
    new_url = check_url(url) if change_url else None
    current = get_solution(repository, solution_id)
    return repository.update_solution(
        _ADMIN,
        solution_id,
        current.message if new_message is None else new_message,
        new_url if change_url else current.url,
    )


def delete_solution(repository: Repository, solution_id: int) -> None:
    """Remove a solution; stage-1 answers of new reports stop carrying it."""
    repository.delete_solution(_ADMIN, solution_id)
