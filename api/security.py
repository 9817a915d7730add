"""What guards every request: the real client behind trusted proxies (werkzeug's ProxyFix),
security headers with a Content-Security-Policy (flask-talisman), sign-in throttling per
username and per client address (Flask-Limiter), and operator-only metrics."""

from __future__ import annotations

import ipaddress

from flask import Flask, request
from flask_limiter import Limiter
from flask_smorest import abort
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings

from .auth import ADMIN, OPERATOR, current_principal

# The web app loads its scripts, stylesheets and images from this server only and runs no inline
# script and no eval; nothing may frame it. The API docs page's one inline script carries a nonce.
# Styles may also be inline: the designer's properties panel (CodeMirror, in the bundled kit)
# writes its stylesheet at run time. A style runs no code; the app's own files use none (docs/web.md).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
LOGIN_ENDPOINT = "auth.Token"


def install(app: Flask, settings: Settings) -> None:
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    Talisman(
        app,
        force_https=False,  # TLS ends at the reverse proxy; HSTS is sent on HTTPS answers
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="no-referrer",  # the public status page's address carries the access code
        session_cookie_secure=False,
    )
    _throttle_sign_in(app, settings)

    @app.before_request
    def operators_only():
        if request.path == "/metrics" and not operator_or_loopback():
            if current_principal() is None:
                abort(401, message="Metrics are for operators: a valid bearer token is required")
            abort(403, message=f"Metrics need one of the roles: {OPERATOR}, {ADMIN}")


def operator_or_loopback() -> bool:
    """Operators and admins, or a caller on this machine (a local Prometheus, a health probe). A
    request that came through a proxy not declared trusted is not taken for a local one."""
    principal = current_principal()
    if principal is not None and principal.has_any(OPERATOR, ADMIN):
        return True
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if forwarded and not isinstance(request.environ.get("werkzeug.proxy_fix.orig"), dict):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def client_address() -> str:
    """The caller's address: the connection's, or the one the trusted proxies report."""
    return request.remote_addr or "unknown"


def signed_in_username() -> str:
    """The username a sign-in is for, as it is looked up; a body without one counts by address."""
    try:
        body = request.get_json(silent=True)
    except Exception:  # a body Python's parser cannot build (too deep): the view answers it
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str) or not username.strip():
        return "address:" + client_address()
    return "user:" + username.strip()[:100]


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


def _throttle_sign_in(app: Flask, settings: Settings) -> None:
    """Failed sign-ins count per username and per client address, in tiers (a few a minute, more
    an hour, a ceiling a day): past one, every sign-in for it is refused (429 with Retry-After)
    until the window moves on, even with the right password."""
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        strategy="moving-window",
        headers_enabled=True,
        in_memory_fallback_enabled=True,  # Redis down: count in this process rather than not at all
        key_prefix="onestop",
    )
    app.extensions["onestop_limiter"] = limiter
    view = app.view_functions[LOGIN_ENDPOINT]
    for limits, key, scope in (
        (settings.login_limits_per_address, client_address, "sign-in-address"),
        (settings.login_limits_per_user, signed_in_username, "sign-in-user"),
    ):
        view = limiter.limit(limits, key_func=key, scope=scope, methods=["POST"], deduct_when=_failed_sign_in)(view)
    app.view_functions[LOGIN_ENDPOINT] = view
