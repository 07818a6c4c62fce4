from django.db.models import QuerySet

from attendance.models import CheckIn


def check_ins_of(person) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(person=person).order_by("-occurred_at", "-id")
