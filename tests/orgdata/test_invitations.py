"""Issue 14: how a new employee gets in. Adding a person makes an activation link the administrator
copies or has sent by SMS; the person chooses their password at /activate/<token>; the link works
once, until it expires, and only while it is the newest."""
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import Invitation, SmsOutboxMessage, User
from orgdata.models import Employee
from tests.accounts.signing_in import api_login
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

NEW_PASSWORD = "Chosen-by-me-42!"


def _add(console, *, number="INV1", mobile="13912348801", name="新员工"):
    added = console.post("/console/organisation/employees/add/", {
        "display_name": name, "mobile": mobile, "employee_number": number, "work_status": "working"})
    assert added.status_code == 302, added.content.decode()[:2000]
    employee = Employee.objects.select_related("account").get(employee_number=number)
    page = console.get(added["Location"])
    return employee, page


def _link_on(page) -> str:
    assert page.status_code == 200
    link = page.context["activation_link"]
    assert f'value="{link}"' in page.content.decode()
    return link


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_adding_shows_a_link_once_and_the_person_activates_and_signs_in_in_the_app(
        in_a, manager, console_as, client, api_client_for, enterprises):
    console = console_as(manager)
    employee, page = _add(console)
    link = _link_on(page)
    assert link.startswith(f"https://{enterprises.a.host}/activate/")
    assert not employee.account.has_usable_password()
    # Only a digest is stored; the page shows the link once.
    token = _path(link).rsplit("/", 1)[1]
    stored = Invitation.objects.get(person=employee.account)
    assert stored.token_digest != token and token not in str(Invitation.objects.values().get(pk=stored.pk))
    assert stored.sent_by == manager and stored.expires_at > timezone.now() + timedelta(days=6)
    again = console.get(f"/console/organisation/employees/{employee.pk}/")
    assert "activation_link" not in again.context and token not in again.content.decode()
    assert 'data-testid="not-activated"' in again.content.decode()

    client.logout()
    opened = client.get(_path(link))
    body = opened.content.decode()
    assert opened.status_code == 200 and "新员工" in body and "139****8801" in body and "13912348801" not in body
    weak = client.post(_path(link), {"password": "123", "password_again": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors["password"]
    done = client.post(_path(link), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200 and "you can now sign in in the app" in done.content.decode()
    assert "_auth_user_id" not in client.session  # signed in to nothing

    signed_in = api_login(api_client_for(enterprises.a), {"mobile": "13912348801", "password": NEW_PASSWORD,
                                                          "device_id": "device-invited-1"})
    assert signed_in.status_code == 200 and signed_in.json()["token"]

    reused = client.post(_path(link), {"password": "Another-one-77!", "password_again": "Another-one-77!"})
    assert reused.status_code == 410 and "no longer valid" in reused.content.decode()
    assert client.get(_path(link)).status_code == 410
    assert User.objects.get(pk=employee.account_id).check_password(NEW_PASSWORD)


def test_the_link_goes_by_sms_and_inviting_again_retires_it(in_a, manager, console_as, client):
    console = console_as(manager)
    employee, page = _add(console, number="INV2", mobile="13912348802")
    link = _link_on(page)
    token = _path(link).rsplit("/", 1)[1]
    sent = console.post(f"/console/organisation/employees/{employee.pk}/invite/sms/", {"token": token}, follow=True)
    assert sent.status_code == 200 and "was sent by text message" in sent.content.decode()
    message = SmsOutboxMessage.objects.get(person=employee.account, message_kind="invitation")
    assert message.mobile == "13912348802" and link in message.body

    again = console.post(f"/console/organisation/employees/{employee.pk}/invite/", follow=True)
    new_link = again.context["activation_link"]
    assert new_link != link and "any earlier link no longer works" in again.content.decode()
    assert client.get(_path(link)).status_code == 410
    assert client.get(_path(new_link)).status_code == 200
    # The old token cannot be sent any more.
    refused = console.post(f"/console/organisation/employees/{employee.pk}/invite/sms/", {"token": token},
                           follow=True)
    assert "no longer valid" in refused.content.decode()
    assert SmsOutboxMessage.objects.filter(person=employee.account, message_kind="invitation").count() == 1


def test_an_expired_link_is_gone_and_unknown_or_hostile_tokens_are_not_found(in_a, manager, console_as, client):
    employee, page = _add(console_as(manager), number="INV3", mobile="13912348803")
    link = _link_on(page)
    Invitation.objects.filter(person=employee.account).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    expired = client.get(_path(link))
    assert expired.status_code == 410 and "新员工" not in expired.content.decode()
    posted = client.post(_path(link), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert posted.status_code == 410 and not User.objects.get(pk=employee.account_id).has_usable_password()
    for hostile in ("x" * 5000, "令牌令牌", "a%2F..%2F..", "' OR 1=1 --", "\u202e" * 10):
        response = client.get(f"/activate/{hostile}")
        assert response.status_code == 404, hostile
        assert client.post(f"/activate/{hostile}", {"password": "x"}).status_code == 404
    assert client.get("/activate/%00%00").status_code == 400  # refused before any view (config.request_limits)


def test_the_activation_page_is_throttled_by_address(in_a, client, settings):
    settings.ACTIVATION_ATTEMPTS_PER_ADDRESS = 3
    address = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # counts live in the cache
    answers = [client.get("/activate/unknown-token", HTTP_HOST=in_a.host, REMOTE_ADDR=address).status_code
               for _ in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_inviting_again_follows_who_may_reset_a_password(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    colleague = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="王五")
    plain = make_employee(department=tree["backend"], name="普通员工")
    console = console_as(deputy)
    assert console.post(f"/console/organisation/employees/{plain.pk}/invite/", follow=True).context[
        "activation_link"]
    refused = console.post(f"/console/organisation/employees/{colleague.employee.pk}/invite/")
    assert refused.status_code == 403
    assert not Invitation.objects.filter(person=colleague, sent_by=deputy).exists()
