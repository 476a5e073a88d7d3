"""Building blocks of the served OpenAPI document (:mod:`openwer.server.openapi`): error
answers, JSON bodies, parameters and security requirements. Pure constants and functions."""

from __future__ import annotations

from typing import Any

__all__ = ["ADMIN", "INGEST", "errors", "json_body", "path_param", "query_param"]

INGEST: list[dict[str, list[str]]] = [{"ingestKey": []}]
ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]

_ERROR_TEXT = {
    400: "invalid body or parameter",
    401: "missing or unknown key or token",
    403: "the key's product is not the report's",
    404: "unknown report, bucket, solution or product",
    409: "conflict: report id or bundle (ingest), merged bucket (admin)",
    413: "body over the size limit",
    429: "rate limited (Retry-After); only when rate limits are configured",
    503: "storage temporarily unavailable (Retry-After)",
}


def errors(*codes: int) -> dict[str, Any]:
    """The error answers ``codes``, each the shared ``Error`` response."""
    error = {"$ref": "#/components/responses/Error"}
    return {str(c): {**error, "description": _ERROR_TEXT[c]} for c in codes}


def json_body(ref: str) -> dict[str, Any]:
    """JSON content of the schema named ``ref`` in ``components/schemas``."""
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def query_param(name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    """An optional query-string parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def path_param(name: str) -> dict[str, Any]:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
