"""Users, API keys and the audit log through the API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support import Process


@pytest.fixture
def admin(api_server: Process, admin_key: str) -> httpx.Client:
    return client(api_server, admin_key)


def client(api_server: Process, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )


def test_admin_creates_users_and_issues_keys_shown_once(admin: httpx.Client, api_server: Process) -> None:
    created = admin.post(
        "/users", json={"email": "Op@Example.com", "role": "operator", "password": "correct horse battery"}
    )
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "op@example.com" and "password" not in user and "password_hash" not in user
    key = admin.post(f"/users/{user['id']}/api-keys", json={"name": "ci"}).json()
    assert key["secret"].startswith(f"cvk_{key['prefix']}_")
    listed = admin.get(f"/users/{user['id']}/api-keys").json()
    assert [k["prefix"] for k in listed] == [key["prefix"]] and "secret" not in listed[0]
    operator = client(api_server, key["secret"])
    assert operator.get("/me").json()["role"] == "operator"
    assert operator.post("/jobs", json={"type": "noop"}).status_code == 201
    assert operator.get("/users").status_code == 403
    assert admin.post("/users", json={"email": "op@example.com", "role": "viewer"}).status_code == 409


def test_revocation_is_immediate(admin: httpx.Client, api_server: Process) -> None:
    user = admin.post("/users", json={"email": "v@example.com", "role": "viewer"}).json()
    key = admin.post(f"/users/{user['id']}/api-keys", json={"name": "k"}).json()
    viewer = client(api_server, key["secret"])
    assert viewer.get("/jobs").status_code == 200
    revoked = admin.delete(f"/users/{user['id']}/api-keys/{key['id']}")
    assert revoked.json()["revoked_at"] is not None
    assert viewer.get("/jobs").status_code == 401


def test_disabled_user_and_expired_key_are_refused(admin: httpx.Client, api_server: Process) -> None:
    user = admin.post("/users", json={"email": "d@example.com", "role": "operator"}).json()
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    key = admin.post(f"/users/{user['id']}/api-keys", json={"name": "k"}).json()
    short = admin.post(f"/users/{user['id']}/api-keys", json={"name": "short", "expires_at": soon}).json()
    assert (
        admin.post(
            f"/users/{user['id']}/api-keys", json={"name": "past", "expires_at": "2000-01-01T00:00:00Z"}
        ).status_code
        == 422
    )
    assert admin.patch(f"/users/{user['id']}", json={"disabled": True}).json()["disabled"] is True
    assert client(api_server, key["secret"]).get("/me").status_code == 401
    admin.patch(f"/users/{user['id']}", json={"disabled": False})
    assert client(api_server, key["secret"]).get("/me").status_code == 200
    time.sleep(max(0.0, (datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC)).total_seconds()))
    assert client(api_server, short["secret"]).get("/me").status_code == 401


def test_own_keys_rotate_and_stay_private(admin: httpx.Client, api_server: Process) -> None:
    a = admin.post("/users", json={"email": "a@example.com", "role": "viewer"}).json()
    b = admin.post("/users", json={"email": "b@example.com", "role": "viewer"}).json()
    a_key = admin.post(f"/users/{a['id']}/api-keys", json={"name": "a"}).json()
    b_key = admin.post(f"/users/{b['id']}/api-keys", json={"name": "b"}).json()
    as_a = client(api_server, a_key["secret"])
    assert [k["id"] for k in as_a.get("/me/api-keys").json()] == [a_key["id"]]
    # Another user's key id is not found, and is left alone.
    assert as_a.delete(f"/me/api-keys/{b_key['id']}").status_code == 404
    assert as_a.post(f"/me/api-keys/{b_key['id']}/rotate").status_code == 404
    assert client(api_server, b_key["secret"]).get("/me").status_code == 200
    rotated = as_a.post(f"/me/api-keys/{a_key['id']}/rotate").json()
    assert rotated["name"] == "a" and rotated["secret"] != a_key["secret"]
    assert as_a.get("/me").status_code == 401  # the old key died with the rotation
    assert client(api_server, rotated["secret"]).get("/me").json()["email"] == "a@example.com"


def test_admin_cannot_lock_themselves_out(admin: httpx.Client) -> None:
    me = admin.get("/me").json()
    assert admin.patch(f"/users/{me['id']}", json={"role": "viewer"}).status_code == 409
    assert admin.patch(f"/users/{me['id']}", json={"disabled": True}).status_code == 409
    assert admin.patch(f"/users/{me['id']}", json={"name": "Root"}).json()["name"] == "Root"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "viewer"}, "email"),
        ({"email": "x@example.com", "role": "god"}, "role"),
        ({"email": "x@example.com", "role": "viewer", "password": "short"}, "password"),
        ({"email": "x@example.com", "role": "viewer", "is_admin": True}, "is_admin"),
    ],
)
def test_bad_user_bodies(admin: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = admin.post("/users", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_changes_are_audited_with_who_what_where(admin: httpx.Client) -> None:
    me = admin.get("/me").json()
    # Due in an hour: no worker of another test can run it first, so the cancel is always a change.
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    job = admin.post(
        "/jobs", json={"type": "noop", "run_at": later}, headers={"X-Request-Id": "req-123"}
    ).json()
    assert admin.post(f"/jobs/{job['id']}/cancel").status_code == 200
    admin.post("/jobs", json={"type": "nope"})  # refused: not a change, not audited
    entries = admin.get("/audit-log").json()["items"]
    assert [e["action"] for e in entries] == ["POST /api/v1/jobs/{job_id}/cancel", "POST /api/v1/jobs"]
    cancel, submit = entries
    assert cancel["params"] == {"job_id": str(job["id"])} and cancel["user_id"] == me["id"]
    assert submit["request_id"] == "req-123" and submit["ip"] == "127.0.0.1" and submit["status"] == 201
