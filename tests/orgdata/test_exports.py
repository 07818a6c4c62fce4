"""Export of the address book: masked by default, unmasked only with the permission, audited (X2)."""
import openpyxl
import io

import pytest

from audit.models import AuditEntry
from config.api_errors import NotPermitted
from orgdata.services import exports
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id


@pytest.mark.promise("E7")
def test_an_export_is_masked_unless_the_exporter_may_unmask_and_an_unmasked_one_is_audited(in_a, manager):
    tree = make_tree()
    person = make_employee(department=tree["backend"], name="导出人", id_number=resident_id())
    mobile = person.account.mobile
    deputy = make_sub_administrator(departments=[tree["hq"]], manager=manager)

    masked = exports.export_address_book(actor=deputy, file_format="csv").content.decode("utf-8-sig")
    assert mobile not in masked and f"{mobile[:3]}****{mobile[-4:]}" in masked
    assert resident_id() not in masked and "HQ/R&D/Back end" in masked
    with pytest.raises(NotPermitted):
        exports.export_address_book(actor=deputy, file_format="csv", unmasked=True)
    assert not AuditEntry.objects.filter(action="view_unmasked").exists()

    full = exports.export_address_book(actor=manager, file_format="xlsx", unmasked=True)
    sheet = openpyxl.load_workbook(io.BytesIO(full.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert any(mobile in row and resident_id() in row for row in values)
    audited = AuditEntry.objects.filter(action__startswith="view_unmasked", actor=f"user:{manager.pk}")
    assert sorted(field for entry in audited for field in entry.changed_fields) == ["id_number", "mobile"]
