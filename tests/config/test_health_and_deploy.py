import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_and_broker(enterprises, platform_client, api_client_for):
    for client in (platform_client, api_client_for(enterprises.a)):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


def test_healthz_reports_a_broker_that_is_down(enterprises, platform_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = platform_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.mark.promise("X1")
def test_one_flag_switches_on_https_and_the_deploy_check_is_clean():
    # A production process: not what the browser tests' session leaves in os.environ.
    inherited = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECURE": "1",
           "DJANGO_SECRET_KEY": "k" * 20 + "-deploy-check-" + "x" * 30,
           "PRIVACY_MASTER_KEYS": "deploy=" + secrets.token_urlsafe(32),
           "PRIVACY_BLIND_INDEX_KEY": secrets.token_urlsafe(32)}
    env["AUDIT_CHECKPOINT_KEY"] = secrets.token_urlsafe(32)
    env.update(SMS_PROVIDER_URL="https://sms.example.com/send", SMS_PROVIDER_KEY_ID="deploy-check",
               SMS_PROVIDER_SECRET=secrets.token_urlsafe(16), SMS_PROVIDER_SIGN_NAME="Workspace",
               SMS_PROVIDER_TEMPLATE_VERIFICATION_CODE="SMS_0001", SMS_PROVIDER_TEMPLATE_INVITATION="SMS_0002",
               SMS_PROVIDER_TEMPLATE_INCIDENT_NOTICE="SMS_0003", SMS_PROVIDER_TEMPLATE_INCIDENT_GUARDIAN_NOTICE="SMS_0004",
               SMS_PROVIDER_TEMPLATE_NEXT_OF_KIN_UPDATE="SMS_0005",
               SMS_PROVIDER_TEMPLATE_HOLDER_TRANSFER="SMS_0006")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    settings_dump = subprocess.run(
        [sys.executable, "-c", "import django,json;django.setup();from django.conf import settings as s;"
         "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert settings_dump.stdout.strip().splitlines()[-1] == "[true, true, true, 31536000]"


def test_https_redirect_when_the_flag_is_on(enterprises, api_client_for, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = api_client_for(enterprises.a).get("/console/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
