"""The address book's file columns, shared by the import, the export and the sample template, so an
exported file (with unmasked columns) can be imported again unchanged. How each column's value is
masked is declared with its model field (privacy.registry), not here."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation
    zh_label: str  # accepted in headers whatever the uploader's language
    required: bool = False


COLUMNS = (
    Column("employee_number", _("Employee number"), "工号", required=True),
    Column("display_name", _("Name"), "姓名", required=True),
    Column("mobile", _("Mobile number"), "手机号", required=True),
    Column("department", _("Department"), "部门"),
    Column("position", _("Position"), "职位"),
    Column("job_level", _("Job level"), "职级"),
    Column("entry_date", _("Date of employment"), "入职日期"),
    Column("work_status", _("Work status"), "工作状态"),
    Column("date_of_birth", _("Date of birth"), "出生日期"),
    Column("id_number", _("Resident ID number"), "身份证号"),
    Column("landline", _("Landline"), "座机"),
    Column("email", _("Email"), "邮箱"),
    Column("gender", _("Gender"), "性别"),
    Column("title", _("Title"), "职称"),
    Column("education", _("Education"), "学历"),
    Column("residence", _("Permanent residence"), "户籍所在地"),
    Column("country_region", _("Country/region"), "国家/地区"),
    Column("address", _("Address"), "地址"),
    Column("qq", _("QQ"), "QQ"),
    Column("wechat_id", _("WeChat ID"), "微信号"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
DEPARTMENT_SEPARATOR = "/"


def header_aliases() -> dict[str, str]:
    """Every accepted spelling of a header (key, English label, Chinese label) → column key."""
    from django.utils import translation

    aliases: dict[str, str] = {}
    for column in COLUMNS:
        with translation.override("en"):
            english = str(column.label)
        for spelling in (column.key, english, column.zh_label, str(column.label)):
            aliases[_normalise_header(spelling)] = column.key
    return aliases


def _normalise_header(text: str) -> str:
    return "".join(str(text or "").split()).lower().rstrip("*")


def column_for_header(text: str, aliases: dict[str, str]) -> str | None:
    return aliases.get(_normalise_header(text))
