from django.urls import path

from erasure.console import views

app_name = "erasure-console"

urlpatterns = [
    path("employees/<int:pk>/erase/", views.erase_employee, name="erase_employee"),
    path("erasures/<int:pk>/", views.erasure_job, name="job"),
    path("erasures/<int:pk>/certificate.json", views.erasure_certificate, name="certificate"),
    path("cancellation/", views.enterprise_cancellation, name="cancellation"),
    path("cancellation/withdraw/", views.withdraw_enterprise_cancellation, name="withdraw_cancellation"),
    path("employees/<int:pk>/guardian-report/", views.guardian_report, name="guardian_report"),
    path("minors/", views.minor_cases, name="minor_cases"),
    path("minors/<int:pk>/", views.minor_case, name="minor_case"),
]
