"""OpenAPI post-processing: every operation documents the error answers it can give, and query filters say
that an empty value means "no filter" (django-filter ignores it)."""

ERROR_BODY = {
    "type": "object",
    "description": "Either {'detail': message} or {field: [messages]} naming each invalid field.",
    "additionalProperties": True,
}

# An empty query filter means "no filter" (django-filter ignores it); paging parameters are strict.
NO_FILTER = {"type": "string", "enum": [""], "description": "empty: no filter"}
STRICT_QUERY_PARAMETERS = {"page", "page_size"}

ERROR_RESPONSES = {
    "400": "The input is invalid; the body names each field at fault.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object, or not visible to the caller.",
}
# Operations that take a body also refuse a body in a media type they do not parse (or a malformed one).
BODY_ERROR_RESPONSES = {"415": "The body's media type is not one this operation accepts."}


def add_error_responses(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["name"] not in STRICT_QUERY_PARAMETERS:
                    parameter["schema"] = {"anyOf": [parameter.get("schema", {}), NO_FILTER]}
            responses = operation.setdefault("responses", {})
            errors = {**ERROR_RESPONSES, **(BODY_ERROR_RESPONSES if "requestBody" in operation else {})}
            for code, description in errors.items():
                if code == "400" and method == "get" and "parameters" not in operation:
                    continue
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
                )
    return result
