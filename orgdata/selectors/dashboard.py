"""Reads for the console dashboard's charts, scoped like every other administrator read (E5):
the manager sees the whole organisation, a sub-administrator their department subtrees only."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from access.capabilities import Scope, scope_of
from orgdata.models import Department, Employee
from orgdata.selectors.scope import administered_roots_of, imports_visible_to
from privacy import statistics

# More bars than this say nothing at a glance; the rest are summed as "Other departments".
MOST_DEPARTMENTS = 12


def headcount_by_department(actor) -> list[tuple[str, statistics.Cell]]:
    """People per department (each counting its whole subtree) at the first level of `actor`'s
    part of the tree that has more than one department: under a single head office, its
    departments. Counts below 5 are "<5" (S3)."""
    scope = scope_of(actor)
    if scope is Scope.EVERYTHING:
        level = list(Department.objects.filter(parent=None).order_by("sort_order", "name"))
    elif scope is Scope.GRANTED_SUBTREES:
        level = list(administered_roots_of(actor).order_by("path"))
    else:
        return []
    direct = []
    while len(level) == 1:
        single = level[0]
        children = list(single.children.order_by("sort_order", "name"))
        if not children:
            break
        direct.append(single)
        level = children
    sized = [(department.name, Employee.objects.filter(department__path__startswith=department.path).count())
             for department in level]
    # People placed directly in a department above the level shown (a head office's own staff).
    sized += [(_("%(name)s (directly)") % {"name": department.name}, Employee.objects.filter(department=department).count())
              for department in direct]
    sized = [(name, count) for name, count in sized if count]
    sized.sort(key=lambda pair: -pair[1])
    if len(sized) > MOST_DEPARTMENTS:
        rest = sum(count for _, count in sized[MOST_DEPARTMENTS - 1:])
        sized = sized[:MOST_DEPARTMENTS - 1] + [(None, rest)]
    return [(name, statistics.cell(count)) for name, count in sized]


def imports_by_month(actor, *, months: int = 6) -> list[dict]:
    """The imports `actor` may see, per month of the last `months`: how many, and how many people
    they added and updated (people counts anonymised, S3)."""
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    rows = (imports_visible_to(actor).filter(created_at__gte=start)
            .annotate(month=TruncMonth("created_at")).values("month")
            .annotate(imports=Count("id"), added=Sum("created_count"), updated=Sum("updated_count")))
    by_month = {row["month"].strftime("%Y-%m"): row for row in rows}
    result, month = [], start
    for _ in range(months):
        label = month.strftime("%Y-%m")
        row = by_month.get(label, {})
        result.append({"month": label, "imports": row.get("imports", 0),
                       "added": statistics.cell(row.get("added") or 0),
                       "updated": statistics.cell(row.get("updated") or 0)})
        month = (month + timedelta(days=32)).replace(day=1)
    return result
