"""Enterprise certification (E4): the manager submits in the console, hostile uploads are refused by
content, the worker's check strips metadata, platform support reviews in the Django admin, and
approval unlocks the e-signature application and the console's "certified" mark."""
from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from audit.models import AuditEntry
from certification import tasks
from certification.models import CertificationEvent, Document, Submission
from orgdata.models import Application
from tests.certification import factories
from tests.certification.factories import LEGAL_REPRESENTATIVE_ID, USCC

STATUS_PAGE = "/console/organisation/certification/"


def _form(**overrides) -> dict:
    values = {
        "certificate_type": "business_licence", "uscc": USCC.lower(), "enterprise_name": "阿尔法测试有限公司",
        "enterprise_address": "上海市浦东新区世纪大道 100 号", "legal_representative_name": "张三",
        "legal_representative_id_number": LEGAL_REPRESENTATIVE_ID,
        "licence": factories.upload("licence.jpg", factories.jpeg_with_exif(), "image/jpeg"),
        "letter": factories.upload("letter.pdf", factories.pdf_with_metadata(), "application/pdf"),
    }
    values.update(overrides)
    return values


def _check_documents(submission: Submission) -> str:
    # The real task, in-process and in the public schema as the worker runs it (the on-commit
    # message goes to a broker this test does not drain).
    with schema_context("public"):
        return tasks.check_certification_documents.apply(args=[submission.pk]).get()


def _submissions(enterprise):
    with schema_context("public"):
        return list(Submission.objects.filter(enterprise=enterprise).order_by("submitted_at", "id"))


@pytest.fixture
def support(enterprises):
    """Platform support staff holding the review permission, signed in to the Django admin."""
    with schema_context("public"):
        staff = User.objects.create_user(mobile="13800009444", display_name="Support Wang", password="Supp0rt-Desk!",
                                         is_staff=True, role=User.Role.PLATFORM_STAFF)
        staff.user_permissions.add(Permission.objects.get(codename="review_certification"))
        client = Client(HTTP_HOST="localhost")
        client.force_login(staff)  # the session lives in the platform's (public) schema
    client.staff = staff
    return client


def _audit_actions(schema_name: str) -> list[tuple[str, str]]:
    with schema_context(schema_name):
        return list(AuditEntry.objects.filter(object_type="certification.submission")
                    .order_by("id").values_list("action", "actor"))


