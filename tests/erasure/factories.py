"""One person with data in every table the data map classifies about a person, made through the
services a user's actions go through wherever one exists. `test_the_factory_fills_every_table_about_a_person`
fails when a new table about a person is added without this factory filling it."""
from __future__ import annotations

import re

from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import services as account_services
from accounts import verification
from accounts.errors import DeviceVerificationRequired
from accounts.models import SmsOutboxMessage
from accounts.throttling import login_identifier_digest
from announcements import services as announcement_services
from announcements.models import Channel, Delivery
from approvals import services as approval_services
from attendance import services as attendance_services
from audit import access_log
from audit.context import Actor, acting_as
from consent.models import DeletionNotice, LegalBasis
from consent.services import board, deletion_notices, guardians, ledger, sharing
from erasure import services as erasure_services
from fieldwork import services as fieldwork_services
from incidents import services as incident_services
from orgdata.catalogue import CERTIFIED_ONLY_APPLICATIONS
from orgdata.models import Application, Position
from orgdata.services import administrators, applications, invitations
from rights import services as rights_services
from tests.accounts.signing_in import latest_code
from tests.attendance import face_photos
from tests.accounts.factories import FACTORY_PASSWORD
from tests.orgdata.factories import TEST_SETUP, make_department, make_employee, resident_id

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}
# The smallest PNG header the storage needs: the factory writes the file, not the upload checks.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _real_png() -> bytes:
    """A PNG the upload checks accept (visit photos and report files are checked by content)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_person_everywhere(*, manager):
    """A sub-administrator with a profile, files, tokens, a verified device, one-time codes and SMS outbox
    messages, a console session, consents, disclosures,
    an application switched on for them, check-ins (with risk signals), tracking pings, an enrolled
    face (embedding and kept base photo), a customer visit with a photo, a daily report with a file,
    access-log and audit entries,
    login-throttling records, guardian grants, a minor's case (M2) and a guardian's consent (M1).
    Returns their account."""
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    department = make_department()
    employee = make_employee(department=department, name="赵六", id_number=resident_id(sequence=611),
                             email="zhao.liu@example.com", landline="021-12345678", address="1 Nanjing Road")
    employee.avatar.save("avatar.png", ContentFile(PNG), save=False)
    employee.seal_image.save("seal.png", ContentFile(PNG), save=False)
    employee.save()
    person = employee.account
    # Issue 14: an activation link made again by the manager and sent by SMS (the first one, made
    # when they were added, is replaced and kept as such).
    again = invitations.invite_again(actor=manager, employee=employee)
    invitations.send_invitation_by_sms(actor=manager, employee=employee, token=again.token)
    administrators.appoint_sub_administrator(actor=manager, person=person, departments=[department])
    person.refresh_from_db()
    person.groups.add(Group.objects.get_or_create(name="erasure test group")[0])
    person.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
    assign_perm("orgdata.change_position", person, Position.objects.create(name="Erasure tester"))
    # X6: the first sign-in from the phone, verified by the code the SMS outbox received; then a
    # code for a rights request still waiting (R8).
    try:
        verification.require_known_device(person=person, device_id="device-erasure-1")
    except DeviceVerificationRequired:
        pass
    code = re.search(r"\b(\d{6})\b", SmsOutboxMessage.objects.filter(person=person).latest("pk").body).group(1)
    verification.require_known_device(person=person, device_id="device-erasure-1", code=code)
    verification.send_code(actor=person, person=person, purpose="rights_request")
    account_services.issue_device_token(person=person, device_id="device-erasure-1", device_name="Zhao's phone")
    # M2: a guardian's report, with the administrator's note about it (anonymised by the erasure).
    erasure_services.record_guardian_report(actor=manager, person=person, note="Mother called; says born 2010")

    session = SessionStore()
    session["_auth_user_id"] = str(person.pk)
    session.create()

    with acting_as(Actor.for_user(person)):  # the person's own answers: audit entries naming them
        ledger.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                             device_id="device-erasure-1", ip_address="10.1.2.3", explicit_confirmation=True)
        ledger.grant_consent(actor=person, person=person, purpose_code="location_tracking", channel="mobile",
                             explicit_confirmation=True)
        # A2/C5/X7: biometric consent and an enrolled face (the embedding computed as the worker
        # does; the base photo kept); the installed-app permission, for a check-in's risk signals.
        ledger.grant_consent(actor=person, person=person, purpose_code="device.camera", channel="mobile")
        ledger.grant_consent(actor=person, person=person, purpose_code="facial_recognition", channel="mobile",
                             explicit_confirmation=True)
        ledger.grant_consent(actor=person, person=person, purpose_code="device.installed_apps", channel="mobile")
    attendance_services.set_face_photo_policy(actor=manager, keeps_base_photo=True)
    enrolment = attendance_services.enrol_face(actor=person, person=person, photo=face_photos.upload(
        face_photos.astronaut()))
    attendance_services.compute_face_embedding(actor=attendance_services.FACE_ENROLMENT, enrolment_id=enrolment.pk)
    sharing.share_with_recipient(actor=TEST_SETUP, person=person, purpose_code="share.affiliate.qince",
                                 legal_basis=LegalBasis.CONTRACT_NECESSITY, reference="contract 2026-1")
    board.choose(actor=manager, person=person)  # C11: chosen for the public board
    # Not one reserved to certified enterprises (E4): this enterprise is not certified.
    third_party = (Application.objects.filter(kind=Application.Kind.THIRD_PARTY)
                   .exclude(code__in=CERTIFIED_ONLY_APPLICATIONS).order_by("code").first())
    applications.switch_application(actor=manager, application=third_party, enabled=True, person=person)
    # A notice from an earlier attempt that the recipient never acknowledged: erasing tells it again.
    earlier = deletion_notices.notify_recipients_of_erasure(actor=TEST_SETUP, person=person)
    DeletionNotice.objects.filter(pk__in=[notice.pk for notice in earlier]).update(status=DeletionNotice.Status.FAILED)

    # Their rights requests, its history, their inbox, their pre-death arrangement and their
    # appointment as the protection contact.
    person.set_password(FACTORY_PASSWORD)
    person.save(update_fields=["password"])
    # The rights-request code sent above (R8) is used here; its row stays, used.
    rights_services.submit_request(actor=person, kind="complaint", details={"text": "The canteen camera."},
                                   password=FACTORY_PASSWORD, code=latest_code(connection.schema_name, person.mobile))
    rights_services.record_arrangement(actor=person, instructions="Delete everything.", relative_contact="sister")
    # R10: the enterprise's personal-information protection contact, with the channel published.
    rights_services.appoint_protection_contact(actor=manager, person=person, contact_channel="ext. 611")
    # X5: affected by a security incident, and told of it (their notices' delivery rows).
    incident = incident_services.open_incident(
        actor=manager, kind="loss", title="Lost laptop", cause="Stolen from a car", possible_harm="Phishing",
        measures_taken="Disk was encrypted", advice="Beware of calls", remedies="None needed", contact="security desk",
        audience="list", people=[person])
    incident_services.plan_deliveries(actor=TEST_SETUP, incident=incident)

    # X4: they head their department and are a named approver; their leave request went through
    # the chain (the manager approved it with a comment). C13: an announcement they read, a channel
    # they left, personalisation switched off, the push the outbox kept.
    approval_services.switch_kind(actor=manager, kind="leave", enabled=True)
    approval_services.set_department_head(actor=manager, department=department, head=person)
    approval_services.set_named_approvers(actor=manager, kind="leave", approvers=[manager, person])
    leave = approval_services.submit(actor=person, kind="leave", details={
        "leave_type": "sick", "start_date": "2026-03-02", "end_date": "2026-03-03", "reason": "Flu, doctor's note"})
    approval_services.decide(actor=manager, request=leave, decision="approve", comment="Get well, Zhao")
    channel = Channel.objects.order_by("pk").first()
    announcement = announcement_services.send_announcement(
        actor=manager, channel=channel, title="Canteen closed", body="Friday only.", departments=[department])
    # The pushes leave once the delivery commits (never inside the test's transaction): send them now.
    announcement_services.push_deliveries(actor=announcement_services.ANNOUNCEMENT_DELIVERY,
                                          deliveries=Delivery.objects.filter(announcement=announcement))
    announcement_services.mark_read(actor=person, delivery=Delivery.objects.get(announcement=announcement,
                                                                               person=person))
    announcement_services.choose_personalisation(actor=person, person=person, is_personalised=False)
    announcement_services.leave_channel(actor=person, person=person, channel=channel, via="settings")

    attendance_services.check_in(person=person, kind="in", location=GPS, place="Lobby",
                                 device_report={"virtual_location_app": True})
    # A1: a customer visit with a photo and a daily report with a file (camera consent for the photo).
    with acting_as(Actor.for_user(person)):
        ledger.grant_consent(actor=person, person=person, purpose_code="device.camera", channel="mobile",
                             explicit_confirmation=True)
    customer = fieldwork_services.add_customer(actor=manager, name="Erasure Test Customer")
    visit = fieldwork_services.check_in_visit(actor=person, customer_id=customer.pk, location=GPS,
                                              place="Customer lobby", note="Met the buyer")
    fieldwork_services.add_visit_photo(actor=person, visit_id=visit.pk, image=ContentFile(_real_png(), name="p.png"))
    fieldwork_services.check_out_visit(actor=person, visit_id=visit.pk, place="Customer gate")
    fieldwork_services.submit_report(actor=person, kind="daily", period_start=timezone.localdate(),
                                     body="Visited the buyer.", figures={"visits": 1}, location=GPS,
                                     attachments=[ContentFile(_real_png(), name="a.png")])
    attendance_services.switch_tracking(actor=manager, enabled=True)
    attendance_services.record_tracking_ping(person=person, location=GPS)
    access_log.write_now(connection.schema_name, (timezone.now(), "GET", "/api/v1/me", 200, person.pk,
                                                  "10.1.2.3", "erasure-test", "en", 3))

    login = login_identifier_digest(person.mobile)
    record = {"username": login, "ip_address": "10.1.2.3", "user_agent": "erasure-test", "http_accept": "*/*",
              "path_info": "/api/v1/auth/login"}
    attempt = AccessAttempt.objects.create(get_data="", post_data="", failures_since_start=1, **record)
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=timezone.now())
    AccessFailureLog.objects.create(**record)
    AccessLog.objects.create(**record)
    # M1: known to be 17 with a guardian's consent (the guardian's details go with the person). Last:
    # the minority signs them out everywhere and the consent closes the open case.
    account_services.record_minor_until(actor=TEST_SETUP, person=person,
                                        minor_until=timezone.localdate() + timezone.timedelta(days=30))
    guardians.record_guardian_consent(actor=manager, person=person, guardian_name="赵大", relationship="parent",
                                      contact="13800002222", evidence="household register",
                                      purpose_codes=["marketing_messages"])
    return person
