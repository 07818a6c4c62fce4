"""X8 in real Chromium: the browser holds only the cookies the console's list names; from the footer's
cookie page, "sign out everywhere and clear cookies" leaves the browser without any of them."""
from __future__ import annotations

import pytest

from accounts.cookies import console_cookies

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cookie_enterprise(session_enterprises, django_db_blocker):
    from tests.orgdata.conftest import _own_enterprise, _retire

    enterprise = _own_enterprise("cookie-walk", "Cookie Walk Co", "13744440071", django_db_blocker)
    yield enterprise
    _retire(enterprise, django_db_blocker)


@pytest.mark.promise("X8")
def test_the_browser_holds_only_listed_cookies_and_clearing_them_signs_out(cookie_enterprise, live_server_port,
                                                                           browser):
    base = f"http://{cookie_enterprise.host}:{live_server_port}"
    context = browser.new_context()
    page = context.new_page()
    listed = {cookie.name for cookie in console_cookies()}
    try:
        page.goto(f"{base}/console/login/")
        page.get_by_label("Mobile number").fill(cookie_enterprise.admin_mobile)
        page.get_by_label("Password").fill(cookie_enterprise.admin_password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/console/")
        for language in ("zh-hans", "en"):  # the language switch sets its cookie
            with page.expect_navigation():
                page.locator("select[name=language]").select_option(language)
        held = {cookie["name"] for cookie in context.cookies()}
        assert {"sessionid", "csrftoken", "django_language"} <= held
        assert held <= listed, f"not listed: {held - listed}"

        page.get_by_test_id("footer-cookies").click()
        page.wait_for_url(f"{base}/console/cookies/")
        shown = {row.get_attribute("data-cookie") for row in page.locator("[data-cookie]").all()}
        assert shown == listed
        page.get_by_test_id("clear-cookies").click()
        page.wait_for_url(f"{base}/cookies/?cleared=1")
        assert page.get_by_test_id("cookies-cleared").is_visible()
        assert {cookie["name"] for cookie in context.cookies()} <= {"csrftoken"}  # only the new page's own
        page.goto(f"{base}/console/")
        assert "/console/login/" in page.url
    finally:
        context.close()
