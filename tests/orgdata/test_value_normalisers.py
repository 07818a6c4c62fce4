"""One normaliser and one validator per kind of value, on every input path (E5, E7).

The same hostile spellings go through the console's add form, the bulk import and the API's
correction of a record; each path must store the same canonical value or refuse the value with a
message on the same field.
"""
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import User
from accounts.validators import normalize_mainland_mobile
from orgdata.columns import COLUMNS_BY_KEY
from orgdata.models import Department, Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.validators import canonical_mainland_mobile, normalize_resident_id, parse_date
from tests.orgdata.factories import make_employee, make_tree, resident_id
from tests.orgdata.importing import processed
from tests.accounts.signing_in import api_login

FULL_WIDTH = str.maketrans("0123456789Xx+-", "０１２３４５６７８９Ｘｘ＋－")


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def _id_ending_in_x(start: int) -> str:
    """A valid resident ID number whose check character is X (at or after sequence `start`)."""
    for sequence in range(start, start + 200):
        number = resident_id(birth=date(1985, 6, 15), sequence=sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check character in 200 sequences")


# --- the three input paths ----------------------------------------------------------------------

class Paths:
    """Console add form, CSV import and API correction, each given the same raw values."""

    def __init__(self, manager, console, api):
        self.manager, self.console, self.api = manager, console, api
        self.count = 0

    def _number(self) -> str:
        self.count += 1
        return f"V{self.count:04d}"

    def console_add(self, **values):
        """(stored employee or None, fields refused)."""
        number = self._number()
        form = {"display_name": "周一", "mobile": f"1370000{self.count:04d}", "employee_number": number,
                "work_status": "working", **values}
        response = self.console.post("/console/organisation/employees/add/", form)
        if response.status_code == 302:
            return Employee.objects.select_related("account").get(employee_number=number), set()
        assert response.status_code == 200
        return None, set(response.context["form"].errors)

    def import_add(self, **values):
        number = self._number()
        row = {"employee_number": number, "display_name": "周二", "mobile": f"1370000{self.count:04d}", **values}
        keys = list(row)
        text = ",".join(str(COLUMNS_BY_KEY[key].zh_label) for key in keys) + "\n"
        text += ",".join(row[key] for key in keys) + "\n"
        job = processed(import_services.start_import(actor=self.manager, upload=SimpleUploadedFile("people.csv",
                                                                                                   text.encode()),
                                                     consent_confirmed=True, language="en"))
        if job.status == "succeeded":
            return Employee.objects.select_related("account").get(employee_number=number), set()
        assert job.status == "rejected", job.failure_reason
        with translation.override("en"):
            label_to_key = {str(column.label): key for key, column in COLUMNS_BY_KEY.items()}
        return None, {label_to_key[error["column"]] for error in job.report}

    def api_correct(self, **values):
        self.count += 1
        employee = make_employee(mobile=f"1370000{self.count:04d}", employee_number=self._number())
        response = self.api.patch(f"/api/v1/admin/employees/{employee.pk}", values, format="json")
        if response.status_code == 200:
            return Employee.objects.select_related("account").get(pk=employee.pk), set()
        assert response.status_code == 400, response.content
        return None, set(response.json()["fields"])

    def all(self, **values):
        return {"console": self.console_add(**values), "import": self.import_add(**values),
                "api": self.api_correct(**values)}


@pytest.fixture
def paths(in_a, manager, console_as, api_as):
    api = api_as(manager)  # first: it sets a password, which ends any console session
    return Paths(manager, console_as(manager), api)


# --- mobile numbers -------------------------------------------------------------------------------

MOBILE_SPELLINGS = {
    "full-width with ＋８６": lambda m: "＋８６ " + full_width(f"{m[:3]}-{m[3:7]}-{m[7:]}"),
    "0086 and brackets": lambda m: f"0086 ({m[:3]}) {m[3:7]} {m[7:]}",
    "86 and dots": lambda m: f"86 {m[:3]}.{m[3:7]}.{m[7:]}",
    "zero-width space inside": lambda m: f"{m[:1]}\u200b{m[1:]}",
    "full-width brackets": lambda m: f"（{m[:3]}）{m[3:7]} {m[7:]}",
}


@pytest.mark.promise("E7")
@pytest.mark.parametrize("spelling", MOBILE_SPELLINGS)
def test_every_path_stores_one_canonical_mobile_number_for_every_spelling(paths, spelling):
    for path, number in (("console", "13811110001"), ("import", "13811110002"), ("api", "13811110003")):
        add = {"console": paths.console_add, "import": paths.import_add, "api": paths.api_correct}[path]
        employee, refused = add(mobile=MOBILE_SPELLINGS[spelling](number))
        assert not refused, (path, refused)
        assert employee.account.mobile == number, path
        # The blind index and sign-in use the same normaliser: every spelling finds the account.
        assert User.objects.with_mobile(MOBILE_SPELLINGS[spelling](number)).get() == employee.account


@pytest.mark.promise("E7")
@pytest.mark.parametrize("mobile", ["+1 415 555 0100", "١٣٨١١١١٠٠٠١", "138 1111 000", "010-62345678", "1３８abc"])
def test_every_path_refuses_the_same_bad_mobile_numbers_on_the_mobile_field(paths, mobile):
    outcomes = paths.all(mobile=mobile)
    assert {path: outcome[1] for path, outcome in outcomes.items()} == {
        "console": {"mobile"}, "import": {"mobile"}, "api": {"mobile"}}


@pytest.mark.parametrize("text", ["13812345678", "1３812345678", "13８１２３４５６７８", "１３８１２３４５６７８",
                                  "17912345678",
                                  "11012345678", "19912345678", "14012345678", "16612345678"])
def test_the_bulk_fast_path_agrees_with_the_normaliser(text):
    try:
        expected = normalize_mainland_mobile(text)
    except ValidationError:
        expected = None
    fast = canonical_mainland_mobile(text)
    # None means "take the long way"; otherwise it must be what the long way would answer.
    assert fast is None or fast == expected
    assert fast is None or fast.isascii()


@pytest.mark.promise("E7")
def test_a_full_width_mobile_number_signs_in_to_the_same_account(in_a, api_client_for, enterprises):
    person = make_employee(mobile="13822220001")
    person.account.set_password("Emp1oyee-Pass!")
    person.account.save(update_fields=["password"])
    client = api_client_for(enterprises.a)
    response = api_login(client, {"mobile": "＋８６ （１３８）２２２２－０００１",
                                                  "password": "Emp1oyee-Pass!", "device_id": "device-values-1"})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == person.account.pk


# --- resident ID numbers --------------------------------------------------------------------------

@pytest.mark.promise("E7")
def test_every_path_stores_the_canonical_id_number_and_refuses_its_other_spellings_as_taken(paths):
    ids = [_id_ending_in_x(start) for start in (100, 400, 700)]
    assert len(set(ids)) == 3
    spellings = {
        "console": full_width(ids[0][:17]) + "X",            # full-width digits, ASCII X
        "import": full_width(ids[1]),                        # all full-width, Ｘ included
        "api": f" {ids[2][:6]} {ids[2][6:14]} {ids[2][14:].lower()} ",  # spaced, lower-case x
    }
    stored = {}
    for (path, spelling), number in zip(spellings.items(), ids):
        employee, refused = getattr(paths, {"console": "console_add", "import": "import_add",
                                            "api": "api_correct"}[path])(id_number=spelling)
        assert not refused, (path, refused)
        assert employee.id_number == number, path
        stored[path] = employee
    # The same ID in ordinary digits is the same person's: refused for a second one on every path.
    for number in ids:
        outcomes = paths.all(id_number=number)
        assert {path: outcome[1] for path, outcome in outcomes.items()} == {
            "console": {"id_number"}, "import": {"id_number"}, "api": {"id_number"}}


@pytest.mark.parametrize("value", [resident_id()[:17] + "0", full_width(resident_id()[:17] + "0"),
                                   "1101051990030" + "Ｘ" * 5, "11010519900307\u0668\u0661\u0662\u0663"])
def test_a_bad_id_number_in_any_spelling_is_refused(value):
    with pytest.raises(ValidationError):
        normalize_resident_id(value)


def test_an_all_full_width_valid_id_number_passes_the_check_digit():
    assert normalize_resident_id(full_width("11010519491231002x")) == "11010519491231002X"


# --- dates ------------------------------------------------------------------------------------------

@pytest.mark.promise("E7")
@pytest.mark.parametrize("typed", ["2024-03-01", "2024/3/1", "2024.3.1", "2024年3月1日", "２０２４年３月１日",
                                   " 2024 / 03 / 01 "])
def test_every_path_accepts_the_same_date_spellings(paths, typed):
    for path, (employee, refused) in paths.all(entry_date=typed).items():
        assert not refused, (path, refused)
        assert employee.entry_date == date(2024, 3, 1), path


@pytest.mark.promise("E7")
@pytest.mark.parametrize("typed", ["20240301", "2024-02-30", "2099-01-01", "1899/12/31", "3/1/2024", "tomorrow"])
def test_every_path_refuses_the_same_dates_on_the_date_field(paths, typed):
    outcomes = paths.all(entry_date=typed)
    assert {path: outcome[1] for path, outcome in outcomes.items()} == {
        "console": {"entry_date"}, "import": {"entry_date"}, "api": {"entry_date"}}


def test_spreadsheet_date_cells_are_dates_and_nothing_else_is_guessed():
    from datetime import datetime

    assert parse_date(datetime(2024, 3, 1, 0, 0)) == date(2024, 3, 1)
    for guess in (45352, 45352.0, "45352"):  # an Excel serial number is not a date anyone typed
        with pytest.raises(ValidationError):
            parse_date(guess)


# --- names ------------------------------------------------------------------------------------------

@pytest.mark.promise("E7")
def test_every_path_removes_invisible_and_right_to_left_characters_from_names(paths):
    typed = "\u202e王\u200b五\u200f \u3000 六\ufeff\u2066"
    for path, (employee, refused) in paths.all(display_name=typed).items():
        assert not refused, (path, refused)
        assert employee.account.display_name == "王五 六", path


@pytest.mark.promise("E7")
def test_a_name_of_invisible_characters_only_is_refused_on_every_path(paths):
    outcomes = paths.all(display_name="\u200b\u202e\ufeff")
    assert {path: outcome[1] for path, outcome in outcomes.items()} == {
        "console": {"display_name"}, "import": {"display_name"}, "api": {"display_name"}}


def test_department_and_position_names_are_cleaned_the_same_way(in_a, manager, console_as):
    make_tree()
    console = console_as(manager)
    console.post("/console/organisation/departments/", {"name": "研发\u200b部\u202e"})
    assert Department.objects.filter(name="研发部").exists()
    from orgdata.models import Position
    from orgdata.services import positions as position_services

    position_services.create_position(actor=manager, name=" 工程师\u2066 ")
    assert Position.objects.filter(name="工程师").exists()


# --- choices ------------------------------------------------------------------------------------------

@pytest.mark.promise("E7")
def test_a_bad_choice_is_refused_with_the_accepted_values_on_every_path(paths):
    with translation.override("en"):
        console_employee, _ = paths.console_add()
        page = paths.console.post(f"/console/organisation/employees/{console_employee.pk}/edit/", {
            "display_name": "周一", "employee_number": console_employee.employee_number,
            "work_status": "sleeping"}).content.decode()
    employee = make_employee(mobile="13833330001")
    api = paths.api.patch(f"/api/v1/admin/employees/{employee.pk}", {"work_status": "sleeping"}, format="json")
    _none, imported = paths.import_add(work_status="sleeping")
    job = ImportJob.objects.order_by("-pk").first()
    for message in (page, api.json()["fields"]["work_status"][0], job.report[0]["reason"]):
        assert "Choose one of:" in message and "Working" in message and "Left the company" in message
    assert imported == {"work_status"}


# --- the console's correction of an ID number ---------------------------------------------------------

@pytest.mark.promise("E5")
def test_correcting_an_id_number_in_the_console_corrects_the_birth_date_the_form_sends_back(
        in_a, manager, console_as):
    wrong = resident_id(birth=date(1990, 3, 7))
    right = resident_id(birth=date(1991, 8, 20))
    employee = make_employee(mobile="13844440001", employee_number="C1", id_number=wrong)
    assert employee.date_of_birth == date(1990, 3, 7)
    console = console_as(manager)
    form = console.get(f"/console/organisation/employees/{employee.pk}/edit/").context["form"]
    posted = {name: value for name, value in form.initial.items() if value is not None}
    assert posted["date_of_birth"] == date(1990, 3, 7)  # the form re-sends the old birth date
    posted.update(date_of_birth="1990-03-07", department="", id_number=right)
    saved = console.post(f"/console/organisation/employees/{employee.pk}/edit/", posted)
    assert saved.status_code == 302, saved.context["form"].errors
    employee.refresh_from_db()
    assert (employee.id_number, employee.date_of_birth) == (right, date(1991, 8, 20))
    # A birth date actually changed by the administrator must still agree with the ID number.
    posted.update(date_of_birth="1991-08-21", id_number="")
    refused = console.post(f"/console/organisation/employees/{employee.pk}/edit/", posted)
    assert refused.status_code == 200 and "date_of_birth" in refused.context["form"].errors


# --- uploads -------------------------------------------------------------------------------------------

def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT",
                                                                 zlib.compress(b"\0" * 8)) + chunk(b"IEND", b"")


