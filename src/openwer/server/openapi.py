"""``GET /openapi.json``: a hand-written OpenAPI 3.1 description of the server's endpoints.

The wire rules themselves (field limits, CAB checks) are in docs/protocol.md; this document
names the endpoints, their authentication, bodies and status codes. A constant: thread-safe.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.version import __version__

__all__ = ["OPENAPI", "routes"]


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "invalid body or parameter",
        401: "missing or unknown key or token",
        403: "the key's product is not the report's",
        404: "unknown report or bucket",
        409: "report id or bundle conflict",
        413: "body over the size limit",
        503: "storage temporarily unavailable (Retry-After)",
    }
    error = {"$ref": "#/components/responses/Error"}
    return {str(c): {**error, "description": text[c]} for c in codes}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


_ID = {"type": "string", "format": "uuid"}
_OBJECT = {"type": "object", "additionalProperties": True}
_INGEST: list[dict[str, list[str]]] = [{"ingestKey": []}]
_ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]


def _query(name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "openwer collection server",
        "version": __version__,
        "description": "Protocol v1 (see docs/protocol.md), the query API and MS-CER2.",
    },
    "components": {
        "securitySchemes": {
            "ingestKey": {"type": "http", "scheme": "bearer", "description": "product key"},
            "adminToken": {"type": "http", "scheme": "bearer", "description": "admin token"},
        },
        "responses": {
            "Error": {
                "description": "an error",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["error"],
                            "properties": {"error": {"type": "string"}},
                        }
                    }
                },
            }
        },
        "schemas": {
            "Stage1Request": {
                "type": "object",
                "required": [
                    "protocol",
                    "report_id",
                    "event_type",
                    "report_type",
                    "signature",
                    "consent",
                ],
                "properties": {
                    "protocol": {"const": 1},
                    "report_id": _ID,
                    "event_type": {"type": "string", "minLength": 1, "maxLength": 64},
                    "report_type": {"type": "integer"},
                    "signature": {"type": "array", "maxItems": 10},
                    "dynamic_signature": {"type": "array", "maxItems": 32},
                    "consent": {"type": "integer", "minimum": 1, "maximum": 4},
                    "client": _OBJECT,
                    "machine_id": {"type": ["string", "null"]},
                    "product": {"type": ["string", "null"]},
                    "app_version": {"type": ["string", "null"]},
                },
            },
            "Stage1Response": {
                "type": "object",
                "required": ["protocol", "bucket_id", "legacy_bucket_id"],
                "properties": {
                    "protocol": {"const": 1},
                    "bucket_id": _ID,
                    "legacy_bucket_id": {"type": "integer"},
                    "bucket_table": {"type": "integer"},
                    "data_request": {"type": ["object", "null"]},
                    "upload_url": {"type": ["string", "null"]},
                    "solution": {"type": ["object", "null"]},
                },
            },
            "BucketPage": {
                "type": "object",
                "properties": {
                    "buckets": {"type": "array", "items": _OBJECT},
                    "total": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                },
            },
            "Object": _OBJECT,
        },
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "liveness; no storage access",
                "responses": {"200": {"description": '{"status": "ok"}'}},
            }
        },
        "/api/v1/reports": {
            "post": {
                "summary": "stage 1: signature in, bucket, data request and solution out",
                "security": _INGEST,
                "requestBody": {"required": True, "content": _json("Stage1Request")},
                "responses": {
                    "201": {"description": "new report id", "content": _json("Stage1Response")},
                    "200": {
                        "description": "repeat (same answer)",
                        "content": _json("Stage1Response"),
                    },
                    **_errors(400, 401, 403, 409, 413, 503),
                },
            }
        },
        "/api/v1/reports/{report_id}/bundle": {
            "put": {
                "summary": "stage 2: the report bundle (a CAB)",
                "security": _INGEST,
                "parameters": [_path("report_id")],
                "requestBody": {
                    "required": True,
                    "content": {"application/vnd.ms-cab-compressed": {"schema": {}}},
                },
                "responses": {
                    "201": {"description": "stored now"},
                    "200": {"description": "stored before"},
                    **_errors(400, 401, 404, 409, 413, 503),
                },
            }
        },
        "/api/v1/reports/{report_id}": {
            "get": {
                "summary": "one report's metadata and files",
                "security": _ADMIN,
                "parameters": [_path("report_id")],
                "responses": {
                    "200": {"description": "the report", "content": _json("Object")},
                    **_errors(400, 401, 404),
                },
            }
        },
        "/api/v1/buckets": {
            "get": {
                "summary": "buckets, most hits first",
                "security": _ADMIN,
                "parameters": [
                    _query("product", {"type": "string"}, "product name"),
                    _query("event_type", {"type": "string"}, "event type"),
                    _query("version", {"type": "string"}, "count only this app version"),
                    _query("since", {"type": "string", "format": "date"}, "first UTC day"),
                    _query("until", {"type": "string", "format": "date"}, "last UTC day"),
                    _query(
                        "status",
                        {"enum": ["new", "resolved", "regressed", "ignored"]},
                        "bucket status",
                    ),
                    _query("sort", {"enum": ["hits", "last_seen", "first_seen"]}, "order"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page"),
                    _query("offset", {"type": "integer", "minimum": 0}, "skip"),
                ],
                "responses": {
                    "200": {"description": "one page", "content": _json("BucketPage")},
                    **_errors(400, 401, 404),
                },
            }
        },
        "/api/v1/buckets/{bucket_id}": {
            "get": {
                "summary": "a bucket: hits per day, versions, OS, samples, data requests, solution",
                "security": _ADMIN,
                "parameters": [_path("bucket_id"), _query("product", {"type": "string"}, "name")],
                "responses": {
                    "200": {"description": "the bucket", "content": _json("Object")},
                    **_errors(400, 401, 404),
                },
            }
        },
        "/stage2.htm": {
            "post": {
                "summary": "MS-CER2 level 1: the WERREPORT XML (UTF-16)",
                "requestBody": {"required": True, "content": {"text/xml": {"schema": {}}}},
                "responses": {
                    "200": {"description": "Key=Value lines (cp1252, CRLF)"},
                    **_errors(400, 401, 413),
                },
            }
        },
        "/dumpfiles/{report_id}.cab": {
            "put": {
                "summary": "MS-CER2 level 2: the cabinet named by DumpFile",
                "parameters": [_path("report_id")],
                "responses": {"200": {"description": "stored"}, **_errors(400, 401, 404, 413)},
            }
        },
        "/openapi.json": {
            "get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI"}}}
        },
    },
}

_BODY = json.dumps(OPENAPI, separators=(",", ":")).encode()


async def openapi_json(request: Request) -> Response:
    """The OpenAPI document."""
    return Response(_BODY, media_type="application/json")


def routes() -> list[Route]:
    """The OpenAPI route."""
    return [Route("/openapi.json", openapi_json, methods=["GET"])]
