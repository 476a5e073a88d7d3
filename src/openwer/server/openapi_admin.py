"""The admin API's part of the OpenAPI document: schemas and paths of
:mod:`openwer.server.routes.admin` (bucket lifecycle, data requests, solutions, policies).

The schemas describe exactly what :mod:`openwer.server.admin_bodies` accepts (unknown fields
refused: ``additionalProperties: false``) and what :mod:`openwer.server.row_json` writes.
Pure constants; thread-safe.
"""

from __future__ import annotations

from typing import Any

from openwer.server.openapi_fragments import ADMIN, errors, json_body, path_param, query_param

__all__ = ["ADMIN_PATHS", "ADMIN_SCHEMAS"]

_TEXT = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_GUID = {"type": "string", "format": "uuid"}
_DUMP_TYPE = {
    "description": "WER_DUMP_TYPE as a number, or a name: MicroDump, MiniDump, HeapDump,"
    " TriageDump (any case; a WerDumpType prefix is accepted)",
    "oneOf": [{"type": "integer", "minimum": 0, "maximum": 4}, {"type": "string"}],
}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
_PRODUCT_PARAM = query_param(
    "product", _TEXT, "product name (a bucket GUID may exist in several products)"
)


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


def _ok(ref: str, text: str) -> dict[str, Any]:
    return {"description": text, "content": json_body(ref)}


ADMIN_SCHEMAS: dict[str, Any] = {
    "Bucket": {
        "type": "object",
        "properties": {
            "id": _GUID,
            "product": _NULLABLE_TEXT,
            "legacy_bucket_id": {"type": "integer"},
            "event_type": _TEXT,
            "signature": {"type": "array", "items": {"type": "object"}},
            "hits": {"type": "integer"},
            "first_seen": _TIME,
            "last_seen": _TIME,
            "status": {"enum": ["new", "resolved", "regressed", "ignored"]},
            "fixed_in_version": _NULLABLE_TEXT,
            "merged_into": {"type": ["string", "null"], "format": "uuid"},
            "bundles_collected": {"type": "integer"},
        },
    },
    "DataRequests": {
        "type": "object",
        "properties": {
            "bucket_id": _GUID,
            "product": _NULLABLE_TEXT,
            "requests": {
                "type": "array",
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "remaining": {"type": "integer", "minimum": 1},
                        "dump_type": {"type": "integer"},
                        "dump_type_name": _TEXT,
                        "files": {"type": "array", "items": _TEXT, "maxItems": 0},
                    },
                },
            },
            "bundles_collected": {"type": "integer"},
        },
    },
    "DataRequestOrder": _object(
        ["count"],
        {
            "count": {"type": "integer", "minimum": 1, "maximum": 1000},
            "dump_type": _DUMP_TYPE,
            "files": {
                "type": "array",
                "maxItems": 0,
                "description": "reserved: explicit requests ask for a dump only",
            },
        },
    ),
    "StatusChange": _object(
        ["status"],
        {
            "status": {"enum": ["resolved", "ignored", "new"]},
            "fixed_in": {
                "type": ["string", "null"],
                "maxLength": 128,
                "description": "with resolved: hits from this version or newer regress it",
            },
        },
    ),
    "MergeOrder": _object(["into"], {"into": _GUID}),
    "Solution": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "product": _NULLABLE_TEXT,
            "bucket_id": {"type": ["string", "null"], "format": "uuid"},
            "pattern": _NULLABLE_TEXT,
            "event_type": _NULLABLE_TEXT,
            "message": _TEXT,
            "url": _NULLABLE_TEXT,
            "created_at": _TIME,
        },
    },
    "SolutionList": {
        "type": "object",
        "properties": {
            "solutions": {"type": "array", "items": {"$ref": "#/components/schemas/Solution"}}
        },
    },
    "NewSolution": _object(
        ["product", "message"],
        {
            "product": {"type": "string", "minLength": 1, "maxLength": 128},
            "bucket_id": {**_GUID, "description": "exactly one of bucket_id and pattern"},
            "pattern": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "description": 'a Python regex searched in "<event type>|P0|P1|…"',
            },
            "event_type": {"type": "string", "maxLength": 64, "description": "with pattern"},
            "message": {"type": "string", "minLength": 1, "maxLength": 2048},
            "url": {"type": ["string", "null"], "maxLength": 2048, "pattern": "^https?://"},
        },
    ),
    "SolutionEdit": _object(
        [],
        {
            "message": {"type": "string", "minLength": 1, "maxLength": 2048},
            "url": {"type": ["string", "null"], "maxLength": 2048, "pattern": "^https?://"},
        },
    ),
    "Policy": {
        "type": "object",
        "properties": {
            "product": _TEXT,
            "first_n": {"type": "integer"},
            "one_in_k": {"type": "integer"},
            "max_bundles_per_day": {"type": "integer"},
            "default_dump_type": {"type": "integer"},
            "default_dump_type_name": _TEXT,
        },
    },
    "PolicyInput": _object(
        ["first_n", "one_in_k", "max_bundles_per_day"],
        {
            "first_n": _COUNT,
            "one_in_k": _COUNT,
            "max_bundles_per_day": _COUNT,
            "default_dump_type": _DUMP_TYPE,
        },
    ),
    "ProductList": {
        "type": "object",
        "properties": {
            "products": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _TEXT,
                        "id": {"type": "integer"},
                        "created_at": _TIME,
                        "policy": {"$ref": "#/components/schemas/Policy"},
                    },
                },
            }
        },
    },
}

