from django.urls import path

from consent.console import views

app_name = "consent-console"

urlpatterns = [
    path("", views.privacy_overview, name="overview"),
    path("policy/", views.policy_notice, name="policy-notice"),
    path("people/<int:pk>/", views.person_consent, name="person"),
    path("recipients/", views.recipients, name="recipients"),
    path("board/", views.choose_for_board, name="board"),
    path("recipients/partners/", views.register_partner, name="register-partner"),
    path("recipients/<int:pk>/transfers/", views.send_to_recipient, name="recipient-transfer"),
    path("recipients/<int:pk>/webhook/", views.recipient_webhook, name="recipient-webhook"),
    path("recipients/<int:pk>/secret/", views.recipient_secret, name="recipient-secret"),
    path("people/<int:pk>/guardian-consent/", views.guardian_consent, name="guardian-consent"),
    path("sharing/", views.sharing_ledger, name="ledger"),
    path("policy-versions/", views.policy_versions, name="policy-versions"),
]
