"""``s3://`` URLs: where an S3 blob store is, parsed without touching the network or botocore.

::

    s3://<bucket>[?endpoint=<http(s)://host[:port]>][&region=<name>][&create=<bool>]
                 [&addressing=auto|path|virtual]

* ``endpoint``: the S3-compatible server (s3rver, MinIO, Garage, SeaweedFS, Ceph…); without it,
  AWS S3 itself.
* ``region``: defaults to the ``AWS_REGION``/``AWS_DEFAULT_REGION`` environment, else
  ``us-east-1``.
* ``create``: create the bucket on first use when it is missing (default ``false``).
* ``addressing``: path-style (``host/bucket/key``) or virtual-hosted (``bucket.host/key``);
  ``auto`` means path-style with an ``endpoint`` (self-hosted servers rarely have wildcard DNS)
  and virtual-hosted on AWS.

Credentials never travel in the URL: a URL with ``user:password@`` or a credential parameter is
refused (the message does not repeat the value). They come from the standard environment
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``…) or explicit arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from openwer.errors import InvalidArgumentError

__all__ = ["AddressingStyle", "S3Location", "check_bucket_name", "check_endpoint", "parse_s3_url"]

AddressingStyle = Literal["auto", "path", "virtual"]

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
_PARAMETERS = ("endpoint", "region", "create", "addressing")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_STYLES: dict[str, AddressingStyle] = {"auto": "auto", "path": "path", "virtual": "virtual"}
_EXAMPLE = "s3://bucket?endpoint=http://127.0.0.1:5056&region=us-east-1"


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket on an S3-compatible server, as an ``s3://`` URL names it."""

    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    create_bucket: bool = False
    addressing_style: AddressingStyle = "auto"


def check_bucket_name(bucket: str) -> str:
    """Return ``bucket`` if it follows S3's naming rules (3–63 of ``a-z 0-9 . -``…).

    Raises:
        InvalidArgumentError: it does not.
    """
    if (
        not _BUCKET.fullmatch(bucket)
        or ".." in bucket
        or _IP_ADDRESS.fullmatch(bucket)
        or bucket.startswith("xn--")
    ):
        raise InvalidArgumentError(
            f"{bucket!r} is not an S3 bucket name (3 to 63 lower-case letters, digits, "
            "'.' and '-', starting and ending with a letter or digit)"
        )
    return bucket


def check_endpoint(endpoint: str) -> str:
    """Return ``endpoint`` if it is ``http(s)://host[:port]`` with no credentials or path.

    Raises:
        InvalidArgumentError: it is not (the message never repeats credentials).
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(
            "an S3 endpoint is http://host[:port] or https://host[:port], "
            "like http://127.0.0.1:5056"
        )
    if "@" in parts.netloc:
        raise InvalidArgumentError(
            "an S3 endpoint cannot carry credentials; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY instead"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InvalidArgumentError(f"the S3 endpoint {endpoint!r} has an invalid port") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidArgumentError(
            f"the S3 endpoint {endpoint!r} has a path, query or fragment; give only the server"
        )
    return endpoint.rstrip("/")


def parse_s3_url(url: str) -> S3Location:
    """Parse an ``s3://`` URL (see the module docstring).

    Raises:
        InvalidArgumentError: anything that is not a well-formed, supported ``s3://`` URL.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3":
        raise InvalidArgumentError(f"an S3 blob store URL starts with s3://, like {_EXAMPLE}")
    if "@" in parts.netloc:
        raise InvalidArgumentError(
            "an s3:// URL cannot carry credentials; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or pass them explicitly) instead"
        )
    if not parts.netloc:
        raise InvalidArgumentError(f"the s3:// URL names no bucket; write it like {_EXAMPLE}")
    if parts.path not in ("", "/") or parts.fragment:
        raise InvalidArgumentError(
            "an s3:// URL names a whole bucket; key prefixes and fragments are not supported"
        )
    options = _query(parts.query)
    endpoint = options.get("endpoint")
    region = options.get("region")
    if region is not None and not _REGION.fullmatch(region):
        raise InvalidArgumentError(f"{region!r} is not an S3 region name")
    addressing = _STYLES.get(options.get("addressing", "auto"))
    if addressing is None:
        raise InvalidArgumentError("addressing= is one of auto, path, virtual")
    return S3Location(
        bucket=check_bucket_name(parts.netloc),
        endpoint_url=None if endpoint is None else check_endpoint(endpoint),
        region=region,
        create_bucket=_flag(options.get("create", "false")),
        addressing_style=addressing,
    )


def _query(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise InvalidArgumentError("the s3:// URL's query is malformed") from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name not in _PARAMETERS:
            # Never echo the value: people try to pass secrets this way.
            raise InvalidArgumentError(
                f"unknown s3:// URL parameter {name[:40]!r}; known: {', '.join(_PARAMETERS)} "
                "(credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, never the URL)"
            )
        if name in options:
            raise InvalidArgumentError(f"the s3:// URL gives {name}= twice")
        options[name] = value
    return options


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidArgumentError(f"create= is true or false, not {value[:20]!r}")
