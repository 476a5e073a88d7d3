"""Signing in and out of the dashboard, sessions, cookies, CSRF and the sign-in throttle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_support import PASSWORD, Dashboard, csrf_of, running_dashboard

from openwer.server.dashboard import login_throttle, state
from openwer.server.dashboard.user_accounts import change_password


@pytest.fixture
def dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dashboard]:
    """The app with user alice; the throttle's first wait is a minute (no race with time)."""
    policy = login_throttle.ThrottlePolicy(base_delay=60)
    monkeypatch.setattr(state, "LoginThrottle", lambda: login_throttle.LoginThrottle(policy))
    with running_dashboard(tmp_path) as running:
        running.user("alice")
        yield running


def test_signed_out_home_is_the_sign_in_form(dashboard: Dashboard) -> None:
    """``/`` shows a form with username and password inputs and a CSRF token; strict CSP."""
    reply = dashboard.browser().get("/")
    assert reply.status_code == 200
    assert 'name="username"' in reply.text
    assert 'name="password"' in reply.text
    assert 'type="password"' in reply.text
    csrf_of(reply.text)
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    cookie = reply.headers["set-cookie"]
    assert "openwer_login_csrf=" in cookie
    assert "HttpOnly" in cookie


def test_the_right_password_opens_a_session_with_a_safe_cookie(dashboard: Dashboard) -> None:
    """A correct sign-in answers 303 with an HttpOnly, SameSite=Lax cookie; pages follow."""
    browser = dashboard.browser()
    reply = browser.sign_in("alice")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if "openwer_session" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here
    home = browser.get("/")
    assert "Sign out" in home.text
    assert "alice" in home.text
    assert 'name="password"' not in home.text


def test_cookies_are_secure_over_https(dashboard: Dashboard) -> None:
    """Over HTTPS the session and form cookies get the Secure flag."""
    browser = dashboard.browser("https://testserver")
    form = browser.get("/login")
    assert "Secure" in form.headers["set-cookie"]
    reply = browser.sign_in("alice")
    assert reply.status_code == 303
    assert any("Secure" in c for c in reply.headers.get_list("set-cookie"))


def test_wrong_passwords_and_unknown_names_are_refused_alike(dashboard: Dashboard) -> None:
    """401, the same message, no cookie, for a wrong password and for an unknown name."""
    browser = dashboard.browser()
    wrong = browser.sign_in("alice", "not the password")
    nobody = browser.sign_in("mallory", PASSWORD)
    for reply in (wrong, nobody):
        assert reply.status_code == 401
        assert "Wrong user name or password." in reply.text
        assert not any("openwer_session" in c for c in reply.headers.get_list("set-cookie"))
    assert 'value="alice"' in wrong.text  # the name is kept, the password is not
    assert browser.get("/solutions").status_code == 303


def test_one_mistake_then_the_right_password_signs_in(dashboard: Dashboard) -> None:
    """A typo does not delay the correct password that follows."""
    browser = dashboard.browser()
    assert browser.sign_in("alice", "typo").status_code == 401
    assert browser.sign_in("alice").status_code == 303


def test_repeated_failures_are_rate_limited(dashboard: Dashboard) -> None:
    """After a few failures the pair must wait (429 + Retry-After), even with the right
    password; another user name from the same address is not affected."""
    browser = dashboard.browser()
    for _ in range(4):
        assert browser.sign_in("alice", "guess").status_code == 401
    throttled = browser.sign_in("alice")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in throttled.text
    dashboard.user("bob")
    assert browser.sign_in("bob").status_code == 303


def test_sign_in_needs_the_form_token(dashboard: Dashboard) -> None:
    """A sign-in POST without the form's token, or from another site, is refused (403)."""
    browser = dashboard.browser()
    token = csrf_of(browser.get("/login").text)
    missing = browser.post("/login", {"username": "alice", "password": PASSWORD})
    forged = browser.post(
        "/login", {"username": "alice", "password": PASSWORD, "csrf_token": token + "x"}
    )
    other_site = browser.post(
        "/login",
        {"username": "alice", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    for reply in (missing, forged, other_site):
        assert reply.status_code == 403
        assert not any("openwer_session" in c for c in reply.headers.get_list("set-cookie"))
    fresh = dashboard.browser()  # no cookie at all: the field alone is not enough
    assert fresh.post("/login", {"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert fresh.get("/products").status_code == 303


def test_every_form_needs_the_session_token(dashboard: Dashboard) -> None:
    """A signed-in POST without the CSRF token, with another session's, or cross-site: 403."""
    product = dashboard.repository.create_product("demo")
    browser = dashboard.signed_in("alice")
    other = dashboard.signed_in("alice")
    their_token = csrf_of(other.get("/products").text)
    my_token = csrf_of(browser.get("/products").text)
    path = f"/products/{product.id}/keys"
    assert browser.post(path, {}).status_code == 415  # not even a form
    assert browser.post(path, {"name": "x"}).status_code == 403
    assert browser.post(path, {"csrf_token": their_token}).status_code == 403
    cross = browser.post(path, {"csrf_token": my_token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert dashboard.repository.list_ingest_keys(product.id) == []
    assert browser.post(path, {"csrf_token": my_token}).status_code == 201
    assert len(dashboard.repository.list_ingest_keys(product.id)) == 1
    logout = browser.post("/logout", {"csrf_token": ""})
    assert logout.status_code == 403


def test_sign_out_ends_the_session(dashboard: Dashboard) -> None:
    """After sign-out the old cookie opens nothing."""
    browser = dashboard.signed_in("alice")
    session = browser.client.cookies["openwer_session"]
    reply = browser.submit("/logout")
    assert reply.status_code == 303
    assert browser.get("/").text.count('name="password"') == 1
    replay = dashboard.browser()
    replay.client.cookies.set("openwer_session", session)
    assert replay.get("/solutions").status_code == 303


def test_a_new_password_signs_the_user_out(dashboard: Dashboard) -> None:
    """``users passwd`` ends every session of the user."""
    browser = dashboard.signed_in("alice")
    assert browser.get("/solutions").status_code == 200
    change_password(dashboard.repository, "alice", "a brand new one")
    assert browser.get("/solutions").status_code == 303
    assert dashboard.browser().sign_in("alice", "a brand new one").status_code == 303


def test_pages_send_signed_out_visitors_to_sign_in_and_back(dashboard: Dashboard) -> None:
    """A page asks for sign-in and comes back after it; ``next`` never leaves the site."""
    browser = dashboard.browser()
    reply = browser.get("/solutions?x=1")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=/solutions%3Fx%3D1"
    form = browser.get(reply.headers["location"])
    assert 'name="next" value="/solutions?x=1"' in form.text
    token = csrf_of(form.text)
    for target, expected in (
        ("/solutions?x=1", "/solutions?x=1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ):
        fresh = dashboard.browser()
        fresh_token = csrf_of(fresh.get("/login").text)
        answer = fresh.post(
            "/login",
            {"username": "alice", "password": PASSWORD, "csrf_token": fresh_token, "next": target},
        )
        assert answer.headers["location"] == expected
    assert token


def test_forged_session_cookies_open_nothing(dashboard: Dashboard) -> None:
    """Made-up, oversized or foreign-looking tokens are signed-out visitors."""
    for token in ("ows_made-up", "x" * 5000, "owa_admin", ""):
        browser = dashboard.browser()
        browser.client.cookies.set("openwer_session", token)
        assert browser.get("/products").status_code == 303
