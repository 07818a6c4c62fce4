"""C3: every device permission is asked for separately before first use: the mobile API gives the app
what it shows before the phone's own prompt (why, and what stops working without it, in the
person's language), and refuses data that needs a permission until the person granted it."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from consent.catalogue import APP_UPLOAD_PERMISSIONS, DEVICE_PERMISSION_PROMPTS, PURPOSES
from tests.consent.factories import signed_in
from tests.orgdata.factories import make_employee

DEVICE_PERMISSIONS = {purpose.code: purpose for purpose in PURPOSES if purpose.kind == "device_permission"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03" + b"\x01\x11\x00" * 3
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"


@pytest.mark.promise("C3")
def test_every_device_permission_in_the_catalogue_has_its_pre_prompt_texts_in_both_languages():
    assert DEVICE_PERMISSIONS, "the catalogue lists device permissions"
    missing = sorted(set(DEVICE_PERMISSIONS) - set(DEVICE_PERMISSION_PROMPTS))
    assert missing == [], f"add what stops working without {missing} to consent.catalogue.DEVICE_PERMISSION_PROMPTS"
    assert set(DEVICE_PERMISSION_PROMPTS) == set(DEVICE_PERMISSIONS), "a pre-prompt for no permission"
    for code, prompt in DEVICE_PERMISSION_PROMPTS.items():
        assert DEVICE_PERMISSIONS[code].statement_en and DEVICE_PERMISSIONS[code].statement_zh, code
        assert prompt.without_en.strip() and not CHINESE.search(prompt.without_en), code
        assert CHINESE.search(prompt.without_zh), code
    assert set(APP_UPLOAD_PERMISSIONS.values()) <= set(DEVICE_PERMISSIONS)


@pytest.mark.promise("C3")
def test_the_app_gets_every_permission_s_pre_prompt_in_the_person_s_language_and_off_by_default(enterprises):
    person = signed_in(enterprises.a)

    english = person.client.get("/api/v1/consent/device-permissions", HTTP_ACCEPT_LANGUAGE="en")
    chinese = person.client.get("/api/v1/consent/device-permissions", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == 200
    by_code = {row["code"]: row for row in english.json()}
    assert set(by_code) == set(DEVICE_PERMISSIONS)
    for code, row in by_code.items():
        assert row["purpose"] == DEVICE_PERMISSIONS[code].statement_en
        assert row["without_it"] == DEVICE_PERMISSION_PROMPTS[code].without_en
        assert row["name"] == DEVICE_PERMISSIONS[code].name_en and row["granted"] is False
    for row in chinese.json():
        assert row["purpose"] == DEVICE_PERMISSIONS[row["code"]].statement_zh
        assert row["without_it"] == DEVICE_PERMISSION_PROMPTS[row["code"]].without_zh

    assert person.grant("device.camera").status_code == 201
    granted = {row["code"]: row["granted"] for row in person.get("/api/v1/consent/device-permissions").json()}
    assert granted.pop("device.camera") is True and not any(granted.values())


@pytest.mark.promise("C3")
@pytest.mark.parametrize("field", ["avatar", "seal_image"])
def test_a_photo_from_the_phone_is_refused_until_the_storage_permission_is_granted(enterprises, field):
    with schema_context(enterprises.a.schema_name):
        employee = make_employee(name="李雷")
    person = signed_in(enterprises.a, employee.account)

    def upload():
        return person.client.patch("/api/v1/me/profile", {field: SimpleUploadedFile("me.jpg", _jpeg(10, 10))},
                                   format="multipart")

    refused = upload()
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required" and refused.json()["missing"] == ["device.storage"]
    with schema_context(enterprises.a.schema_name):
        employee.refresh_from_db()
        assert not getattr(employee, field)

    assert person.grant("device.storage").status_code == 201
    accepted = upload()
    assert accepted.status_code == 200, accepted.content
    with schema_context(enterprises.a.schema_name):
        employee.refresh_from_db()
        assert getattr(employee, field).name.endswith(".jpg")
    # Other corrections never need a device permission.
    assert person.client.patch("/api/v1/me/profile", {"title": "Engineer"}, format="json").status_code == 200


@pytest.mark.promise("C3")
def test_a_gps_location_is_refused_until_the_location_permission_is_granted_and_again_after_withdrawal(enterprises):
    person = signed_in(enterprises.a)

    assert person.check_in(location=GPS).json()["missing"] == ["device.location"]
    assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201
    assert person.withdraw("device.location").status_code in (200, 201)
    assert person.check_in(location=GPS).status_code == 403
