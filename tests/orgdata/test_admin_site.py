"""Django admin (platform staff): nothing of an enterprise's personal data by default."""
from django.contrib import admin

from orgdata.models import Application, ApplicationSwitch, Department, Employee, ImportJob


def test_no_organisation_data_is_registered_in_the_django_admin():
    for model in (Employee, Department, ImportJob, Application, ApplicationSwitch):
        assert not admin.site.is_registered(model)
