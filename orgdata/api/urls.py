from django.urls import path

from orgdata.api import views

urlpatterns = [
    path("me/profile", views.MyProfileView.as_view(), name="api-my-profile"),
    path("me/applications", views.MyApplicationsView.as_view(), name="api-my-applications"),
    path("directory", views.DirectoryView.as_view(), name="api-directory"),
    path("departments", views.DepartmentListView.as_view(), name="api-departments"),
    path("admin/employees", views.AdminEmployeeListView.as_view(), name="api-admin-employees"),
    path("admin/employees/<int:pk>", views.AdminEmployeeDetailView.as_view(), name="api-admin-employee"),
]
