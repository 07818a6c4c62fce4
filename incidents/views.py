"""X5: the public announcements of security incidents, on the platform host (no sign-in)."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents import selectors


@require_GET
def announcements(request):
    return render(request, "incidents/announcements.html",
                  {"announcements": selectors.public_announcements()[:100]})
