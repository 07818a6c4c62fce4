import pytest
from django.db import models
from django.test.utils import isolate_apps

from privacy import registry
from privacy.registry import PI, Category, personal_data


def test_every_field_that_looks_personal_is_declared():
    # The guard: a new personal field must be declared (or explained) before it can ship, so
    # export, erasure, audit and retention never miss it.
    assert registry.undeclared_personal_fields() == []


@isolate_apps("privacy")
def test_the_guard_fires_on_a_deliberately_undeclared_field():
    @personal_data(subject="self", fields={"full_name": PI(Category.BASIC, purpose="basic_service")})
    class Contractor(models.Model):
        full_name = models.CharField(max_length=50)
        home_address = models.CharField(max_length=200)
        wechat_id = models.CharField(max_length=50)
        badge_colour = models.CharField(max_length=10)

        class Meta:
            app_label = "privacy"

    assert registry.undeclared_personal_fields([Contractor]) == [
        "privacy.Contractor.home_address", "privacy.Contractor.wechat_id"]


@isolate_apps("privacy")
def test_not_personal_needs_a_reason_and_silences_the_guard():
    @personal_data(subject=None, fields={}, reason="meeting rooms", not_personal={"name": "a meeting room's name"})
    class Room(models.Model):
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "privacy"

    assert registry.undeclared_personal_fields([Room]) == []


def test_a_declaration_naming_a_missing_field_is_refused():
    with pytest.raises(ValueError, match="do not exist"):
        @personal_data(subject="self", fields={"nickname": PI(Category.BASIC, purpose="x")})
        class Broken(models.Model):
            class Meta:
                app_label = "privacy"


def test_a_rule_needs_known_category_retention_and_erasure():
    with pytest.raises(ValueError):
        PI("secret-ish", purpose="x")
    with pytest.raises(ValueError):
        PI(Category.BASIC, purpose="x", erasure="shred-later")


def test_audited_models_come_from_the_declarations():
    from accounts.models import DeviceToken, User

    assert {User, DeviceToken} <= set(registry.audited_models())
