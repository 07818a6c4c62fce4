from django.urls import path

from orgdata.console import views

app_name = "orgdata"

urlpatterns = [
    path("departments/", views.department_tree, name="departments"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("employees/", views.employee_list, name="employees"),
    path("employees/add/", views.employee_add, name="employee_add"),
    path("employees/<int:pk>/", views.employee_detail, name="employee"),
    path("employees/<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/reset-password/", views.employee_reset_password, name="employee_reset_password"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_status, name="import"),
    path("import/<int:pk>/report.csv", views.import_report, name="import_report"),
    path("import/template.<str:file_format>", views.import_template, name="import_template"),
    path("export/", views.export, name="export"),
    path("administrators/", views.administrators, name="administrators"),
    path("administrators/handed-over/", views.role_handed_over, name="role_handed_over"),
    path("positions/", views.positions, name="positions"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
]
