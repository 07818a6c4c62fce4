from django.urls import path

from certification.console import views

app_name = "certification-console"

urlpatterns = [
    path("", views.certification, name="status"),
    path("letter/", views.letter_template, name="letter"),
    path("documents/<int:pk>/", views.document, name="document"),
]
