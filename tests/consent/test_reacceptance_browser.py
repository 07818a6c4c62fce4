"""C8 in a real browser: after a significant change takes effect, the console blocks with a notice
until the administrator accepts the new version."""
from datetime import timedelta

import pytest
from django.utils import timezone

from policies.models import PolicyVersion
from policies.selectors import forget_timeline
from tests.committing import committed

pytestmark = pytest.mark.browser


@pytest.fixture
def significant_version(session_enterprises, live_server_port):
    # The live server sees committed rows only: publish for real, remove it afterwards.
    version = committed("public", lambda: PolicyVersion.objects.create(
        version="browser-2026.9", title_en="Privacy policy (significant update)", title_zh_hans="隐私政策（重大更新）",
        text_en="We now share attendance summaries with your payroll provider.",
        text_zh_hans="我们现在与薪酬服务商共享考勤汇总。", summary_en="Recipients of sharing changed.",
        summary_zh_hans="共享接收方变化。", published_at=timezone.now() - timedelta(days=8), is_significant=True,
        significant_reasons=["recipients"]))
    forget_timeline()
    yield version
    committed("public", lambda: PolicyVersion.objects.filter(pk=version.pk).delete())
    forget_timeline()


@pytest.mark.promise("C8")
def test_the_administrator_must_accept_a_significant_change_before_using_the_console(
    session_enterprises, live_server_port, browser, significant_version
):
    enterprise = session_enterprises.a
    base = f"http://{enterprise.host}:{live_server_port}"
    page = browser.new_page()
    page.goto(f"{base}/console/login/")
    page.get_by_label("Mobile number").fill(enterprise.admin_mobile)
    page.get_by_label("Password").fill(enterprise.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/privacy/policy/")
    notice = page.get_by_test_id("policy-notice")
    assert notice.get_by_role("heading", level=1).inner_text() == "Our privacy policy changed significantly"
    assert "browser-2026.9" in notice.inner_text()
    assert "payroll provider" in notice.inner_text()

    page.goto(f"{base}/console/privacy/")  # every other page leads back to the notice
    assert page.url == f"{base}/console/privacy/policy/"

    page.get_by_test_id("accept-policy").click()
    page.wait_for_url(f"{base}/console/")
    page.goto(f"{base}/console/privacy/")
    assert page.url == f"{base}/console/privacy/"
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy"
    page.close()
