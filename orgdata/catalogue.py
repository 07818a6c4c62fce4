"""The platform's application catalogue (E6): the basic and third-party applications every
enterprise can switch on or off. Self-built applications are added by each enterprise.

The third-party applications are recipients named by the privacy policy (C9), so consent's
catalogue owns their list; this catalogue offers them beside the basic ones.
"""
from django.utils.translation import gettext_noop as _

from consent.catalogue import THIRD_PARTY_APPLICATIONS

# (code, name, kind, default on?, provider, description)
BUILT_IN_APPLICATIONS = (
    ("address-book", _("Address book"), "basic", True, "", _("Colleagues' contact details as the enterprise allows.")),
    ("announcements", _("Announcements"), "basic", True, "", _("Company notices to employees.")),
    ("approvals", _("Approvals"), "basic", True, "", _("Leave, expense and other approval flows.")),
    ("attendance", _("Attendance"), "basic", False, "", _("Check-in and check-out.")),
    ("field-visits", _("Field visits"), "basic", False, "", _("Customer visit check-in and reports.")),
    *((code, name, "third_party", False, provider, description)
      for code, name, _name_zh, provider, _provider_zh, description in THIRD_PARTY_APPLICATIONS),
)


# E4: applications an enterprise may switch on only once platform support certified it (the
# enterprise's identity is checked before contracts are signed in its name).
CERTIFIED_ONLY_APPLICATIONS = frozenset({"e-signature"})


_PROVIDERS = {code: (provider_en, provider_zh)
              for code, _name, _name_zh, provider_en, provider_zh, _description in THIRD_PARTY_APPLICATIONS}


def provider_in(application, language: str) -> str:
    """The application's provider in the reader's language: a third-party provider is a recipient
    named in both languages (consent.catalogue); any other keeps what was stored."""
    names = _PROVIDERS.get(application.code)
    if names is None:
        return application.provider
    return names[1] if (language or "").lower().startswith("zh") else names[0]
