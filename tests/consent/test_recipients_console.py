"""R3: in the console, the manager sets where each recipient receives deletion notices (https to a
public host only) and (re)generates its signing secret, shown once."""
import hashlib
import hmac
import html
import re

import pytest

from consent import tasks
from core.errors import NotPermitted
from consent.models import DeletionNotice, Recipient
from consent.services import deletion_notices
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (recipients of enterprise A)
from tests.orgdata.factories import TEST_SETUP, make_employee, make_sub_administrator, make_tree

PUBLIC = "https://8.8.8.8/deletion-notices"  # an address literal: nothing to resolve in the tests


def _affiliate() -> Recipient:
    return Recipient.objects.get(code="affiliate.qince")


def _shown_secret(response) -> str:
    found = re.search(r'<code data-testid="secret">([^<]+)</code>', response.content.decode())
    return html.unescape(found.group(1)) if found else ""


def _save_url(console, recipient, url):
    return console.post(f"/console/privacy/recipients/{recipient.pk}/webhook/", {f"r{recipient.pk}-webhook_url": url})


def _signs(recipient: Recipient, secret: str) -> bool:
    recipient.refresh_from_db()
    stored = deletion_notices._unseal_secret(recipient.webhook_secret_sealed)
    return hmac.compare_digest(hmac.new(stored, b"body", hashlib.sha256).digest(),
                               hmac.new(secret.encode(), b"body", hashlib.sha256).digest())


@pytest.mark.promise("R3")
def test_the_manager_sets_a_webhook_and_sees_its_secret_once(in_a, manager, console_as):
    console = console_as(manager)
    affiliate = _affiliate()
    Recipient.objects.filter(pk=affiliate.pk).update(webhook_url="", webhook_secret_sealed="")
    overview = console.get("/console/privacy/")
    assert 'data-testid="recipients-link"' in overview.content.decode()

    saved = _save_url(console, affiliate, PUBLIC)

    assert saved.status_code == 200 and saved["Cache-Control"] == "no-store"
    secret = _shown_secret(saved)
    assert len(secret) >= 40 and _signs(affiliate, secret)
    assert affiliate.webhook_url == PUBLIC and secret not in affiliate.webhook_secret_sealed
    page = console.get("/console/privacy/recipients/")
    assert page.status_code == 200 and secret not in page.content.decode() and not _shown_secret(page)
    assert "Signing secret set" in page.content.decode()

    # Changing the URL keeps the secret; generating a new one shows it once and the old one stops signing.
    moved = _save_url(console, affiliate, "https://8.8.4.4/notices")
    assert moved.status_code == 302 and _signs(affiliate, secret) and affiliate.webhook_url == "https://8.8.4.4/notices"
    regenerated = console.post(f"/console/privacy/recipients/{affiliate.pk}/secret/")
    fresh = _shown_secret(regenerated)
    assert regenerated.status_code == 200 and fresh and fresh != secret
    assert _signs(affiliate, fresh) and not _signs(affiliate, secret)


@pytest.mark.parametrize("url", [
    "http://8.8.8.8/notices",  # not encrypted
    "https://10.0.0.5/notices", "https://192.168.1.20/notices", "https://172.16.3.4/notices",
    "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/notices",
    "https://100.64.0.1/notices", "https://0.0.0.0/notices",
    "https://my.localhost/notices", "https://printer.local/notices", "https://db.internal/notices",
    "https://user:password@8.8.8.8/notices",
    "https://no-such-host.invalid/notices",
    "ftp://8.8.8.8/notices", "not a url", "https://", "https://8.8.8.8:99999/",
])
def test_a_webhook_url_to_a_private_network_or_without_https_is_a_field_error(in_a, manager, console_as, url):
    console = console_as(manager)
    affiliate = _affiliate()
    before = (affiliate.webhook_url, affiliate.webhook_secret_sealed)

    refused = _save_url(console, affiliate, url)

    assert refused.status_code == 400
    assert f'data-field="webhook_url"' in refused.content.decode() and not _shown_secret(refused)
    affiliate.refresh_from_db()
    assert (affiliate.webhook_url, affiliate.webhook_secret_sealed) == before


