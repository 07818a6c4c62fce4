import pytest

pytestmark = pytest.mark.browser


def test_an_administrator_signs_in_sees_the_dashboard_switches_language_and_signs_out(
    session_enterprises, live_server_port, browser
):
    enterprise = session_enterprises.a
    base = f"http://{enterprise.host}:{live_server_port}"
    page = browser.new_page()

    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login/")
    page.get_by_label("Mobile number").fill(enterprise.admin_mobile)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Mobile number or password is incorrect."

    page.get_by_label("Mobile number").fill(enterprise.admin_mobile)
    page.get_by_label("Password").fill(enterprise.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")
    assert page.get_by_test_id("enterprise-name").inner_text() == enterprise.enterprise.name
    assert page.get_by_role("heading", level=1).inner_text() == f"Welcome to {enterprise.enterprise.name}"

    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh-hans")
    assert page.get_by_role("heading", level=1).inner_text() == f"欢迎使用 {enterprise.enterprise.name}"
    assert page.get_by_role("link", name="工作台").is_visible()

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base}/console/login/")
    page.goto(f"{base}/console/")
    assert "/console/login/" in page.url
    page.close()