def _grant_storage_permission(client) -> None:
    granted = client.post("/api/v1/consent/purposes/device.storage/grant", {"explicit_confirmation": True},
                          format="json")
    assert granted.status_code == 201, granted.content


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03" + b"\x01\x11\x00" * 3
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"


@pytest.mark.promise("E7")
def test_an_image_named_html_is_stored_under_a_generated_name_of_its_real_type(in_a, manager, console_as, api_as):
    employee = make_employee(mobile="13855550001", employee_number="U1")
    console = console_as(manager)
    saved = console.post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": "张三", "employee_number": "U1", "work_status": "working",
        "avatar": SimpleUploadedFile("a.html", _png(64, 64), content_type="text/html"),
        "seal_image": SimpleUploadedFile("seal.png.html", _jpeg(300, 200), content_type="text/html")})
    assert saved.status_code == 302, saved.context["form"].errors
    employee.refresh_from_db()
    assert employee.avatar.name.endswith(".png") and employee.seal_image.name.endswith(".jpg")
    assert "a.html" not in employee.avatar.name and "seal" not in employee.seal_image.name.rsplit("/", 1)[-1]

    own = api_as(employee.account)
    _grant_storage_permission(own)  # C3: a photo from the phone needs it
    response = own.patch("/api/v1/me/profile", {"avatar": SimpleUploadedFile("me.png", _jpeg(10, 10))},
                         format="multipart")
    assert response.status_code == 200, response.content
    employee.refresh_from_db()
    assert employee.avatar.name.endswith(".jpg")


