"""Platform support staff see enterprises read-only in the Django admin."""
import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from accounts.models import User
from tenants.models import Enterprise


@pytest.fixture
def staff(enterprises):
    connection.set_schema_to_public()
    return User.objects.create_user(mobile="13800007777", display_name="Support", password="Supp0rt-Desk!",
                                    is_staff=True, role=User.Role.PLATFORM_STAFF)


def _admin_client(client, staff, settings):
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    client.force_login(staff)
    return client


def test_staff_without_rights_cannot_open_the_admin_lists(client, staff, settings):
    response = _admin_client(client, staff, settings).get("/admin/tenants/enterprise/")
    assert response.status_code == 403


def test_staff_with_view_right_see_enterprises_but_cannot_change_them(client, staff, settings, enterprises):
    staff.user_permissions.add(Permission.objects.get(codename="view_enterprise"))
    admin = _admin_client(client, staff, settings)

    listing = admin.get("/admin/tenants/enterprise/")
    assert listing.status_code == 200
    assert enterprises.a.enterprise.name in listing.content.decode()
    assert "Suspend selected enterprises" not in listing.content.decode()

    detail = admin.get(f"/admin/tenants/enterprise/{enterprises.a.enterprise.pk}/change/")
    assert detail.status_code == 200
    assert 'name="name"' not in detail.content.decode()  # read-only: no input fields
    posted = admin.post(f"/admin/tenants/enterprise/{enterprises.a.enterprise.pk}/change/", {"name": "Renamed"})
    assert posted.status_code == 403
    assert Enterprise.objects.get(pk=enterprises.a.enterprise.pk).name == enterprises.a.enterprise.name


def test_staff_with_lifecycle_right_suspend_through_the_service(client, staff, settings, enterprises, api_client_for):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_enterprise", "change_enterprise"]))
    admin = _admin_client(client, staff, settings)

    response = admin.post("/admin/tenants/enterprise/", {"action": "suspend",
                                                          "_selected_action": [enterprises.b.enterprise.pk]})

    assert response.status_code == 302
    assert Enterprise.objects.get(pk=enterprises.b.enterprise.pk).status == Enterprise.Status.SUSPENDED
    assert api_client_for(enterprises.b).get("/console/login/").status_code == 403


def test_the_admin_lists_no_enterprise_personal_data(client, staff, settings):
    staff.is_superuser = True
    staff.save()
    index = _admin_client(client, staff, settings).get("/admin/").content.decode()
    assert "orgdata" not in index.lower()
    assert "Employees" not in index


def test_staff_signing_in_without_a_next_page_land_on_the_admin(client, staff, settings):
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    response = client.post("/admin/login/", {"username": "138 0000 7777", "password": "Supp0rt-Desk!"})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).request["PATH_INFO"] == "/admin/"
