"""In real Chromium (issue 14): a destructive action walks its confirmation dialog, and a
sub-administrator removed while signed in finds the way out of the refusal page."""
import pytest

from accounts.models import User
from orgdata.models import Department
from orgdata.services import administrators as administrator_services
from orgdata.services import departments as department_services
from tests.committing import committed
from tests.orgdata.conftest import PASSWORD
from tests.orgdata.factories import make_employee, make_sub_administrator

pytestmark = pytest.mark.browser


def _sign_in(page, base, mobile, password):
    page.goto(f"{base}/console/login/")
    page.get_by_label("Mobile number").fill(mobile)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")


def test_merging_a_department_walks_the_confirmation_dialog(own_enterprise, live_server_port, browser):
    def arrange():
        manager = User.objects.get(role=User.Role.MANAGER)
        head_office = department_services.create_department(name="总部", actor=manager)
        research = department_services.create_department(name="研发部", parent=head_office, actor=manager)
        for number in range(3):
            make_employee(department=research, name=f"研发{number}", employee_number=f"CB-{number}")
        return research.pk

    research_pk = committed(own_enterprise.schema_name, arrange)
    base = f"http://{own_enterprise.host}:{live_server_port}"
    page = browser.new_page()
    _sign_in(page, base, own_enterprise.admin_mobile, own_enterprise.admin_password)
    page.goto(f"{base}/console/organisation/departments/{research_pk}/")
    page.get_by_label("Merge into").select_option(label="总部")
    merge = page.get_by_role("button", name="Merge", exact=True)
    assert "danger" in merge.get_attribute("class")
    merge.click()

    dialog = page.get_by_role("dialog", name="Merge 研发部 into 总部?")
    assert dialog.is_visible()
    assert "3 people in 研发部 move to 总部." in dialog.inner_text()
    dialog.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"{base}/console/organisation/departments/{research_pk}/")
    assert committed(own_enterprise.schema_name, lambda: Department.objects.filter(pk=research_pk).exists())

    page.get_by_label("Merge into").select_option(label="总部")
    page.get_by_role("button", name="Merge", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Merge departments").click()
    page.wait_for_url(f"{base}/console/organisation/departments/")
    assert "Department 研发部 merged into 总部; 3 people moved to 总部." in page.get_by_role("status").inner_text()
    assert "研发部" not in page.get_by_test_id("department-tree").inner_text()
    assert "总部\t3" in page.get_by_test_id("department-tree").inner_text()  # the subtree headcount
    page.close()
    assert not committed(own_enterprise.schema_name, lambda: Department.objects.filter(pk=research_pk).exists())


def test_a_removed_sub_administrator_signs_out_from_the_refusal_page(own_enterprise, live_server_port, browser):
    def arrange():
        manager = User.objects.get(role=User.Role.MANAGER)
        branch = department_services.create_department(name="分部", actor=manager)
        deputy = make_sub_administrator(departments=[branch], manager=manager, name="分部主管")
        deputy.set_password(PASSWORD)
        deputy.save(update_fields=["password"])
        return deputy.pk, deputy.mobile

    deputy_pk, deputy_mobile = committed(own_enterprise.schema_name, arrange)
    base = f"http://{own_enterprise.host}:{live_server_port}"
    page = browser.new_page()
    _sign_in(page, base, deputy_mobile, PASSWORD)
    page.get_by_role("link", name="Organisation").click()

    committed(own_enterprise.schema_name, lambda: administrator_services.remove_sub_administrator(
        actor=User.objects.get(role=User.Role.MANAGER), person=User.objects.get(pk=deputy_pk)))
    response = page.goto(f"{base}/console/organisation/employees/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You cannot open this page").is_visible()
    assert page.get_by_test_id("way-out").get_by_role("link", name="Back to the dashboard").count() == 0
    page.get_by_test_id("way-out").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/console/login/")
    page.close()
