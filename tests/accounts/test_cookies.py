"""X8: the console lists every cookie it sets (name, purpose, lifetime), sets only those (all strictly
necessary), and a person deletes them from that page: signed in, after signing out everywhere."""
from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.cookies import console_cookies, listed_cookie_names
from accounts.models import User
from tests.accounts.signing_in import api_login


class SetsAnUnlistedCookie:
    """Stands for any code (ours or a library's) that would set a cookie nobody listed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.set_cookie("visitor_tracker", "abc", max_age=365 * 24 * 3600)
        return response


def _set_cookie_names(response) -> set[str]:
    return {name for name, morsel in response.cookies.items() if morsel.value}


def _listed_on_page(response) -> set[str]:
    page = response.content.decode()
    return {cookie.name for cookie in console_cookies() if f'data-cookie="{cookie.name}"' in page}


@pytest.mark.promise("X8")
def test_every_cookie_the_console_sets_is_listed_with_its_purpose_and_lifetime(enterprises):
    browser = Client(HTTP_HOST=enterprises.a.host, enforce_csrf_checks=True)
    seen: set[str] = set()

    login_page = browser.get("/console/login/")  # CSRF
    seen |= _set_cookie_names(login_page)
    signed_in = browser.post("/console/login/", {"username": enterprises.a.admin_mobile,
                                                 "password": enterprises.a.admin_password,
                                                 "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert signed_in.status_code == 302
    seen |= _set_cookie_names(signed_in)  # session (and the rotated CSRF token)
    language = browser.post("/i18n/setlang/", {"language": "zh-hans", "next": "/console/",
                                               "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    seen |= _set_cookie_names(language)
    browser.post("/i18n/setlang/", {"language": "en", "next": "/console/",
                                    "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    new_password = "Cookie-Walk-2026!"
    with_message = browser.post("/console/password/", {
        "old_password": enterprises.a.admin_password, "new_password": new_password,
        "new_password_again": new_password, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert with_message.status_code == 302
    seen |= _set_cookie_names(with_message)  # "Your password was changed." carried to the next page

    assert {django_settings.SESSION_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME,
            django_settings.LANGUAGE_COOKIE_NAME, "messages"} <= seen
    assert seen <= listed_cookie_names(), f"set but not listed: {seen - listed_cookie_names()}"
    page = browser.get("/console/cookies/")
    assert page.status_code == 200
    assert _listed_on_page(page) == {cookie.name for cookie in console_cookies()}
    text = page.content.decode()
    assert "Keeps you signed in" in text and "8 hours" in text and "364 days" in text


@pytest.mark.promise("X8")
def test_a_cookie_that_is_not_strictly_necessary_never_reaches_the_browser(enterprises, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.accounts.test_cookies.SetsAnUnlistedCookie"]
    visitor = Client(HTTP_HOST=enterprises.a.host)

    response = visitor.get("/console/login/")

    assert response.status_code == 200
    assert "visitor_tracker" not in response.cookies
    assert django_settings.CSRF_COOKIE_NAME in response.cookies  # the necessary ones still are


@pytest.mark.promise("X8")
def test_signed_out_visitors_reach_the_list_from_the_sign_in_page_and_can_clear_cookies(enterprises):
    visitor = Client(HTTP_HOST=enterprises.a.host)
    login_page = visitor.get("/console/login/").content.decode()
    assert 'href="/cookies/"' in login_page

    page = visitor.get("/cookies/")
    assert page.status_code == 200
    assert _listed_on_page(page) == {cookie.name for cookie in console_cookies()}
    cleared = visitor.post("/cookies/clear")

    assert cleared.status_code == 302 and cleared["Location"] == "/cookies/?cleared=1"
    for cookie in console_cookies():
        assert cleared.cookies[cookie.name].value == "" and cleared.cookies[cookie.name]["max-age"] == 0


@pytest.mark.promise("X8")
def test_sign_out_everywhere_and_clear_cookies_ends_every_session_and_token(enterprises):
    app = APIClient(HTTP_HOST=enterprises.a.host, HTTP_X_DEVICE_ID="device-cookies-1")
    signed_in = api_login(app, {"mobile": enterprises.a.admin_mobile, "password": enterprises.a.admin_password,
                                "device_id": "device-cookies-1"})
    app.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}", HTTP_X_DEVICE_ID="device-cookies-1")
    assert app.get("/api/v1/me").status_code == 200
    console, other_computer = Client(HTTP_HOST=enterprises.a.host), Client(HTTP_HOST=enterprises.a.host)
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.with_mobile(enterprises.a.admin_mobile).get()
        console.force_login(manager)
        other_computer.force_login(manager)
    page = console.get("/console/")
    assert 'href="/console/cookies/"' in page.content.decode()  # the footer
    assert "Sign out everywhere and clear cookies" in console.get("/console/cookies/").content.decode()

    cleared = console.post("/cookies/clear")

    assert cleared.status_code == 302
    for cookie in console_cookies():
        assert cleared.cookies[cookie.name]["max-age"] == 0, cookie.name
    assert app.get("/api/v1/me").status_code == 401
    assert other_computer.get("/console/").status_code == 302  # to the sign-in page
    assert console.get("/console/").status_code == 302
