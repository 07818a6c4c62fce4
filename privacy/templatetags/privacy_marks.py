"""C2: `{{ value|sensitive }}` shows a sensitive value with the one mark (privacy.marks)."""
from django import template

from privacy.marks import sensitive_html

register = template.Library()


@register.filter(name="sensitive")
def sensitive(value):
    return sensitive_html(value)