@pytest.mark.promise("E7")
@pytest.mark.parametrize("content, reason", [
    (b"<html><script>alert(1)</script></html>", "PNG or JPEG"),
    (_png(5000, 10), "4096"),
    (_jpeg(10, 4097), "4096"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "damaged"),
    (b"\xff\xd8\xff\xd9", "damaged"),
    (_png(10, 10) + b"\0" * (2 * 1024 * 1024), "2 MB"),
])
def test_uploads_are_refused_by_content_on_the_field_in_console_and_api(in_a, manager, console_as, api_as,
                                                                        content, reason):
    employee = make_employee(mobile="13855550002", employee_number="U2")
    with translation.override("en"):
        page = console_as(manager).post(f"/console/organisation/employees/{employee.pk}/edit/", {
            "display_name": "张三", "employee_number": "U2", "work_status": "working",
            "avatar": SimpleUploadedFile("a.png", content, content_type="image/png")})
    assert page.status_code == 200 and reason in " ".join(page.context["form"].errors["avatar"])
    own = api_as(employee.account)
    _grant_storage_permission(own)  # C3: a photo from the phone needs it
    response = own.patch("/api/v1/me/profile", {"seal_image": SimpleUploadedFile("a.png", content)}, format="multipart")
    assert response.status_code == 400 and reason in " ".join(response.json()["fields"]["seal_image"])
    employee.refresh_from_db()
    assert not employee.avatar and not employee.seal_image
