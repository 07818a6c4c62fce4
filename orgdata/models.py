"""The organisation structure of one enterprise: departments, positions, job levels, employees,
bulk imports and which applications are switched on for whom."""
import uuid

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from privacy.fields import BlindIndexField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, personal_data

_NAMES_NO_ONE = "the name of a unit of the organisation, identifies nobody"


@personal_data(subject=None, fields={}, reason="the department tree", not_personal={"name": _NAMES_NO_ONE})
class Department(models.Model):
    """A node of the enterprise's department tree.

    `path` is the materialised chain of ids from the root ("/1/5/23/"), kept by the services that
    create and move departments, so "this department and everything below it" is one prefix match
    (sub-administrator scopes, E5).
    """

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", db_index=False, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("parent department"))
    path = models.CharField(max_length=1024, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_per_parent"),
            # Two top-level departments may not share a name either (NULL parents are distinct).
            models.UniqueConstraint(fields=["name"], condition=models.Q(parent__isnull=True),
                                    name="department_unique_top_level_name"),
        ]
        indexes = [models.Index(fields=["path"], name="department_path_prefix", opclasses=["varchar_pattern_ops"])]
        permissions = [
            # E5: granted per department (django-guardian) to sub-administrators; covers the subtree.
            ("administer_department", "Administer this department and everything below it"),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


@personal_data(subject="user", fields={}, erasure=Erasure.DELETE,
               note="E5: a sub-administrator's grant on a department (django-guardian); the person's grants go "
                    "when they stop administering or are erased")
class DepartmentAdministratorPermission(UserObjectPermissionBase):
    """django-guardian's object permission with a real foreign key to the department (E5).

    A direct key (instead of guardian's generic object id) lets the scope query join on it and
    makes deleting a department delete its grants.
    """

    content_object = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="administrator_grants")

    class Meta(UserObjectPermissionBase.Meta):
        pass


@personal_data(subject=None, fields={}, reason="the catalogue of positions",
               not_personal={"name": "a position's title, identifies nobody"})
class Position(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self):
        return self.name


@personal_data(subject=None, fields={}, reason="the catalogue of job levels",
               not_personal={"name": "a job level's label, identifies nobody"})
