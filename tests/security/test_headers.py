"""Security headers on every answer (pages, API, errors, the API docs), and the operators' own
answers: /metrics and the detailed health only to an operator (or admin) or from this machine."""

from __future__ import annotations

import re

import pytest

from .conftest import STAFF

OUTSIDE = {"REMOTE_ADDR": "192.0.2.50"}  # a caller on another machine


def assert_secured(response, where: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", (where, policy)
    assert "'unsafe-eval'" not in policy, (where, policy)
    script = directives.get("script-src", "")
    assert script.startswith("'self'") and "'unsafe-inline'" not in script, (where, policy)
    assert directives.get("style-src", "").startswith("'self'"), (where, policy)
    assert directives.get("frame-ancestors") == "'none'", (where, policy)
    assert directives.get("object-src") == "'none'", (where, policy)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "no-referrer", where


def test_every_kind_of_answer_carries_the_headers(app, client, tokens):
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/api/explode-for-test", "explode_for_test", explode)
    token = {"Authorization": f"Bearer {tokens['clerk']}"}
    answers = {
        "web app": client.get("/app/"),
        "script": client.get("/app/static/js/app.js"),
        "api": client.get("/api/tasks", headers=token),
        "openapi": client.get("/api/openapi.json"),
        "401": client.get("/api/tasks"),
        "403": client.post("/api/definitions", headers=token),
        "404": client.get("/api/cases/nope", headers=token),
        "405": client.delete("/api/health"),
        "422": client.post("/api/cases", json={"procedure": 1}, headers=token),
        "500": client.get("/api/explode-for-test"),
        "public": client.get("/api/public/cases/2026-000001?code=x", environ_base=OUTSIDE),
        "redirect": client.get("/"),
    }
    for where, response in answers.items():
        assert_secured(response, where)
    assert answers["500"].status_code == 500


def test_the_api_docs_page_runs_its_script_under_a_nonce(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert_secured(page, "docs")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", page.get_data(as_text=True))
    inline = [attributes for attributes in scripts if "src=" not in attributes]
    assert inline == [f' nonce="{nonce}"'], scripts
    assert client.get("/api/docs").headers["Content-Security-Policy"] != page.headers["Content-Security-Policy"]


def test_the_web_app_has_no_inline_script_or_handler(client):
    html = client.get("/app/").get_data(as_text=True)
    assert all("src=" in tag for tag in re.findall(r"<script([^>]*)>", html))
    assert not re.search(r"\son[a-z]+=", html) and " style=" not in html


@pytest.mark.parametrize("user", sorted(STAFF))
def test_metrics_only_for_operators_and_admins_from_outside(client, tokens, user):
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {tokens[user]}"}, environ_base=OUTSIDE)
    allowed = set(STAFF[user][0]) & {"operator", "admin"}
    assert answer.status_code == (200 if allowed else 403), answer
    if allowed:
        assert b"onestop_cases" in answer.data


def test_metrics_for_this_machine_and_not_for_anonymous_outsiders(client, tokens):
    assert client.get("/metrics").status_code == 200  # the test client calls from 127.0.0.1
    outsider = client.get("/metrics", environ_base=OUTSIDE)
    assert outsider.status_code == 401 and outsider.content_type == "application/problem+json"
    # Through a proxy that was not declared trusted: not taken for a local caller.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.51"})
    assert proxied.status_code == 401


def test_public_health_says_up_or_down_only(client, tokens):
    public = client.get("/api/health", environ_base=OUTSIDE)
    assert public.status_code == 200 and public.json == {"status": "ok"}
    clerk = client.get("/api/health", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert clerk.json == {"status": "ok"}
    for user in ("operator", "admin"):
        detailed = client.get("/api/health", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {tokens[user]}"})
        assert detailed.json["checks"]["database"]["status"] == "ok", user
    assert "checks" in client.get("/api/health").json  # from this machine: a local probe
