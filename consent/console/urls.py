from django.urls import path

from consent.console import views

app_name = "consent-console"

urlpatterns = [
    path("", views.privacy_overview, name="overview"),
    path("policy/", views.policy_notice, name="policy-notice"),
    path("employees/<int:pk>/", views.person_consent, name="person"),
]
