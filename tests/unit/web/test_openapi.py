"""The OpenAPI document: valid OpenAPI 3.1, with real schemas for every body and answer."""

from __future__ import annotations

from flask import Flask
from openapi_spec_validator import validate

from phr_share.models import MAX_ID, SegmentKind


def test_the_document_is_valid_openapi_3_1_with_real_schemas(app: Flask) -> None:
    document = app.test_client().get("/api/openapi.json").get_json()
    validate(document)  # raises on anything OpenAPI 3.1 does not allow
    paths = document["paths"]
    grant = paths["/api/v1/grants"]["post"]["requestBody"]["content"]["application/json"]
    assert grant["schema"]["required"] == ["grantee"]
    assert grant["schema"]["properties"]["purpose"]["enum"] == ["treatment", "emergency"]
    assert grant["schema"]["properties"]["valid_until"]["format"] == "date-time"
    accept = paths["/api/v1/care/{relationship}/accept"]["post"]
    assert accept["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    me = paths["/api/v1/me"]["get"]["responses"]
    assert me["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Account"
    }
    assert me["401"] == {"$ref": "#/components/responses/Unauthenticated"}
    unauthenticated = document["components"]["responses"]["Unauthenticated"]
    assert unauthenticated["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert document["components"]["schemas"]["SegmentKind"]["enum"] == list(SegmentKind)
    account = document["components"]["schemas"]["Account"]
    assert account["properties"]["id"] == {"type": "string", "format": "uuid"}
    assert account["properties"]["role"] == {"$ref": "#/components/schemas/Role"}
    assert account["properties"]["patient_id"] == {
        "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]
    }
    assert set(account["required"]) == set(account["properties"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media in answer.get("content", {}).values():
                    assert media["schema"], (method, path, status)  # never an empty schema
            if method in {"post", "put"} and "requestBody" in operation:
                body = operation["requestBody"]["content"]
                assert body != {"application/json": {"schema": {"type": "object"}}}
    assert paths["/api/v1/me"]["get"]["tags"] == ["account"]
    assert paths["/api/v1/clinic/patients"]["get"]["tags"] == ["doctor", "nurse"]
    assert paths["/api/openapi.json"]["get"]["security"] == []
