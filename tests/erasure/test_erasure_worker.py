"""The erasure job runs on a real Celery worker, queued by erase_person once its transaction commits."""
import time

import pytest

from accounts.models import User
from erasure import services
from erasure.models import ErasureJob
from orgdata.models import Employee
from tests.committing import committed
from tests.erasure.test_erase_person import PRIVACY_REQUEST
from tests.orgdata.factories import make_employee

pytestmark = pytest.mark.usefixtures("celery_worker")


@pytest.mark.promise("R5")
def test_the_worker_erases_the_person_once_the_request_commits(enterprises):
    schema = enterprises.a.schema_name
    person = committed(schema, lambda: make_employee(name="钱七").account)
    job = committed(schema, lambda: services.erase_person(actor=PRIVACY_REQUEST, person=person,
                                                          reason="the person asked (worker test)"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = committed(schema, lambda: ErasureJob.objects.get(pk=job.pk).status)
        if status not in (ErasureJob.Status.PENDING, ErasureJob.Status.RUNNING):
            break
        time.sleep(0.2)
    assert status == ErasureJob.Status.DONE
    assert committed(schema, lambda: (Employee.objects.filter(account_id=person.pk).exists(),
                                      User.objects.filter(pk=person.pk, is_active=False, display_name="").exists())
                     ) == (False, True)
