"""The open rights requests chart on the console dashboard (orgdata.console.charts), for whoever
handles the requests. Registered by RightsConfig.ready: orgdata sits below rights."""
from __future__ import annotations

from django.utils.translation import gettext as _

from access.capabilities import Capability, may
from orgdata.console.charts import Chart, Series
from privacy import statistics
from rights import selectors


def open_requests_chart(actor) -> Chart | None:
    if not may(actor, Capability.HANDLE_RIGHTS_REQUESTS):
        return None
    rows = selectors.open_requests_by_kind()
    # Each request is one person's: counts of fewer than 5 are not shown (S3).
    return Chart(
        key="rights", title=_("Open rights requests"), kind="bar", category_label=_("Kind"),
        categories=[label for label, _open, _overdue in rows],
        series=[Series(_("Open"), [statistics.cell(count) for _label, count, _overdue in rows]),
                Series(_("Overdue"), [statistics.cell(overdue) for _label, _open, overdue in rows])] if rows else [],
        empty_text=_("No open requests."))
