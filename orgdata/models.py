from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.registry import PI, Category, Erasure, personal_data


@personal_data(subject=None, fields={}, not_personal={"name": "a department's name"})
class Department(models.Model):
    """A node of the enterprise's department tree."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_per_parent"),
        ]

    def __str__(self):
        return self.name


@personal_data(subject="account", fields={
    "account": PI(Category.BASIC, purpose="address_book", erasure=Erasure.DELETE),
    "employee_number": PI(Category.BASIC, purpose="address_book", erasure=Erasure.DELETE),
    "position": PI(Category.BASIC, purpose="address_book", erasure=Erasure.DELETE),
})
class Employee(models.Model):
    """A person's employment record; their login account is accounts.User (E2, E7)."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="employees")
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    position = models.CharField(_("position"), max_length=100, blank=True)

    def __str__(self):
        return self.employee_number
