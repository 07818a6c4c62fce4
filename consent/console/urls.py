from django.urls import path

from consent.console import views

app_name = "consent-console"

urlpatterns = [
    path("", views.privacy_overview, name="overview"),
    path("policy/", views.policy_notice, name="policy-notice"),
    path("people/<int:pk>/", views.person_consent, name="person"),
    path("people/<int:pk>/guardian-consent/", views.guardian_consent, name="guardian-consent"),
]
