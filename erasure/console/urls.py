from django.urls import path

from erasure.console import views

app_name = "erasure-console"

urlpatterns = [
    path("employees/<int:pk>/erase/", views.erase_employee, name="erase_employee"),
    path("erasures/<int:pk>/", views.erasure_job, name="job"),
    path("erasures/<int:pk>/certificate.json", views.erasure_certificate, name="certificate"),
    path("cancellation/", views.enterprise_cancellation, name="cancellation"),
    path("cancellation/withdraw/", views.withdraw_enterprise_cancellation, name="withdraw_cancellation"),
]
