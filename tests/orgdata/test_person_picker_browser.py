"""In real Chromium (issue 14): the person picker offers the people whose name starts with what
the manager types, and choosing one appoints them."""
import pytest

from accounts.models import User
from orgdata.services import departments as department_services
from tests.committing import committed
from tests.orgdata.factories import make_employee

pytestmark = pytest.mark.browser


def test_the_picker_offers_people_by_a_part_of_their_name(own_enterprise, live_server_port, browser):
    def arrange():
        manager = User.objects.get(role=User.Role.MANAGER)
        branch = department_services.create_department(name="选人部", actor=manager)
        make_employee(department=branch, name="司马光", employee_number="PB-001")
        make_employee(department=branch, name="司马迁", employee_number="PB-002")
        return branch.pk

    committed(own_enterprise.schema_name, arrange)
    base = f"http://{own_enterprise.host}:{live_server_port}"
    page = browser.new_page()
    page.goto(f"{base}/console/login/")
    page.get_by_label("Mobile number").fill(own_enterprise.admin_mobile)
    page.get_by_label("Password").fill(own_enterprise.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")
    page.goto(f"{base}/console/organisation/administrators/")
    box = page.locator("#id_account")
    with page.expect_response(lambda response: "/employees/pick/" in response.url):
        box.press_sequentially("司马")
    results = page.get_by_test_id("person-picker-results").locator("option")
    results.first.wait_for(state="attached")
    offered = [(option.get_attribute("value"), option.get_attribute("label")) for option in results.all()]
    assert offered == [("PB-001", "司马光 (PB-001)"), ("PB-002", "司马迁 (PB-002)")]
    box.fill(offered[1][0])  # what choosing the option puts in the box
    page.get_by_label("Departments they administer (with everything below)").select_option(label="选人部")
    page.get_by_role("button", name="Appoint").click()
    page.wait_for_url(f"{base}/console/organisation/administrators/")
    assert "司马迁" in page.content()
    page.close()
    assert committed(own_enterprise.schema_name,
                     lambda: User.objects.get(employee__employee_number="PB-002").role) == User.Role.SUB_ADMIN
