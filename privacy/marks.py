"""C2: "marked as sensitive wherever it is shown" — the one mark, for pages and API responses.

Console pages show a sensitive value through the `sensitive` template filter (privacy_marks), or,
in text built in Python (a form's help text), through `sensitive_html`; both render the same markup:
`<span class="sensitive-mark">` holding a translated label and the value. API serializers that
show a sensitive field inherit privacy.serializers.SensitiveFieldsMixin, which lists the keys in a
`sensitive_fields` array. Which fields are sensitive is the data map's answer (privacy.registry:
category SENSITIVE), nowhere else.
"""
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


def sensitive_html(value) -> SafeString:
    """`value` (escaped) with the sensitive mark; an empty value is shown as it is, unmarked."""
    if value in (None, ""):
        return format_html("{}", value or "")
    return format_html('<span class="sensitive-mark" title="{}"><span class="sensitive-label">{}</span> '
                       '<span class="sensitive-value">{}</span></span>',
                       _("Sensitive personal information: shown masked, processed only with your separate consent"),
                       _("Sensitive"), value)
