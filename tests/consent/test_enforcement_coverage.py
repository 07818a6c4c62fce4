"""The gate cannot be bypassed: every registry field an additional purpose covers is guarded at
save(), and every API endpoint that can write such a field refuses it without consent."""
import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context
from rest_framework.views import APIView

from consent import gate
from consent.catalogue import ALL_PURPOSES
from consent.errors import ConsentRequired
from privacy.registry import covered_field
from tests.consent.factories import EmployeeFactory, signed_in

GPS = {"lat": 31.2, "lng": 121.4}
# How to make one row of each gated model for a person, with the gated field set.
ROW_MAKERS = {
    "attendance.CheckIn": lambda person: dict(person=person, kind="in", location=GPS),
    "attendance.TrackingPing": lambda person: dict(person=person, location=GPS),
}
# The request that writes each gated field through the API (path, body).
API_WRITERS = {
    "attendance.CheckIn.location": ("/api/v1/attendance/check-ins", {"kind": "in", "location": GPS}),
    "attendance.TrackingPing.location": ("/api/v1/attendance/tracking/pings", {"location": GPS}),
}


def _covered_labels():
    return sorted({label for p in ALL_PURPOSES if p.kind != "basic" for label in p.covers})


def _api_views(resolver=None, prefix=""):
    for entry in (resolver or get_resolver("config.urls_tenant")).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield prefix + str(entry.pattern), view_class


def _writes_model(view_class, model) -> bool:
    """Whether a view can write `model`: through a serializer of it, or the app's write services."""
    import inspect

    source = inspect.getsource(inspect.getmodule(view_class))
    return model.__name__ in source or f"{model._meta.app_label}.services" in source \
        or f"from {model._meta.app_label} import" in source and "services" in source


@pytest.mark.promise("C1")
def test_every_covered_field_is_declared_and_its_model_is_guarded(enterprises):
    labels = _covered_labels()
    assert labels, "the catalogue gates no field"
    for label in labels:
        model, name, rule = covered_field(label)  # declared in the privacy registry
        assert gate.is_guarded(model), f"{model._meta.label} is not guarded by the consent gate"
        assert model._meta.label in ROW_MAKERS, f"add a row maker for {model._meta.label}"
        assert label in API_WRITERS, f"add the API request that writes {label}"


@pytest.mark.promise("C1")
def test_saving_a_covered_field_without_consent_is_refused_whatever_the_caller(enterprises):
    with schema_context(enterprises.a.schema_name):
        person = EmployeeFactory()
        for model_label, make in ROW_MAKERS.items():
            model = apps.get_model(model_label)
            row = model(**make(person))
            row.person_key_id = person.person_key_id
            with pytest.raises(ConsentRequired):
                row.save()


@pytest.mark.promise("C1")
def test_every_endpoint_that_can_write_a_covered_field_refuses_it_without_consent(enterprises):
    from accounts.models import User
    from attendance import services

    gated_models = {covered_field(label)[0] for label in _covered_labels()}
    writers = {"/" + path for path, view_class in _api_views()
               if {"post", "put", "patch"} & set(dir(view_class))
               and any(_writes_model(view_class, model) for model in gated_models)}
    # A new endpoint that can write a gated model fails here until it is listed (and then proven below).
    assert writers == {path for path, _body in API_WRITERS.values()}

    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        services.switch_tracking(actor=User.objects.get(role=User.Role.MANAGER), enabled=True)
    for label, (path, body) in API_WRITERS.items():
        refused = person.post(path, body)
        assert refused.status_code == 403 and refused.json()["code"] == "consent_required", label
