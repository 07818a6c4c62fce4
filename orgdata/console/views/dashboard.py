"""Console pages: the dashboard, the console's start page: the organisation's counts and charts,
as far as the signed-in administrator's scope reaches (E5)."""
from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import get_language, gettext as _

from access.capabilities import Scope, scope_of
from accounts.models import User
from accounts.permissions import console_login_required
from consent import selectors as consent_selectors
from orgdata.console.charts import Chart, Series, registered_charts
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import dashboard as dashboard_selectors
from orgdata.selectors.scope import employees_visible_to


@console_login_required
def dashboard(request):
    actor = request.user
    charts = [*_charts(actor), *registered_charts(actor)]
    context = {"summary": address_book_selectors.organisation_summary(actor), "charts": charts,
               "chart_data": {chart.key: chart.as_echarts() for chart in charts if chart.is_drawable}}
    return render(request, "console/dashboard.html", context)


def _people_in_scope(actor):
    """The accounts whose consent the actor's charts count: everyone for the manager, the people
    of a sub-administrator's subtrees otherwise."""
    if scope_of(actor) is Scope.EVERYTHING:
        return None
    return User.objects.filter(pk__in=employees_visible_to(actor).values("account_id"))


def _charts(actor) -> list[Chart]:
    people = _people_in_scope(actor)
    headcount = dashboard_selectors.headcount_by_department(actor)
    charts = [Chart(
        key="headcount", title=_("Headcount by department"), kind="bar", category_label=_("Department"),
        categories=[name or _("Other departments") for name, _count in headcount],
        series=[Series(_("People"), [count for _name, count in headcount])] if headcount else [],
        note=_("Each department counts everyone in it and in its sub-departments."),
        empty_text=_("No departments with people yet."))]

    coverage = consent_selectors.coverage_over_time(people=people)
    charts.append(Chart(
        key="consent", title=_("Consent coverage per purpose"), kind="line", category_label=_("Month"),
        categories=coverage["months"],
        series=[Series(row["purpose"].name(get_language() or "en"), row["consenting"]) for row in coverage["purposes"]],
        note=_("People with consent in force at the end of each month, out of %(people)s active people.")
        % {"people": coverage["people"]},
        empty_text=_("No purpose needs consent yet.")))

    acceptance = consent_selectors.current_policy_acceptance(people=people)
    if acceptance is None:
        charts.append(Chart(key="policy", title=_("Privacy policy acceptance"), kind="pie",
                            category_label=_("Answer"), categories=[],
                            empty_text=_("No privacy policy version requires acceptance.")))
    else:
        charts.append(Chart(
            key="policy", title=_("Privacy policy acceptance"), kind="pie", category_label=_("Answer"),
            categories=[_("Accepted"), _("Not yet accepted")],
            series=[Series(_("People"), [acceptance["accepted"], acceptance["not_yet"]])],
            note=_("Version %(version)s, out of %(people)s active people.")
            % {"version": acceptance["version"].version, "people": acceptance["people"]}))

    imports = dashboard_selectors.imports_by_month(actor)
    charts.append(Chart(
        key="imports", title=_("Imports"), kind="bar", category_label=_("Month"),
        categories=[row["month"] for row in imports],
        series=[Series(_("Imports"), [row["imports"] for row in imports]),
                Series(_("People added"), [row["added"] for row in imports]),
                Series(_("People updated"), [row["updated"] for row in imports])]
        if any(row["imports"] for row in imports) else [],
        empty_text=_("No imports in the last six months.")))
    return charts
