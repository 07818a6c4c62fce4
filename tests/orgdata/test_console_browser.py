"""The organisation console in real Chromium: an import with errors, and a sub-administrator's
limited view (E5, E7, E8)."""
import pytest

from accounts.models import User
from orgdata.models import Employee, ImportJob
from tests.committing import committed
from tests.orgdata.conftest import PASSWORD
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

pytestmark = pytest.mark.browser


def _sign_in(page, base, mobile, password):
    page.goto(f"{base}/console/login/")
    page.get_by_label("Mobile number").fill(mobile)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")


@pytest.mark.promise("E8")
@pytest.mark.promise("E7")
def test_an_import_with_errors_shows_every_bad_row_and_writes_nothing(own_enterprise, live_server_port, browser,
                                                                      tmp_path, celery_worker):
    base = f"http://{own_enterprise.host}:{live_server_port}"
    upload = tmp_path / "people.csv"
    upload.write_text("工号,姓名,手机号,部门\n"
                      "C001,好人,13912340001,总部\n"
                      "C002,,13912340002,总部\n"
                      "C003,坏号码,12345,总部\n", encoding="utf-8")
    page = browser.new_page()
    _sign_in(page, base, own_enterprise.admin_mobile, own_enterprise.admin_password)
    page.get_by_role("link", name="Organisation").click()
    page.get_by_role("link", name="Import", exact=True).click()
    assert page.get_by_role("link", name="XLSX").is_visible()  # the sample template

    page.get_by_label("Address book file (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    alert = page.locator("[data-field=consent_confirmed]")
    assert "informed and consented" in alert.inner_text()

    page.get_by_label("Address book file (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_label("I confirm that every person in this file was informed").check()
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(f"{base}/console/organisation/import/*/")
    # The worker reads the file; the page polls and shows the outcome when it is finished.
    page.get_by_text("2 problems found; nothing was imported.").wait_for(timeout=60_000)
    report = page.get_by_test_id("import-report").inner_text()
    assert "3\tName\tThis field is required." in report
    assert "4\tMobile number" in report and "12345" not in report
    assert page.get_by_role("link", name="Download the report").is_visible()
    page.close()

    assert committed(own_enterprise.schema_name, lambda: (
        Employee.objects.count(), list(ImportJob.objects.values_list("status", flat=True)))) == (0, ["rejected"])


@pytest.mark.promise("E5")
def test_a_sub_administrator_sees_only_their_departments(own_enterprise, live_server_port, browser):
    def arrange():
        manager = User.objects.get(role=User.Role.MANAGER)
        tree = make_tree()
        make_employee(department=tree["backend"], name="研发小王", employee_number="IN-9")
        outsider = make_employee(department=tree["east"], name="销售小李", employee_number="OUT-9")
        deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="研发主管")
        deputy.set_password(PASSWORD)
        deputy.save(update_fields=["password"])
        return deputy.mobile, outsider.pk

    deputy_mobile, outsider_pk = committed(own_enterprise.schema_name, arrange)
    base = f"http://{own_enterprise.host}:{live_server_port}"
    page = browser.new_page()
    _sign_in(page, base, deputy_mobile, PASSWORD)
    page.get_by_role("link", name="Organisation").click()

    listed = page.get_by_test_id("employee-list").inner_text()
    assert "研发小王" in listed and "研发主管" in listed and "销售小李" not in listed
    page.get_by_label("Search").fill("销售")
    page.get_by_role("button", name="Search").click()
    assert "Nobody matches." in page.get_by_test_id("employee-list").inner_text()

    assert page.get_by_role("link", name="Administrators").count() == 0
    page.get_by_role("link", name="Departments").click()
    tree = page.get_by_test_id("department-tree").inner_text()
    assert "Back end" in tree and "East" not in tree and "Sales" not in tree

    response = page.goto(f"{base}/console/organisation/employees/{outsider_pk}/")
    assert response.status == 404
    response = page.goto(f"{base}/console/organisation/administrators/")
    assert response.status == 403
    page.close()
