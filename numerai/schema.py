"""OpenAPI: documents the response envelope around every operation's payload."""

from __future__ import annotations

ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "error", "meta"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"nullable": True},
            },
        },
        "meta": {"$ref": "#/components/schemas/Meta"},
    },
}
META = {
    "type": "object",
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "request_id": {"type": "string", "nullable": True},
    },
}
PAGINATION = {"type": "object", "additionalProperties": True}
ERROR_STATUSES = {"400", "401", "403", "404", "405", "409", "413", "415", "429", "500", "503"}


def _wrap_success(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data", "meta"],
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "data": schema,
            "meta": {"$ref": "#/components/schemas/Meta"},
            "pagination": {"$ref": "#/components/schemas/Pagination"},
        },
    }


def envelope_postprocessing_hook(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Meta"] = META
    components["Pagination"] = PAGINATION
    components["ErrorEnvelope"] = ERROR_ENVELOPE
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, response in responses.items():
                content = response.get("content", {})
                if code.startswith("2"):
                    for media in content.values():
                        if "schema" in media and media is content.get("application/json"):
                            media["schema"] = _wrap_success(media["schema"])
                elif code in ERROR_STATUSES:
                    response["content"] = error_ref
            for code in ERROR_STATUSES:
                responses.setdefault(code, {"description": "Error", "content": error_ref})
    return result