@pytest.mark.promise("E4")
def test_the_manager_submits_support_rejects_then_approves_and_the_console_shows_each_step(
        in_a, manager, console_as, support):
    console = console_as(manager)
    first_page = console.get(STATUS_PAGE)
    assert first_page.status_code == 200 and 'data-testid="certification-form"' in first_page.content.decode()
    letter = console.get("/console/organisation/certification/letter/").content.decode()
    assert in_a.enterprise.name in letter and "Signature of the legal representative" in letter

    # A lower-case USCC is the same code (GB 32100 letters are capitals).
    submitted = console.post(STATUS_PAGE, _form())
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    [submission] = _submissions(in_a.enterprise)
    assert submission.uscc == USCC and submission.status == Submission.Status.CHECKING
    assert "documents are being checked" in console.get(STATUS_PAGE).content.decode()

    assert _check_documents(submission) == Submission.Status.PENDING

    # Support's queue and the submission's page: masked values, documents inline, history.
    queue = support.get("/admin/certification/submission/").content.decode()
    assert "阿尔法测试有限公司" in queue and USCC in queue
    page = support.get(f"/admin/certification/submission/{submission.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="certification-decision"' in body
    assert LEGAL_REPRESENTATIVE_ID not in body and LEGAL_REPRESENTATIVE_ID[:4] in body
    with schema_context("public"):
        licence = Document.objects.get(submission=submission, kind=Document.Kind.LICENCE)
    assert f"/admin/certification/submission/documents/{licence.pk}/" in body
    opened = support.get(f"/admin/certification/submission/documents/{licence.pk}/")
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
    assert opened["Cache-Control"].startswith("no-store")

    rejected = support.post(f"/admin/certification/submission/{submission.pk}/reject/",
                            {"reason": "营业执照复印件不清晰，请重新扫描。"})
    assert rejected.status_code == 302
    shown = console.get(STATUS_PAGE).content.decode()
    assert "营业执照复印件不清晰，请重新扫描。" in shown and 'data-testid="certification-form"' in shown

    # Resubmission after the rejection: a new submission, the first one kept in the history.
    assert console.post(STATUS_PAGE, _form(uscc=USCC)).status_code == 302
    first, second = _submissions(in_a.enterprise)
    assert (first.pk, first.status) == (submission.pk, Submission.Status.REJECTED)
    assert _check_documents(second) == Submission.Status.PENDING
    assert 'data-testid="certified-mark"' not in console.get(STATUS_PAGE).content.decode()
    assert support.post(f"/admin/certification/submission/{second.pk}/approve/").status_code == 302

    shown = console.get(STATUS_PAGE).content.decode()
    assert 'data-testid="certified-mark"' in shown and 'data-testid="certification-form"' not in shown
    assert shown.count('data-testid="submission"') == 2
    assert 'data-testid="certified-mark"' in console.get("/console/").content.decode()
    with schema_context("public"):
        steps = list(CertificationEvent.objects.filter(enterprise=in_a.enterprise).values_list("event", "actor"))
    assert [event for event, _actor in steps] == [
        "submitted", "documents_checked", "document_viewed", "rejected", "submitted", "documents_checked", "approved"]
    assert ("document_viewed", f"platform-staff:{support.staff.pk}") in steps
    # The enterprise's own audit log has every step, support's opening under their own name.
    actions = _audit_actions(in_a.schema_name)
    assert ("certification_document_viewed", f"platform-staff:{support.staff.pk}") in actions
    assert [action for action, _actor in actions].count("certification_submitted") == 2
    assert "certification_approved" in [action for action, _actor in actions]


@pytest.mark.promise("E4")
def test_stored_documents_are_encrypted_and_stripped_of_their_metadata(in_a, manager, console_as):
    console = console_as(manager)
    exif_secret = "Zhang San's phone"
    form = _form(licence=factories.upload("scan.png", factories.png(text="Author Zhang San"), "image/png"),
                 letter=factories.upload("letter.jpg", factories.jpeg_with_exif(secret=exif_secret), "image/jpeg"))
    assert console.post(STATUS_PAGE, form).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    assert _check_documents(submission) == Submission.Status.PENDING
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, content FROM public.certification_document WHERE submission_id = %s",
                       [submission.pk])
        stored = {kind: bytes(content) for kind, content in cursor.fetchall()}
    for sealed in stored.values():  # sealed under the enterprise's key: no image or PDF bytes in the column
        assert sealed.startswith(b"v1.") and b"\x89PNG" not in sealed and b"\xff\xd8\xff" not in sealed

    with schema_context("public"):
        documents = {document.kind: document for document in Document.objects.filter(submission=submission)}
    from PIL import Image

    letter = console.get(f"/console/organisation/certification/documents/{documents['letter'].pk}/")
    assert letter.status_code == 200 and letter["Content-Type"] == "image/jpeg"
    assert exif_secret.encode() not in letter.content
    assert not Image.open(io.BytesIO(letter.content)).getexif()
    licence = console.get(f"/console/organisation/certification/documents/{documents['licence'].pk}/")
    assert b"Zhang San" not in licence.content and Image.open(io.BytesIO(licence.content)).format == "PNG"
    assert [action for action, _actor in _audit_actions(in_a.schema_name)].count("certification_document_viewed") == 2


@pytest.mark.promise("E4")
def test_a_pdf_keeps_its_pages_and_loses_its_metadata(in_a, manager, console_as):
    console = console_as(manager)
    assert console.post(STATUS_PAGE, _form()).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    _check_documents(submission)
    with schema_context("public"):
        letter = Document.objects.get(submission=submission, kind=Document.Kind.LETTER)
    served = console.get(f"/console/organisation/certification/documents/{letter.pk}/")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(served.content))
    assert served["Content-Type"] == "application/pdf" and len(reader.pages) == 1
    assert b"Li Si" not in served.content and not reader.metadata


