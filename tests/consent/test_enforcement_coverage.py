"""The gate cannot be bypassed (C1, issue 5): every registry field an additional purpose covers is
refused without consent on every write path the ORM offers, and every way in — API, console,
Celery task — that can reach a write of such a field either goes through the model's service
(which asks the gate) and is proven to refuse without consent, or does not exist.

How these tests fail, on purpose:
- a new purpose covering a field of a model without the guard or without GatedQuerySet fails
  `test_every_covered_field_is_declared_and_its_model_is_guarded`; a model whose manager lets
  .update()/bulk_* through fails `test_every_write_path_of_a_covered_field_is_refused_without_consent`;
- a new function anywhere in the project that writes a gated model (it names the model and calls
  save/create/update/bulk_*/..., or names its table in SQL) outside the model's app's services, or
  in services without asking the gate, fails `test_only_the_models_services_write_gated_models_and_they_ask_the_gate`;
- a new API view, console view or Celery task whose code reaches such a writer — directly or
  through any chain of project functions it calls — changes the sets found by `_entry_points_reaching`
  and fails the equality assertions until it is listed in API_WRITERS / CONSOLE_WRITERS /
  TASK_WRITERS, where each listed entry is then exercised without consent and must be refused.
`test_the_call_graph_check_finds_writes_it_must_find` runs the analysis on two deliberately bad
functions (a console-like view calling the check-in service, a task updating rows around it) so a
broken analysis that finds nothing fails too.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from functools import cache

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.views import APIView

from consent import gate
from consent.catalogue import ALL_PURPOSES
from consent.errors import ConsentRequired
from consent.services import legal_bases as legal_basis_services
from privacy.fields import sealed_value
from privacy.registry import covered_field, project_apps
from tests.accounts.factories import EmployeeAccountFactory
from tests.consent.factories import signed_in

GPS = {"lat": 31.2, "lng": 121.4}
# How to make one row of each gated model for a person (the gated field set).
ROW_MAKERS = {
    "attendance.CheckIn": lambda person: dict(person=person, kind="in", occurred_at=timezone.now(), place="Gate",
                                              location=GPS),
    "attendance.TrackingPing": lambda person: dict(person=person, recorded_at=timezone.now(), location=GPS),
    "attendance.FaceEnrolment": lambda person: dict(person=person, requested_at=timezone.now(),
                                                    embedding=[0.0] * 128),
}
# The request that writes each gated field through the API (path, body); POST.
API_WRITERS = {
    "attendance.CheckIn.location": ("/api/v1/attendance/check-ins", {"kind": "in", "location": GPS}),
    "attendance.TrackingPing.location": ("/api/v1/attendance/tracking/pings", {"location": GPS}),
    # The enrolment's photo becomes the embedding in a task (below); the request is refused first.
    "attendance.FaceEnrolment.embedding": ("/api/v1/attendance/face/enrolment", {}),
}


def _enrolment_whose_consent_lapsed() -> dict:
    """A pending face enrolment of a person whose facial_recognition consent no longer holds, as
    after a revision of the purpose (a withdrawal deletes the enrolment itself)."""
    from attendance import services as attendance_services
    from consent.services import ledger
    from tests.attendance import face_photos

    person = EmployeeAccountFactory()
    for code in ("device.camera", "facial_recognition"):
        ledger.grant_consent(actor=person, person=person, purpose_code=code, channel="mobile",
                             explicit_confirmation=True)
    enrolment = attendance_services.enrol_face(actor=person, person=person,
                                               photo=face_photos.upload(face_photos.astronaut()))
    ledger._append_event(actor=person, person=person, action="withdrawn", channel="mobile",
                         purpose=ledger.additional_purpose("facial_recognition"))
    return {"enrolment_id": enrolment.pk}


# Console pages (path → POST body) and Celery tasks (name → kwargs, or what makes them in the
# enterprise's schema) that can write a gated field; each is proven to refuse without consent.
CONSOLE_WRITERS: dict[str, dict] = {}
TASK_WRITERS: dict = {"attendance.tasks.compute_face_embedding": _enrolment_whose_consent_lapsed}

WRITE_METHODS = {"save", "create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create",
                 "_update", "_insert", "_batched_insert", "raw", "execute", "executemany"}


def _covered_labels():
    return sorted({label for p in ALL_PURPOSES if p.kind != "basic" for label in p.covers})


def _gated_models():
    return {covered_field(label)[0] for label in _covered_labels()}


# --- the call-graph analysis --------------------------------------------------------------------

def _is_project_object(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in project_apps() and ".migrations" not in module


def _project_modules():
    for app in sorted(project_apps()):
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


class _Function:
    """One function's source, resolved against its module (and its own local imports)."""

    def __init__(self, function, owner=None):
        self.function, self.owner = inspect.unwrap(function), owner
        self.globals = getattr(self.function, "__globals__", {})
        self.tree = ast.parse(textwrap.dedent(inspect.getsource(self.function)))
        self.local_imports = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.local_imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.local_imports[alias.asname or alias.name.split(".")[0]] = (alias.name, None)

    def _resolve_name(self, name: str):
        if name in ("self", "cls") and self.owner is not None:
            return self.owner
        if name not in self.local_imports:
            return self.globals.get(name)
        module_name, attribute = self.local_imports[name]
        try:
            if attribute is None:  # `import a.b` binds `a`
                return importlib.import_module(module_name.split(".")[0])
            module = importlib.import_module(module_name)
            if hasattr(module, attribute):
                return getattr(module, attribute)
            return importlib.import_module(f"{module_name}.{attribute}")  # `from package import module`
        except ImportError:
            return None

    def resolve(self, node):
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else inspect.getattr_static(base, node.attr, None) \
                if inspect.isclass(base) else getattr(base, node.attr, None)
        return None

    def referenced(self):
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Name, ast.Attribute)):
                found = self.resolve(node)
                if isinstance(found, (staticmethod, classmethod)):
                    found = found.__func__
                if found is not None:
                    yield found

    def calls_write_method(self) -> bool:
        return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and node.func.attr in WRITE_METHODS for node in ast.walk(self.tree))

    def string_constants(self):
        return [node.value for node in ast.walk(self.tree) if isinstance(node, ast.Constant)
                and isinstance(node.value, str)]


