"""The ingress's OpenAPI 3.1 document, generated from the same pydantic models that validate.

One path per event type (``/webhooks/{source}/scraper.metrics`` ...) so n8n users and client
generators see the exact body each type takes; every other route (health, metrics, report
downloads, this document) is described too, so a schema-driven fuzzer reaches all of them.
"""

from typing import Any

from pydantic.json_schema import models_json_schema

from promoteros_pipelines.events import EVENT_TYPES
from promoteros_pipelines.ingress.config import KNOWN_SOURCES

SIGNATURE_HEADERS = (
    ("webhook-id", "Unique message id; a redelivery with the same id is answered 200."),
    ("webhook-timestamp", "Unix seconds when signed; must be within 5 minutes of now."),
    (
        "webhook-signature",
        "'v1,<base64 HMAC-SHA256 of {webhook-id}.{webhook-timestamp}.{body}>', "
        "space-separated when signed with several secrets.",
    ),
)

ERROR_RESPONSES = {
    "400": "Body is not JSON (or not UTF-8).",
    "401": "Missing or bad signature, stale timestamp, or no secret configured for the source "
    "(checked before anything in the body is read).",
    "404": "Unknown source or event type.",
    "405": "Only POST is allowed.",
    "413": "Body over the limit (PROMOTEROS_INGRESS_MAX_BODY, default 1 MiB).",
    "422": "The body does not match the event type's schema (detail names the fields), or a "
    "booking.response names a booking opportunity that does not exist (error "
    "unknown_opportunity, detail names the id).",
    "503": "The database did not confirm the event; it may have been stored. Resending it with "
    "the same webhook-id after Retry-After seconds is safe: it is never stored twice.",
}


def openapi_document(sources: frozenset[str] | None = None) -> dict[str, Any]:
    """Build the document; ``sources`` are the ones this ingress accepts."""
    _, schemas = models_json_schema(
        [(model, "validation") for model in EVENT_TYPES.values()],
        ref_template="#/components/schemas/{model}",
    )
    error = {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": {"type": "string"}, "detail": {}},
    }
    components = {
        **schemas.get("$defs", {}),
        "Error": error,
        "Accepted": {
            "type": "object",
            "required": ["event_id", "status"],
            "properties": {
                "event_id": {"type": "integer"},
                "status": {"type": "string", "enum": ["accepted", "duplicate"]},
            },
        },
    }
    parameters = [
        {
            "name": "source",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": sorted(sources or KNOWN_SOURCES)},
        },
        *(
            {"name": name, "in": "header", "required": True, "description": text}
            | {"schema": {"type": "string"}}
            for name, text in SIGNATURE_HEADERS
        ),
    ]
    paths: dict[str, Any] = {}
    for event_type, model in EVENT_TYPES.items():
        paths[f"/webhooks/{{source}}/{event_type}"] = {
            "post": {
                "summary": (model.__doc__ or event_type).strip().splitlines()[0],
                "operationId": f"post_{event_type.replace('.', '_')}",
                "parameters": parameters,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                        }
                    },
                },
                "responses": {
                    "202": _response("Stored (committed) as a new event.", "Accepted"),
                    "200": _response("Already stored: the original event id.", "Accepted"),
                    **{code: _response(text, "Error") for code, text in ERROR_RESPONSES.items()},
                },
            }
        }
    paths["/healthz"] = {
        "get": {
            "summary": "Database reachable",
            "operationId": "get_healthz",
            "responses": {
                "200": {"description": "The database answers."},
                "503": _response("The database does not answer.", "Error"),
            },
        }
    }
    paths["/metrics"] = {
        "get": {
            "summary": "Prometheus metrics",
            "operationId": "get_metrics",
            "responses": {
                "200": {
                    "description": "Counters and latency histogram, Prometheus text format.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    }
    paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "operationId": "get_openapi",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document of the ingress.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    paths["/reports/{token}"] = {
        "get": {
            "summary": "Download a custom report through its signed, expiring link",
            "operationId": "get_report",
            "parameters": [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "description": "The signed token of a mailed report link.",
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The report file (PDF, XLSX, CSV or JSON).",
                    "content": {"application/octet-stream": {}},
                },
                "307": {"description": "Redirect to a short-lived presigned URL (object store)."},
                "403": _response("The link was altered or is not a report link.", "Error"),
                "410": _response("The link expired, or its report was deleted.", "Error"),
                "503": _response("Downloads are not configured, or the store is down.", "Error"),
            },
        }
    }
    paths["/approvals/{token}"] = _approval_page()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PromoterOS webhook ingress",
            "version": "1",
            "description": "Signed webhooks (Standard Webhooks) from n8n, scrapers, "
            "ticketing and the UI; every accepted event is committed before it is answered.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }


def _response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _plain(code: str) -> dict[str, Any]:
    return {code: {"description": "OK"}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _approval_page() -> dict[str, Any]:
    """The one-time approval page (``approval_page.py``): HTML for people, not an API."""
    token = {
        "name": "token",
        "in": "path",
        "required": True,
        "description": "The signed token of an approver's mailed one-time link.",
        "schema": {"type": "string"},
    }
    refusals = {
        "403": _html("The link was altered, or the form's CSRF token is missing or wrong."),
        "410": _html("The link was used, expired, or its approval is already decided."),
        "503": _html("Approval links are not configured (no PROMOTEROS_LINK_SECRET)."),
    }
    return {
        "get": {
            "summary": "The approval page of a one-time link: what is asked, approve or reject",
            "operationId": "get_approval_page",
            "parameters": [token],
            "responses": {"200": _html("The page with its form."), **refusals},
        },
        "post": {
            "summary": "Approve or reject (form with csrf, decision, reason); works once",
            "operationId": "post_approval_decision",
            "parameters": [token],
            "requestBody": {
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["csrf", "decision"],
                            "properties": {
                                "csrf": {"type": "string"},
                                "decision": {"enum": ["approved", "rejected"]},
                                "reason": {"type": "string", "maxLength": 2000},
                            },
                        }
                    }
                }
            },
            "responses": {
                "200": _html("Recorded; applied under the approval rules within a minute."),
                "400": _html("No decision chosen, or a rejection without a reason."),
                **refusals,
            },
        },
    }
