"""E1 in real Chromium: someone registers their enterprise on the platform host's page, signs in to
the console it names, is held on the basic-details page until they give location, industry type and
personnel size, and then reaches the dashboard."""
from __future__ import annotations

import secrets

import pytest

from tests.accounts.signing_in import latest_code
from tests.committing import committed

pytestmark = pytest.mark.browser

PASSWORD = "Browser-Regist3r!"


def _retire(name: str) -> None:
    from tenants import routing_cache
    from tenants import services as tenant_services
    from tenants.models import Enterprise
    from tests.tenants.factories import platform_operator

    def work():
        for enterprise in Enterprise.objects.filter(name=name):
            tenant_services.change_enterprise_status(actor=platform_operator(), enterprise=enterprise,
                                                     status=Enterprise.Status.CANCELLING)
            routing_cache.forget_enterprise(enterprise)

    committed("public", work)


@pytest.mark.promise("E1")
def test_an_enterprise_registers_on_the_web_page_and_its_console_asks_for_the_basic_details_first(
        session_enterprises, live_server_port, browser):
    name = f"Browser Bamboo {secrets.token_hex(3)}"
    mobile = "136" + f"{secrets.randbelow(10 ** 8):08d}"
    page = browser.new_context().new_page()
    try:
        page.goto(f"http://127.0.0.1:{live_server_port}/register/")
        page.get_by_label("Enterprise name").fill(name)
        page.get_by_label("Your name").fill("Tang Xue")
        page.get_by_label("Your mobile number").fill(mobile)
        page.get_by_role("button", name="Send the code").click()
        assert "We sent a code to" in page.get_by_test_id("message").inner_text()
        page.get_by_label("Code sent by text message").fill(committed("public", lambda: latest_code("public", mobile)))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Register", exact=True).click()

        console_url = page.get_by_test_id("console-url").inner_text()
        code = page.get_by_test_id("enterprise-code").inner_text()
        assert console_url == f"http://{code}.localhost/console/"
        base = f"http://{code}.localhost:{live_server_port}"
        page.goto(f"{base}/console/login/")
        page.get_by_label("Mobile number").fill(mobile)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/console/organisation/basic-details/")
        page.goto(f"{base}/console/organisation/employees/")
        assert page.url == f"{base}/console/organisation/basic-details/"  # nothing else opens

        page.get_by_label("Location").fill("Chengdu")
        page.get_by_label("Industry type").fill("Tea")
        page.get_by_label("Personnel size").select_option("21-100")
        page.get_by_role("button", name="Save and start").click()
        page.wait_for_url(f"{base}/console/")
        page.goto(f"{base}/console/organisation/employees/")
        assert page.url == f"{base}/console/organisation/employees/"
    finally:
        page.close()
        _retire(name)
