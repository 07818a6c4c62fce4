"""The audit-log page's filters: every value checked, a bad one named by its field (a 400)."""
from __future__ import annotations

import re
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PeriodFilterForm

# What the log's `actor` column holds (audit.context.Actor): an account number alone means "user:<n>".
ACTOR_REFERENCE = re.compile(r"^(?:(?:user|platform-staff):\d{1,18}|system:[\w .:/-]{1,150}|anonymous)$")
ACTION = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
# The actions most entries carry, offered as suggestions; any action the log holds may be typed.
COMMON_ACTIONS = ("create", "update", "delete", "view_unmasked", "login", "login_failed", "logout")


class AuditFilterForm(PeriodFilterForm):
    field_order = ["person", "actor", "action", "since", "until"]

    person = forms.IntegerField(label=_("About the person (account number)"), required=False, min_value=1,
                                max_value=2**63 - 1)
    actor = forms.CharField(label=_("Actor (account number or reference)"), required=False, max_length=160)
    action = forms.CharField(label=_("Action"), required=False, max_length=40)

    def clean_actor(self) -> str:
        actor = self.cleaned_data["actor"].strip()
        if actor.isdigit():
            actor = f"user:{int(actor)}"
        if actor and not ACTOR_REFERENCE.match(actor):
            raise forms.ValidationError(_("Give an account number, or a reference such as user:12 or system:…"))
        return actor

    def clean_action(self) -> str:
        action = self.cleaned_data["action"].strip()
        if action and not ACTION.match(action):
            raise forms.ValidationError(_("Use lower-case letters, digits and underscores."))
        return action


