"""Issue 13, R2: the copy of my personal information (and of the information generated while I used
the service) as a portable archive, downloaded through a short-lived link, every download audited."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
import zipfile
from datetime import date, timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from accounts.models import DeviceToken
from accounts.throttling import login_identifier_digest
from attendance import services as attendance_services
from audit.models import AuditEntry
from consent.services import ledger
from erasure import person_rows
from orgdata.models import Employee
from privacy import keys
from privacy.errors import KeyDestroyed, UnreadableValue
from privacy.models import PersonKey
from rights import cleanup, copy_archive
from rights.models import InboxMessage, RequestEvent, RightsRequest
from tests.erasure.factories import GPS, make_person_everywhere
from tests.orgdata.factories import make_employee, resident_id

GENERATED_CATEGORIES = {"sign-ins", "failed-sign-ins", "sign-in-failure-counters", "audit-log", "check-ins",
                        "customer-visits", "consents", "disclosures", "devices"}


def _open(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def _request_of(person, kind=RightsRequest.Kind.COPY) -> RightsRequest:
    return RightsRequest.objects.create(person=person, kind=kind, due_on=date.today() + timedelta(days=15))


def _another_person():
    """Someone else with a profile, a check-in and a consent of their own."""
    other = make_employee(name="钱七", email="qian.qi@example.com", address="9 Huaihai Road",
                          id_number=resident_id(sequence=777)).account
    ledger.grant_consent(actor=other, person=other, purpose_code="device.location", channel="mobile",
                         device_id="device-of-qian", explicit_confirmation=True)
    attendance_services.check_in(person=other, kind="in", location={"lat": 22.5431, "lng": 114.0579}, place="Shenzhen")
    return other


def test_the_copy_has_every_table_about_the_person_readable_and_nothing_else(in_a, manager):
    person = make_person_everywhere(manager=manager)
    rights_request = _request_of(person)
    RequestEvent.objects.create(request=rights_request, event="submitted", actor=person,
                                actor_label=f"user:{person.pk}", note="please send everything")
    InboxMessage.objects.create(person=person, request=rights_request, subject_line="Your request was received",
                                body="We answer within 15 days.")
    other = _another_person()
    employee = Employee.objects.get(account=person)

    files = _open(copy_archive.build_copy_archive(person=person))

    manifest = json.loads(files["manifest.json"])
    assert manifest["kind"] == "copy" and manifest["account"] == person.pk
    digests = {"login": [person_rows.digest(login_identifier_digest(person.mobile)),
                         person_rows.digest(person.mobile_index)]}
    expected = {copy_archive.CATEGORIES[declaration.table][0]: person_rows.rows_of(declaration, person, digests).count()
                for declaration in person_rows.tables_about_a_person()
                if declaration.table not in copy_archive.LEFT_OUT_TABLES}
    # A category for every table about a person, with every row of theirs; the data key left out, said why.
    assert {category["name"]: category["rows"] for category in manifest["categories"]} == expected
    assert all(expected.values()), "every table about a person has the person's rows"
    assert set(manifest["left_out_categories"]) == {"privacy_personkey"}
    for category in manifest["categories"]:
        assert {f"{category['name']}.json", f"{category['name']}.csv"} <= set(files)
        rows = json.loads(files[f"{category['name']}.json"])
        table = list(csv.DictReader(io.StringIO(files[f"{category['name']}.csv"].decode("utf-8-sig"))))
        assert len(rows) == len(table) == category["rows"]
    # The data map's declaration, field by field.
    profile = next(category for category in manifest["categories"] if category["name"] == "profile")
    id_number = next(entry for entry in profile["fields"] if entry["name"] == "id_number")
    assert id_number["personal"] and id_number["purpose"] == "hr_records"
    assert id_number["category"].startswith("Sensitive")
    check_ins = next(category for category in manifest["categories"] if category["name"] == "check-ins")
    location = next(entry for entry in check_ins["fields"] if entry["name"] == "location")
    assert location["retention_months"] == settings.RETENTION_MONTHS["transaction"]
    assert location["retention_starts"] == "occurred_at"

    # Readable: decrypted, dates ISO, catalogue rows by name, stored files beside the rows.
    [account] = json.loads(files["account.json"])
    assert (account["mobile"], account["display_name"]) == (person.mobile, "赵六")
    [row] = json.loads(files["profile.json"])
    assert row["id_number"] == resident_id(sequence=611) and row["email"] == "zhao.liu@example.com"
    assert row["date_of_birth"] == "1990-03-07" and row["department"] == employee.department.name
    assert files[row["avatar"]] == default_storage.open(employee.avatar.name).read()
    [check_in] = json.loads(files["check-ins.json"])
    assert check_in["location"]["lat"] == GPS["lat"] and check_in["place"] == "Lobby"
    assert "Lobby" in files["check-ins.csv"].decode("utf-8-sig")
    assert {row["purpose"] for row in json.loads(files["consents.json"])} == {
        "device.location", "location_tracking", "device.camera", "facial_recognition", "device.installed_apps"}
    [face] = json.loads(files["face-enrolment.json"])
    assert face["status"] == "Enrolled" and len(face["embedding"]) == 128  # choices by their label
    [disclosure] = json.loads(files["disclosures.json"])
    assert disclosure["recipient"] == "affiliate.qince"
    assert "Your request was received" in [row["subject_line"] for row in json.loads(files["inbox.json"])]
    assert "please send everything" in [row["note"] for row in json.loads(files["rights-request-history.json"])]

    everything = b"\n".join(files.values()).decode("utf-8", errors="replace")
    # Nothing of another person: not the other employee's, nor the manager's who changed the person's records.
    for value in (other.mobile, "钱七", "qian.qi@example.com", "9 Huaihai Road", resident_id(sequence=777),
                  "device-of-qian", "Shenzhen", manager.mobile):
        assert value not in everything, value
    # The manager named as an actor: "user:1" must not match the person's own "user:1007".
    assert not re.search(rf"user:{manager.pk}(?!\d)", everything)
    # No secrets.
    person.refresh_from_db()
    key = PersonKey.objects.get(pk=person.person_key_id)
    session = next(s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(person.pk))
    secrets = [person.password, person.security_stamp, person.mobile_index, employee.id_number_index,
               login_identifier_digest(person.mobile), session.session_key, session.session_data,
               base64.b64encode(bytes(key.wrapped_key)).decode(), bytes(key.wrapped_key).hex(),
               *DeviceToken.objects.filter(user=person).values_list("digest", flat=True)]
    for secret in secrets:
        assert secret and secret not in everything
    for name in ("password", "security_stamp", "digest", "session_key", "wrapped_key", "mobile_index"):
        assert not any(name in row for category in manifest["categories"]
                       for row in json.loads(files[f"{category['name']}.json"])), name


def test_the_information_generated_in_use_is_the_r2_set_only(in_a, manager, api_as):
    person = make_person_everywhere(manager=manager)
    api_as(person)  # a real sign-in: the login records and an audit "login" entry

    files = _open(copy_archive.build_copy_archive(person=person, generated_only=True))

    manifest = json.loads(files["manifest.json"])
    assert manifest["kind"] == "generated"
    assert {category["name"] for category in manifest["categories"]} == GENERATED_CATEGORIES
    assert not {"profile.json", "account.json", "groups.json"} & set(files)
    sign_ins = json.loads(files["audit-log.json"])
    assert sign_ins and {entry["action"] for entry in sign_ins} <= {"login", "logout"}
    assert "login" in {entry["action"] for entry in sign_ins}
    # The factory's record and the real sign-in (axes names that one by the account's blind index).
    assert len(json.loads(files["sign-ins.json"])) == 2
    assert json.loads(files["check-ins.json"])[0]["place"] == "Lobby"


def test_fulfilling_a_request_stores_its_archive_until_it_expires(in_a, manager):
    person = make_employee(name="孙八").account
    rights_request = _request_of(person, kind=RightsRequest.Kind.GENERATED)

    copy_archive.fulfil(request=rights_request)

    rights_request.refresh_from_db()
    name = rights_request.result_file.name
    assert name.startswith(f"{connection.schema_name}/rights/results/") and default_storage.exists(name)
    expected = timezone.now() + timedelta(days=settings.RIGHTS_RESULT_DAYS)
    assert abs(rights_request.result_expires_at - expected) < timedelta(minutes=1)
    assert rights_request.status == RightsRequest.Status.SUBMITTED  # status is the workflow's
    assert json.loads(_open(copy_archive.read_result(rights_request))["manifest.json"])["kind"] == "generated"
    # A second answer replaces the first: one file per request.
    copy_archive.fulfil(request=rights_request)
    assert not default_storage.exists(name) and default_storage.exists(rights_request.result_file.name)
    with pytest.raises(ValueError):
        copy_archive.fulfil(request=_request_of(person, kind=RightsRequest.Kind.DELETION))


@pytest.mark.promise("R2")
def test_the_stored_copy_is_sealed_under_the_persons_key_and_unreadable_once_it_is_destroyed(in_a, manager):
    person = make_person_everywhere(manager=manager)
    rights_request = _request_of(person)
    copy_archive.fulfil(request=rights_request)
    rights_request.refresh_from_db()

    with default_storage.open(rights_request.result_file.name) as stored:
        sealed = stored.read()

    # Not a ZIP, nothing readable in it: the file opens only with the person's key.
    assert not sealed.startswith(b"PK") and not zipfile.is_zipfile(io.BytesIO(sealed))
    for value in ("zhao.liu@example.com", "赵六", person.mobile):
        assert value.encode() not in sealed
    assert json.loads(_open(copy_archive.read_result(rights_request))["profile.json"])[0]["email"] == "zhao.liu@example.com"
    # Moved to another request, it does not open; once the person's key is destroyed, not at all.
    another = _request_of(person)
    another.result_file.name = rights_request.result_file.name
    with pytest.raises(UnreadableValue):
        copy_archive.read_result(another)
    keys.destroy_person_key(person.person_key_id)
    with pytest.raises(KeyDestroyed):
        copy_archive.read_result(rights_request)


def _download_link(client, rights_request):
    return client.post(f"/api/v1/rights/requests/{rights_request.pk}/download-link")


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.promise("R2")
def test_the_person_downloads_their_copy_through_a_short_lived_audited_link(in_a, manager, api_as):
    person = make_person_everywhere(manager=manager)
    rights_request = _request_of(person)
    copy_archive.fulfil(request=rights_request)
    client = api_as(person)

    response = _download_link(client, rights_request)

    assert response.status_code == 200, response.content
    link = response.json()
    expires_at = timezone.datetime.fromisoformat(link["expires_at"])
    assert timezone.now() < expires_at <= timezone.now() + timedelta(minutes=10)
    downloaded = client.get(_path_of(link["url"]))
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/zip"
    assert downloaded["Content-Disposition"].startswith("attachment")
    files = _open(b"".join(downloaded.streaming_content))
    assert json.loads(files["profile.json"])[0]["email"] == "zhao.liu@example.com"
    # Every download is in the audit log, as the person's.
    assert client.get(_path_of(link["url"])).status_code == 200
    downloads = AuditEntry.objects.filter(action="download", object_type="rights.rightsrequest",
                                          object_id=str(rights_request.pk))
    assert list(downloads.values_list("actor", flat=True)) == [f"user:{person.pk}"] * 2


def test_another_person_cannot_tell_the_request_exists(in_a, manager, api_as):
    person = make_employee(name="周九").account
    rights_request = _request_of(person)
    copy_archive.fulfil(request=rights_request)
    token = api_as(person).post(f"/api/v1/rights/requests/{rights_request.pk}/download-link").json()["url"]
    intruder = api_as(make_employee(name="吴十").account)

    refused = _download_link(intruder, rights_request)
    unknown = intruder.post("/api/v1/rights/requests/999999999/download-link")

    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()
    # Even holding the person's own link.
    assert intruder.get(_path_of(token)).status_code == 404
    assert _download_link(api_as(manager), rights_request).status_code == 404
    assert not AuditEntry.objects.filter(action="download").exists()


def test_expired_forged_and_missing_links_are_refused(in_a, manager, api_as):
    person = make_employee(name="郑十一").account
    rights_request = _request_of(person)
    copy_archive.fulfil(request=rights_request)
    client = api_as(person)
    url = _path_of(_download_link(client, rights_request).json()["url"])
    path = url.split("?")[0]

    eleven_minutes_later = timezone.now().timestamp() + 11 * 60
    with mock.patch("django.core.signing.time.time", return_value=eleven_minutes_later):
        expired = client.get(url)
    assert expired.status_code == 410 and expired.json()["code"] == "download_link_expired"
    for bad in (path, f"{path}?token=", f"{path}?token=forged", f"{path}?token={'x' * 5000}", url[:-2]):
        refused = client.get(bad)
        assert refused.status_code == 400, bad
        assert "token" in refused.json()["fields"]
    # A link to an earlier answer does not open a newer one.
    copy_archive.fulfil(request=rights_request)
    assert client.get(url).status_code == 400
    # Once the result itself has expired there is nothing to download.
    RightsRequest.objects.filter(pk=rights_request.pk).update(result_expires_at=timezone.now() - timedelta(seconds=1))
    assert _download_link(client, rights_request).status_code == 404
    assert not AuditEntry.objects.filter(action="download").exists()


def test_expired_results_are_deleted(in_a):
    person = make_employee(name="王十二").account
    expired, current = _request_of(person), _request_of(person)
    for rights_request in (expired, current):
        copy_archive.fulfil(request=rights_request)
    RightsRequest.objects.filter(pk=expired.pk).update(result_expires_at=timezone.now() - timedelta(minutes=1))
    expired_file = expired.result_file.name

    assert cleanup.delete_expired_results(actor=cleanup.RESULT_CLEANUP) == 1
    assert cleanup.delete_expired_results(actor=cleanup.RESULT_CLEANUP) == 0

    expired.refresh_from_db()
    assert expired.result_file.name == "" and not default_storage.exists(expired_file)
    assert default_storage.exists(current.result_file.name)
    assert AuditEntry.objects.filter(object_type="rights.rightsrequest", object_id=str(expired.pk), action="update",
                                     actor="system:rights results cleanup").exists()
    with pytest.raises(TypeError):
        cleanup.delete_expired_results(actor=None)


SECRET_LOOKING = re.compile(r"password|secret|token|digest|hash|stamp|wrapped|(^|_)key$|session_data|post_data|get_data")
# Looked at and not secret.
NOT_SECRETS = {"accounts_user.must_change_password"}


def test_no_column_that_looks_secret_is_copied(in_a):
    """A new table about a person is copied automatically: one of its columns that looks like a
    secret must be left out (copy_archive.LEFT_OUT_COLUMNS), or this fails naming it."""
    copied = [f"{declaration.table}.{column.name}"
              for declaration in person_rows.tables_about_a_person()
              if declaration.table not in copy_archive.LEFT_OUT_TABLES
              for column in copy_archive.category_of(declaration).columns]
    assert copied and [name for name in copied
                       if SECRET_LOOKING.search(name.split(".", 1)[1]) and name not in NOT_SECRETS] == []
