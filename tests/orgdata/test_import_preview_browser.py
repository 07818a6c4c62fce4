"""Upload → preview → confirm in real Chromium, with the real worker (issue 14): nothing is written
before the administrator confirms, and positions that do not exist are created only when they say so."""
import pytest

from orgdata.models import Department, Employee, ImportJob, Position
from tests.committing import committed
from tests.orgdata.test_console_browser import _sign_in

pytestmark = pytest.mark.browser


def test_an_upload_is_previewed_and_written_only_once_confirmed(own_enterprise, live_server_port, browser,
                                                              tmp_path, celery_worker):
    base = f"http://{own_enterprise.host}:{live_server_port}"
    schema = own_enterprise.schema_name
    upload = tmp_path / "people.csv"
    upload.write_text("工号,姓名,手机号,部门,职位\n"
                      "PV01,预览一,13912350001,预览总部/预览部,预览工程师\n"
                      "PV02,预览二,13912350002,预览总部,\n", encoding="utf-8")
    page = browser.new_page()
    _sign_in(page, base, own_enterprise.admin_mobile, own_enterprise.admin_password)
    page.goto(f"{base}/console/organisation/import/")
    page.get_by_label("Address book file (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_label("I confirm that every person in this file was informed").check()
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(f"{base}/console/organisation/import/*/")

    # The worker checks the file; the page shows the preview when it is ready.
    preview = page.get_by_test_id("import-preview")
    preview.wait_for(timeout=60_000)
    assert page.get_by_test_id("preview-added").inner_text() == "2"
    assert page.get_by_test_id("preview-changed").inner_text() == "0"
    assert page.get_by_test_id("preview-new-departments").inner_text() == "2"
    assert "预览总部/预览部" in page.get_by_test_id("preview-department-list").inner_text()
    assert page.get_by_test_id("preview-new-positions").inner_text() == "预览工程师"
    assert committed(schema, lambda: (Employee.objects.filter(employee_number__startswith="PV").count(),
                                      Department.objects.filter(name__startswith="预览").count(),
                                      Position.objects.filter(name="预览工程师").count())) == (0, 0, 0)

    # Confirming without choosing to create the new position is refused, naming the choice.
    page.get_by_test_id("import-confirm").click()
    assert "Choose to create them" in page.locator("[data-field=create_new_values]").inner_text()
    page.get_by_label("Create the positions and job levels listed above").check()
    page.get_by_test_id("import-confirm").click()
    page.get_by_test_id("import-result").wait_for(timeout=60_000)
    assert page.get_by_test_id("import-result").inner_text() == "2 added, 0 updated, 2 departments created."
    page.close()

    assert committed(schema, lambda: (
        sorted(Employee.objects.filter(employee_number__startswith="PV").values_list("employee_number", flat=True)),
        Employee.objects.get(employee_number="PV01").position.name,
        list(ImportJob.objects.values_list("status", flat=True)))) == (
        ["PV01", "PV02"], "预览工程师", ["succeeded"])
