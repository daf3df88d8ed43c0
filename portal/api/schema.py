"""OpenAPI post-processing: every operation documents the error answers it can give, query filters say that an
empty value means "no filter" (django-filter ignores it), and free text is declared without NUL characters."""

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
    "404": "No such object, or not visible to the caller; for a write, an object the body names is missing.",
    "503": "The database, the broker or a warehouse does not answer now; try again after Retry-After.",
}
# Writes may conflict with what is stored: an illegal state transition, or a name already taken.
WRITE_ERROR_RESPONSES = {"409": "Conflicts with the current state; the body says how."}
# Operations that take a body also refuse a body in a media type they do not parse (or a malformed one).
BODY_ERROR_RESPONSES = {"415": "The body's media type is not one this operation accepts."}


def add_error_responses(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if (
                    parameter.get("in") == "query"
                    and parameter["name"] not in STRICT_QUERY_PARAMETERS
                    and not parameter.get("required")
                ):
                    parameter["schema"] = {"anyOf": [parameter.get("schema", {}), NO_FILTER]}
            responses = operation.setdefault("responses", {})
            errors = {
                **ERROR_RESPONSES,
                **(BODY_ERROR_RESPONSES if "requestBody" in operation else {}),
                **(WRITE_ERROR_RESPONSES if method != "get" else {}),
            }
            for code, description in errors.items():
                if code == "400" and method == "get" and "parameters" not in operation:
                    continue
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
                )
    return result


# No database stores a NUL in text, so the API refuses one (400); the schema says so, for every free string.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# A string that may not be blank is trimmed first (DRF's default, Python's str.strip), so it needs one character
# other than a space; Python also strips the separators U+001C–U+001F and U+0085, which a JSON Schema \s leaves.
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000\\u001c-\\u001f\\u0085][^\\u0000]*$"
# Extra keys in a body are ignored, but their values are read too: no NUL in their text, at any depth.
JSON_WITHOUT_NUL = {
    "description": "Any JSON value whose text holds no NUL character.",
    "anyOf": [
        {"type": "string", "pattern": NO_NUL_PATTERN},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"$ref": "#/components/schemas/JSONWithoutNul"}},
        {
            "type": "object",
            "additionalProperties": {"$ref": "#/components/schemas/JSONWithoutNul"},
        },
    ],
    "nullable": True,
}


def _refuse_nul(schema):
    if isinstance(schema, list):
        for item in schema:
            _refuse_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"format", "enum", "pattern", "const"} & schema.keys():
        schema["pattern"] = NOT_BLANK_PATTERN if schema.get("minLength", 0) >= 1 else NO_NUL_PATTERN
    if schema.get("type") == "object" and "additionalProperties" not in schema and "properties" in schema:
        schema["additionalProperties"] = {"$ref": "#/components/schemas/JSONWithoutNul"}
    for key, value in schema.items():
        if key != "example":
            _refuse_nul(value)


def declare_text_without_nul(result, generator, request, public):
    """Every free-text string in bodies, parameters and answers is declared without NUL characters."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    _refuse_nul(schemas)
    schemas["JSONWithoutNul"] = JSON_WITHOUT_NUL
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                _refuse_nul(operation.get("parameters", []))
                _refuse_nul(operation.get("requestBody", {}))
    return result