def test_plain_http_to_this_machine_only_in_development(in_a, manager, console_as, settings):
    console = console_as(manager)
    assert _save_url(console, _affiliate(), "http://127.0.0.1:8099/notices").status_code in (200, 302)
    settings.DELETION_NOTICE_LOCAL_HTTP = False
    assert _save_url(console, _affiliate(), "http://127.0.0.1:8099/notices").status_code == 400
    for url in ("https://127.0.0.1:8099/notices", "https://localhost/notices", "https://[::1]/notices"):
        assert _save_url(console, _affiliate(), url).status_code == 400


def test_a_new_secret_needs_a_url_first_and_an_unknown_recipient_is_404(in_a, manager, console_as):
    console = console_as(manager)
    affiliate = _affiliate()
    Recipient.objects.filter(pk=affiliate.pk).update(webhook_url="", webhook_secret_sealed="")
    refused = console.post(f"/console/privacy/recipients/{affiliate.pk}/secret/")
    assert refused.status_code == 400 and 'data-field="webhook_url"' in refused.content.decode()
    assert not _shown_secret(refused)
    assert console.post("/console/privacy/recipients/999999/secret/").status_code == 404
    assert _save_url(console, Recipient(pk=999999), PUBLIC).status_code == 404


def test_only_the_manager_configures_recipients(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    employee = make_employee(department=tree["rnd"]).account
    affiliate = _affiliate()
    for account in (deputy, employee):
        console = console_as(account)
        assert console.get("/console/privacy/recipients/").status_code in (302, 403)
        assert _save_url(console, affiliate, PUBLIC).status_code in (302, 403)
        assert console.post(f"/console/privacy/recipients/{affiliate.pk}/secret/").status_code in (302, 403)
    assert console_as(deputy).get("/console/privacy/recipients/").status_code == 403
    assert 'data-testid="recipients-link"' not in console_as(deputy).get("/console/privacy/").content.decode()
    affiliate.refresh_from_db()
    assert affiliate.webhook_url != PUBLIC


@pytest.mark.promise("R3")
def test_a_notice_is_not_sent_to_an_address_that_became_private(in_a, manager, django_capture_on_commit_callbacks):
    person = make_employee().account
    affiliate = _affiliate()
    deletion_notices.set_webhook(actor=TEST_SETUP, recipient=affiliate, url=PUBLIC)
    Recipient.objects.filter(pk=affiliate.pk).update(webhook_url="https://10.1.2.3/notices")
    with django_capture_on_commit_callbacks(execute=False):
        notice = DeletionNotice.objects.create(recipient=affiliate, person=person)

    assert tasks.deliver_deletion_notice.apply(args=[notice.pk]).get() == "failed"
    notice.refresh_from_db()
    assert (notice.attempts, notice.last_error_code) == (deletion_notices.MAX_ATTEMPTS, "refused_destination")


def test_the_services_ask_the_catalogue_whoever_calls_them(in_a, manager):
    deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager)
    affiliate = _affiliate()
    deletion_notices.set_webhook(actor=TEST_SETUP, recipient=affiliate, url=PUBLIC)  # a secret to keep
    for configure in (lambda: deletion_notices.set_webhook(actor=deputy, recipient=affiliate, url=PUBLIC),
                      lambda: deletion_notices.change_webhook_url(actor=deputy, recipient=affiliate, url=PUBLIC),
                      lambda: deletion_notices.regenerate_webhook_secret(actor=deputy, recipient=affiliate)):
        with pytest.raises(NotPermitted):
            configure()
    affiliate.refresh_from_db()
    assert affiliate.webhook_url == PUBLIC
