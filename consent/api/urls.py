from django.urls import path

from consent.api import views

urlpatterns = [
    path("policy", views.PolicyView.as_view(), name="api-policy"),
    path("policy/accept", views.AcceptPolicyView.as_view(), name="api-policy-accept"),
    path("consent/purposes", views.PurposeListView.as_view(), name="api-consent-purposes"),
    path("consent/device-permissions", views.DevicePermissionListView.as_view(), name="api-device-permissions"),
    path("consent/purposes/<str:code>/grant", views.GrantView.as_view(), name="api-consent-grant"),
    path("consent/purposes/<str:code>/withdraw", views.WithdrawView.as_view(), name="api-consent-withdraw"),
    path("consent/history", views.HistoryView.as_view(), name="api-consent-history"),
    path("consent/receipts/<int:event_id>", views.ReceiptView.as_view(), name="api-consent-receipt"),
    path("consent/sharing", views.SharingView.as_view(), name="api-consent-sharing"),
    path("consent/deletion-notices", views.DeletionNoticeView.as_view(), name="api-consent-deletion-notices"),
]
