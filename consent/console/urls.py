from django.urls import path

from consent.console import views

app_name = "consent-console"

urlpatterns = [
    path("", views.privacy_overview, name="overview"),
    path("policy/", views.policy_notice, name="policy-notice"),
    path("people/<int:pk>/", views.person_consent, name="person"),
    path("sharing/", views.sharing_ledger, name="ledger"),
    path("policy-versions/", views.policy_versions, name="policy-versions"),
]
