"""The platform's application catalogue (E6): the basic and third-party applications every
enterprise can switch on or off. Self-built applications are added by each enterprise."""
from django.utils.translation import gettext_noop as _

# (code, name, kind, default on?, provider, description)
BUILT_IN_APPLICATIONS = (
    ("address-book", _("Address book"), "basic", True, "", _("Colleagues' contact details as the enterprise allows.")),
    ("announcements", _("Announcements"), "basic", True, "", _("Company notices to employees.")),
    ("approvals", _("Approvals"), "basic", True, "", _("Leave, expense and other approval flows.")),
    ("attendance", _("Attendance"), "basic", False, "", _("Check-in and check-out.")),
    ("field-visits", _("Field visits"), "basic", False, "", _("Customer visit check-in and reports.")),
    ("e-signature", _("E-signature"), "third_party", False, "Shanghai Qianyin Network Technology Co., Ltd.",
     _("Sign contracts electronically with a third-party signing service.")),
    ("expense-cards", _("Corporate expense cards"), "third_party", False, "Hangzhou Fenqi Payment Services Co., Ltd.",
     _("Company payment cards issued by a partner bank service.")),
)
