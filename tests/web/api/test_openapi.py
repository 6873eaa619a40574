"""The OpenAPI document: valid, complete, and useful (descriptions, examples, security, error shapes)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import compris.web.api as api_package

#: Every module of the API package that declares routes (found, not listed: a new one is checked too).
ROUTE_MODULES = [
    module for module in (importlib.import_module(f"compris.web.api.{info.name}")
                          for info in pkgutil.iter_modules(api_package.__path__))
    if isinstance(getattr(module, "router", None), APIRouter)
]

EXPECTED = {
    ("get", "/api/v1/business-actions"),
    ("post", "/api/v1/business-actions"),
    ("get", "/api/v1/business-actions/{action_id}"),
    ("patch", "/api/v1/business-actions/{action_id}"),
    ("post", "/api/v1/business-actions/{action_id}/rotate-secret"),
    ("get", "/api/v1/cases/{number}/actions"),
    ("post", "/api/v1/cases/{number}/actions/{key}"),
    ("get", "/api/v1/cases/{number}/actions/runs"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/{number}"),
    ("post", "/api/v1/cases/{number}/replies"),
    ("post", "/api/v1/cases/{number}/notes"),
    ("post", "/api/v1/cases/{number}/assign"),
    ("post", "/api/v1/cases/{number}/status"),
    ("post", "/api/v1/cases/{number}/merge"),
    ("get", "/api/v1/contacts/{contact_id}"),
    ("post", "/api/v1/contacts/{contact_id}/merge"),
    ("post", "/api/v1/contacts/{contact_id}/identities/{identity_id}/unmerge"),
    ("post", "/api/v1/contacts/{contact_id}/erasure"),
    ("get", "/api/v1/erasures"),
    ("get", "/api/v1/messages/{message_id}"),
    ("post", "/api/v1/messages/{message_id}/retry"),
    ("post", "/api/v1/messages/{message_id}/posted-by-hand"),
    ("post", "/api/v1/messages/{message_id}/not-posted"),
    ("get", "/api/v1/channels"),
    ("post", "/api/v1/channels"),
    ("get", "/api/v1/channels/{account_id}"),
    ("patch", "/api/v1/channels/{account_id}"),
    ("post", "/api/v1/channels/{account_id}/test"),
    ("get", "/api/v1/channels/{account_id}/wait-publication"),
    ("patch", "/api/v1/channels/{account_id}/wait-publication"),
    ("post", "/api/v1/uploads"),
    ("get", "/api/v1/uploads/{upload_id}"),
    ("get", "/api/v1/uploads/{upload_id}/content"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("get", "/api/v1/teams/{team_id}"),
    ("patch", "/api/v1/teams/{team_id}"),
    ("delete", "/api/v1/teams/{team_id}"),
    ("put", "/api/v1/teams/{team_id}/members/{user_id}"),
    ("delete", "/api/v1/teams/{team_id}/members/{user_id}"),
    ("get", "/api/v1/agents"),
    ("patch", "/api/v1/agents/{user_id}"),
    ("get", "/api/v1/routing-rules"),
    ("post", "/api/v1/routing-rules"),
    ("patch", "/api/v1/routing-rules/{rule_id}"),
    ("delete", "/api/v1/routing-rules/{rule_id}"),
    ("get", "/api/v1/sla/business-hours"),
    ("post", "/api/v1/sla/business-hours"),
    ("patch", "/api/v1/sla/business-hours/{hours_id}"),
    ("delete", "/api/v1/sla/business-hours/{hours_id}"),
    ("get", "/api/v1/sla/policies"),
    ("post", "/api/v1/sla/policies"),
    ("patch", "/api/v1/sla/policies/{policy_id}"),
    ("delete", "/api/v1/sla/policies/{policy_id}"),
    ("get", "/api/v1/sla/settings"),
    ("patch", "/api/v1/sla/settings"),
    ("get", "/api/v1/surveys/settings"),
    ("patch", "/api/v1/surveys/settings"),
    ("get", "/api/v1/surveys/settings/accounts/{channel_account_id}"),
    ("patch", "/api/v1/surveys/settings/accounts/{channel_account_id}"),
    ("delete", "/api/v1/surveys/settings/accounts/{channel_account_id}"),
    ("get", "/api/v1/surveys/cases/{number}"),
    ("get", "/api/v1/templates"),
    ("post", "/api/v1/templates"),
    ("get", "/api/v1/templates/{template_id}"),
    ("patch", "/api/v1/templates/{template_id}"),
    ("delete", "/api/v1/templates/{template_id}"),
    ("get", "/api/v1/reply-settings"),
    ("put", "/api/v1/reply-settings"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{user_id}"),
    ("get", "/api/v1/invitations"),
    ("post", "/api/v1/invitations"),
    ("post", "/api/v1/invitations/{invitation_id}/resend"),
    ("post", "/api/v1/invitations/{invitation_id}/revoke"),
    ("get", "/api/v1/surveys"),
    ("get", "/api/v1/surveys/results"),
    # esc-followup: outgoing mail settings and log, escalations to follow up
    ("get", "/api/v1/mail/settings"),
    ("put", "/api/v1/mail/settings"),
    ("post", "/api/v1/mail/test"),
    ("get", "/api/v1/mail/outgoing"),
    ("get", "/api/v1/mail/outgoing/{mail_id}"),
    ("get", "/api/v1/escalations"),
    ("get", "/api/v1/partners"),
    ("post", "/api/v1/partners"),
    ("get", "/api/v1/partners/{partner_id}"),
    ("patch", "/api/v1/partners/{partner_id}"),
    ("get", "/api/v1/cases/{number}/escalations"),
    ("post", "/api/v1/cases/{number}/escalations"),
    ("get", "/api/v1/cases/{number}/escalations/{escalation_id}"),
    ("post", "/api/v1/cases/{number}/escalations/{escalation_id}/follow-up"),
    ("post", "/api/v1/cases/{number}/escalations/{escalation_id}/close"),
    ("post", "/api/v1/cases/{number}/escalations/{escalation_id}/cancel"),
    ("post", "/api/v1/cases/{number}/escalations/{escalation_id}/reopen"),
    ("post", "/api/v1/cases/{number}/escalations/{escalation_id}/revoke-links"),
    ("get", "/api/v1/webhook-events"),
    ("get", "/api/v1/webhook-subscriptions"),
    ("post", "/api/v1/webhook-subscriptions"),
    ("get", "/api/v1/webhook-subscriptions/{subscription_id}"),
    ("patch", "/api/v1/webhook-subscriptions/{subscription_id}"),
    ("delete", "/api/v1/webhook-subscriptions/{subscription_id}"),
    ("post", "/api/v1/webhook-subscriptions/{subscription_id}/rotate-secret"),
    ("post", "/api/v1/webhook-subscriptions/{subscription_id}/ping"),
    ("get", "/api/v1/webhook-subscriptions/{subscription_id}/deliveries"),
    ("post", "/api/v1/webhook-subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver"),
    ("get", "/api/v1/raw-events"),
    ("post", "/api/v1/raw-events/{raw_event_id}/replay"),
    # tags and bulk runs (issue 16)
    ("get", "/api/v1/tags"),
    ("post", "/api/v1/tags"),
    ("patch", "/api/v1/tags/{tag_id}"),
    ("delete", "/api/v1/tags/{tag_id}"),
    ("get", "/api/v1/cases/{number}/tags"),
    ("put", "/api/v1/cases/{number}/tags"),
    ("post", "/api/v1/bulk-runs"),
    ("get", "/api/v1/bulk-runs/{run_id}"),
    # an-web: analytics (supervisors and admins)
    *{("get", f"/api/v1/analytics/{name}") for name in (
        "summary", "volume", "response-rate", "response-times", "sla", "csat", "backlog", "agents", "expected-wait",
        "guard", "escalations", "heatmap", "cases", "objectives")},
    ("post", "/api/v1/analytics/objectives"),
    ("put", "/api/v1/analytics/objectives/{objective_id}"),
    ("delete", "/api/v1/analytics/objectives/{objective_id}"),
    # the posts customers comment under (issue 16, li-context)
    ("get", "/api/v1/posts"),
    ("get", "/api/v1/posts/{post_id}"),
    # clusters of similar messages (issue 16, li-clusters): read-only, every role
    ("get", "/api/v1/clusters"),
    ("get", "/api/v1/clusters/{cluster_id}"),
    ("get", "/api/v1/alerts"),
    ("post", "/api/v1/alerts/{alert_id}/acknowledge"),
    # the audit log (issue 19)
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit/chain"),
}
#: incidents (issue 16, li-incidents): every write is for supervisors and admins, as is the draft
INCIDENTS = {
    ("get", "/api/v1/incidents"), ("post", "/api/v1/incidents"), ("get", "/api/v1/incidents/draft"),
    ("get", "/api/v1/incidents/{number}"), ("patch", "/api/v1/incidents/{number}"),
    ("post", "/api/v1/incidents/{number}/confirm"), ("post", "/api/v1/incidents/{number}/resolve"),
    ("post", "/api/v1/incidents/{number}/reopen"), ("get", "/api/v1/incidents/{number}/cases"),
    ("post", "/api/v1/incidents/{number}/cases"), ("post", "/api/v1/incidents/{number}/cases/unlink"),
    ("post", "/api/v1/incidents/{number}/statement"), ("post", "/api/v1/incidents/{number}/crisis"),
    ("post", "/api/v1/incidents/{number}/escalate"), ("post", "/api/v1/incidents/{number}/bulk"),
}
EXPECTED |= INCIDENTS
#: a contact's personal data (issue 19, privacy export): admins only
EXPECTED |= {("get", "/api/v1/contacts/{contact_id}/export")}
#: retention (issue 19): the workspace's periods and the preview of the next run, for admins (SettingsApi)
RETENTION = {("get", "/api/v1/retention"), ("put", "/api/v1/retention"), ("get", "/api/v1/retention/preview")}
EXPECTED |= RETENTION
#: own API tokens; the instance's workspaces (instance admins)
EXPECTED |= {("get", "/api/v1/me/tokens"), ("post", "/api/v1/me/tokens"), ("delete", "/api/v1/me/tokens/{token_id}"),
             ("get", "/api/v1/instance/workspaces"), ("post", "/api/v1/instance/workspaces")}
# --- inbox (issue 18): saved views; a case read or unread for the token's user
EXPECTED |= {("get", "/api/v1/views"), ("post", "/api/v1/views"), ("get", "/api/v1/views/{view_id}"),
             ("patch", "/api/v1/views/{view_id}"), ("delete", "/api/v1/views/{view_id}"),
             ("post", "/api/v1/cases/{number}/read"), ("post", "/api/v1/cases/{number}/unread")}
#: the administration routes: a 403 for the wrong role is documented
ROLE_CHECKED = {key for key in EXPECTED if key[1].split("/")[3] in ("teams", "agents", "routing-rules", "sla",
                                                                     "templates", "reply-settings", "users",
                                                                     "mail", "escalations", "webhook-events",
                                                                     "webhook-subscriptions", "raw-events",
                                                                     "analytics", "alerts")
                or key[1].startswith("/api/v1/channels/") or key == ("post", "/api/v1/channels")
                or key in {("get", "/api/v1/surveys"), ("get", "/api/v1/surveys/results")}
                or key[1].startswith("/api/v1/surveys/settings")
                or (key[1].startswith("/api/v1/partners") and key[0] != "get")
                or (key[1].startswith("/api/v1/tags") and key[0] != "get") or key == ("post", "/api/v1/bulk-runs")}
ROLE_CHECKED |= {key for key in INCIDENTS if key[0] != "get" or key[1].endswith("/draft")}
ROLE_CHECKED |= {("get", "/api/v1/contacts/{contact_id}/export")}
ROLE_CHECKED |= RETENTION
ROLE_CHECKED |= {key for key in EXPECTED if key[1].startswith(("/api/v1/instance/", "/api/v1/me/tokens"))}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # public: no token needed to read the contract
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in document["paths"].items() if path.startswith("/api/")
            for method, op in item.items()}


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate  # a dev dependency

    assert document["openapi"].startswith("3.")
    validate(document)  # type: ignore[arg-type]


def test_it_lists_every_endpoint(document: dict[str, Any]) -> None:
    assert set(_operations(document)) == EXPECTED
    routes = {(m.lower(), "/api/v1" + r.path)
              for module in ROUTE_MODULES
              for r in module.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert routes == EXPECTED  # no undocumented route either


def test_every_operation_is_documented_and_secured(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["PersonalToken"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "cpr_…",
        "description": document["components"]["securitySchemes"]["PersonalToken"]["description"],
    }
    for key, op in _operations(document).items():
        assert op.get("summary") and op.get("description"), key
        assert op["security"] == [{"PersonalToken": []}], key
        assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"}, key
        if key in ROLE_CHECKED:
            assert op["responses"]["403"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"}, key
        if "requestBody" in op or any(p["in"] != "header" for p in op.get("parameters", [])):
            assert "422" in op["responses"], key
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"}, key


def test_replies_document_idempotency(document: dict[str, Any]) -> None:
    op = _operations(document)[("post", "/api/v1/cases/{number}/replies")]
    assert {"200", "201", "404", "409", "422"} <= set(op["responses"])
    [header] = [p for p in op["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["description"]


def test_schemas_describe_fields_and_datetimes(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    created = schemas["CaseSummary"]["properties"]["created_at"]
    assert created["format"] == "date-time"
    assert created["examples"] == ["2025-03-01T09:30:00+00:00"]
    assert schemas["ReplyIn"]["properties"]["text"]["description"]
    assert schemas["DeliveryOut"]["properties"]["state"]["enum"] == ["queued", "sending", "retrying", "sent",
                                                                      "failed", "uncertain", "manual"]
    assert "secrets_encrypted" not in str(schemas) and "settings" not in schemas["ChannelOut"]["properties"]


def test_the_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text
