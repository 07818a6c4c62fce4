"""Error pages keep the console's layout, say what happened in the reader's language and offer the
way out (issue 14): a sub-administrator removed while signed in, an address that does not exist, an
expired form, a server error, the sign-in lockout, and the platform host's own plain page."""
import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from orgdata.selectors import address_book as address_book_selectors
from orgdata.services import administrators as administrator_services
from tests.orgdata.factories import make_sub_administrator, make_tree

LAYOUT = 'data-testid="enterprise-name">Alpha Test Co<'
SIGN_OUT = '<form action="/console/logout/" method="post">'
DASHBOARD = 'href="/console/">Back to the dashboard<'
SIGN_IN = 'href="/console/login/">Sign in<'


@pytest.fixture
def in_a(enterprises):
    with schema_context(enterprises.a.schema_name):
        yield enterprises.a


@pytest.fixture
def manager(in_a):
    return User.objects.get(role=User.Role.MANAGER)


def test_a_sub_administrator_removed_while_signed_in_can_sign_out(in_a, manager, console_as):
    deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager)
    console = console_as(deputy)
    assert console.get("/console/organisation/employees/").status_code == 200
    administrator_services.remove_sub_administrator(actor=manager, person=deputy)

    refused = console.get("/console/organisation/employees/")

    page = refused.content.decode()
    assert refused.status_code == 403
    assert LAYOUT in page and "You cannot open this page" in page
    assert "administrator role was changed or removed while you were signed in" in page
    assert SIGN_OUT in page and DASHBOARD not in page  # the dashboard would refuse them too
    signed_out = console.post("/console/logout/")
    assert signed_out.status_code == 302 and signed_out["Location"] == "/console/login/"


def test_the_forbidden_page_is_in_the_readers_language(in_a, manager, console_as):
    deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager)
    console = console_as(deputy)
    administrator_services.remove_sub_administrator(actor=manager, person=deputy)
    page = console.get("/console/organisation/employees/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in page and "退出登录" in page


def test_a_missing_page_offers_the_dashboard_to_an_administrator(in_a, manager, console_as):
    missing = console_as(manager).get("/console/organisation/employees/999999/")
    page = missing.content.decode()
    assert missing.status_code == 404
    assert LAYOUT in page and "Page not found" in page and DASHBOARD in page and SIGN_OUT in page


def test_a_missing_page_offers_sign_in_to_someone_signed_out(in_a, client):
    missing = client.get("/console/no-such-page/", HTTP_HOST=in_a.host)
    page = missing.content.decode()
    assert missing.status_code == 404 and "Page not found" in page and SIGN_IN in page and SIGN_OUT not in page


def test_an_expired_form_says_nothing_was_changed_and_offers_the_page_again(in_a, manager):
    browser = Client(enforce_csrf_checks=True, HTTP_HOST=in_a.host)
    browser.force_login(manager)
    refused = browser.post("/console/organisation/departments/", {"name": "新部门"})
    page = refused.content.decode()
    assert refused.status_code == 403
    assert LAYOUT in page and "This form has expired" in page and "nothing was changed" in page
    assert 'href="/console/organisation/departments/">Open the page again<' in page


def test_a_server_error_keeps_the_layout_and_shows_no_detail(in_a, manager, monkeypatch):
    def broken():
        raise RuntimeError("secret internal detail 13711110001")

    monkeypatch.setattr(address_book_selectors, "organisation_summary", broken)
    browser = Client(raise_request_exception=False, HTTP_HOST=in_a.host)
    browser.force_login(manager)
    failed = browser.get("/console/")
    page = failed.content.decode()
    assert failed.status_code == 500
    assert LAYOUT in page and "Something went wrong on our side" in page and SIGN_OUT in page
    assert "secret internal detail" not in page and "13711110001" not in page


def test_the_sign_in_lockout_page_keeps_the_layout_and_leads_back_to_sign_in(in_a, client):
    host = {"HTTP_HOST": in_a.host}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/console/login/", {"username": in_a.admin_mobile, "password": "Wrong-Pass-123"}, **host)
    locked = client.post("/console/login/", {"username": in_a.admin_mobile, "password": in_a.admin_password}, **host)
    page = locked.content.decode()
    assert locked.status_code == 429
    assert LAYOUT in page and "Too many failed sign-in attempts" in page
    assert 'href="/console/login/">Back to the sign-in page<' in page


def test_the_platform_hosts_error_page_is_plain_and_leads_to_the_administration_site(db, client):
    missing = client.get("/no-such-page/", HTTP_HOST=settings.PLATFORM_DOMAIN)
    page = missing.content.decode()
    assert missing.status_code == 404 and "Page not found" in page and 'href="/admin/"' in page