@pytest.mark.promise("E4")
@pytest.mark.parametrize("field, value, message", [
    ("uscc", "91350100M000100Y44", "The check character of this unified social credit code is wrong."),
    ("uscc", "91350100M000100O43", "A unified social credit code uses digits"),
    ("uscc", "9135010", "A unified social credit code has 18 characters."),
    ("legal_representative_id_number", "110105194912310021", "The check digit of this resident ID number is wrong."),
])
def test_a_wrong_value_is_refused_on_its_field_and_nothing_is_stored(in_a, manager, console_as, field, value, message):
    response = console_as(manager).post(STATUS_PAGE, _form(**{field: value}))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode() and message in response.content.decode()
    assert _submissions(in_a.enterprise) == []


@pytest.mark.promise("E4")
@pytest.mark.parametrize("name, content, message", [
    # A PDF named .jpg is taken for what it is (and cleaned as a PDF); a zip archive named .pdf is not.
    ("scan.pdf", b"PK\x03\x04" + b"\0" * 200, "Upload a PNG or JPEG image or a PDF file."),
    ("scan.jpg", b"GIF89a" + b"\0" * 200, "Upload a PNG or JPEG image or a PDF file."),
    ("bomb.png", factories.huge_pixel_png(), "The image is too large"),
    ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "The file is larger than 10 MB."),
])
def test_a_hostile_upload_is_refused_in_the_request_by_its_content(in_a, manager, console_as, name, content, message):
    response = console_as(manager).post(STATUS_PAGE, _form(licence=factories.upload(name, content, "image/jpeg")))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="licence"' in body and message in body
    assert _submissions(in_a.enterprise) == []


@pytest.mark.promise("E4")
def test_a_pdf_named_jpg_is_checked_as_a_pdf_and_a_zip_bomb_pdf_is_refused_by_the_worker(in_a, manager, console_as):
    console = console_as(manager)
    form = _form(licence=factories.upload("licence.jpg", factories.pdf_with_metadata(), "image/jpeg"),
                 letter=factories.upload("letter.pdf", factories.pdf_flate_bomb(), "application/pdf"))
    assert console.post(STATUS_PAGE, form).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    assert _check_documents(submission) == Submission.Status.DOCUMENTS_REFUSED
    with schema_context("public"):
        documents = {document.kind: document for document in Document.objects.filter(submission=submission)}
    assert documents["licence"].status == Document.Status.ACCEPTED
    assert documents["licence"].content_type == "application/pdf"
    assert documents["letter"].status == Document.Status.REFUSED and documents["letter"].content is None
    page = console.get(STATUS_PAGE).content.decode()
    assert "The PDF could not be read; upload it again." in page and 'data-testid="certification-form"' in page
    # A refused document cannot be opened.
    assert console.get(f"/console/organisation/certification/documents/{documents['letter'].pk}/").status_code == 404


@pytest.mark.promise("E4")
def test_one_case_at_a_time_and_only_the_manager(in_a, manager, console_as):
    from tests.orgdata.factories import make_sub_administrator, make_tree

    console = console_as(manager)
    assert console.post(STATUS_PAGE, _form()).status_code == 302
    again = console.post(STATUS_PAGE, _form())
    assert again.status_code == 400 and "being reviewed" in again.content.decode()
    assert len(_submissions(in_a.enterprise)) == 1

    deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager)
    assert console_as(deputy).get(STATUS_PAGE).status_code == 403


@pytest.mark.promise("E4")
def test_another_enterprises_manager_cannot_open_the_documents(in_a, manager, console_as, enterprises):
    assert console_as(manager).post(STATUS_PAGE, _form()).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    _check_documents(submission)
    with schema_context("public"):
        licence = Document.objects.get(submission=submission, kind=Document.Kind.LICENCE)
    with schema_context(enterprises.b.schema_name):
        other = Client(HTTP_HOST=enterprises.b.host)
        other.force_login(User.objects.get(role=User.Role.MANAGER))
    assert other.get(f"/console/organisation/certification/documents/{licence.pk}/").status_code == 404


