"""core.errors.ConsoleRefusalMiddleware: a DomainError a console page lets through becomes a page
with the refusal's status (never a 500), whatever that status is."""
import pytest
from django_tenants.utils import schema_context
from rest_framework import status

from accounts.models import User
from core.errors import DomainError
from orgdata.selectors import address_book as address_book_selectors


def _refusal(status_code: int) -> DomainError:
    refusal = DomainError("The dashboard refuses this on purpose.")
    refusal.status_code = status_code
    return refusal


@pytest.fixture
def dashboard_refusing(monkeypatch, enterprises, console_as):
    """The manager's console, whose dashboard raises the DomainError the test gives it."""

    def refuse_with(refusal: DomainError):
        def refuse():
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
