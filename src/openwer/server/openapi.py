"""``GET /openapi.json``: a hand-written OpenAPI 3.1 description of the server's endpoints.

The wire rules themselves (field limits, CAB checks) are in docs/protocol.md; this document
names the endpoints, their authentication, bodies and status codes. The admin API's schemas and
paths are in :mod:`openwer.server.openapi_admin`. A constant: thread-safe.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.server.openapi_admin import ADMIN_PATHS, ADMIN_SCHEMAS
from openwer.server.openapi_fragments import (
    ADMIN,
    INGEST,
    errors,
    json_body,
    path_param,
    query_param,
)
from openwer.version import __version__

__all__ = ["OPENAPI", "routes"]


_ID = {"type": "string", "format": "uuid"}
_OBJECT = {"type": "object", "additionalProperties": True}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "openwer collection server",
        "version": __version__,
        "description": "Protocol v1 (see docs/protocol.md), the query and admin APIs and MS-CER2.",
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
            **ADMIN_SCHEMAS,
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
                "security": INGEST,
                "requestBody": {"required": True, "content": json_body("Stage1Request")},
                "responses": {
                    "201": {"description": "new report id", "content": json_body("Stage1Response")},
                    "200": {
                        "description": "repeat (same answer)",
                        "content": json_body("Stage1Response"),
                    },
                    **errors(400, 401, 403, 409, 413, 429, 503),
                },
            }
        },
        "/api/v1/reports/{report_id}/bundle": {
            "put": {
                "summary": "stage 2: the report bundle (a CAB)",
                "security": INGEST,
                "parameters": [path_param("report_id")],
                "requestBody": {
                    "required": True,
                    "content": {"application/vnd.ms-cab-compressed": {"schema": {}}},
                },
                "responses": {
                    "201": {"description": "stored now"},
                    "200": {"description": "stored before"},
                    **errors(400, 401, 404, 409, 413, 429, 503),
                },
            }
        },
        "/api/v1/reports/{report_id}": {
            "get": {
                "summary": "one report's metadata and files",
                "security": ADMIN,
                "parameters": [path_param("report_id")],
                "responses": {
                    "200": {"description": "the report", "content": json_body("Object")},
                    **errors(400, 401, 404),
                },
            }
        },
        "/api/v1/buckets": {
            "get": {
                "summary": "buckets, most hits first",
                "security": ADMIN,
                "parameters": [
                    query_param("product", {"type": "string"}, "product name"),
                    query_param("event_type", {"type": "string"}, "event type"),
                    query_param("version", {"type": "string"}, "count only this app version"),
                    query_param("since", {"type": "string", "format": "date"}, "first UTC day"),
                    query_param("until", {"type": "string", "format": "date"}, "last UTC day"),
                    query_param(
                        "status",
                        {"enum": ["new", "resolved", "regressed", "ignored"]},
                        "bucket status",
                    ),
                    query_param("sort", {"enum": ["hits", "last_seen", "first_seen"]}, "order"),
                    query_param(
                        "limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page"
                    ),
                    query_param("offset", {"type": "integer", "minimum": 0}, "skip"),
                ],
                "responses": {
                    "200": {"description": "one page", "content": json_body("BucketPage")},
                    **errors(400, 401, 404),
                },
            }
        },
        "/api/v1/buckets/{bucket_id}": {
            "get": {
                "summary": "a bucket: hits per day, versions, OS, samples, data requests, solution",
                "security": ADMIN,
                "parameters": [
                    path_param("bucket_id"),
                    query_param("product", {"type": "string"}, "name"),
                ],
                "responses": {
                    "200": {"description": "the bucket", "content": json_body("Object")},
                    **errors(400, 401, 404),
                },
            }
        },
        "/stage2.htm": {
            "post": {
                "summary": "MS-CER2 level 1: the WERREPORT XML (UTF-16)",
                "requestBody": {"required": True, "content": {"text/xml": {"schema": {}}}},
                "responses": {
                    "200": {"description": "Key=Value lines (cp1252, CRLF)"},
                    **errors(400, 401, 413),
                },
            }
        },
        "/dumpfiles/{report_id}.cab": {
            "put": {
                "summary": "MS-CER2 level 2: the cabinet named by DumpFile",
                "parameters": [path_param("report_id")],
                "responses": {"200": {"description": "stored"}, **errors(400, 401, 404, 413)},
            }
        },
        **ADMIN_PATHS,
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
