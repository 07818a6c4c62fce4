"""Export of the address book: masked by default, unmasked only with the permission, audited (X2)."""
import csv
import io
import zipfile
from datetime import date, datetime

import openpyxl

import pytest

from audit.models import AuditEntry
from core import tabular
from core.errors import NotPermitted
from orgdata.columns import COLUMNS
from orgdata.services import exports as export_services
from privacy import crypto, keys
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id
from tests.orgdata.importing import processed


@pytest.mark.promise("E7")
def test_an_export_is_masked_unless_the_exporter_may_unmask_and_an_unmasked_one_is_audited(in_a, manager):
    tree = make_tree()
    person = make_employee(department=tree["backend"], name="导出人", id_number=resident_id())
    mobile = person.account.mobile
    deputy = make_sub_administrator(departments=[tree["hq"]], manager=manager)

    masked = export_services.export_address_book(actor=deputy, file_format="csv").content.decode("utf-8-sig")
    assert mobile not in masked and f"{mobile[:3]}****{mobile[-4:]}" in masked
    assert resident_id() not in masked and "HQ/R&D/Back end" in masked
    with pytest.raises(NotPermitted):
        export_services.export_address_book(actor=deputy, file_format="csv", unmasked=True)
    assert not AuditEntry.objects.filter(action="view_unmasked").exists()

    full = export_services.export_address_book(actor=manager, file_format="xlsx", unmasked=True)
    sheet = openpyxl.load_workbook(io.BytesIO(full.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert any(mobile in row and resident_id() in row for row in values)
    audited = AuditEntry.objects.filter(action__startswith="view_unmasked", actor=f"user:{manager.pk}")
    assert {entry.object_id for entry in audited} == {str(person.pk), str(deputy.employee.pk)}
    # X2: an unmasked export releases every masked column (email and landline too, as on every surface).
    assert all(sorted(entry.changed_fields) == ["email", "id_number", "landline", "mobile"] for entry in audited)


@pytest.mark.promise("X2")
def test_an_unmasked_export_leaves_one_audit_entry_per_exported_person(in_a, manager):
    tree = make_tree()
    people = [make_employee(department=tree["east"], name=f"导出{number}") for number in range(3)]
    before = AuditEntry.objects.count()
    masked = export_services.export_address_book(actor=manager, file_format="csv")
    assert masked.row_count == 3 and AuditEntry.objects.count() == before  # a masked export reveals nothing

    unmasked = export_services.export_address_book(actor=manager, file_format="csv", unmasked=True)
    entries = list(AuditEntry.objects.filter(action="view_unmasked"))
    assert unmasked.row_count == 3 and len(entries) == 3
    assert sorted(entry.object_id for entry in entries) == sorted(str(person.pk) for person in people)
    for entry in entries:
        assert entry.object_type == "orgdata.employee" and entry.actor == f"user:{manager.pk}"
        assert sorted(entry.changed_fields) == ["email", "id_number", "landline", "mobile"]



@pytest.mark.promise("R4")
def test_an_export_shows_a_shredded_person_without_their_values_and_everyone_else_in_full(in_a, manager):
    tree = make_tree()
    people = [make_employee(department=tree["east"], name=f"批量{number}", id_number=resident_id(sequence=number))
              for number in range(3)]
    shredded = people[1]
    keys.destroy_person_key(shredded.person_key_id)
    crypto._memo.clear()

    exported = export_services.export_address_book(actor=manager, file_format="csv", unmasked=True)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    at_name, at_mobile, at_id_number = ([column.key for column in COLUMNS].index(key)
                                        for key in ("display_name", "mobile", "id_number"))
    by_name = {row[at_name]: row for row in rows[1:]}
    assert by_name["批量1"][at_mobile] == "" and by_name["批量1"][at_id_number] == ""
    for number in (0, 2):
        assert by_name[f"批量{number}"][at_mobile] == people[number].account.mobile
        assert by_name[f"批量{number}"][at_id_number] == resident_id(sequence=number)


def _formula_people(department):
    return make_employee(department=department, name="=1+2", title='=HYPERLINK("http://evil.example","点我")',
                         address="+cmd|' /C calc'!A0", residence="@SUM(1,2)", country_region="-2+3",
                         landline="010-62345678", entry_date=date(2024, 3, 1))


def test_a_csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(in_a, manager):
    _formula_people(make_tree()["east"])
    text = export_services.export_address_book(actor=manager, file_format="csv").content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["Name"] == "'=1+2"
    assert row["Title"] == """'=HYPERLINK("http://evil.example","点我")"""
    assert row["Address"] == "'+cmd|' /C calc'!A0" and row["Permanent residence"] == "'@SUM(1,2)"
    assert row["Country/region"] == "'-2+3"
    # Values that merely contain those characters, and dates, stay as they are (the landline masked, X2).
    assert row["Landline"] == "010-****5678" and row["Date of employment"] == "2024-03-01"


def test_an_xlsx_export_stores_formula_like_text_as_text(in_a, manager):
    person = _formula_people(make_tree()["east"])
    content = export_services.export_address_book(actor=manager, file_format="xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2]))
    for column, value in (("Name", "=1+2"), ("Title", person.title), ("Address", person.address),
                          ("Permanent residence", "@SUM(1,2)"), ("Country/region", "-2+3")):
        assert cells[column].value == value and cells[column].data_type == "s", column
    assert cells["Landline"].value == "010-****5678" and not cells["Landline"].quotePrefix
    raw = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in raw  # no live formula anywhere in the sheet


def test_numbers_and_dates_are_written_as_they_are():
    assert not tabular.is_formula_like(-5) and not tabular.is_formula_like(date(2024, 1, 1))
    assert not tabular.is_formula_like("010-1234") and tabular.is_formula_like("\t=1")
    text = tabular.write_csv(["a", "b", "c", "d"], [[-5, -1.5, date(2024, 1, 1), "\r=1"]]).decode("utf-8-sig")
    assert text.startswith("a,b,c,d\r\n-5,-1.5,2024-01-01,")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == ["-5", "-1.5", "2024-01-01", "'\r=1"]
    sheet = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(["a", "b"], [[-5, date(2024, 1, 1)]]))).active
    assert [cell.value for cell in sheet[2]] == [-5, datetime(2024, 1, 1)]
    assert [cell.data_type for cell in sheet[2]] == ["n", "d"]


def test_the_import_error_report_neutralises_formulas_too(in_a, manager, console_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from orgdata.services.imports import jobs as import_services

    upload = SimpleUploadedFile("people.csv", "工号,姓名,手机号,=HYPERLINK(\"http://evil.example\")\n".encode())
    job = processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))
    assert job.status == "rejected" and job.report[0]["column"].startswith("=HYPERLINK")
    response = console_as(manager).get(f"/console/organisation/import/{job.pk}/report.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][0] == "1"