def _writes_gated_model_directly(function, owner=None) -> type | None:
    """The gated model `function` writes itself: it names the model (or its table) and calls a write."""
    parsed = _Function(function, owner)
    tables = {model._meta.db_table: model for model in _gated_models()}
    for text in parsed.string_constants():
        for table, model in tables.items():
            if table in text:
                return model
    gated = _gated_models()
    named = [obj for obj in parsed.referenced() if inspect.isclass(obj) and obj in gated]
    return named[0] if named and parsed.calls_write_method() else None


def _asks_the_gate(function) -> bool:
    entry_points = (gate.require_consent, gate.may_process, gate.processing_under,
                    legal_basis_services.under_legal_basis)
    return getattr(function, "consent_purpose", None) is not None or any(
        obj is entry_point for obj in _Function(function).referenced() for entry_point in entry_points)


def _methods_of(view_class):
    for klass in inspect.getmro(view_class):
        if not _is_project_object(klass):
            continue
        for name, member in vars(klass).items():
            if inspect.isfunction(member):
                yield name, member


def reaches_gated_write(function, owner=None, seen=None) -> list[str] | None:
    """The chain of project functions from `function` to one writing a gated model, or None."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if id(function) in seen:
        return None
    seen.add(id(function))
    try:
        parsed = _Function(function, owner)
    except (OSError, TypeError, SyntaxError):
        return None
    here = f"{function.__module__}.{function.__qualname__}"
    if _writes_gated_model_directly(function, owner) is not None:
        return [here]
    own_methods = dict(_methods_of(owner)).values() if owner is not None else ()
    for obj in parsed.referenced():
        if inspect.isclass(obj) and _is_project_object(obj) and obj is not owner:
            callees = [(member, obj) for _name, member in _methods_of(obj)]
        elif callable(obj) and not inspect.isclass(obj) and _is_project_object(obj):
            function_object = getattr(obj, "__func__", obj)
            callees = [(function_object, owner if function_object in own_methods else None)]
        else:
            continue
        for callee, callee_owner in callees:
            chain = reaches_gated_write(callee, callee_owner, seen)
            if chain:
                return [here, *chain]
    return None


def _routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver("config.urls_tenant")).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + str(entry.pattern), entry.callback


def _entry_points():
    """Every way in the analysis walks: (kind, label, function, owner) for each API and console
    handler of the tenant URLconf and each project Celery task."""
    from config.celery import app

    entries = []
    for path, callback in _routes():
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        kind = "api" if path.startswith("/api/") else "console" if path.startswith("/console/") else None
        if kind is None:
            continue
        if view_class is not None:
            if not _is_project_object(view_class):
                continue
            for name, method in _methods_of(view_class):
                # Every HTTP handler (a GET that writes is still a write); a console class's helpers too.
                if name in view_class.http_method_names or (kind == "console" and not issubclass(view_class, APIView)):
                    entries.append((kind, f"{path} {name}", method, view_class))
        elif _is_project_object(inspect.unwrap(callback)):
            entries.append((kind, path, callback, None))
    app.loader.import_default_modules()
    for name, task in sorted(app.tasks.items()):
        run = getattr(task, "run", None)
        if run is None or not _is_project_object(inspect.unwrap(run)):
            continue
        entries.append(("task", name, run, None))
    return entries


def _reaching(entries) -> dict[str, dict[str, list[str]]]:
    """{"api"|"console"|"task": {entry point: chain to the gated write}} for the given entry points."""
    found = {"api": {}, "console": {}, "task": {}}
    for kind, label, function, owner in entries:
        chain = reaches_gated_write(function, owner, set())
        if chain:
            found[kind][label] = chain
    return found


@cache
def _entry_points_reaching() -> dict[str, dict[str, list[str]]]:
    return _reaching(_entry_points())


# --- the tests ------------------------------------------------------------------------------------

@pytest.mark.promise("C1")
def test_every_covered_field_is_declared_and_its_model_is_guarded(enterprises):
    labels = _covered_labels()
    assert labels, "the catalogue gates no field"
    for label in labels:
        model, name, rule = covered_field(label)  # declared in the privacy registry
        assert gate.is_guarded(model), f"{model._meta.label} is not guarded by the consent gate"
        assert model._meta.label in ROW_MAKERS, f"add a row maker for {model._meta.label}"
        assert label in API_WRITERS, f"add the API request that writes {label}"
        # The Django admin's actions and forms are a way in no test here proves: keep gated models out.
        assert model not in admin.site._registry, f"{model._meta.label} is in the Django admin"


@pytest.mark.promise("C1")
def test_saving_a_covered_field_without_consent_is_refused_whatever_the_caller(enterprises):
    with schema_context(enterprises.a.schema_name):
        person = EmployeeAccountFactory()
        for model_label, make in ROW_MAKERS.items():
            model = apps.get_model(model_label)
            row = model(**make(person))
            row.person_key_id = person.person_key_id
            with pytest.raises(ConsentRequired):
                row.save()


@pytest.mark.promise("C1")
@pytest.mark.parametrize("label", _covered_labels())
def test_every_write_path_of_a_covered_field_is_refused_without_consent(enterprises, label):
    model, name, _rule = covered_field(label)
    make = ROW_MAKERS[model._meta.label]
    with schema_context(enterprises.a.schema_name):
        person = EmployeeAccountFactory()

        def row(**values):
            made = model(**{**make(person), **values})
            made.person_key_id = person.person_key_id
            return made

        with pytest.raises(ConsentRequired):
            row().save()
        with pytest.raises(ConsentRequired):
            model._default_manager.bulk_create([row()])
        stored = row(**{name: None})
        stored.save()  # nothing gated in it: allowed
        gated_value = make(person)[name]
        setattr(stored, name, gated_value)
        with pytest.raises(ConsentRequired):
            model._default_manager.bulk_update([stored], [name])
        # The value as the column would store it (a sealed token for an encrypted field), so only
        # the gate, not the field's own checks, can refuse it.
        with pytest.raises(ConsentRequired):
            model._default_manager.filter(pk=stored.pk).update(**{name: sealed_value(stored, name)})
        with pytest.raises(ConsentRequired):
            stored.save()
        assert getattr(model._default_manager.get(pk=stored.pk), name) is None


@pytest.mark.promise("C1")
def test_only_the_models_services_write_gated_models_and_they_ask_the_gate(enterprises):
    offenders, writers = [], []
    for module in _project_modules():
        candidates = [(function, None) for _name, function in inspect.getmembers(module, inspect.isfunction)
                      if function.__module__ == module.__name__]
        for _name, klass in inspect.getmembers(module, inspect.isclass):
            if klass.__module__ == module.__name__:
                candidates += [(member, klass) for _n, member in _methods_of(klass)
                               if member.__module__ == module.__name__]
        for function, owner in candidates:
            try:
                model = _writes_gated_model_directly(function, owner)
            except (OSError, TypeError, SyntaxError):
                continue
            if model is None:
                continue
            where = f"{module.__name__}.{function.__qualname__}"
            writers.append(where)
            if module.__name__ != f"{model._meta.app_label}.services" or not _asks_the_gate(function):
                offenders.append(where)
    assert not offenders, f"these write consent-gated models without their service and the gate: {offenders}"
    assert sorted(set(writers)) == ["attendance.services.check_in", "attendance.services.compute_face_embedding",
                                    "attendance.services.enrol_face", "attendance.services.record_tracking_ping"]


@pytest.mark.promise("C1")
def test_every_api_endpoint_that_can_write_a_covered_field_refuses_it_without_consent(enterprises):
    from accounts.models import User
    from attendance import services as attendance_services

    reaching = _entry_points_reaching()["api"]
    # A new endpoint that can write a gated model fails here until it is listed (and then proven below).
    assert set(reaching) == {f"{path} post" for path, _body in API_WRITERS.values()}, reaching

    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name):
        attendance_services.switch_tracking(actor=User.objects.get(role=User.Role.MANAGER), enabled=True)
    for label, (path, body) in API_WRITERS.items():
        refused = person.post(path, body)
        assert refused.status_code == 403 and refused.json()["code"] == "consent_required", label


class _ConsolePageCheckingInForThePerson:
    """A deliberately bad console page: it writes a location through the check-in service."""

    def post(self, request):
        from attendance import services as attendance_services

        return attendance_services.check_in(person=request.user, kind="in", location=GPS)


def _task_clearing_pings(person_id):
    """A deliberately bad task: it updates tracking pings around the service."""
    from attendance.models import TrackingPing

    return TrackingPing.objects.filter(person_id=person_id).update(location=None)


@pytest.mark.promise("C1")
def test_no_console_page_or_celery_task_writes_a_covered_field_without_the_gate(enterprises, client):
    entries = _entry_points()
    # The walk finds the console and the tasks at all (an empty walk would prove nothing) ...
    console = {label for kind, label, _function, _owner in entries if kind == "console"}
    tasks = {label for kind, label, _function, _owner in entries if kind == "task"}
    assert len(console) >= 20, console
    assert {"/console/attendance/", "/console/organisation/employees/<int:pk>/reset-password/",
            "/console/organisation/import/"} <= console, console
    assert {"orgdata.tasks.run_import", "orgdata.tasks.recover_abandoned_imports", "audit.tasks.apply_retention",
            "accounts.tasks.purge_expired_device_tokens", "tenants.tasks.run_for_ready_enterprises"} <= tasks, tasks
    # ... and reports a console page or task that reaches a gated write, through the service or around it.
    bad = [("console", "/console/bad/ post", _ConsolePageCheckingInForThePerson.post,
            _ConsolePageCheckingInForThePerson),
           ("task", "tests.bad_task", _task_clearing_pings, None)]
    with_bad = _reaching([*entries, *bad])
    assert with_bad["console"]["/console/bad/ post"][-1] == "attendance.services.check_in"
    assert with_bad["task"]["tests.bad_task"] == [f"{__name__}._task_clearing_pings"]

    reaching = _entry_points_reaching()
    # Today no console page and no task can write a gated field; one that can is listed and proven.
    assert set(reaching["console"]) == set(CONSOLE_WRITERS), reaching["console"]
    assert set(reaching["task"]) == set(TASK_WRITERS), reaching["task"]

    from accounts.models import User
    from config.celery import app

    with schema_context(enterprises.a.schema_name):
        client.force_login(User.objects.get(role=User.Role.MANAGER))
    client.defaults["HTTP_HOST"] = enterprises.a.host
    for path, body in CONSOLE_WRITERS.items():
        assert client.post(path.rsplit(" ", 1)[0], body).status_code == 403, path
    for name, kwargs in TASK_WRITERS.items():
        with schema_context(enterprises.a.schema_name):
            kwargs = kwargs() if callable(kwargs) else kwargs
            with pytest.raises(ConsentRequired):
                app.tasks[name].apply(kwargs=kwargs, throw=True)


def _console_view_writing_through_the_service(request):
    from attendance import services as attendance_services

    return attendance_services.check_in(person=request.user, kind="in", location=GPS)


def _task_updating_rows_around_the_service(person_id):
    from attendance.models import TrackingPing

    return TrackingPing.objects.filter(person_id=person_id).update(location=None)


def _task_in_raw_sql(cursor, person_id):
    cursor.execute("UPDATE attendance_checkin SET location = NULL WHERE person_id = %s", [person_id])


def test_the_call_graph_check_finds_writes_it_must_find(enterprises):
    from attendance import services as attendance_services

    # A console view calling the check-in service reaches the write, through the service.
    assert reaching_chain(_console_view_writing_through_the_service)[-1] == "attendance.services.check_in"
    # Writing around the service (QuerySet.update, raw SQL) is a direct write, and one outside the
    # model's services that does not ask the gate: the project-wide check would list it.
    for bypass in (_task_updating_rows_around_the_service, _task_in_raw_sql):
        assert _writes_gated_model_directly(bypass) is not None
        assert not _asks_the_gate(bypass)
    # The real services write and ask the gate; a read-only selector writes nothing.
    from attendance import selectors

    assert _writes_gated_model_directly(attendance_services.check_in) is not None
    assert _asks_the_gate(attendance_services.check_in)
    assert _writes_gated_model_directly(selectors.check_ins_of) is None


def reaching_chain(function):
    return reaches_gated_write(function, None, set())
