"""Console pages: the dashboard, the console's start page (counts of the organisation)."""
from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import console_login_required
from orgdata.selectors import address_book as address_book_selectors


@console_login_required
def dashboard(request):
    context = {"summary": address_book_selectors.organisation_summary()}
    return render(request, "console/dashboard.html", context)