class JobLevel(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    rank = models.PositiveIntegerField(_("rank"), default=0, help_text=_("Higher ranks are more senior."))

    class Meta:
        ordering = ["rank", "name"]
        verbose_name = _("job level")
        verbose_name_plural = _("job levels")

    def __str__(self):
        return self.name


def _private_upload_path(kind: str, filename: str, extensions: frozenset[str]) -> str:
    # Files are namespaced by enterprise schema, never shared between enterprises, and named by a
    # random id so a file name reveals nothing about its owner. The extension is one of the kind's
    # own (the services name an upload after the type its content was checked to be); anything
    # else is stored as ".bin", so a client's "a.html" can never be served as a page.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in extensions:
        extension = "bin"
    return f"{connection.schema_name}/orgdata/{kind}/{uuid.uuid4().hex}.{extension}"


_IMAGE_EXTENSIONS = frozenset(("png", "jpg"))


def avatar_upload_path(instance, filename: str) -> str:
    return _private_upload_path("avatars", filename, _IMAGE_EXTENSIONS)


def seal_upload_path(instance, filename: str) -> str:
    return _private_upload_path("seals", filename, _IMAGE_EXTENSIONS)


def import_upload_path(instance, filename: str) -> str:
    return _private_upload_path("imports", filename, frozenset(("csv", "xlsx")))


_ADDRESS_BOOK = "address_book"
_HR = "hr_records"


# Issue 12: the employment record is kept after the person leaves, for its retention class,
# counted from the day they left (`left_at`, set by orgdata.services.employees) for
# settings.RETENTION_MONTHS["employment_record"]; then erasure.tasks.erase_leavers_past_retention
# erases the person.
_EMPLOYMENT_CLOCK = "left_at"


def _basic(purpose: str = _ADDRESS_BOOK, erasure: str = Erasure.DELETE, note: str = "", mask: str = Mask.NONE) -> PI:
    return PI(Category.BASIC, purpose=purpose, erasure=erasure, note=note, mask=mask,
              retention_starts=_EMPLOYMENT_CLOCK)


@personal_data(
    subject="account",
    fields={
        "employee_number": _basic(_HR),
        "department": _basic(),
        "position": _basic(),
        "job_level": _basic(_HR),
        "entry_date": _basic(_HR),
        "work_status": _basic(),
        "left_at": _basic(_HR, note="the day the person left the company; the record's retention runs from it"),
        "date_of_birth": _basic(_HR),
        # C2: a resident ID number is sensitive personal information.
        "id_number": PI(Category.SENSITIVE, purpose=_HR, erasure=Erasure.DELETE, mask=Mask.ID_NUMBER,
                        retention_starts=_EMPLOYMENT_CLOCK),
        "id_number_index": PI(Category.SENSITIVE, purpose=_HR, erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                              retention_starts=_EMPLOYMENT_CLOCK,
                              note="keyed digest of the ID number, for uniqueness and lookups"),
        # X2: contact values are shown masked like the mobile number.
        "landline": _basic(mask=Mask.LANDLINE),
        "email": _basic(mask=Mask.EMAIL),
        "title": _basic(),
        "gender": _basic(),
        "residence": _basic(_HR),
        "country_region": _basic(),
        "address": _basic(),
        "qq": _basic(),
        "wechat_id": _basic(),
        "education": _basic(_HR),
        "avatar": _basic(),
        "seal_image": _basic(_HR),
    },
    not_personal={"account": "the link to the person this row is about (accounts.User declares its fields)"},
)
class Employee(models.Model):
    """A person's record in the address book (E7); their login account is accounts.User (E2).

    The name and mobile number live on the account (they are how the person signs in). Everything
    of E3 is optional and blocks nothing when empty.
    """

    class WorkStatus(models.TextChoices):
        WORKING = "working", _("Working")
        BUSINESS_TRIP = "business_trip", _("On a business trip")
        ON_LEAVE = "on_leave", _("On leave")
        PROBATION = "probation", _("On probation")
        SUSPENDED = "suspended", _("Employment suspended")
        LEFT = "left", _("Left the company")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        UNDISCLOSED = "undisclosed", _("Prefer not to say")

    class Education(models.TextChoices):
        PRIMARY = "primary", _("Primary school")
        SECONDARY = "secondary", _("Secondary school")
        VOCATIONAL = "vocational", _("Vocational college")
        BACHELOR = "bachelor", _("Bachelor's degree")
        MASTER = "master", _("Master's degree")
        DOCTORATE = "doctorate", _("Doctorate")
        OTHER = "other", _("Other")

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee")
    # X1: the same data key as the person's account (services set it), so erasing the person
    # (R4: destroying the key) makes both unreadable at once.
    person_key = PersonKeyField()
    # E7 — employment
    # unique=True also gives it the pattern index the directory's and the console's prefix search
    # (LIKE 'E00%') reads.
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    department = models.ForeignKey(Department, db_index=False, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="employees", verbose_name=_("department"))
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="employees", verbose_name=_("position"))
    job_level = models.ForeignKey(JobLevel, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="employees", verbose_name=_("job level"))
    entry_date = models.DateField(_("date of employment"), null=True, blank=True)
    work_status = models.CharField(_("work status"), max_length=20, choices=WorkStatus.choices,
                                   default=WorkStatus.WORKING)
    # Set when work_status becomes "left" (issue 12): the day the employment ended.
    left_at = models.DateField(_("date of leaving"), null=True, blank=True, editable=False)
    # E7 — identity
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    # Unique within the enterprise; empty ID numbers have no index (NULLs are distinct).
    id_number_index = BlindIndexField(source="id_number", kind="id_number", unique=True, db_index=False)
    # E7 — contact
    landline = models.CharField(_("landline"), max_length=32, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    # E3 — optional profile
    title = models.CharField(_("title"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, blank=True)
    residence = models.CharField(_("permanent residence"), max_length=200, blank=True)
    country_region = models.CharField(_("country/region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    qq = models.CharField(_("QQ"), max_length=12, blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=20, blank=True)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    avatar = models.FileField(_("avatar"), upload_to=avatar_upload_path, blank=True, max_length=200)
    seal_image = models.FileField(_("seal image"), upload_to=seal_upload_path, blank=True, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_number"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [
            models.Index(fields=["department", "employee_number"], name="employee_department_number"),
            # The console's sortable columns (issue 14): each order ends on the employee number, so
            # a page of 100,000 people sorted by hire date or work status is read from an index.
            models.Index(fields=["entry_date", "employee_number"], name="employee_entry_date_number"),
            models.Index(fields=["work_status", "employee_number"], name="employee_status_number"),
        ]

    def __str__(self):
        return self.employee_number


@personal_data(subject=None, fields={}, actor_links={"created_by": "the administrator who uploaded the file"},
               not_personal={
    "original_name": "the uploaded file's name; the file itself is deleted once the import ends",
})
class ImportJob(models.Model):
    """One bulk upload of the address book (E7) and what became of it.

    All-or-nothing: rows are validated first and written in one transaction; `report` lists every
    bad row (row number, column, reason — never the cell's value). The administrator's
    confirmation that the people in the file were informed and consented (E8) is part of the job.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        # Issue 14: the file was checked and nothing was written; the administrator confirms or cancels.
        READY = "ready", _("Ready to confirm")
        REJECTED = "rejected", _("Rejected: the file has errors")
        FAILED = "failed", _("Failed")
        SUCCEEDED = "succeeded", _("Imported")
        CANCELLED = "cancelled", _("Cancelled")

    class FileFormat(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to=import_upload_path, max_length=200)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices)
    original_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=10, blank=True)  # the report is written in the uploader's language
    # E8: the confirmation, word for word as the administrator saw it, with who and when.
    consent_statement = models.TextField()
    consent_confirmed_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=1)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    departments_created = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    # Issue 14: what the checked file would do (counts, new departments, positions and job levels
    # that do not exist yet), shown before the administrator confirms; names, never a person's values.
    preview = models.JSONField(default=dict, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The administrator's explicit choice, on confirming, to create the previewed positions and job levels.
    create_new_values = models.BooleanField(default=False)
    failure_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"import #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.REJECTED, self.Status.FAILED, self.Status.SUCCEEDED, self.Status.CANCELLED)

    @property
    def is_waiting_for_confirmation(self) -> bool:
        return self.status == self.Status.READY


def export_file_path(instance, filename: str) -> str:
    return _private_upload_path("exports", filename, frozenset(("csv", "xlsx")))


@personal_data(subject=None, fields={}, actor_links={"created_by": "the administrator who asked for the export"},
               not_personal={
    "failure_reason": "why the export failed, in words of the service; never a value of the file",
})
class ExportJob(models.Model):
    """One export of the address book run in the background (issue 14; E7, X2), and its file.

    The file holds the people its administrator sees, masked as the disclosure rules mask them
    (unless an unmasked export was asked for and allowed); only that administrator may download it,
    each download is audited, and the file is deleted once `expires_at` has passed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired: the file was deleted")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file_format = models.CharField(max_length=4, choices=ImportJob.FileFormat.choices)
    is_unmasked = models.BooleanField(default=False)
    language = models.CharField(max_length=10, blank=True)  # the file's headers in the exporter's language
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_file_path, max_length=200, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"export #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.EXPIRED)


@personal_data(subject=None, fields={}, reason="the application catalogue",
               not_personal={"name": "an application's name, identifies nobody"})
class Application(models.Model):
    """An entry of the application catalogue (E6)."""

    class Kind(models.TextChoices):
        BASIC = "basic", _("Basic application")
        THIRD_PARTY = "third_party", _("Third-party application")
        SELF_BUILT = "self_built", _("Self-built application")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # For third-party applications: who receives data when it is switched on (C9 names it).
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    is_enabled_by_default = models.BooleanField(_("on unless switched off"), default=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self):
        return self.name


@personal_data(subject="account", fields={
    "account": PI(Category.BASIC, purpose="version_authorisation", erasure=Erasure.DELETE,
                  note="E6: an application switched on or off for one person"),
}, actor_links={"changed_by": "the administrator who switched it"})
class ApplicationSwitch(models.Model):
    """An administrator's on/off for one application at one level: the enterprise, a department
    (and everything below it) or one employee. The most specific switch wins."""

    application = models.ForeignKey(Application, db_index=False, on_delete=models.CASCADE, related_name="switches")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    is_enabled = models.BooleanField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(department__isnull=False) & models.Q(account__isnull=False)),
                name="application_switch_one_level",
            ),
            models.UniqueConstraint(fields=["application"], condition=models.Q(department__isnull=True,
                                                                              account__isnull=True),
                                    name="application_switch_one_per_enterprise"),
            models.UniqueConstraint(fields=["application", "department"], name="application_switch_one_per_department"),
            models.UniqueConstraint(fields=["application", "account"], name="application_switch_one_per_account"),
        ]
