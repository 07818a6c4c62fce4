"""Reads of field work: customers, visits and reports, scoped like the organisation (E5)."""
from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q, QuerySet

from access.capabilities import Capability, Scope, people_in_scope, scope_of
from access.errors import NotInYourScope
from fieldwork.models import Customer, Report, Visit
from orgdata.selectors import scope as scope_selectors


def active_customers(*, search: str = "") -> QuerySet[Customer]:
    """The customers field staff may check in at (every active one of the enterprise)."""
    customers = Customer.objects.filter(is_active=True)
    if search:
        customers = customers.filter(Q(name__icontains=search) | Q(address__icontains=search))
    return customers.order_by("name", "id")


def customers_visible_to(actor) -> QuerySet[Customer]:
    """The customers `actor` keeps (`administer_customers`): the manager, every one; a
    sub-administrator, those of their department subtrees (customers without a department belong
    to the manager, like people without one); anyone else, none."""
    scope = scope_of(actor, Capability.ADMINISTER_CUSTOMERS)
    if scope is Scope.EVERYTHING:
        customers = Customer.objects.all()
    elif scope is Scope.GRANTED_SUBTREES:
        customers = Customer.objects.filter(department__in=scope_selectors.departments_visible_to(actor))
    else:
        customers = Customer.objects.none()
    return customers.select_related("department").order_by("name", "id")


def customer_visible_to(actor, pk) -> Customer:
    try:
        return customers_visible_to(actor).get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotInYourScope()


def visits_of(person, *, customer_id: int | None = None) -> QuerySet[Visit]:
    """A1: the visit log of one person (their own, in the app), newest first."""
    visits = Visit.objects.filter(person=person)
    if customer_id is not None:
        visits = visits.filter(customer_id=customer_id)
    return visits.select_related("customer").prefetch_related("photos").order_by("-checked_in_at", "-id")


def visits_visible_to(actor, *, people: QuerySet | None = None, customer: Customer | None = None,
                      since: datetime | None = None, before: datetime | None = None) -> QuerySet[Visit]:
    """A1: the visits of the people `actor` may see (`see_field_work`: the manager, everyone; a
    sub-administrator, the people of their departments), newest first; narrowed to the accounts of
    `people`, to one customer (the visit log per customer) and to [since, before)."""
    visits = Visit.objects.filter(people_in_scope(actor, Capability.SEE_FIELD_WORK))
    if people is not None:
        visits = visits.filter(person__in=people)
    if customer is not None:
        visits = visits.filter(customer=customer)
    if since is not None:
        visits = visits.filter(checked_in_at__gte=since)
    if before is not None:
        visits = visits.filter(checked_in_at__lt=before)
    return visits.select_related("person", "customer").prefetch_related("photos").order_by("-checked_in_at", "-id")


def reports_of(person) -> QuerySet[Report]:
    return Report.objects.filter(person=person).prefetch_related("attachments").order_by("-period_start", "-id")


def reports_visible_to(actor, *, people: QuerySet | None = None, kind: str = "", since: date | None = None,
                       until: date | None = None) -> QuerySet[Report]:
    """A1: the reports of the people `actor` may see (`see_field_work`), newest period first;
    narrowed to the accounts of `people`, one kind and the periods starting in [since, until]."""
    reports = Report.objects.filter(people_in_scope(actor, Capability.SEE_FIELD_WORK))
    if people is not None:
        reports = reports.filter(person__in=people)
    if kind:
        reports = reports.filter(kind=kind)
    if since is not None:
        reports = reports.filter(period_start__gte=since)
    if until is not None:
        reports = reports.filter(period_start__lte=until)
    return reports.select_related("person").prefetch_related("attachments").order_by("-period_start", "-id")


def every_customer() -> QuerySet[Customer]:
    """Every customer, retired ones too: what the visit log can be filtered by."""
    return Customer.objects.order_by("name", "id")
