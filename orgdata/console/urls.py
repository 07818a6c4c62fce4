from django.urls import path

from orgdata.console.views import (administrators, applications, basic_details, departments, employees, positions,
                                   transfers)

app_name = "orgdata"

urlpatterns = [
    path("departments/", departments.department_tree, name="departments"),
    path("departments/<int:pk>/", departments.department_detail, name="department"),
    path("employees/", employees.employee_list, name="employees"),
    path("employees/add/", employees.employee_add, name="employee_add"),
    path("employees/bulk/", employees.employee_bulk, name="employee_bulk"),
    path("employees/pick/", employees.person_picker, name="person_picker"),
    path("employees/<int:pk>/", employees.employee_detail, name="employee"),
    path("employees/<int:pk>/edit/", employees.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/reset-password/", employees.employee_reset_password, name="employee_reset_password"),
    path("employees/<int:pk>/invite/", employees.employee_invite, name="employee_invite"),
    path("employees/<int:pk>/invite/sms/", employees.employee_invite_by_sms, name="employee_invite_by_sms"),
    path("import/", transfers.import_upload, name="import_upload"),
    path("import/history/", transfers.import_history, name="import_history"),
    path("import/<int:pk>/", transfers.import_status, name="import"),
    path("import/<int:pk>/confirm/", transfers.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", transfers.import_cancel, name="import_cancel"),
    path("import/<int:pk>/report.csv", transfers.import_report, name="import_report"),
    path("import/template.<str:file_format>", transfers.import_template, name="import_template"),
    path("export/", transfers.export, name="export"),
    path("export/<int:pk>/", transfers.export_status, name="export_status"),
    path("export/<int:pk>/download/", transfers.export_download, name="export_download"),
    path("administrators/", administrators.administrators, name="administrators"),
    path("basic-details/", basic_details.basic_details, name="basic-details"),  # E1
    path("administrators/handed-over/", administrators.role_handed_over, name="role_handed_over"),
    path("positions/", positions.positions, name="positions"),
    path("applications/", applications.applications, name="applications"),
    path("applications/<int:pk>/", applications.application_detail, name="application"),
]