def test_support_without_the_review_permission_sees_no_queue(enterprises):
    with schema_context("public"):
        staff = User.objects.create_user(mobile="13800009445", display_name="Support Zhao", password="Supp0rt-Desk!",
                                         is_staff=True, role=User.Role.PLATFORM_STAFF)
        client = Client(HTTP_HOST="localhost")
        client.force_login(staff)
    assert client.get("/admin/certification/submission/").status_code == 403


@pytest.mark.promise("E4")
def test_the_e_signature_switch_is_refused_until_the_enterprise_is_certified(in_a, manager, console_as, support):
    console = console_as(manager)
    signing = Application.objects.get(code="e-signature")
    assert 'data-testid="certification-needed"' in console.get(f"/console/organisation/applications/{signing.pk}/").content.decode()
    switch = {"action": "switch", "level": "enterprise", "enabled": "1", "confirmed": "yes"}
    refused = console.post(f"/console/organisation/applications/{signing.pk}/", switch)
    assert refused.status_code == 200  # the application's page again, the refusal on its form
    assert "can be switched on only after the enterprise is certified" in refused.content.decode()
    assert not signing.switches.exists()

    assert console.post(STATUS_PAGE, _form()).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    _check_documents(submission)
    still = console.post(f"/console/organisation/applications/{signing.pk}/", switch).content.decode()
    assert "can be switched on only after the enterprise is certified" in still  # waiting for review is not enough
    assert support.post(f"/admin/certification/submission/{submission.pk}/approve/").status_code == 302

    assert 'data-testid="certification-needed"' not in console.get(f"/console/organisation/applications/{signing.pk}/").content.decode()
    allowed = console.post(f"/console/organisation/applications/{signing.pk}/", switch)
    assert allowed.status_code == 302
    assert signing.switches.get(department=None, account=None).is_enabled


@pytest.mark.promise("E4")
@pytest.mark.promise("E9")
def test_cancelling_the_enterprise_shreds_its_certification_file_and_keeps_the_case(leaving):
    from erasure import tasks as erasure_tasks
    from tenants.models import EnterpriseCancellation
    from tests.erasure.test_enterprise_cancellation import _apply, _grace_period_passes

    enterprise, _manager, console = leaving
    assert console.post(STATUS_PAGE, _form()).status_code == 302
    [submission] = _submissions(enterprise)
    _check_documents(submission)
    assert _apply(console).status_code == 302
    _grace_period_passes(enterprise)
    cancellation = EnterpriseCancellation.objects.get(enterprise=enterprise)

    assert erasure_tasks.run_enterprise_cancellation.apply(args=[cancellation.pk]).get() == "cancelled"

    cancellation.refresh_from_db()
    assert cancellation.steps["drop_enterprise"]["certification_keys_shredded"] == 1
    with schema_context("public"):
        kept = Submission.objects.get(pk=submission.pk)
        assert (kept.uscc, kept.status) == (USCC, Submission.Status.PENDING)
        assert kept.legal_representative_name == "" and kept.legal_representative_id_number == ""
        assert all(document.content is None for document in Document.objects.filter(submission=kept))
        assert CertificationEvent.objects.filter(submission=kept, event="file_shredded").exists()


@pytest.mark.promise("E4")
def test_supports_queue_lists_every_enterprise_waiting_ones_first(in_a, manager, console_as, support, enterprises):
    assert console_as(manager).post(STATUS_PAGE, _form(enterprise_name="等待审核的企业")).status_code == 302
    [submission] = _submissions(in_a.enterprise)
    _check_documents(submission)
    factories.certify(enterprises.b.enterprise)  # the newer submission, already decided

    queue = support.get("/admin/certification/submission/").content.decode()

    assert queue.index("等待审核的企业") < queue.index(enterprises.b.enterprise.name)
