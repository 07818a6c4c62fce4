"""The console's error mapping (core.errors): a DomainError a console page lets through becomes a
page with the refusal's status (never a 500), whatever that status is; `try_service` puts a
service's refusal onto the form."""
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from rest_framework import status

from accounts.models import User
from consent.errors import ConsentRequired
from core.errors import DomainError, NotPermitted, try_service
from orgdata.selectors import address_book as address_book_selectors


def _refusal(status_code: int) -> DomainError:
    refusal = DomainError("The dashboard refuses this on purpose.")
    refusal.status_code = status_code
    return refusal


@pytest.fixture
def dashboard_refusing(monkeypatch, enterprises, console_as):
    """The manager's console, whose dashboard raises the DomainError the test gives it."""

    def refuse_with(refusal: DomainError):
        def refuse(*args, **kwargs):
            raise refusal

        monkeypatch.setattr(address_book_selectors, "organisation_summary", refuse)
        return console.get("/console/")

    with schema_context(enterprises.a.schema_name):
        console = console_as(User.objects.get(role=User.Role.MANAGER))
        yield refuse_with


@pytest.mark.parametrize("status_code", [status.HTTP_400_BAD_REQUEST, status.HTTP_409_CONFLICT,
                                         status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                         status.HTTP_429_TOO_MANY_REQUESTS])
def test_a_refusal_of_any_other_4xx_status_is_a_page_with_that_status_naming_the_problem(
        dashboard_refusing, status_code):
    page = dashboard_refusing(_refusal(status_code))
    assert page.status_code == status_code
    assert "The dashboard refuses this on purpose." in page.content.decode()


@pytest.mark.parametrize("status_code", [status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND])
def test_a_forbidden_or_not_found_refusal_is_the_sites_own_page(dashboard_refusing, status_code):
    assert dashboard_refusing(_refusal(status_code)).status_code == status_code


def test_an_unauthenticated_refusal_sends_to_the_sign_in_page(dashboard_refusing):
    page = dashboard_refusing(_refusal(status.HTTP_401_UNAUTHORIZED))
    assert page.status_code == 302
    assert page["Location"].startswith("/console/login/") and "next=/console/" in page["Location"]


class _AnswerForm(forms.Form):
    purpose = forms.CharField()


def _form() -> _AnswerForm:
    form = _AnswerForm({"purpose": "location_tracking"})
    assert form.is_valid()
    return form


def _raising(error: Exception):
    def action():
        raise error

    return action


def test_try_service_puts_a_validation_error_field_by_field_and_unknown_fields_at_the_top():
    form = _form()
    assert not try_service(form, _raising(ValidationError({"purpose": ["Wrong."], "elsewhere": ["Other."]})))
    assert form.errors == {"purpose": ["Wrong."], "__all__": ["Other."]}


def test_try_service_puts_a_domain_error_naming_a_form_field_on_that_field_even_a_403():
    form = _form()
    refusal = ConsentRequired("Give the permission this needs first.",
                              extra={"purpose": "location_tracking", "missing": ["device.location"]})
    assert not try_service(form, _raising(refusal), describe=lambda error: f"Needs {error.extra['missing'][0]}.")
    assert form.errors == {"purpose": ["Needs device.location."]}


def test_try_service_puts_another_refusal_at_the_top_and_lets_a_page_refusal_through():
    form = _form()
    assert not try_service(form, _raising(_refusal(status.HTTP_409_CONFLICT)))
    assert form.errors == {"__all__": ["The dashboard refuses this on purpose."]}
    with pytest.raises(NotPermitted):
        try_service(_form(), _raising(NotPermitted("No.")))
    assert try_service(_form(), lambda: None)
