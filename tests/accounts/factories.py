"""Accounts: factory_boy factories for the User model (one hash of one password for speed)."""
from itertools import count

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User

FACTORY_PASSWORD = "Fact0ry-Pass!"
# Argon2 is deliberately slow; hash once and reuse for every factory account.
_FACTORY_PASSWORD_HASH = make_password(FACTORY_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    mobile = factory.Sequence(lambda n: f"1360000{n:04d}")
    display_name = factory.Faker("name", locale="zh_CN")
    role = User.Role.EMPLOYEE
    password = _FACTORY_PASSWORD_HASH


_employee_mobiles = count(1)


class EmployeeAccountFactory(UserFactory):
    """An employee's account, with mobile numbers of their own range (1391234xxxx)."""

    mobile = factory.LazyFunction(lambda: f"1391234{next(_employee_mobiles):04d}")
