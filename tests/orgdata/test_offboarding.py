"""Issue 12, offboarding: "Left the company" closes every way in at once, by any path (console,
admin API, import); the employment record is kept; rehiring starts a fresh account."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import DeviceToken, User
from audit.models import AuditEntry
from orgdata.models import Employee
from orgdata.services import administrators as administrator_services
from orgdata.services.imports import jobs as import_services
from tests.orgdata.conftest import PASSWORD
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id
from tests.orgdata.importing import processed
from tests.accounts.signing_in import api_login

LEFT = Employee.WorkStatus.LEFT


def _api_login(api_client_for, enterprise, mobile, password=PASSWORD, device="device-offboard-1"):
    return api_login(api_client_for(enterprise), {"mobile": mobile, "password": password,
                                                                  "device_id": device})


def _console_login(enterprise, mobile, password=PASSWORD):
    client = Client(HTTP_HOST=enterprise.host)
    return client, client.post("/console/login/", {"username": mobile, "password": password})


def _is_signed_out_of_console(client) -> bool:
    response = client.get("/console/")
    return response.status_code == 302 and response["Location"].startswith("/console/login/")


def _assert_closed(employee: Employee) -> None:
    employee.refresh_from_db()
    employee.account.refresh_from_db()
    assert employee.work_status == LEFT and employee.left_at == timezone.localdate()
    assert not employee.account.is_active
    assert not DeviceToken.objects.filter(user=employee.account, revoked_at__isnull=True).exists()


@pytest.mark.promise("X2")
def test_left_through_the_admin_api_stops_the_token_at_once_and_sign_in_says_why(in_a, manager, api_as,
                                                                                   api_client_for):
    employee = make_employee()
    phone = api_as(employee.account)
    assert phone.get("/api/v1/me").status_code == 200

    changed = api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}", {"work_status": "left"}, format="json")

    assert changed.status_code == 200, changed.content
    refused = phone.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    _assert_closed(employee)
    again = _api_login(api_client_for, in_a, employee.account.mobile)
    assert again.status_code == 403 and again.json()["code"] == "account_left_company"
    # A wrong password learns nothing about the account.
    guessed = _api_login(api_client_for, in_a, employee.account.mobile, password="Wr0ng-Guess!")
    assert guessed.status_code == 401 and guessed.json()["code"] == "invalid_credentials"
    # The employment record is kept, and the change is in the audit log (field names only).
    assert Employee.objects.filter(pk=employee.pk).exists()
    record = AuditEntry.objects.filter(object_type="orgdata.employee", object_id=str(employee.pk), action="update")
    assert any({"work_status", "left_at"} <= set(entry.changed_fields) for entry in record)
    assert AuditEntry.objects.filter(object_type="accounts.user", object_id=str(employee.account_id),
                                     changed_fields__contains=["is_active"]).exists()


@pytest.mark.promise("X2")
def test_left_in_the_console_ends_the_console_session_and_the_token_of_an_administrator(in_a, manager, console_as,
                                                                                      api_client_for):
    tree = make_tree()
    leaver = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    leaver.set_password(PASSWORD)
    leaver.save(update_fields=["password"])
    their_console, signed_in = _console_login(in_a, leaver.mobile)
    assert signed_in.status_code == 302 and their_console.get("/console/").status_code == 200
    assert _api_login(api_client_for, in_a, leaver.mobile).status_code == 200
    employee = leaver.employee

    changed = console_as(manager).post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": leaver.display_name, "employee_number": employee.employee_number, "work_status": "left",
        "department": tree["rnd"].pk})

    assert changed.status_code == 302, changed.content.decode()[:2000]
    assert _is_signed_out_of_console(their_console)
    _assert_closed(employee)
    _client, refused = _console_login(in_a, leaver.mobile)
    assert refused.status_code == 200 and "you left the company" in refused.content.decode()


def test_setting_someone_back_from_left_is_refused(in_a, manager, api_as):
    employee = make_employee()
    admin_api = api_as(manager)
    assert admin_api.patch(f"/api/v1/admin/employees/{employee.pk}", {"work_status": "left"},
                           format="json").status_code == 200

    refused = admin_api.patch(f"/api/v1/admin/employees/{employee.pk}", {"work_status": "working"}, format="json")

    assert refused.status_code == 400 and "work_status" in refused.json()["fields"]
    employee.refresh_from_db()
    assert employee.work_status == LEFT


def test_the_managers_own_record_cannot_be_set_to_left_before_the_role_is_handed_over(in_a, manager, api_as):
    successor = make_employee()
    manager.set_password(PASSWORD)
    manager.save(update_fields=["password"])
    administrator_services.transfer_manager_role(actor=manager, password=PASSWORD, new_manager=successor.account)
    successor.account.refresh_from_db()

    refused = api_as(successor.account).patch(f"/api/v1/admin/employees/{successor.pk}", {"work_status": "left"},
                                              format="json")

    assert refused.status_code == 400 and "work_status" in refused.json()["fields"]
    successor.account.refresh_from_db()
    assert successor.account.is_active


def test_an_import_setting_left_closes_every_way_in_too(in_a, manager, api_as, api_client_for):
    employee = make_employee(employee_number="L001")
    phone = api_as(employee.account)
    text = f"工号,姓名,手机号,工作状态\nL001,{employee.account.display_name},{employee.account.mobile},离职\n"
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")

    job = processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))

    assert (job.status, job.updated_count) == ("succeeded", 1), job.report
    assert phone.get("/api/v1/me").status_code == 401
    _assert_closed(employee)
    assert _api_login(api_client_for, in_a, employee.account.mobile).json()["code"] == "account_left_company"


def test_an_import_cannot_set_someone_back_from_left(in_a, manager, api_as):
    employee = make_employee(employee_number="L002")
    api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}", {"work_status": "left"}, format="json")
    text = f"工号,姓名,手机号,工作状态\nL002,{employee.account.display_name},{employee.account.mobile},在职\n"
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")

    job = processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))

    assert job.status == "rejected" and job.report
    employee.refresh_from_db()
    assert employee.work_status == LEFT


@pytest.mark.promise("E2")
def test_rehiring_starts_a_fresh_account_and_the_old_one_stays_closed(in_a, manager, api_as, console_as,
                                                                      api_client_for):
    tree = make_tree()
    old = make_employee(mobile="13912340077", employee_number="R1", department=tree["rnd"], id_number=resident_id())
    old.account.set_password(PASSWORD)
    old.account.save(update_fields=["password"])
    assert api_as(manager).patch(f"/api/v1/admin/employees/{old.pk}", {"work_status": "left"},
                                 format="json").status_code == 200

    added = console_as(manager).post("/console/organisation/employees/add/", {
        "display_name": "再入职", "mobile": "139 1234 0077", "employee_number": "R2", "department": tree["rnd"].pk,
        "work_status": "working", "id_number": resident_id()})

    assert added.status_code == 302, added.content.decode()[:2000]
    new = Employee.objects.select_related("account").get(employee_number="R2")
    assert new.account_id != old.account_id and new.pk != old.pk
    assert new.account.is_active and new.id_number == resident_id()
    # No data carried over; the old account and record are kept as they were.
    assert new.account.display_name == "再入职" and not new.account.has_usable_password()
    old.refresh_from_db()
    old.account.refresh_from_db()
    assert old.work_status == LEFT and not old.account.is_active and old.id_number == resident_id()
    assert old.account.mobile == "13912340077"
    assert User.objects.with_mobile("13912340077").get() == new.account
    new.account.set_password("N3w-Start-Pass!")
    new.account.save(update_fields=["password"])
    assert _api_login(api_client_for, in_a, "13912340077", password="N3w-Start-Pass!").status_code == 200
    assert _api_login(api_client_for, in_a, "13912340077", device="device-offboard-2").status_code == 401


def test_a_person_cannot_record_their_own_leaving(in_a, api_as):
    employee = make_employee()
    me = api_as(employee.account)

    refused = me.patch("/api/v1/me/profile", {"work_status": "left"}, format="json")

    assert refused.status_code == 400 and "work_status" in refused.json()["fields"]
    assert me.get("/api/v1/me").status_code == 200


@pytest.mark.promise("E2")
def test_an_import_naming_a_leavers_mobile_and_id_number_rehires_them_on_a_fresh_account(in_a, manager, api_as):
    old = make_employee(mobile="13912340099", employee_number="RI-1", id_number=resident_id(sequence=991))
    assert api_as(manager).patch(f"/api/v1/admin/employees/{old.pk}", {"work_status": "left"},
                                 format="json").status_code == 200
    text = f"工号,姓名,手机号,身份证号\nRI-2,重新入职,139 1234 0099,{resident_id(sequence=991)}\n"
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")

    job = processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))

    assert (job.status, job.created_count) == ("succeeded", 1), job.report
    new = Employee.objects.select_related("account").get(employee_number="RI-2")
    assert new.account_id != old.account_id and new.account.display_name == "重新入职"
    assert User.objects.with_mobile("13912340099").get() == new.account
    assert new.id_number == resident_id(sequence=991) and new.id_number_index
    old.refresh_from_db()
    old.account.refresh_from_db()
    assert old.work_status == LEFT and not old.account.is_active and old.account.mobile == "13912340099"
    assert (old.account.mobile_index, old.id_number_index) == (None, None)
    assert AuditEntry.objects.filter(object_type="accounts.user", object_id=str(old.account_id),
                                     changed_fields__contains=["mobile_index"]).exists()


def test_a_rejected_import_releases_no_leavers_login(in_a, manager, api_as):
    old = make_employee(mobile="13912340098", employee_number="RJ-1")
    api_as(manager).patch(f"/api/v1/admin/employees/{old.pk}", {"work_status": "left"}, format="json")
    text = "工号,姓名,手机号\nRJ-2,重新入职,13912340098\nRJ-3,坏行,12345\n"
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")

    job = processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))

    assert job.status == "rejected" and job.report
    assert User.objects.with_mobile("13912340098").get() == old.account
    assert not Employee.objects.filter(employee_number="RJ-2").exists()
