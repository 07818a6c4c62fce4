"""Form pieces every console filter shares."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodFilterForm(forms.Form):
    """A filter form's "From"/"Until" days: an end before the start is the `until` field's error."""

    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return cleaned

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[since, before) as aware times: whole days in the enterprise's time zone, `until` included."""
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        zone = timezone.get_current_timezone()
        start = datetime.combine(since, time.min, tzinfo=zone) if since else None
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
        return start, end