_BUCKET = [path_param("bucket_id"), _PRODUCT_PARAM]
_REQUESTS = _ok("DataRequests", "the bucket's open explicit request, if any")

ADMIN_PATHS: dict[str, Any] = {
    "/api/v1/buckets/{bucket_id}/data-requests": {
        "get": {
            "summary": "a bucket's explicit data request and how many hits it still asks",
            "security": ADMIN,
            "parameters": _BUCKET,
            "responses": {"200": _REQUESTS, **errors(401, 404)},
        },
        "post": {
            "summary": "ask for the bundles of the next N hits (replaces an open request)",
            "security": ADMIN,
            "parameters": _BUCKET,
            "requestBody": {"required": True, "content": json_body("DataRequestOrder")},
            "responses": {"200": _REQUESTS, **errors(400, 401, 404, 409, 413)},
        },
        "delete": {
            "summary": "withdraw the bucket's open explicit request",
            "security": ADMIN,
            "parameters": _BUCKET,
            "responses": {"200": _REQUESTS, **errors(401, 404, 409)},
        },
    },
    "/api/v1/buckets/{bucket_id}/status": {
        "post": {
            "summary": "resolve (optionally fixed in a version), ignore or reopen a bucket",
            "security": ADMIN,
            "parameters": _BUCKET,
            "requestBody": {"required": True, "content": json_body("StatusChange")},
            "responses": {
                "200": _ok("Bucket", "the bucket"),
                **errors(400, 401, 404, 409, 413),
            },
        }
    },
    "/api/v1/buckets/{bucket_id}/merge": {
        "post": {
            "summary": "merge the bucket into another bucket of its product",
            "security": ADMIN,
            "parameters": _BUCKET,
            "requestBody": {"required": True, "content": json_body("MergeOrder")},
            "responses": {
                "200": _ok("Bucket", "the bucket that counts both now"),
                **errors(400, 401, 404, 409, 413),
            },
        }
    },
    "/api/v1/solutions": {
        "get": {
            "summary": "solutions, oldest first",
            "security": ADMIN,
            "parameters": [query_param("product", _TEXT, "only this product's")],
            "responses": {"200": _ok("SolutionList", "the solutions"), **errors(401, 404)},
        },
        "post": {
            "summary": "add a solution for a bucket or a signature pattern",
            "security": ADMIN,
            "requestBody": {"required": True, "content": json_body("NewSolution")},
            "responses": {
                "201": _ok("Solution", "the new solution"),
                **errors(400, 401, 404, 409, 413),
            },
        },
    },
    "/api/v1/solutions/{solution_id}": {
        "patch": {
            "summary": "change a solution's message and/or URL (null removes the URL)",
            "security": ADMIN,
            "parameters": [path_param("solution_id")],
            "requestBody": {"required": True, "content": json_body("SolutionEdit")},
            "responses": {
                "200": _ok("Solution", "the solution"),
                **errors(400, 401, 404, 413),
            },
        },
        "delete": {
            "summary": "remove a solution",
            "security": ADMIN,
            "parameters": [path_param("solution_id")],
            "responses": {"204": {"description": "removed"}, **errors(401, 404)},
        },
    },
    "/api/v1/products": {
        "get": {
            "summary": "products with their data-request policies, by name",
            "security": ADMIN,
            "responses": {"200": _ok("ProductList", "the products"), **errors(401)},
        }
    },
    "/api/v1/products/{name}/policy": {
        "get": {
            "summary": "a product's data-request policy",
            "security": ADMIN,
            "parameters": [path_param("name")],
            "responses": {"200": _ok("Policy", "the policy"), **errors(401, 404)},
        },
        "put": {
            "summary": "replace a product's data-request policy",
            "security": ADMIN,
            "parameters": [path_param("name")],
            "requestBody": {"required": True, "content": json_body("PolicyInput")},
            "responses": {
                "200": _ok("Policy", "the new policy"),
                **errors(400, 401, 404, 413),
            },
        },
    },
}
