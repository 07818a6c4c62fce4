from datetime import datetime

from django.db.models import QuerySet

from access.capabilities import Capability, people_in_scope

from attendance.models import CheckIn, FaceEnrolment


def check_ins_of(person) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(person=person).order_by("-occurred_at", "-id")


def face_enrolment_of(person) -> FaceEnrolment | None:
    """A2: the person's face enrolment, if any (its embedding and photo stay encrypted on the row)."""
    return FaceEnrolment.objects.filter(person=person).first()


def check_ins_visible_to(actor, *, people: QuerySet | None = None, since: datetime | None = None,
                         before: datetime | None = None) -> QuerySet[CheckIn]:
    """A1: the check-ins of the people `actor` may see (`see_attendance_records`: the manager,
    everyone; a sub-administrator, the people of their departments), newest first; narrowed to
    the accounts of `people` (a queryset of account ids) and to [since, before)."""
    check_ins = CheckIn.objects.filter(people_in_scope(actor, Capability.SEE_ATTENDANCE_RECORDS))
    if people is not None:
        check_ins = check_ins.filter(person__in=people)
    if since is not None:
        check_ins = check_ins.filter(occurred_at__gte=since)
    if before is not None:
        check_ins = check_ins.filter(occurred_at__lt=before)
    return check_ins.select_related("person").order_by("-occurred_at", "-id")
